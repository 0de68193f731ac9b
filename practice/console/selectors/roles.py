"""The roles page: the practice's roles, what each may do, and how many users hold it."""

from dataclasses import dataclass

from django.db.models import Count, Q

from practice.models import Practice, PracticeRole
from practice.vocabulary import Permission


@dataclass
class RoleRow:
    role: PracticeRole
    users: int
    labels: list[str]


def role_rows(practice: Practice) -> list[RoleRow]:
    roles = PracticeRole.objects.filter(practice=practice).annotate(
        user_count=Count("users", filter=Q(users__is_active=True))
    )
    return [
        RoleRow(
            role=role,
            users=role.user_count,
            labels=[p.label for p in Permission if p.value in role.permissions],
        )
        for role in roles
    ]


def role_of_practice(practice: Practice, role_id) -> PracticeRole | None:
    """A role of the practice, or None (another practice's role is as good as none: a 404)."""
    try:
        pk = int(role_id)
    except (TypeError, ValueError):
        return None
    return PracticeRole.objects.filter(practice=practice, pk=pk).first()
