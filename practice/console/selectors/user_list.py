"""The console's user list: search, filters, sorting, and a row per user.

The list costs the same number of queries for 10 users or 10,000: the page's users, their open
invitations (annotated), and one query for the page's second factors; the count of the users
the filters match is kept between changes (user_list_page).
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from mfa.selectors import has_second_factor_q, second_factor_kinds
from practice.changes import practice_version
from practice.console.selectors.statuses import (
    Badge,
    open_invitation_exists,
    password_status,
    registration_status,
    second_factor_text,
    user_status,
)
from practice.models import Practice
from practice.policy import effective_policy

PAGE_SIZE = 50
# How long a count may be kept while nothing audited happens in the practice.
COUNT_FRESH_SECONDS = 60

SORTS = {
    "name": (Lower("last_name").asc(), Lower("first_name").asc(), Lower("username").asc()),
    "username": (Lower("username").asc(),),
    "role": (F("role").asc(), Lower("last_name").asc(), Lower("first_name").asc()),
    "last_sign_in": (F("last_login").desc(nulls_last=True),),
}


# The list's columns in order; those in SORTS can be sorted by.
LIST_COLUMNS = [
    ("name", "Name"),
    ("username", "Username"),
    ("role", "Role"),
    ("status", "Status"),
    ("second_factor", "Second factor"),
    ("registration", "Registration"),
    ("password", "Password"),
    ("last_sign_in", "Last sign-in"),
]


@dataclass(frozen=True)
class UserListFilters:
    q: str = ""
    active_only: bool = True
    locked: bool = False
    remote: bool = False
    without_2fa: bool = False
    sort: str = "name"  # a key of SORTS, "-" in front for the reverse order


def user_list_page(*, practice: Practice, filters: UserListFilters, number) -> Page:
    """The page asked for (the last one past the end), with the count of all the users the
    filters match kept under the practice's change counter: counting every user is the one
    part of the page that grows with the practice (22 ms at 100,000 users on PostgreSQL), and
    it changes only when something audited does, or with time (a remote-access grant ending),
    hence the same minute's limit as the security overview."""
    users = user_list(practice=practice, filters=filters)
    digest = hashlib.sha256(repr(filters).encode()).hexdigest()[:16]
    key = f"user-count:{practice.pk}:{practice_version(practice.pk)}:{digest}"
    count = cache.get(key)
    if count is None:
        count = users.count()
        cache.set(key, count, COUNT_FRESH_SECONDS)
    return _CountedPaginator(users, PAGE_SIZE, count=count).get_page(number)


class _CountedPaginator(Paginator):
    def __init__(self, *args, count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.__dict__["count"] = count  # Paginator.count is a cached_property: set, not asked


def user_list(*, practice: Practice, filters: UserListFilters) -> QuerySet:
    now = timezone.now()
    users = User.objects.filter(practice=practice).select_related("practice", "practice_role")
    for word in filters.q.split()[:5]:
        users = users.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
        )
    if filters.active_only:
        users = users.filter(is_active=True)
    if filters.locked:
        users = users.filter(locked_at__isnull=False)
    if filters.remote:
        users = users.remote_access_live(now)
    if filters.without_2fa:
        users = users.exclude(has_second_factor_q())
    key = filters.sort.lstrip("-")
    order = SORTS.get(key, SORTS["name"])
    if filters.sort.startswith("-") and key in SORTS:
        order = tuple(expr.copy().reverse_ordering() for expr in order)
    return users.annotate(has_open_invitation=open_invitation_exists()).order_by(*order, "pk")


@dataclass
class UserRow:
    user: User
    name: str
    status: list[Badge]
    second_factor: str
    registration: Badge
    password: Badge
    last_sign_in: datetime | None
    url: str = ""  # where the name links to, set by the view for the viewer's role


def user_rows(users: Iterable[User]) -> list[UserRow]:
    """The list's rows: one query for the second factors of the whole page, whatever its size."""
    users = list(users)
    now = timezone.now()
    kinds = second_factor_kinds(u.pk for u in users)
    return [
        UserRow(
            user=user,
            name=user.get_full_name() or user.username,
            status=user_status(user, now),
            second_factor=second_factor_text(kinds.get(user.pk, [])),
            registration=registration_status(user),
            password=password_status(user, effective_policy(user), now),
            last_sign_in=user.last_login,
        )
        for user in users
    ]
