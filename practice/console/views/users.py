"""The console's user list and user page.

Views are thin: `console_view` checks the permission, `user_for_admin` scopes every user to the
administrator's practice (another practice's user is a 404), a form checks the input, one service
makes the change, and the browser is redirected with a message (POST-redirect-GET).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.emergency import emergencies_active
from accounts.lifecycle import USER_PAGE_PERMISSIONS, user_update
from accounts.models import UserSession
from accounts.passwords import temporary_password_assign, temporary_password_generate
from accounts.permissions import OutsideAuthority, has_permission, may_act_on
from accounts.reauth import password_again_checked
from accounts.sessions import sessions_end
from mfa.pairing import pairing_reset
from mfa.selectors import has_second_factor
from practice.console import charts
from practice.console.access import console_view, user_for_admin
from practice.console.forms.users import (
    USER_PAGE_SECTIONS,
    ConfirmPasswordForm,
    TemporaryPasswordForm,
    UserForm,
    UserListForm,
)
from practice.console.selectors import overview, user_page
from practice.console.selectors import user_list as listing
from practice.console.selectors.applications import user_applications
from practice.console.selectors.gateway_reach import gateway_reach
from practice.console.selectors.statuses import user_status
from practice.console.views.common import REAUTH_WRONG_MESSAGE, add_errors, query_string
from practice.console.views.lifecycle import deactivation_page
from practice.vocabulary import Permission, RemoteAccessRemoval, SessionEndReason


def _list_columns(params: QueryDict, sort: str) -> list[dict]:
    """The list's headers; a sortable one links to its order (again: the reverse order)."""
    columns = []
    for key, label in listing.LIST_COLUMNS:
        if key not in listing.SORTS:
            columns.append({"label": label, "url": "", "sorted": ""})
            continue
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        columns.append(
            {
                "label": label,
                "url": query_string(
                    params, sort=f"-{key}" if current and not descending else key, page=None
                ),
                "sorted": ("descending" if descending else "ascending") if current else "",
            }
        )
    return columns


@never_cache
@console_view(get=Permission.VIEW_USERS)
def user_list(request):
    form = UserListForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    filters = listing.UserListFilters(
        q=data.get("q", ""),
        active_only=data.get("active", True),
        locked=data.get("locked", False),
        remote=data.get("remote", False),
        without_2fa=data.get("without_2fa", False),
        sort=data.get("sort") or "name",
    )
    practice = request.user.practice
    page = listing.user_list_page(
        practice=practice, filters=filters, number=request.GET.get("page")
    )
    params = request.GET.copy()
    params["filtered"] = "1"
    if "active" not in request.GET and not request.GET.get("filtered"):
        params["active"] = "on"
    rows = listing.user_rows(page.object_list)
    for row in rows:
        row.url = reverse("console:user", kwargs={"user_id": row.user.pk})
    # The overview counts and links to the audit log: for whoever may read it.
    reads_audit = has_permission(request.user, Permission.AUDIT)
    summary = overview.security_overview(practice=practice) if reads_audit else None
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "columns": _list_columns(params, filters.sort),
        "previous_url": query_string(params, page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": query_string(params, page=page.next_page_number()) if page.has_next() else "",
        "console_section": "users",
        "overview": summary,
        # Listed only when the overview counts some (a query only then).
        "emergencies": emergencies_active(practice) if summary and summary.emergencies else [],
    }
    return render(request, "console/user_list.html", context)


CONFIRM_DEACTIVATION = "confirm_deactivation"


def deactivation_unconfirmed(request, user, form) -> bool:
    """This save would deactivate another user, and the administrator has not confirmed it."""
    return (
        user.is_active
        and user.pk != request.user.pk
        and form.cleaned_data.get("active", True) is False
        and request.POST.get(CONFIRM_DEACTIVATION) != "yes"
    )


def user_page_section(user, section: str):
    """Back to one section of the long user page after a save there: the #fragment brings
    the browser (and static/js/forms.js, focus) back to what was just changed."""
    return redirect(f"{reverse('console:user', kwargs={'user_id': user.pk})}#{section}")


def _common_actions(actor, user, form, *, may_act: bool) -> dict[str, bool]:
    """The strip at the top of the user page, what the desk does most: each only where the page
    below offers it (the same permissions and authority rule; not on one's own account)."""
    locked = form.fields.get("locked")
    return {
        "unlock": user.is_locked and locked is not None and not locked.disabled,
        "temporary_password": may_act
        and user.pk != actor.pk
        and has_permission(actor, Permission.TEMPORARY_PASSWORD),
        "remote_access": "remote_access" in form.fields,
    }


def _user_page(request, user, *, failed=None, password_form=None, status=200):
    """The user page; `failed`, a save's form that was refused, shown in its section(s) (all of
    them for a save of the whole page) with its errors, the other sections as they are."""
    form = UserForm(user=user, actor=request.user)
    everywhere = failed is not None and failed.section is None
    # The authority rule: whoever holds more than the viewer is shown, not offered.
    may_act = may_act_on(request.user, user)
    offered = form.sections_offered
    context = {
        "target": user,
        "is_self": user.pk == request.user.pk,
        "may_act": may_act,
        "has_second_factor": has_second_factor(user),
        "failed": failed,
        "sections": {
            key: failed if everywhere or (failed is not None and failed.section == key) else form
            for key in USER_PAGE_SECTIONS
        },
        "offered": offered,
        "offers_any_section": any(offered.values()),
        "actions": _common_actions(request.user, user, form, may_act=may_act),
        "password_form": password_form or TemporaryPasswordForm(),
        "status": user_status(user, timezone.now()),
        "registration": user_page.user_registration(user),
        "registered": user.is_registered,
        "week": charts.week_picture(user),
        "events": user_page.user_recent_events(user),
        "sessions": user_page.user_active_sessions(user),
        "time_zone": user.practice.time_zone,
        "second_factor": user_page.user_second_factor(user),
        "gateway": gateway_reach(user, timezone.now()),
        "applications": user_applications(user),
        "console_section": "users",
    }
    return render(request, "console/user_detail.html", context, status=status)


@never_cache
# Each part saves with its own permission (accounts.lifecycle's map): a POST is for whoever holds
# one of them, and the page offers only the parts they hold.
@console_view(get=Permission.VIEW_USERS, post=USER_PAGE_PERMISSIONS)
def user_detail(request, user_id):
    user = user_for_admin(request, user_id)
    if request.method != "POST":
        return _user_page(request, user)
    # A section's own Save posts its name; without one the whole page is saved.
    section = request.POST.get("section")
    form = UserForm(request.POST, user=user, actor=request.user, section=section)
    if section is not None and not form.fields:
        return _section_refused(request, user, form)
    if form.is_valid():
        if deactivation_unconfirmed(request, user, form):
            # Unticking "Active" asks first, as "Deactivate" does; the rest of the form comes
            # along unchanged and is saved with the confirmation.
            carried = [
                (name, value)
                for name, values in request.POST.lists()
                if name not in ("csrfmiddlewaretoken", CONFIRM_DEACTIVATION)
                for value in values
            ]
            return deactivation_page(request, user, carried=carried)
        try:
            result = user_update(
                user=user, actor=request.user, changes=form.changes(), request=request
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, f"Saved the changes to {user}.")
            if result.remote_access_removed == RemoteAccessRemoval.DEACTIVATED:
                messages.warning(
                    request,
                    "Remote access was removed because the user was deactivated. "
                    "Re-activating the user does not restore it.",
                )
            elif result.remote_access_removed == RemoteAccessRemoval.PM_USERNAME_CLEARED:
                messages.warning(
                    request,
                    "Remote access was removed because the practice management username was "
                    "cleared. Linking it again does not restore it.",
                )
            if result.reactivated:
                messages.info(
                    request,
                    "The user is active again. Remote access is not restored automatically: "
                    "allow it again if they still need it.",
                )
            return user_page_section(user, section or "access")
    return _user_page(request, user, failed=form, status=400)


def _section_refused(request, user, form):
    """A section posted that the actor may not change here (or that the page has not): nothing
    is saved, and the page says why in its error summary."""
    if form.section not in USER_PAGE_SECTIONS:
        status = 400
        problem = (
            "Nothing was saved: the page sent a part of the form it does not have. Reload the "
            "page and try again."
        )
    elif not may_act_on(request.user, user):
        status, problem = 403, str(OutsideAuthority(user))
    else:
        status = 403
        problem = (
            f"Nothing was saved: your role does not let you change this part of {user}'s account."
        )
    form.add_error(None, problem)
    return _user_page(request, user, failed=form, status=status)


@sensitive_post_parameters("temporary_password", "temporary_password2")
@never_cache
@console_view(post=Permission.TEMPORARY_PASSWORD)
def user_temporary_password(request, user_id):
    user = user_for_admin(request, user_id)
    if "generate" in request.POST:
        try:
            password = temporary_password_generate(user=user, actor=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("console:user", user_id=user.pk)
        # Rendered in the POST's own response, never redirected or stored: the password is
        # shown this once and never sits in a session or a URL.
        return render(
            request,
            "console/temporary_password.html",
            {"target": user, "password": password, "console_section": "users"},
        )
    form = TemporaryPasswordForm(request.POST)
    if form.is_valid():
        try:
            temporary_password_assign(
                user=user,
                actor=request.user,
                password=form.cleaned_data["temporary_password"],
                request=request,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_errors(form, exc)
            else:
                form.add_error("temporary_password", exc)
        else:
            messages.success(
                request,
                f"Temporary password set for {user}. They must change it at their first "
                "sign-in; it expires in 72 hours.",
            )
            return user_page_section(user, "temporary-password")
    return _user_page(request, user, password_form=form, status=400)


@sensitive_post_parameters("password")
@never_cache
@console_view(get=Permission.RESET_PAIRING, post=Permission.RESET_PAIRING)
def user_pairing_reset(request, user_id):
    user = user_for_admin(request, user_id)
    if user.pk == request.user.pk:
        messages.error(
            request, "Reset your own two-factor pairing from My Account, not from the console."
        )
        return redirect("console:user", user_id=user.pk)
    verified = request.user.is_verified()
    form = ConfirmPasswordForm(request.POST or None)
    status = 200 if verified else 403
    if request.method == "POST" and verified and form.is_valid():
        confirmed = password_again_checked(request, form, wrong=REAUTH_WRONG_MESSAGE)
        if isinstance(confirmed, HttpResponse):
            return confirmed
        if confirmed:
            removed = pairing_reset(user=user, actor=request.user, request=request)
            messages.success(
                request,
                f"Two-factor pairing of {user} reset ({removed} removed). They set up "
                "two-factor authentication again at their next sign-in.",
            )
            return user_page_section(user, "two-factor")
        status = 400
    return render(
        request,
        "console/pairing_reset.html",
        {"target": user, "form": form, "verified": verified, "console_section": "users"},
        status=status,
    )


@never_cache
@console_view(post=Permission.ACTIVATE)
def user_session_end(request, user_id, session_id):
    user = user_for_admin(request, user_id)
    session = UserSession.objects.filter(user=user, pk=session_id, ended_at__isnull=True).first()
    if session is None:
        raise Http404("No such session.")
    sessions_end(
        user=user,
        reason=SessionEndReason.ADMINISTRATOR,
        actor=request.user,
        request=request,
        session_ids=[session.pk],
    )
    messages.success(request, f"Signed {user} out of that session.")
    return user_page_section(user, "sessions")
