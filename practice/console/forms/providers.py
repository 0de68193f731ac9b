"""The providers page's form: "Provider name" and "NPI"."""

from django import forms

from practice.models import Provider


class ProviderForm(forms.Form):
    name = forms.CharField(label="Provider name", max_length=200)
    npi = forms.CharField(
        label="NPI",
        max_length=20,
        help_text="The provider's National Provider Identifier: 10 digits, the last a check digit.",
    )

    def __init__(self, *args, provider: Provider | None = None, **kwargs):
        initial = {"name": provider.name, "npi": provider.npi} if provider is not None else {}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["name"].widget.attrs.update({"autocomplete": "off"})
        self.fields["npi"].widget.attrs.update({"autocomplete": "off", "inputmode": "numeric"})

    def clean_npi(self) -> str:
        # Written as it is printed ("1234 567 893", "1234-567-893"): the digits count. Whether
        # they are an NPI (ten digits, the check digit) the service asks the validator.
        return "".join(ch for ch in self.cleaned_data["npi"] if ch not in " -")
