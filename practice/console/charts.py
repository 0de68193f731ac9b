"""The arithmetic of the console's two server-rendered SVG pictures: a user's week of login
times, and the 14-day chart of sign-ins. Templates only draw what these compute."""

from dataclasses import dataclass
from datetime import date, time

from accounts.models import User, Weekday


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    title: str
    overnight: bool = False


@dataclass(frozen=True)
class WeekRow:
    label: str
    y: float
    text_y: float
    segments: list[Segment]
    text: str  # the day's windows in words, for readers who do not see the picture


@dataclass(frozen=True)
class WeekPicture:
    rows: list[WeekRow]
    ticks: list[dict]
    height: float
    width: float = 332
    bar_x: float = 80
    bar_width: float = 240


ROW_HEIGHT = 22


HOUR_WIDTH = 10  # 24 hours = 240 units


def _hours(value: time) -> float:
    return value.hour + value.minute / 60


def _segment(start: float, end: float, title: str, *, overnight: bool = False) -> Segment:
    return Segment(
        x=round(80 + start * HOUR_WIDTH, 2),
        width=round((end - start) * HOUR_WIDTH, 2),
        title=title,
        overnight=overnight,
    )


def week_picture(user: User) -> WeekPicture:
    """A bar per window, a row per day (Monday first), of when the user may sign in.

    A day may hold several windows (a split shift). A window that ends before it starts runs
    past midnight: it is drawn to the end of its day and from 00:00 on the next day.
    """
    windows: dict[int, list] = {day: [] for day in Weekday.values}
    for window in sorted(user.login_windows.all(), key=lambda w: (w.weekday, w.start)):
        windows[window.weekday].append(window)
    pieces: dict[int, list[Segment]] = {day: [] for day in Weekday.values}
    for day, day_windows in windows.items():
        for window in day_windows:
            label = f"{Weekday(day).label} {window.start:%H:%M}–{window.end:%H:%M}"
            start, end = _hours(window.start), _hours(window.end)
            if start < end:
                pieces[day].append(_segment(start, end, label))
            else:
                pieces[day].append(_segment(start, 24, label))
                if end > 0:
                    pieces[(day + 1) % 7].append(
                        _segment(0, end, f"{label} (next day)", overnight=True)
                    )
    rows = []
    for index, day in enumerate(Weekday.values):
        text = (
            " and ".join(
                f"{window.start:%H:%M}–{window.end:%H:%M}"
                + (" (ends next day)" if window.end < window.start else "")
                for window in windows[day]
            )
            or "no sign-in"
        )
        y = 18 + index * ROW_HEIGHT
        rows.append(
            WeekRow(
                label=Weekday(day).label,
                y=y,
                text_y=y + 11,
                segments=sorted(pieces[day], key=lambda s: s.x),
                text=text,
            )
        )
    ticks = [{"x": 80 + h * HOUR_WIDTH, "label": f"{h:02d}:00"} for h in (0, 6, 12, 18, 24)]
    return WeekPicture(rows=rows, ticks=ticks, height=18 + 7 * ROW_HEIGHT + 4)


@dataclass(frozen=True)
class ChartBar:
    x: float
    label_x: float
    success_y: float
    success_height: float
    failed_y: float
    failed_height: float
    label: str
    title: str
    day: date
    succeeded: int
    failed: int


@dataclass(frozen=True)
class SigninChart:
    bars: list[ChartBar]
    peak: int
    height: int = 120
    width: int = 14 * 22
    label_y: int = 114


def signin_chart(counts: list[tuple[date, int, int]]) -> SigninChart:
    """Stacked bars, one a day: (day, succeeded, failed) in order, scaled to the busiest day."""
    peak = max([succeeded + failed for _, succeeded, failed in counts] + [1])
    chart = SigninChart(bars=[], peak=peak)
    plot = chart.height - 20  # room below for the day labels
    for index, (day, succeeded, failed) in enumerate(counts):
        success_height = plot * succeeded / peak
        failed_height = plot * failed / peak
        chart.bars.append(
            ChartBar(
                x=index * 22 + 3,
                label_x=index * 22 + 11,
                success_y=round(plot - success_height, 1),
                success_height=round(success_height, 1),
                failed_y=round(plot - success_height - failed_height, 1),
                failed_height=round(failed_height, 1),
                label=f"{day:%-d}",
                title=f"{day:%a %b %-d}: {succeeded} signed in, {failed} failed",
                day=day,
                succeeded=succeeded,
                failed=failed,
            )
        )
    return chart
