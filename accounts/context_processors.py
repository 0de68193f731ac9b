"""What every page shows about the signed-in user's own account."""

from accounts.passwords import password_expiry_days_left
from practice.policy import EXPIRY_WARNING_DAYS


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
