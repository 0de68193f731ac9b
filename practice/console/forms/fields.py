"""Form fields the console shares."""

from datetime import date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

# Dates a person could mean on these pages. Python's dates end at 9999-12-31, and a day added to
# that overflows: refusing what nobody means keeps every later step in range.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)


class BoundedDateField(forms.DateField):
    """A date between EARLIEST_DATE and LATEST_DATE, typed as YYYY-MM-DD (a date picker)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)
        self.validators += [
            MinValueValidator(EARLIEST_DATE, message="Choose a date from %(limit_value)s on."),
            MaxValueValidator(LATEST_DATE, message="Choose a date up to %(limit_value)s."),
        ]
        self.widget.attrs.update({"min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()})
