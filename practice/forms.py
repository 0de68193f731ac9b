"""Form fields of the tenant core, shared by the console and Django admin."""

from django import forms
from django.core.exceptions import ValidationError

from practice.services import validate_networks


class OfficeNetworksField(forms.CharField):
    """Office networks typed one CIDR a line; cleans to the normalised, de-duplicated list."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Office networks")
        kwargs.setdefault(
            "help_text",
            "One network a line, with its prefix length: 192.168.1.0/24 or 2001:db8::/48.",
        )
        super().__init__(
            required=False,
            max_length=10_000,
            widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
            **kwargs,
        )

    def clean(self, value) -> list[str]:
        text = super().clean(value)
        try:
            return validate_networks(text.splitlines())
        except ValidationError as exc:
            raise ValidationError(exc.error_list) from None
