"""Who may use the console, and the one door to "a user of my practice".

SECURITY: every console lookup of a user goes through `user_for_admin`, which filters by the
administrator's own practice. A user of another practice is a 404, never a 403: the answer must
not confirm that the id exists somewhere else (Zulip's `access_user_by_id`).
"""

import logging
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User

# Who may open which part of the console. A user manager sees the list and manages
# invitations (MySecurePractice's "Manage Users"); everything else is for administrators.
ADMIN_ROLES = frozenset({Role.ADMIN})
MANAGER_ROLES = frozenset({Role.ADMIN, Role.USER_MANAGER})

# Refused console requests (ASVS V16.3.2): who asked, for what. What the request named is
# written with %r, so a CR or LF in it cannot start a forged log line.
logger = logging.getLogger(__name__)


def is_console_user(user, *, for_manager: bool = False) -> bool:
    roles = MANAGER_ROLES if for_manager else ADMIN_ROLES
    return (
        user.is_authenticated
        and user.is_active
        and user.practice_id is not None
        and user.role in roles
    )


def signin_landing(user) -> str | None:
    """settings.SIGNIN_LANDING: the console for those who may use it (None: My Account).

    The one place that decides who lands on the console after signing in; when the console's
    roles become permissions, this asks the permission instead.
    """
    return reverse("console:users") if is_console_user(user) else None


def console_required(view=None, *, for_manager: bool = False):
    """Only a practice administrator (or, with for_manager, a user manager) gets past.

    Not signed in: the sign-in page. Signed in without the role: 403 (the console exists for
    everyone; only rows of another practice are hidden behind 404).
    """

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not is_console_user(request.user, for_manager=for_manager):
                logger.warning(
                    "Console refused: user %s (practice %s, role %s) may not open %r",
                    request.user.pk,
                    request.user.practice_id,
                    request.user.role,
                    request.get_full_path(),
                )
                raise PermissionDenied
            # Dates and times on console pages read in the practice's zone, as login times do.
            with timezone.override(request.user.practice.time_zone):
                return view_func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


def practice_users(request):
    """All users of the administrator's practice: the base of every console query of users."""
    return User.objects.filter(practice_id=request.user.practice_id)


def user_for_admin(request, user_id, *, for_manager: bool = False) -> User:
    """A user of request.user's practice, or Http404 (also for a malformed id).

    Raises PermissionDenied when the caller may not use the console at all (a view decorated
    with console_required never gets here with such a caller).
    """
    if not is_console_user(request.user, for_manager=for_manager):
        raise PermissionDenied
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        pk = None
    user = None
    if pk is not None:
        user = (
            practice_users(request)
            .select_related("practice", "provider")
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
