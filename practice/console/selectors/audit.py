"""The console's audit log: filters, keyset pages, and the streamed CSV export."""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Concat

from accounts.models import User
from practice.audit_words import (
    AuditDescription,
    actor_words,
    audit_describe,
    details_parse,
    event_describe,
    who_words,
)
from practice.models import AuditEvent, Practice
from practice.vocabulary import (
    AuditAction,
    LockChange,
    RemoteAccessRemoval,
    SessionEndReason,
    SignInFailure,
    Zone,
)

AUDIT_PAGE_SIZE = 50

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_encode(event: AuditEvent) -> str:
    """Where a page ends: the event's time (microseconds since 1970) and id, "<us>.<id>"."""
    return f"{(event.created_at - EPOCH) // timedelta(microseconds=1)}.{event.pk}"


def cursor_decode(value: str) -> tuple[datetime, int] | None:
    """The (created_at, id) of a cursor, or None for anything malformed."""
    micros, _, pk = (value or "").partition(".")
    if not (micros.isdigit() and pk.isdigit()) or len(micros) > 18 or len(pk) > 18:
        return None
    try:
        return EPOCH + timedelta(microseconds=int(micros)), int(pk)
    except OverflowError:
        return None


@dataclass(frozen=True)
class AuditFilters:
    user: User | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""
    # Only what support staff did (the actor is a user of no practice).
    by_support: bool = False


# The vocabularies whose codes the details hold: a search for a label ("wrong password") also
# finds the events whose details name its code ("wrong_password").
SEARCHED_VOCABULARIES = (SignInFailure, SessionEndReason, RemoteAccessRemoval, LockChange, Zone)
_ADDRESS_PART = re.compile(r"[0-9a-fA-F.:]+")
# Users a search names by their ids (an index finds their events); past it, a subquery.
USER_IDS_AT_MOST = 50


def audit_search(events: QuerySet, *, practice: Practice, text: str) -> QuerySet:
    """Events whose user (by or about), action or details mention `text`, case-insensitively.

    The matching actions and vocabulary codes are found in Python (they are a few dozen
    words); the matching users first, by one query on the practice's own users, so that each
    branch of the condition is one an index answers: the action index, the target and actor
    indexes for a handful of ids, and on PostgreSQL the details' trigram index (migration
    practice 0008). A rare word or one user's name is then found from the indexes (a few ms at
    a million events) instead of by reading every event; a common word still walks the
    (practice, -created_at, -id) index newest first and stops at a page. More than
    USER_IDS_AT_MOST users match a word that common: they stay a subquery.
    """
    text = text.strip()
    needle = text.lower()
    actions = [
        action.value
        for action in AuditAction
        if needle in action.label.lower() or needle in action.value
    ]
    users = _users_named(practice, text)
    user_ids = list(users[: USER_IDS_AT_MOST + 1])
    if len(user_ids) <= USER_IDS_AT_MOST:
        users = user_ids
    match = (
        Q(action__in=actions)
        | Q(target__in=users)
        | Q(actor__in=users)
        | Q(details_text__icontains=text)
    )
    codes = {
        value
        for vocabulary in SEARCHED_VOCABULARIES
        for value, label in vocabulary.choices
        if needle in label.lower()
    }
    for code in sorted(codes):
        match |= Q(details_text__contains=f'"{code}"')
    if _ADDRESS_PART.fullmatch(text) and any(ch in text for ch in ".:"):
        match |= Q(ip_address__startswith=text)
    return events.alias(details_text=Cast("details", TextField())).filter(match)


def _users_named(practice: Practice, text: str) -> QuerySet:
    """The ids of the practice's users whose username, first or last name holds `text` (or
    whose email it is). One word is matched field by field, so that on PostgreSQL each field's
    trigram index answers (migration accounts 0014; reading every user's names took 14 ms at
    10,000 users); words with a space between them ("Nina Reyes") are matched against the
    whole name."""
    if " " in text:
        named = (
            User.objects.filter(practice=practice)
            .annotate(full_name=Concat("first_name", Value(" "), "last_name"))
            .filter(full_name__icontains=text)
        )
    else:
        named = User.objects.filter(practice=practice).filter(
            Q(username__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(email__iexact=text)
        )
    return named.order_by().values_list("pk", flat=True)


def audit_events(*, practice: Practice, filters: AuditFilters) -> QuerySet:
    """The practice's events matching the filters (no order yet: the page and CSV choose)."""
    events = AuditEvent.objects.filter(practice=practice)
    if filters.user is not None:
        # Events about the user (their sign-ins, and every change made to them): the
        # (target, -created_at) index answers this at any size of log.
        events = events.filter(target=filters.user)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.by_support:
        events = events.by_support()
    if filters.search:
        events = audit_search(events, practice=practice, text=filters.search)
    zone = practice.zone
    if filters.date_from:
        events = events.filter(
            created_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=zone)
        )
    if filters.date_to:
        events = events.filter(
            created_at__lt=datetime.combine(
                filters.date_to + timedelta(days=1), time.min, tzinfo=zone
            )
        )
    return events


@dataclass
class AuditRow:
    event: AuditEvent
    actor: str
    target: User | None
    description: AuditDescription


@dataclass
class AuditPage:
    rows: list[AuditRow]
    older: str = ""  # cursor of the next older page, "" at the end
    newer: str = ""  # cursor of the next newer page, "" at the newest


def _with_users(events: QuerySet, order: tuple[str, str], size: int) -> list[AuditEvent]:
    """The page's events with their actor and target, in the page's order, in one statement.

    The page is chosen first (a subquery of at most size + 1 ids) and only its rows are joined
    to their users: joined to the whole filtered log, a search the planner thinks matches a few
    hundred events hashed every user of the practice twice (24 ms at 10,000 users) to show 50.
    """
    return list(
        AuditEvent.objects.filter(pk__in=events.order_by(*order).values("pk")[:size])
        .select_related("actor", "target")
        .order_by(*order)
    )


def audit_page(
    events: QuerySet,
    *,
    time_zone: str,
    before: str = "",
    after: str = "",
    size: int = AUDIT_PAGE_SIZE,
) -> AuditPage:
    """One page, newest first, by keyset on (created_at, id): the same cost on page 1 or 10,000.

    `before` asks for the events older than a cursor, `after` for those newer than it. The
    filters use `created_at <=` / `>=` so the (practice, -created_at, -id) index finds the
    starting point; the id only breaks ties between events of the same microsecond.
    """
    newer_page = False
    position = cursor_decode(before)
    if position is not None:
        at, pk = position
        events = events.filter(Q(created_at__lte=at) & (Q(created_at__lt=at) | Q(pk__lt=pk)))
    elif (position := cursor_decode(after)) is not None:
        at, pk = position
        events = events.filter(Q(created_at__gte=at) & (Q(created_at__gt=at) | Q(pk__gt=pk)))
        newer_page = True
    if newer_page:
        found = _with_users(events, ("created_at", "id"), size + 1)
        more = len(found) > size
        found = list(reversed(found[:size]))
        has_newer, has_older = more, bool(found)
    else:
        found = _with_users(events, ("-created_at", "-id"), size + 1)
        has_older = len(found) > size
        found = found[:size]
        has_newer = position is not None and bool(found)
    rows = [
        AuditRow(
            event=event,
            actor=actor_words(event.actor),
            target=event.target,
            description=event_describe(event, time_zone=time_zone),
        )
        for event in found
    ]
    return AuditPage(
        rows=rows,
        older=cursor_encode(found[-1]) if has_older and found else "",
        newer=cursor_encode(found[0]) if has_newer and found else "",
    )


# "action" keeps the code, for machines; "action label" and "description" are the words the
# audit page shows; "details" keeps the stored JSON.
CSV_HEADER = [
    "time",
    "action",
    "action label",
    "actor",
    "target",
    "client address",
    "user agent",
    "description",
    "details",
]


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


CSV_CHUNK_ROWS = 1000


def audit_csv_chunks(
    events: QuerySet, *, time_zone: str, rows_per_chunk: int = CSV_CHUNK_ROWS
) -> Iterator[str]:
    """The CSV text in pieces of `rows_per_chunk` rows: one write to the client a thousand
    rows, not one a row (the server's time goes to the rows, not to the writes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for count, row in enumerate(audit_csv_rows(events, time_zone=time_zone), start=1):
        writer.writerow(row)
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def audit_csv_rows(events: QuerySet, *, time_zone: str) -> Iterator[list[str]]:
    """The header, then every event newest first, read in chunks (the memory stays flat).

    This loop runs for every row of a log that can hold millions, so it does each thing once.
    The time and the details come as text: the time parsed by datetime.fromisoformat (the
    driver's own parse of a timestamp, through Django's time zone loader, cost a fifth of the
    export), the details as the JSON the database keeps (the "details" column, as stored),
    parsed once for the description by the words (which never raise on what is stored). Every
    cell is text, defused inline.
    """
    zone = ZoneInfo(time_zone)
    yield CSV_HEADER
    rows = (
        events.order_by("-created_at", "-id")
        .values_list(
            Cast("created_at", TextField()),
            "action",
            "actor__username",
            "actor__practice_id",
            "target__username",
            "ip_address",
            "user_agent",
            Cast("details", TextField()),
        )
        .iterator(chunk_size=2000)
    )
    for stored_at, action, actor, actor_practice, target, ip, agent, stored in rows:
        created_at = datetime.fromisoformat(stored_at)
        if created_at.tzinfo is None:  # SQLite keeps UTC without saying so
            created_at = created_at.replace(tzinfo=UTC)
        details = details_parse(stored)
        description = audit_describe(action, details, time_zone=time_zone)
        actor_text = who_words(actor, support=actor is not None and actor_practice is None)
        cells = (
            created_at.astimezone(zone).isoformat(),
            action,
            description.action,
            actor_text,
            target or "",
            ip or "",
            agent or "",
            description.details,
            stored if details else "",
        )
        # csv_safe, inline: a call per cell would cost the export a tenth of its speed.
        yield [("'" + cell) if cell[:1] in _FORMULA_FIRST else cell for cell in cells]
