"""What every page shows about the signed-in user's own account and what they may do."""

from accounts.passwords import password_expiry_days_left
from accounts.permissions import permissions_of
from practice.policy import EXPIRY_WARNING_DAYS
from practice.roles import CONSOLE_PERMISSIONS
from practice.vocabulary import Permission


def password_expiry(request):
    """`password_expiry` ({"days": N}) from EXPIRY_WARNING_DAYS before the password expires.

    The base layout shows "Your password expires in N days" with a link to change it.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    days = password_expiry_days_left(user)
    if days is None or days > EXPIRY_WARNING_DAYS:
        return {}
    return {"password_expiry": {"days": days}}


CONSOLE_ENTRIES = [
    (Permission.VIEW_USERS, "/console/"),
    (Permission.SETTINGS, "/console/settings/"),
    (Permission.AUDIT, "/console/audit/"),
    (Permission.REVIEWS, "/console/reviews/"),
    (Permission.MANAGE_APPS, "/console/apps/"),
]


def permissions(request):
    """`can`: what the signed-in user may do, by permission name (`can.unlock`,
    `can.remote_access`, ...) and `can.console`, so menus and buttons show only that."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    held = permissions_of(user)
    can = {permission.name.lower(): permission in held for permission in Permission}
    can["console"] = bool(held & CONSOLE_PERMISSIONS)
    # Where the "Console" link leads: the first console page the user may open.
    can["console_url"] = next(
        (url for permission, url in CONSOLE_ENTRIES if permission in held), ""
    )
    return {"can": can}
