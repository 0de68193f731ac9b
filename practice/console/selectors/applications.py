"""What the console shows of the practice's applications, and of a user's sign-ins to them."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.models import User
from oidc.discovery import discovery_url, issuer
from oidc.models import Application, ApplicationSignIn
from practice.models import Practice

RECENT_DAYS = 30


def application_rows(practice: Practice):
    """The practice's applications, by name, with their sign-ins of the last RECENT_DAYS."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    return (
        Application.objects.filter(practice=practice)
        .annotate(recent=Count("signins", filter=Q(signins__created_at__gte=since)))
        .order_by("name")
    )


def application_of_practice(practice: Practice, application_id) -> Application | None:
    """One application of the practice; None for another practice's (a 404, never a 403)."""
    try:
        pk = int(application_id)
    except (TypeError, ValueError):
        return None
    return Application.objects.filter(practice=practice, pk=pk).select_related("practice").first()


def connection_settings() -> dict:
    """What an application's settings need besides its client ID and secret."""
    return {"issuer": issuer(), "discovery_url": discovery_url()}


@dataclass
class SignedInTo:
    name: str
    last: datetime
    open: int  # sign-ins still going on


def user_applications(user: User) -> list[SignedInTo]:
    """The applications the user signed in to (in the last RECENT_DAYS, or still signed in),
    the latest first: one query."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    rows = (
        ApplicationSignIn.objects.filter(user=user)
        .filter(Q(created_at__gte=since) | Q(ended_at__isnull=True))
        .values("application__name")
        .annotate(last=Max("created_at"), open=Count("pk", filter=Q(ended_at__isnull=True)))
        .order_by("-last")
    )
    return [
        SignedInTo(name=row["application__name"], last=row["last"], open=row["open"])
        for row in rows
    ]
