from django import forms

from phonecodes.models import PhoneChannel


class PhoneForm(forms.Form):
    error_summary_title = "The phone was not added"  # the heading of its error summary

    number = forms.CharField(
        label="Mobile number",
        max_length=20,
        help_text="With its country code, such as +1 202 555 0143.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    method = forms.ChoiceField(
        label="Send codes by",
        choices=PhoneChannel.choices,
        initial=PhoneChannel.SMS,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, initial_number: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if initial_number:
            self.fields["number"].initial = initial_number
