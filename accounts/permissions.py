"""The one answer to "may this person do that?" (the permissions of the user's role) and to "may
this person do it to that user?" (the authority rule).

Like Django's `has_perm`, one function decides each; the console's views, its menus and the
services all ask them. A role's permissions are read from the role row loaded with the user
(accounts.backends joins it), so a change to a role applies on the user's next request.
"""

from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import User
from practice.models import PracticeRole
from practice.policy import effective_policy
from practice.roles import CONSOLE_PERMISSIONS, effective_permissions
from practice.vocabulary import Permission


def is_support(user) -> bool:
    """Support staff: no practice; what they may do is Django admin's to decide."""
    return bool(user is not None and user.is_staff and user.practice_id is None)


def role_permissions(user) -> frozenset[Permission]:
    """What the user's role lets them do, whether or not they may sign in today: an inactive
    administrator made active again holds everything again, so acting on them is acting on an
    administrator."""
    if user.practice_id is None or user.practice_role_id is None:
        return frozenset()
    # SECURITY: a role of another practice grants nothing (accounts.roles never assigns one).
    if user.practice_role.practice_id != user.practice_id:
        return frozenset()
    return effective_permissions(user.practice_role.permissions)


def permissions_of(user) -> frozenset[Permission]:
    """Everything the user may do now: nothing when signed out, inactive or without a role."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    return role_permissions(user)


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


# --- The authority rule: who may act on whom ------------------------------------------------
#
# Permissions say what a role may do; this says to whom. An actor may change, lock, unlock, end,
# sign out, offboard, reset or set up anything of another user only when everything the user's
# role holds is theirs too, and may give or take away only roles within what they hold.
# SECURITY: without it a role of "Set temporary passwords" could set one for an administrator,
# sign in as them and hold everything. The system (no actor) and support staff are outside the
# rule: support acts through its own audited actions in Django admin.


def _beyond(actor, permissions) -> frozenset[Permission]:
    """What of `permissions` about other people's access the actor does not hold (nothing for
    the system and support). A permission over one's own account only ("Reset own 2FA
    pairing") is power over nobody: a front desk role without it still serves plain users."""
    if actor is None or is_support(actor):
        return frozenset()
    return (effective_permissions(permissions) & CONSOLE_PERMISSIONS) - permissions_of(actor)


def may_act_on(actor, user) -> bool:
    """The authority rule: may `actor` act on `user`'s account (themselves included)?"""
    if actor is None or is_support(actor) or actor.pk == user.pk:
        return True
    if actor.practice_id != user.practice_id:
        return False
    return not _beyond(actor, role_permissions(user))


def may_give_role(actor, role: PracticeRole) -> bool:
    """The same rule for roles: an actor gives (or takes away) only a role within their own."""
    return not _beyond(actor, role.permissions)


class OutsideAuthority(PermissionDenied):
    """The actor may do this, but not to this user (a 403 wherever it is not caught)."""

    def __init__(self, user):
        self.user = user
        super().__init__(
            f"{user} holds permissions you do not have: only someone who holds everything "
            "their role holds can change their account."
        )


def authority_check(*, actor, user) -> None:
    """Raise OutsideAuthority unless the authority rule lets `actor` act on `user`. Every service
    that changes another user's access calls it before it writes."""
    if not may_act_on(actor, user):
        raise OutsideAuthority(user)


def refuse_escalation(actor, permissions, *, field: str = "permissions") -> None:
    """Nobody grants (or takes away) a permission they do not hold themselves.

    SECURITY: otherwise a user manager could give themselves or an accomplice a role of more.
    """
    missing = _beyond(actor, permissions)
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
    # Whose access has ended (accounts.access_end) acts for the practice no more.
    return User.objects.filter(
        practice_id=practice_id,
        practice_role_id__in=role_ids,
        is_active=True,
        access_ended_at__isnull=True,
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
