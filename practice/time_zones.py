"""The time-zone select: grouped by region, the zones our practices use first, no underscores.

A flat list of ~600 raw IANA names ("America/Argentina/Buenos_Aires", "Etc/GMT+5") is hard to
scan. The select opens on a short group of common zones (the practice's own, then the US
zones), then one <optgroup> a region with the rest of the name as the label.
"""

import zoneinfo
from functools import cache

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
def _regions() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        region, _, rest = name.partition("/")
        if not rest:
            region, rest = OTHER_GROUP, name
        groups.setdefault(region, []).append((name, rest.replace("_", " ").replace("/", " / ")))
    ordered = sorted(groups, key=lambda region: (region == OTHER_GROUP, region))
    return tuple((region, tuple(groups[region])) for region in ordered)


def time_zone_choices(*, first: str = "") -> list:
    """Grouped choices for a forms.ChoiceField: "Common" (`first`, usually the practice's zone,
    then the US zones), then each region. Every zone appears once, so exactly one option can be
    selected."""
    common = dict(COMMON_ZONES)
    top: list[tuple[str, str]] = []
    if first and first in zoneinfo.available_timezones():
        top.append((first, common.get(first, time_zone_label(first))))
    top += [(name, label) for name, label in COMMON_ZONES if name != first]
    shown = {name for name, _ in top}
    choices: list = [(COMMON_GROUP, top)]
    for region, zones in _regions():
        rest = [(name, label) for name, label in zones if name not in shown]
        if rest:
            choices.append((region, rest))
    return choices
