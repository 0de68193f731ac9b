"""The console's user list: search, filters, sorting, and a row per user.

The list costs the same number of queries for 10 users or 10,000: the page's users, their open
invitations (annotated), and one query per device model for the page's second factors.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from mfa.selectors import second_factor_kinds
from practice.console.selectors.statuses import (
    Badge,
    has_second_factor_q,
    open_invitation_exists,
    password_status,
    registration_status,
    remote_access_now_q,
    second_factor_text,
    user_status,
)
from practice.models import Practice
from practice.policy import effective_policy

PAGE_SIZE = 50

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
        users = users.filter(remote_access_now_q(now))
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
