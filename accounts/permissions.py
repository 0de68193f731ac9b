"""The one answer to "may this person do that?": the permissions of the user's role.

Like Django's `has_perm`, one function decides; the console's views, its menus and the services
that guard roles all ask it. A role's permissions are read from the role row loaded with the
user (accounts.backends joins it), so a change to a role applies on the user's next request.
"""

from django.core.exceptions import ValidationError

from accounts.models import User
from practice.models import PracticeRole
from practice.policy import effective_policy
from practice.roles import CONSOLE_PERMISSIONS, effective_permissions
from practice.vocabulary import Permission


def is_support(user) -> bool:
    """Support staff: no practice; what they may do is Django admin's to decide."""
    return bool(user is not None and user.is_staff and user.practice_id is None)


def permissions_of(user) -> frozenset[Permission]:
    """Everything the user may do now: nothing when signed out, inactive or without a role."""
    if (
        user is None
        or not user.is_authenticated
        or not user.is_active
        or user.practice_id is None
        or user.practice_role_id is None
    ):
        return frozenset()
    # SECURITY: a role of another practice grants nothing (accounts.roles never assigns one).
    if user.practice_role.practice_id != user.practice_id:
        return frozenset()
    return effective_permissions(user.practice_role.permissions)


def has_permission(user, permission: Permission) -> bool:
    return permission in permissions_of(user)


def has_any_permission(user, permissions) -> bool:
    return bool(permissions_of(user) & frozenset(permissions))


def uses_console(user) -> bool:
    """Holds some permission about other people's access: the console opens for them."""
    return has_any_permission(user, CONSOLE_PERMISSIONS)


def actor_may(actor, permission: Permission) -> bool:
    """For a service: the system (no actor) and support staff act under their own controls."""
    return actor is None or is_support(actor) or has_permission(actor, permission)


def refuse_escalation(actor, permissions, *, field: str = "permissions") -> None:
    """Nobody grants (or takes away) a permission they do not hold themselves.

    SECURITY: otherwise a user manager could give themselves or an accomplice a role of more.
    """
    if actor is None or is_support(actor):
        return
    missing = effective_permissions(permissions) - permissions_of(actor)
    if missing:
        labels = ", ".join(sorted(Permission(p).label.lower() for p in missing))
        raise ValidationError(
            {
                field: ValidationError(
                    "You cannot give or take away what you may not do yourself: %(labels)s.",
                    code="escalation",
                    params={"labels": labels},
                )
            }
        )


def users_with_permission(practice_id: int, permission: Permission):
    """Active users of the practice who hold the permission (a practice has a few roles: their
    permissions are read here, the users in one query)."""
    role_ids = [
        role.pk
        for role in PracticeRole.objects.filter(practice_id=practice_id)
        if permission in effective_permissions(role.permissions)
    ]
    return User.objects.filter(
        practice_id=practice_id, practice_role_id__in=role_ids, is_active=True
    )


def role_managers(practice_id: int):
    """Active users of the practice who may manage roles."""
    return users_with_permission(practice_id, Permission.MANAGE_ROLES)


def may_reset_own_pairing(user) -> bool:
    """Self-service 2FA reset: the practice allows it at all, and the user's role includes it
    (support staff, who have no role, follow the policy alone)."""
    if not effective_policy(user).allow_self_pairing_reset:
        return False
    return is_support(user) or has_permission(user, Permission.RESET_OWN_PAIRING)
