"""What every page needs to know of the console: where its "Console" link leads."""

from django.urls import reverse

from accounts.permissions import permissions_of
from practice.vocabulary import Permission

# The console's pages a menu link may lead to, first the one most users of it want.
ENTRIES = [
    (Permission.VIEW_USERS, "console:users"),
    (Permission.SETTINGS, "console:settings"),
    (Permission.AUDIT, "console:audit"),
    (Permission.REVIEWS, "console:reviews"),
    (Permission.MANAGE_APPS, "console:applications"),
]


def console_link(request):
    """`console_url`: the first console page the signed-in user may open ("" for none)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    held = permissions_of(user)
    url = next((reverse(name) for permission, name in ENTRIES if permission in held), "")
    return {"console_url": url}
