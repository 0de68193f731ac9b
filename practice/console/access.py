"""Who may open what in the console, and the one door to "a user of my practice".

Every console view declares, per HTTP method, the permission it needs (`console_view`); the
check itself is accounts.permissions, the one place that answers "may this person do that?".
A method a view does not declare is refused (405), and tests/practice/test_permission_matrix.py
walks the URL configuration: a console view without a declaration fails it.

SECURITY: every console lookup of a user goes through `user_for_admin`, which filters by the
signed-in user's own practice. A user of another practice is a 404, never a 403: the answer must
not confirm that the id exists somewhere else (Zulip's `access_user_by_id`). A missing
permission is a 403.
"""

import logging
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.permissions import has_any_permission, has_permission, uses_console
from practice.vocabulary import Permission

# Refused console requests (ASVS V16.3.2): who asked, for what. What the request named is
# written with %r, so a CR or LF in it cannot start a forged log line.
logger = logging.getLogger(__name__)


def signin_landing(user) -> str | None:
    """settings.SIGNIN_LANDING: the console's user list for whoever may see it (None: My
    Account). The one place that decides who lands on the console after signing in."""
    return reverse("console:users") if has_permission(user, Permission.VIEW_USERS) else None


def _any_of(permissions) -> tuple[Permission, ...]:
    if isinstance(permissions, Permission):
        return (permissions,)
    return tuple(permissions)


def console_view(*, get=None, post=None):
    """The view answers GET and/or POST, each for whoever holds (one of) the permission(s).

    Not signed in: the sign-in page. Signed in without the permission: 403 (the console exists
    for everyone; only rows of another practice are hidden behind 404).
    """
    needs = {}
    if get is not None:
        needs["GET"] = _any_of(get)
    if post is not None:
        needs["POST"] = _any_of(post)

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if request.method not in needs:
                return HttpResponseNotAllowed(list(needs))
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.user.practice_id is None or not has_any_permission(
                request.user, needs[request.method]
            ):
                logger.warning(
                    "Console refused: user %s (practice %s, role %s) may not %s %r",
                    request.user.pk,
                    request.user.practice_id,
                    request.user.practice_role_id,
                    request.method,
                    request.get_full_path(),
                )
                raise PermissionDenied
            # Dates and times on console pages read in the practice's zone, as login times do.
            with timezone.override(request.user.practice.time_zone):
                return view_func(request, *args, **kwargs)

        wrapper.console_permissions = needs
        return wrapper

    return decorator


def practice_users(request):
    """All users of the signed-in user's practice: the base of every console query of users."""
    return User.objects.filter(practice_id=request.user.practice_id)


def user_for_admin(request, user_id) -> User:
    """A user of request.user's practice, or Http404 (also for a malformed id).

    Raises PermissionDenied when the caller may not use the console at all (a view decorated
    with console_view never gets here with such a caller).
    """
    if not uses_console(request.user):
        raise PermissionDenied
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        pk = None
    user = None
    if pk is not None:
        user = (
            practice_users(request)
            .select_related("practice", "provider", "practice_role")
            .prefetch_related("login_windows")
            .filter(pk=pk)
            .first()
        )
    if user is None:
        logger.warning(
            "Console refused: user %s (practice %s) asked for user id %r, not a user of their "
            "practice",
            request.user.pk,
            request.user.practice_id,
            user_id,
        )
        raise Http404("No such user.")
    return user
