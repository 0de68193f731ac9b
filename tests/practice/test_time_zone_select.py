"""The time-zone select written in Python reads, to a browser, exactly as Django's Select."""

from html.parser import HTMLParser

from django import forms

from practice.time_zones import TimeZoneSelect, time_zone_choices


class _Select(HTMLParser):
    def __init__(self):
        super().__init__()
        self.select: dict = {}
        self.options: list = []
        self._group = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self.select = attrs
        elif tag == "optgroup":
            self._group = attrs["label"]
        elif tag == "option":
            self.options.append([self._group, attrs["value"], "selected" in attrs, ""])

    def handle_endtag(self, tag):
        if tag == "optgroup":
            self._group = None

    def handle_data(self, data):
        if self.options and data.strip():
            self.options[-1][3] += data


def _read(widget, value, *, first="America/Chicago"):
    class Form(forms.Form):
        time_zone = forms.ChoiceField(choices=(), widget=widget)

    form = Form(initial={"time_zone": value})
    form.fields["time_zone"].choices = [
        ("", "The practice's <own> zone"),
        *time_zone_choices(first=first),
    ]
    parser = _Select()
    parser.feed(str(form["time_zone"]))
    return parser


def test_the_fast_select_is_what_djangos_select_writes():
    for value in ("America/Chicago", "Europe/London", "", "Not/AZone"):
        ours, djangos = _read(TimeZoneSelect, value), _read(forms.Select, value)
        assert ours.select == djangos.select
        assert ours.options == djangos.options
        assert sum(selected for _, _, selected, _ in ours.options) == (value != "Not/AZone")
    assert ("Common", "America/Chicago", True, "Central (Chicago)") in [
        tuple(option) for option in _read(TimeZoneSelect, "America/Chicago").options
    ]


def test_labels_are_escaped():
    parser = _read(TimeZoneSelect, "")
    assert parser.options[0][3] == "The practice's <own> zone"
