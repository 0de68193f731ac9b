"""Deactivating and offboarding a user, signing out everyone, and the practice's access reviews."""

import csv
import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from accounts.lifecycle import user_deactivate
from accounts.models import AccessReview, ReviewDecision
from accounts.reviews import (
    review_decide,
    review_due_on,
    review_finish,
    review_items,
    review_open,
    review_start,
)
from accounts.sessions import practice_sessions_signed_in, practice_sign_out_everyone
from mfa.offboarding import offboard_plan, user_offboard
from practice.console.access import console_view, user_for_admin
from practice.console.selectors.audit import csv_safe
from practice.vocabulary import Permission


def deactivation_page(request, user, *, carried=None):
    """ "Deactivate": what will happen, listed, and "Confirm deactivation" (as support staff are
    asked in Django admin). `carried`: the user page's form, when its "Active" box was unticked,
    posted again as it was once confirmed."""
    context = {
        "target": user,
        "plan": offboard_plan(user),
        "carried": carried,
        "console_section": "users",
    }
    return render(request, "console/deactivate.html", context)


@never_cache
@console_view(get=Permission.ACTIVATE, post=Permission.ACTIVATE)
def user_deactivate_view(request, user_id):
    user = user_for_admin(request, user_id)
    if user.pk == request.user.pk or not user.is_active:
        messages.error(request, "This account cannot be deactivated from here.")
        return redirect("console:user", user_id=user.pk)
    if request.method != "POST":
        return deactivation_page(request, user)
    removed_remote_access = user_deactivate(user=user, actor=request.user, request=request)
    messages.success(
        request,
        f"{user} is deactivated: signed out, and no sign-in until the account is made active "
        "again." + (" Their remote access was removed." if removed_remote_access else ""),
    )
    return redirect(f"{reverse('console:user', kwargs={'user_id': user.pk})}#access")


@never_cache
@console_view(get=Permission.OFFBOARD, post=Permission.OFFBOARD)
def user_offboard_view(request, user_id):
    """ "Offboard": what will happen, listed; "Confirm offboarding" does it all at once."""
    user = user_for_admin(request, user_id)
    if user.pk == request.user.pk or not user.is_active:
        messages.error(request, "This account cannot be offboarded from here.")
        return redirect("console:user", user_id=user.pk)
    if request.method == "POST":
        try:
            user_offboard(user=user, actor=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"{user} is offboarded: signed out, inactive, with no remote access, sign-in "
                "methods or open links. They were told by email.",
            )
        return redirect("console:user", user_id=user.pk)
    context = {"target": user, "plan": offboard_plan(user), "console_section": "users"}
    return render(request, "console/offboard.html", context)


@never_cache
@console_view(get=Permission.ACTIVATE, post=Permission.ACTIVATE)
def sign_out_everyone_view(request):
    """ "Sign out all users": what it does and how many it touches; the button does it."""
    practice = request.user.practice
    if request.method == "POST":
        users = practice_sign_out_everyone(practice=practice, actor=request.user, request=request)
        if users:
            messages.success(
                request,
                f"Signed out {users} user{'s' if users != 1 else ''}. They sign in again as "
                "usual; you stay signed in here.",
            )
        else:
            messages.info(request, "Nobody else was signed in.")
        return redirect("console:users")
    signed_in = practice_sessions_signed_in(
        practice, actor=request.user, except_key=request.session.session_key
    )
    context = {"signed_in": signed_in, "console_section": "users"}
    return render(request, "console/sign_out_everyone.html", context)


# --- Access reviews -----------------------------------------------------------------------


@never_cache
@console_view(get=Permission.REVIEWS, post=Permission.REVIEWS)
def reviews_view(request):
    """The open review (Keep / Remove a line, "Finish review"), or when the next is due."""
    practice = request.user.practice
    review = review_open(practice)
    status = 200
    refused = None
    if request.method == "POST":
        if review is None:
            raise Http404("No review is open.")
        decisions = {
            item.pk: request.POST.get(f"item-{item.pk}", "")
            for item in review.items.all()
            if request.POST.get(f"item-{item.pk}") in (ReviewDecision.KEEP, ReviewDecision.REMOVE)
        }
        try:
            review_decide(review=review, decisions=decisions, actor=request.user, request=request)
            result = review_finish(review=review, actor=request.user, request=request)
        except ValidationError as exc:
            # The lines marked are kept; the page says what stopped the review, at the top.
            refused = exc
            status = 400
        else:
            kept, removed = result.kept, result.removed
            note = " The practice's last administrator was kept." if result.not_removed else ""
            messages.success(request, f"Review finished: {kept} kept, {removed} removed.{note}")
            return redirect("console:reviews")
    items = review_items(review, actor=request.user) if review else []
    context = {
        "review": review,
        "items": items,
        "problems": _review_problems(refused, items) if refused is not None else [],
        "undecided": sum(1 for item in items if not item.decision),
        "due_on": review_due_on(practice),
        "today": practice.today(),
        "past": practice.access_reviews.filter(finished_at__isnull=False)[:10],
        "console_section": "reviews",
    }
    return render(request, "console/reviews.html", context, status=status)


def _review_problems(refused: ValidationError, items) -> list[dict]:
    """The error summary of a review that did not finish: each line still to mark, linked to
    its choice (and the line marked as such), or the reason it gave."""
    if getattr(refused, "code", "") == "review_undecided":
        problems = []
        for item in items:
            item.unmarked = not item.decision
            if item.unmarked:
                text = f"{item.user}: {item.held}: mark it Keep or Remove"
                problems.append({"text": text, "href": f"#item-{item.pk}-keep"})
        if problems:
            return problems
    return [{"text": message, "href": ""} for message in refused.messages]


@never_cache
@console_view(post=Permission.REVIEWS)
def review_start_view(request):
    try:
        review_start(practice=request.user.practice, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("console:reviews")


@never_cache
@console_view(get=Permission.REVIEWS)
def review_export(request, review_id):
    """A review and its decisions as CSV, for the practice's compliance file."""
    review = (
        AccessReview.objects.filter(practice=request.user.practice, pk=review_id)
        .select_related("practice", "started_by", "finished_by")
        .first()
    )
    if review is None:
        raise Http404("No such review.")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["user", "username", "holds", "granted by", "last sign-in", "decision",
                     "decided by", "decided at"])  # fmt: skip
    zone = review.practice.zone  # times as the audit CSV gives them: the practice's, its offset

    def when(moment) -> str:
        return moment.astimezone(zone).isoformat() if moment else ""

    for item in review.items.select_related("user", "decided_by").order_by("kind", "id"):
        writer.writerow(
            csv_safe(value)
            for value in [
                item.user.get_full_name(),
                item.user.username,
                item.held,
                item.granted_by,
                when(item.last_login),
                item.get_decision_display(),
                item.decided_by.username if item.decided_by else "",
                when(item.decided_at),
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"access-review-{review.practice.code}-{review.due_on:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
