"""A last day, as typed and as stored.

An administrator types the last day of something ("Remote access until Dec 20"); it is stored as
the moment it ends, the midnight after that day in the practice's zone (Dec 21, 00:00 in New
York), because "live now" is then a plain comparison. Every page, CSV, email and audit line says
the day typed, never the midnight after it: these two functions go from one to the other.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def day_end(day: date, zone: ZoneInfo) -> datetime:
    """The moment `day` ends in `zone`: the midnight after it."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def last_day(until: datetime, zone: ZoneInfo) -> date:
    """The last day of something that ends at `until`: for a midnight, the day before it."""
    return (until - timedelta(microseconds=1)).astimezone(zone).date()
