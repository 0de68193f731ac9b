"""The time-zone select: grouped by region, the zones our practices use first, no underscores.

A flat list of ~600 raw IANA names ("America/Argentina/Buenos_Aires", "Etc/GMT+5") is hard to
scan. The select opens on a short group of common zones (the practice's own, then the US
zones), then one <optgroup> a region with the rest of the name as the label.

The select is on My Account, every user's landing page after sign-in, so it is built once: the
zone list is read from disk once per process (zoneinfo.available_timezones() walks the tz
database, ~12 ms a call), the grouped choices are cached per first zone and handed to the field
as they are (ZoneChoices: Django copies and re-walks a plain list on every form), and
TimeZoneSelect writes its ~600 options in Python instead of one template render each (~25 ms a
page).
"""

import zoneinfo
from functools import cache, lru_cache

from django import forms
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.html import escape
from django.utils.safestring import mark_safe

# The US zones, east to west, in the words a front desk uses.
COMMON_ZONES = (
    ("America/New_York", "Eastern (New York)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Mountain, no daylight saving (Phoenix)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
)
COMMON_GROUP = "Common"
OTHER_GROUP = "Other"


def time_zone_label(name: str) -> str:
    """ "America/Argentina/Buenos_Aires" as "America / Argentina / Buenos Aires"."""
    return " / ".join(part.replace("_", " ") for part in name.split("/"))


def time_zone_words(name: str) -> str:
    """A zone as a message or the audit log says it: "Eastern (New York)" for the common ones,
    else time_zone_label's words."""
    return dict(COMMON_ZONES).get(name) or time_zone_label(name)


@cache
def known_zones() -> frozenset[str]:
    """Every IANA zone name this machine's tz database has, read once per process."""
    return frozenset(zoneinfo.available_timezones())


@cache
def _regions() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(known_zones()):
        region, _, rest = name.partition("/")
        if not rest:
            region, rest = OTHER_GROUP, name
        groups.setdefault(region, []).append((name, rest.replace("_", " ").replace("/", " / ")))
    ordered = sorted(groups, key=lambda region: (region == OTHER_GROUP, region))
    return tuple((region, tuple(groups[region])) for region in ordered)


@lru_cache(maxsize=64)
def time_zone_choices(*, first: str = "") -> tuple:
    """Grouped choices for a forms.ChoiceField: "Common" (`first`, usually the practice's zone,
    then the US zones), then each region. Every zone appears once, so exactly one option can be
    selected. Cached (one entry a practice zone in use), so returned as tuples nobody can
    change."""
    common = dict(COMMON_ZONES)
    top: list[tuple[str, str]] = []
    if first and first in known_zones():
        top.append((first, common.get(first, time_zone_label(first))))
    top += [(name, label) for name, label in COMMON_ZONES if name != first]
    shown = {name for name, _ in top}
    choices: list = [(COMMON_GROUP, tuple(top))]
    for region, zones in _regions():
        rest = tuple((name, label) for name, label in zones if name not in shown)
        if rest:
            choices.append((region, rest))
    return tuple(choices)


class ZoneChoices(BaseChoiceIterator):
    """Choices Django takes as they are: a ChoiceField normalizes any other list anew, each of
    its ~600 options, every time a form is made."""

    def __init__(self, choices: tuple):
        self.choices = choices

    def __iter__(self):
        return iter(self.choices)


@lru_cache(maxsize=64)
def zone_field_choices(*, first: str = "", empty_label: str = "") -> ZoneChoices:
    """time_zone_choices for a form's field, with an empty choice first when `empty_label` is
    given ("The practice's time zone")."""
    grouped = time_zone_choices(first=first)
    return ZoneChoices(((("", empty_label),) if empty_label else ()) + grouped)


@cache
def _option(value: str, label: str) -> str:
    return f'<option value="{escape(value)}">{escape(label)}</option>'


class TimeZoneSelect(forms.Select):
    """forms.Select with the same markup, written without a template render per option (see
    the module's docstring). Choices are (value, label) pairs and (group, pairs) groups."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        final_attrs = self.build_attrs(self.attrs, attrs)
        parts = [f'<select name="{escape(name)}"{flatatt(final_attrs)}>']
        for group, options in self.choices:
            if isinstance(options, (list, tuple)):
                parts.append(f'<optgroup label="{escape(group)}">')
                parts += (self._option(value, label, selected) for value, label in options)
                parts.append("</optgroup>")
            else:
                parts.append(self._option(group, options, selected))
        parts.append("</select>")
        return mark_safe("\n".join(parts))  # noqa: S308 - every value and label is escaped

    @staticmethod
    def _option(value, label, selected: set[str]) -> str:
        value = "" if value is None else str(value)
        if value in selected:
            return f'<option value="{escape(value)}" selected>{escape(label)}</option>'
        return _option(value, str(label))
