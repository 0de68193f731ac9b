"""The permissions a role can hold, as the roles page groups them, and the roles a practice
starts with.

Every practice gets three roles, seeded from the fixed roles PracticeGate had before roles could
be shaped (migration accounts 0009 seeds existing practices the same way): the practice
administrator may do everything, the user manager sees, adds and unlocks users and edits their
details, and the user holds no console permission. All three are editable afterwards.
"""

from practice.models import Practice, PracticeRole
from practice.vocabulary import Permission, RoleKind

P = Permission

# The roles page's checkboxes, grouped and in this order.
PERMISSION_GROUPS: list[tuple[str, list[Permission]]] = [
    ("Users", [P.VIEW_USERS, P.ADD_USERS, P.EDIT_DETAILS, P.ACTIVATE, P.OFFBOARD]),
    (
        "Sign-in and access",
        [P.UNLOCK, P.TEMPORARY_PASSWORD, P.REMOTE_ACCESS, P.LOGIN_TIMES, P.RESET_PAIRING],
    ),
    ("Practice", [P.SETTINGS, P.AUDIT, P.REVIEWS, P.MANAGE_ROLES, P.MANAGE_APPS]),
    ("Their own account", [P.RESET_OWN_PAIRING]),
]

# Acting on a user means finding them first: each of these also lets its holder see the user
# list and user pages, so a "Front desk" role of unlock and temporary passwords works as ticked.
SEES_USERS = frozenset(
    {
        P.ADD_USERS,
        P.EDIT_DETAILS,
        P.ACTIVATE,
        P.UNLOCK,
        P.TEMPORARY_PASSWORD,
        P.REMOTE_ACCESS,
        P.LOGIN_TIMES,
        P.RESET_PAIRING,
        P.OFFBOARD,
        P.MANAGE_ROLES,
    }
)

# Permissions about other people's access: holding any of them opens the console.
CONSOLE_PERMISSIONS = frozenset(Permission) - {P.RESET_OWN_PAIRING}

SEEDS: dict[RoleKind, tuple[str, frozenset[Permission]]] = {
    RoleKind.ADMIN: ("Practice administrator", frozenset(Permission)),
    RoleKind.USER_MANAGER: (
        "User manager",
        frozenset({P.VIEW_USERS, P.ADD_USERS, P.EDIT_DETAILS, P.UNLOCK, P.RESET_OWN_PAIRING}),
    ),
    RoleKind.USER: ("User", frozenset({P.RESET_OWN_PAIRING})),
}


def effective_permissions(permissions) -> frozenset[Permission]:
    """What a role's ticked permissions let its users do (with what they imply)."""
    held = frozenset(Permission(value) for value in permissions if value in Permission.values)
    if held & SEES_USERS:
        held |= {P.VIEW_USERS}
    return held


def kind_of(permissions) -> RoleKind:
    """The tier a set of permissions amounts to (User.role): manage roles, other console
    permissions, or none."""
    held = effective_permissions(permissions)
    if P.MANAGE_ROLES in held:
        return RoleKind.ADMIN
    if held & CONSOLE_PERMISSIONS:
        return RoleKind.USER_MANAGER
    return RoleKind.USER


def stored(permissions) -> list[str]:
    """Permissions as a role row keeps them: known values, sorted, once each."""
    return sorted({str(value) for value in permissions if value in Permission.values})


def roles_seed(practice: Practice) -> dict[RoleKind, PracticeRole]:
    """The three starting roles of the practice, created where missing (idempotent).

    Self-service 2FA reset follows the practice's setting at the time, so nothing changes.
    """
    roles = {}
    for kind, (name, permissions) in SEEDS.items():
        held = set(permissions)
        if not practice.allow_self_pairing_reset:
            held.discard(P.RESET_OWN_PAIRING)
        roles[kind], _ = PracticeRole.objects.get_or_create(
            practice=practice,
            seeded_as=kind,
            defaults={"name": name, "permissions": stored(held)},
        )
    return roles
