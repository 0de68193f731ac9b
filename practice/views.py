"""HTTP glue of the practice app: the health check and the administrators' console.

Console views are thin: `console_required` checks the role, `user_for_admin` scopes every user
to the administrator's practice (another practice's user is a 404), a form checks the input,
one service makes the change, and the browser is redirected with a message (POST-redirect-GET).
"""

import csv

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.utils import DatabaseError
from django.http import Http404, JsonResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role, UserSession
from accounts.reauth import reauth_with_password
from accounts.sessions import sessions_end
from mfa.pairing import pairing_reset
from practice import selectors
from practice.access import console_required, practice_users, user_for_admin
from practice.forms import (
    TEMPORARY,
    AddUserForm,
    AuditFilterForm,
    ConfirmPasswordForm,
    InvitedContactForm,
    SettingsForm,
    TemporaryPasswordForm,
    UserForm,
    UserListForm,
)
from practice.network import client_ip, in_networks
from practice.services import practice_settings_update, validate_networks
from practice.users import (
    REMOVED_DEACTIVATED,
    REMOVED_PM_CLEARED,
    invited_contact_update,
    is_registered,
    temporary_password_assign,
    temporary_password_generate,
    user_add,
    user_reinvite,
    user_update,
)


@never_cache
@require_GET
def healthz(request):
    """For load balancers: 200 when the database answers, 503 (no details) when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _add_errors(form, exc: ValidationError) -> None:
    """Put a service's refusal on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _query(params: QueryDict, **changes) -> str:
    """The current query string with some parameters replaced (None drops one)."""
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


# --- The user list ------------------------------------------------------------------------


def _list_columns(params: QueryDict, sort: str) -> list[dict]:
    """The list's headers; a sortable one links to its order (again: the reverse order)."""
    columns = []
    for key, label in selectors.LIST_COLUMNS:
        if key not in selectors.SORTS:
            columns.append({"label": label, "url": "", "sorted": ""})
            continue
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        columns.append(
            {
                "label": label,
                "url": _query(
                    params, sort=f"-{key}" if current and not descending else key, page=None
                ),
                "sorted": ("descending" if descending else "ascending") if current else "",
            }
        )
    return columns


@never_cache
@require_GET
@console_required(for_manager=True)
def user_list(request):
    form = UserListForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    filters = selectors.UserListFilters(
        q=data.get("q", ""),
        active_only=data.get("active", True),
        locked=data.get("locked", False),
        remote=data.get("remote", False),
        without_2fa=data.get("without_2fa", False),
        sort=data.get("sort") or "name",
    )
    practice = request.user.practice
    page = Paginator(
        selectors.user_list(practice=practice, filters=filters), selectors.PAGE_SIZE
    ).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params["filtered"] = "1"
    if "active" not in request.GET and not request.GET.get("filtered"):
        params["active"] = "on"
    is_admin = request.user.role == Role.ADMIN
    rows = selectors.user_rows(page.object_list)
    for row in rows:
        # Administrators open the user page; a user manager, only an invited user's invitation.
        if is_admin:
            row.url = reverse("console:user", kwargs={"user_id": row.user.pk})
        elif not is_registered(row.user):
            row.url = reverse("console:user_invitation", kwargs={"user_id": row.user.pk})
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "columns": _list_columns(params, filters.sort),
        "previous_url": _query(params, page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": _query(params, page=page.next_page_number()) if page.has_next() else "",
        "is_admin": is_admin,
        "console_section": "users",
        "overview": selectors.security_overview(practice=practice) if is_admin else None,
    }
    return render(request, "practice/user_list.html", context)


# --- One user -----------------------------------------------------------------------------


def _user_page(request, user, *, form=None, password_form=None, status=200):
    context = {
        "target": user,
        "is_self": user.pk == request.user.pk,
        "form": form or UserForm(user=user, actor=request.user),
        "password_form": password_form or TemporaryPasswordForm(),
        "status": selectors.user_status(user, timezone.now()),
        "registration": selectors.user_registration(user),
        "registered": is_registered(user),
        "week": selectors.week_picture(user),
        "events": selectors.user_recent_events(user),
        "sessions": selectors.user_active_sessions(user),
        "time_zone": user.practice.time_zone,
        "second_factor": selectors.user_second_factor(user),
        "console_section": "users",
    }
    return render(request, "practice/user_detail.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@console_required
def user_detail(request, user_id):
    user = user_for_admin(request, user_id)
    if request.method != "POST":
        return _user_page(request, user)
    form = UserForm(request.POST, user=user, actor=request.user)
    if form.is_valid():
        try:
            result = user_update(
                user=user, actor=request.user, changes=form.changes(), request=request
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Saved the changes to {user}.")
            if result.remote_access_removed == REMOVED_DEACTIVATED:
                messages.warning(
                    request,
                    "Remote access was removed because the user was deactivated. "
                    "Re-activating the user does not restore it.",
                )
            elif result.remote_access_removed == REMOVED_PM_CLEARED:
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
            return redirect("console:user", user_id=user.pk)
    return _user_page(request, user, form=form, status=400)


@sensitive_post_parameters("temporary_password", "temporary_password2")
@never_cache
@require_POST
@console_required
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
            "practice/temporary_password.html",
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
                _add_errors(form, exc)
            else:
                form.add_error("temporary_password", exc)
        else:
            messages.success(
                request,
                f"Temporary password set for {user}. They must change it at their first "
                "sign-in; it expires in 72 hours.",
            )
            return redirect("console:user", user_id=user.pk)
    return _user_page(request, user, password_form=form, status=400)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
@console_required
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
        if reauth_with_password(request, form.cleaned_data["password"]):
            removed = pairing_reset(user=user, actor=request.user, request=request)
            messages.success(
                request,
                f"Two-factor pairing of {user} reset ({removed} removed). They set up "
                "two-factor authentication again at their next sign-in.",
            )
            return redirect("console:user", user_id=user.pk)
        if request.user.is_locked:
            logout(request)
            messages.error(request, "Too many wrong passwords: your account is now locked.")
            return redirect("accounts:login")
        form.add_error("password", "The password is not correct.")
        status = 400
    return render(
        request,
        "practice/pairing_reset.html",
        {"target": user, "form": form, "verified": verified, "console_section": "users"},
        status=status,
    )


@never_cache
@require_POST
@console_required
def user_session_end(request, user_id, session_id):
    user = user_for_admin(request, user_id)
    session = UserSession.objects.filter(user=user, pk=session_id, ended_at__isnull=True).first()
    if session is None:
        raise Http404("No such session.")
    sessions_end(
        user=user,
        reason="administrator",
        actor=request.user,
        request=request,
        session_ids=[session.pk],
    )
    messages.success(request, f"Signed {user} out of that session.")
    return redirect("console:user", user_id=user.pk)


# --- Adding and inviting ------------------------------------------------------------------


@sensitive_post_parameters("temporary_password", "temporary_password2")
@never_cache
@require_http_methods(["GET", "POST"])
@console_required
def user_new(request):
    copy_from = None
    if "copy" in request.GET:
        copy_from = user_for_admin(request, request.GET["copy"])
    initial = {"role": copy_from.role} if copy_from else {}
    form = AddUserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        invite = form.cleaned_data["then"] != TEMPORARY
        try:
            result = user_add(
                practice=request.user.practice,
                actor=request.user,
                new=form.new_user(),
                invite=invite,
                temporary_password=form.cleaned_data["temporary_password"],
                copy_from=copy_from,
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            user = result.user
            if result.invitation_sent:
                messages.success(
                    request, f"Added {user}; an invitation was emailed to {user.email}."
                )
            elif result.invitation_failed:
                messages.warning(
                    request,
                    f"Added {user}, but the invitation email could not be sent. "
                    "Use Re-invite to try again.",
                )
            else:
                messages.success(
                    request,
                    f"Added {user} with a temporary password; they change it at first sign-in.",
                )
            return redirect("console:user", user_id=user.pk)
    return render(
        request,
        "practice/user_new.html",
        {"form": form, "copy_from": copy_from, "console_section": "new"},
        status=400 if form.is_bound else 200,
    )


@never_cache
@require_POST
@console_required(for_manager=True)
def user_reinvite_view(request, user_id):
    user = user_for_admin(request, user_id, for_manager=True)
    try:
        sent = user_reinvite(user=user, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if sent:
            messages.success(
                request,
                f"A new invitation was emailed to {user.email}; the old link no longer works.",
            )
        else:
            messages.warning(
                request, "A new invitation was made but the email could not be sent. Try again."
            )
    return redirect(_invited_user_url(request, user))


def _invited_user_url(request, user) -> str:
    if request.user.role == Role.ADMIN:
        return reverse("console:user", kwargs={"user_id": user.pk})
    return reverse("console:user_invitation", kwargs={"user_id": user.pk})


@never_cache
@require_http_methods(["GET", "POST"])
@console_required(for_manager=True)
def user_invitation(request, user_id):
    """An invited user's email and phone, correctable until they register; and Re-invite."""
    user = user_for_admin(request, user_id, for_manager=True)
    registered = is_registered(user)
    form = InvitedContactForm(
        request.POST or None,
        initial={"email": user.email, "mobile_phone": user.mobile_phone},
    )
    if request.method == "POST" and not registered and form.is_valid():
        try:
            changed = invited_contact_update(
                user=user,
                actor=request.user,
                email=form.cleaned_data["email"],
                mobile_phone=form.cleaned_data["mobile_phone"],
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if changed:
                messages.success(
                    request,
                    f"Saved {user}'s email and phone. Use Re-invite to send the link to the "
                    "new address.",
                )
            else:
                messages.info(request, "Nothing changed.")
            return redirect("console:user_invitation", user_id=user.pk)
    return render(
        request,
        "practice/user_invitation.html",
        {
            "target": user,
            "form": form,
            "registered": registered,
            "registration": selectors.user_registration(user),
            "console_section": "users",
        },
        status=400 if form.is_bound else 200,
    )


# --- Practice settings --------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@console_required
def practice_settings(request):
    practice = request.user.practice
    address = client_ip(request)
    current_networks = list(practice.office_networks.values_list("cidr", flat=True))
    in_office = in_networks(address, current_networks)
    form = SettingsForm(request.POST or None, practice=practice)
    excludes_me = False
    if request.method == "POST" and form.is_valid():
        lines = form.network_lines()
        try:
            networks = validate_networks(lines)
        except ValidationError as exc:
            form.add_error("office_networks", exc)
        else:
            excludes_me = in_office and not in_networks(address, networks)
            if excludes_me and not form.cleaned_data["confirm_office_exclusion"]:
                form.add_error(
                    "office_networks",
                    f"Your current address, {address}, would no longer be on an office network: "
                    "you would be signed in as remote. Add your network, or tick "
                    "“Save anyway” below.",
                )
            else:
                try:
                    changed = practice_settings_update(
                        practice=practice,
                        actor=request.user,
                        values=form.values(),
                        office_networks=networks,
                        request=request,
                    )
                except ValidationError as exc:
                    _add_errors(form, exc)
                else:
                    messages.success(request, "Settings saved." if changed else "Nothing changed.")
                    return redirect("console:settings")
    return render(
        request,
        "practice/settings.html",
        {
            "form": form,
            "address": address,
            "in_office": in_office,
            "excludes_me": excludes_me,
            "practice": practice,
            "console_section": "settings",
        },
        status=400 if form.is_bound else 200,
    )


# --- The audit log ------------------------------------------------------------------------


def _audit_filters(request, form):
    """The filters of the audit page and export; another practice's user id is a 404."""
    user = None
    if request.GET.get("user"):
        user = user_for_admin(request, request.GET["user"])
    data = form.cleaned_data if form.is_valid() else {}
    username = (data.get("username") or "").strip()
    if user is None and username:
        user = practice_users(request).filter(username__iexact=username).first()
        if user is None:
            form.add_error("username", f"No user named “{username}” in this practice.")
            return None, None
    filters = selectors.AuditFilters(
        user=user,
        action=(data.get("action") or "").strip(),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    return filters, user


@never_cache
@require_GET
@console_required
def audit_log(request):
    form = AuditFilterForm(request.GET)
    filters, filter_user = _audit_filters(request, form)
    page = selectors.AuditPage(rows=[])
    if filters is not None and not form.errors:
        events = selectors.audit_events(practice=request.user.practice, filters=filters)
        page = selectors.audit_page(
            events, before=request.GET.get("before", ""), after=request.GET.get("after", "")
        )
    params = request.GET.copy()
    context = {
        "form": form,
        "page": page,
        "filter_user": filter_user,
        "older_url": _query(params, before=page.older, after=None) if page.older else "",
        "newer_url": _query(params, after=page.newer, before=None) if page.newer else "",
        "newest_url": _query(params, after=None, before=None),
        "export_url": reverse("console:audit_export") + _query(params, after=None, before=None),
        "known_actions": selectors.KNOWN_ACTIONS,
        "console_section": "audit",
    }
    return render(request, "practice/audit.html", context, status=400 if form.errors else 200)


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a stream."""

    def write(self, value):
        return value


@never_cache
@require_GET
@console_required
def audit_export(request):
    form = AuditFilterForm(request.GET)
    filters, _ = _audit_filters(request, form)
    if filters is None or form.errors:
        messages.error(request, "Fix the filters before exporting.")
        return redirect(reverse("console:audit") + _query(request.GET))
    practice = request.user.practice
    events = selectors.audit_events(practice=practice, filters=filters)
    writer = csv.writer(_Echo())
    rows = selectors.audit_csv_rows(events, time_zone=practice.time_zone)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{practice.code}-{stamp}.csv"'
    return response
