"""The audit log's filters (GET): free text, user, action (grouped by area), by whom, dates."""

from django import forms

from practice.console.forms.fields import BoundedDateField
from practice.vocabulary import audit_action_choices

# The "By" filter's value for support staff's changes (the overview links to it).
BY_SUPPORT = "support"


class AuditFilterForm(forms.Form):
    # A filter that cannot be read filters nothing: the page lists no events until it is fixed.
    error_summary_title = "The log was not filtered"

    q = forms.CharField(label="Search", required=False, max_length=100)
    username = forms.CharField(label="User", required=False, max_length=150)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *audit_action_choices()]
    )
    by = forms.ChoiceField(
        label="By", required=False, choices=[("", "Anyone"), (BY_SUPPORT, "Support staff")]
    )
    date_from = BoundedDateField(label="From", required=False)
    date_to = BoundedDateField(label="To", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "off"})
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned
