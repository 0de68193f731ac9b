"""The audit log page and its CSV export."""

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from practice.console.access import console_view, practice_users, user_for_admin
from practice.console.forms.audit import BY_SUPPORT, AuditFilterForm
from practice.console.selectors import audit as selectors
from practice.console.views.common import query_string
from practice.vocabulary import Permission


def _audit_filters(request, form):
    """The filters of the audit page and export; another practice's user id is a 404."""
    user = None
    if request.GET.get("user"):
        user = user_for_admin(request, request.GET["user"])
    data = form.cleaned_data if form.is_valid() else {}
    username = (data.get("username") or "").strip()
    if user is None and username:
        user = practice_users(request).with_username(username).first()
        if user is None:
            form.add_error("username", f"No user named “{username}” in this practice.")
            return None, None
    filters = selectors.AuditFilters(
        user=user,
        action=(data.get("action") or "").strip(),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        search=(data.get("q") or "").strip(),
        by_support=data.get("by") == BY_SUPPORT,
    )
    return filters, user


@never_cache
@console_view(get=Permission.AUDIT)
def audit_log(request):
    form = AuditFilterForm(request.GET)
    filters, filter_user = _audit_filters(request, form)
    page = selectors.AuditPage(rows=[])
    if filters is not None and not form.errors:
        events = selectors.audit_events(practice=request.user.practice, filters=filters)
        page = selectors.audit_page(
            events,
            time_zone=request.user.practice.time_zone,
            before=request.GET.get("before", ""),
            after=request.GET.get("after", ""),
        )
    params = request.GET.copy()
    context = {
        "form": form,
        "page": page,
        "filter_user": filter_user,
        "older_url": query_string(params, before=page.older, after=None) if page.older else "",
        "newer_url": query_string(params, after=page.newer, before=None) if page.newer else "",
        "newest_url": query_string(params, after=None, before=None),
        "export_url": reverse("console:audit_export")
        + query_string(params, after=None, before=None),
        "console_section": "audit",
    }
    return render(request, "console/audit.html", context, status=400 if form.errors else 200)


@never_cache
@console_view(get=Permission.AUDIT)
def audit_export(request):
    form = AuditFilterForm(request.GET)
    filters, _ = _audit_filters(request, form)
    if filters is None or form.errors:
        messages.error(request, "Fix the filters before exporting.")
        return redirect(reverse("console:audit") + query_string(request.GET))
    practice = request.user.practice
    events = selectors.audit_events(practice=practice, filters=filters)
    response = StreamingHttpResponse(
        selectors.audit_csv_chunks(events, time_zone=practice.time_zone),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime(timezone.now(), practice.zone).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{practice.code}-{stamp}.csv"'
    return response
