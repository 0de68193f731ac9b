"""Periodic access reviews: who holds remote access, who is an administrator or user manager.

A practice that sets "Access review every (days)" has a review due that many days after the last
one started (the first, that many days after the practice was made). An administrator may start
one at any time; on its due day the scheduled job starts it if nobody has. Each remote-access
grant and each elevated role is an item the administrator marks "Keep" or "Remove"; "Finish
review" carries the removals out through the same services as the user page. Items still not
reviewed 14 days after the due date lapse: the grant is removed, the role lowered to the
practice's starting "User" role (never the last user who can manage roles). Everything is
audited; the result can be downloaded as CSV.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import (
    AccessReview,
    AccessReviewItem,
    ReviewDecision,
    ReviewItemKind,
    Role,
    User,
)
from accounts.notices import admins_notify
from accounts.permissions import may_act_on, uses_console
from accounts.remote_access import remote_access_revoke
from accounts.roles import role_for_kind, user_role_set
from practice.audit import audit_record
from practice.audit_words import actor_words
from practice.days import last_day
from practice.models import AuditEvent, Practice
from practice.vocabulary import AuditAction, Permission, RemoteAccessRemoval

LAPSE_DAYS = 14


def review_due_on(practice: Practice) -> date | None:
    """When the next review is due; None when the practice reviews on no schedule."""
    if not practice.access_review_days:
        return None
    last = practice.access_reviews.order_by("-started_at").first()
    start = last.started_at if last is not None else practice.created_at
    return practice.today(start) + timedelta(days=practice.access_review_days)


def review_open(practice: Practice) -> AccessReview | None:
    return practice.access_reviews.filter(finished_at__isnull=True).first()


def _granted_by(user: User, action: AuditAction) -> str:
    event = (
        AuditEvent.objects.filter(target=user, action=action)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    if event is None or event.actor is None:
        return ""
    return actor_words(event.actor)


@transaction.atomic
def review_start(*, practice: Practice, actor: User | None, request=None) -> AccessReview:
    """Open a review listing every remote-access grant and every elevated role of the practice."""
    Practice.objects.select_for_update().filter(pk=practice.pk).first()
    if review_open(practice) is not None:
        raise ValidationError("A review is already open: finish it first.", code="review_open")
    now = timezone.now()
    review = AccessReview(
        practice=practice,
        due_on=review_due_on(practice) or practice.today(now),
        started_at=now,
        started_by=actor,
    )
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:
        raise ValidationError(
            "A review is already open: finish it first.", code="review_open"
        ) from None
    users = (
        User.objects.filter(practice=practice, is_active=True)
        .select_related("practice_role")
        .order_by("last_name", "first_name", "username")
    )
    items = []
    for user in users:
        if user.remote_access:
            # The last day, as it was typed (the grant ends at the midnight after it).
            until = (
                f" until {last_day(user.remote_access_until, practice.zone):%b %-d, %Y}"
                if user.remote_access_until
                else ""
            )
            items.append(
                AccessReviewItem(
                    review=review,
                    user=user,
                    kind=ReviewItemKind.REMOTE_ACCESS,
                    held=f"remote access{until}",
                    granted_by=_granted_by(user, AuditAction.REMOTE_ACCESS_GRANTED),
                    last_login=user.last_login,
                )
            )
        if uses_console(user):
            items.append(
                AccessReviewItem(
                    review=review,
                    user=user,
                    kind=ReviewItemKind.ROLE,
                    held=user.practice_role.name,
                    granted_by=_granted_by(user, AuditAction.USER_ROLE_CHANGED),
                    last_login=user.last_login,
                )
            )
    AccessReviewItem.objects.bulk_create(items)
    audit_record(
        action=AuditAction.ACCESS_REVIEW_STARTED,
        actor=actor,
        practice=practice,
        request=request,
        details={"items": len(items), "due_on": review.due_on.isoformat()},
    )
    return review


def review_items(review: AccessReview, *, actor: User) -> list[AccessReviewItem]:
    """The review's lines for the page, each with `removable`: whether `actor` may mark it
    Remove (the authority rule)."""
    items = list(review.items.select_related("user__practice_role").order_by("kind", "id"))
    for item in items:
        item.removable = may_act_on(actor, item.user)
    return items


@transaction.atomic
def review_decide(
    *, review: AccessReview, decisions: dict[int, str], actor: User, request=None
) -> int:
    """Record "keep" or "remove" for items of an open review; returns how many changed."""
    if not review.is_open:
        raise ValidationError("This review is finished.", code="review_finished")
    changed = 0
    items = (
        review.items.select_for_update(of=("self",))
        .filter(pk__in=list(decisions))
        .select_related("user__practice_role")
    )
    for item in items:
        decision = decisions[item.pk]
        if decision not in (ReviewDecision.KEEP, ReviewDecision.REMOVE):
            raise ValidationError("Choose Keep or Remove.", code="review_decision")
        if decision == ReviewDecision.REMOVE and not may_act_on(actor, item.user):
            # The authority rule: a reviewer removes nothing of someone who holds more.
            raise ValidationError(
                "%(user)s holds permissions you do not have: only someone who holds "
                "everything their role holds can remove what they hold. Mark it Keep, or ask "
                "a practice administrator to finish the review.",
                code="outside_authority",
                params={"user": item.user},
            )
        if item.decision == decision:
            continue
        item.decision = decision
        item.decided_at = timezone.now()
        item.decided_by = actor
        item.save(update_fields=["decision", "decided_at", "decided_by"])
        changed += 1
    return changed


@dataclass
class FinishResult:
    kept: int = 0
    removed: int = 0
    not_removed: int = 0  # the last administrator, kept whatever was chosen


@transaction.atomic
def review_finish(*, review: AccessReview, actor: User, request=None) -> FinishResult:
    """Carry out the removals and close the review. Every item must be decided first."""
    review = AccessReview.objects.select_for_update().get(pk=review.pk)
    if not review.is_open:
        raise ValidationError("This review is finished.", code="review_finished")
    undecided = review.items.filter(decision=ReviewDecision.UNDECIDED).count()
    if undecided:
        raise ValidationError(
            "Mark every line Keep or Remove first (%(n)d not marked).",
            code="review_undecided",
            params={"n": undecided},
        )
    result = FinishResult()
    for item in review.items.select_related("user", "user__practice"):
        audit_record(
            action=AuditAction.ACCESS_REVIEW_DECIDED,
            actor=item.decided_by or actor,
            target=item.user,
            request=request,
            details={"kind": item.kind, "held": item.held, "decision": item.decision},
        )
        if item.decision == ReviewDecision.KEEP:
            result.kept += 1
        elif _remove(item, actor=actor, request=request, reason=RemoteAccessRemoval.REVIEW):
            result.removed += 1
        else:
            result.not_removed += 1
    review.finished_at = timezone.now()
    review.finished_by = actor
    review.save(update_fields=["finished_at", "finished_by"])
    audit_record(
        action=AuditAction.ACCESS_REVIEW_FINISHED,
        actor=actor,
        practice=review.practice,
        request=request,
        details={"kept": result.kept, "removed": result.removed},
    )
    return result


def _remove(item: AccessReviewItem, *, actor: User | None, request, reason) -> bool:
    """Take away what the item reviewed; False when the role must stay (see below)."""
    user = (
        User.objects.select_for_update(of=("self",))
        .select_related("practice", "practice_role")
        .get(pk=item.user_id)
    )
    if not may_act_on(actor, user):
        # Marked by someone who has since lost what it needs (the rule is asked again now).
        return False
    if item.kind == ReviewItemKind.REMOTE_ACCESS:
        remote_access_revoke(user=user, actor=actor, request=request, reason=reason)
        return True
    try:
        user_role_set(
            user=user, actor=actor, role=role_for_kind(user.practice, Role.USER), request=request
        )
    except ValidationError:
        # The last user who can manage roles, or a role the reviewer may not take away
        # (a reviewer gives or removes no more than they hold): kept, and counted as such.
        return False
    return True


def reviews_start_due(*, now: datetime | None = None) -> int:
    """Start the review of every practice whose review is due and not started (scheduled)."""
    started = 0
    for practice in Practice.objects.filter(access_review_days__gt=0):
        due = review_due_on(practice)
        if due is None or practice.today(now) < due or review_open(practice):
            continue
        try:
            review_start(practice=practice, actor=None)
        except ValidationError:
            continue
        admins_notify(
            permission=Permission.REVIEWS,
            practice_id=practice.pk,
            subject=f"PracticeGate: the access review of {practice.name} is due",
            template="emails/access_review_due.txt",
            context={"due_on": due, "lapse_days": LAPSE_DAYS},
        )
        started += 1
    return started


def reviews_lapse_due(*, now: datetime | None = None) -> int:
    """Items of open reviews still not marked 14 days after the due date lapse (scheduled)."""
    lapsed_items = 0
    for review in AccessReview.objects.filter(finished_at__isnull=True).select_related("practice"):
        practice = review.practice
        if practice.today(now) < review.due_on + timedelta(days=LAPSE_DAYS):
            continue
        with transaction.atomic():
            # What was marked "Remove" but never finished is carried out too.
            for item in review.items.filter(decision=ReviewDecision.REMOVE):
                _remove(
                    item, actor=item.decided_by, request=None, reason=RemoteAccessRemoval.REVIEW
                )
            items = list(
                review.items.select_for_update()
                .filter(decision=ReviewDecision.UNDECIDED)
                .select_related("user")
            )
            for item in items:
                _remove(item, actor=None, request=None, reason=RemoteAccessRemoval.REVIEW_LAPSED)
                item.decision = ReviewDecision.LAPSED
                item.decided_at = timezone.now()
                item.save(update_fields=["decision", "decided_at"])
                audit_record(
                    action=AuditAction.ACCESS_REVIEW_LAPSED,
                    target=item.user,
                    details={"kind": item.kind, "held": item.held},
                )
            review.finished_at = timezone.now()
            review.save(update_fields=["finished_at"])
            audit_record(
                action=AuditAction.ACCESS_REVIEW_FINISHED,
                practice=practice,
                details={"lapsed": len(items)},
            )
        if items:
            admins_notify(
                permission=Permission.REVIEWS,
                practice_id=practice.pk,
                subject=f"PracticeGate: access not reviewed in time at {practice.name}",
                template="emails/access_review_lapsed.txt",
                context={"items": items},
            )
        lapsed_items += len(items)
    return lapsed_items
