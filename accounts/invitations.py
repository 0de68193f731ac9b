"""Invitations: a single-use link, valid 7 days, that lets a new user set their password."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, User
from accounts.passwords import password_set
from practice.audit import audit_record

INVITATION_DAYS = 7


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(*, user: User, actor: User | None, request=None) -> str:
    """Void any open invitation and make a new one; returns the token (shown or sent once)."""
    now = timezone.now()
    Invitation.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True).update(
        voided_at=now
    )
    token = secrets.token_urlsafe(32)
    Invitation.objects.create(
        user=user,
        token_hash=hash_token(token),
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    audit_record(action="user.invited", actor=actor, target=user, request=request)
    return token


def invitation_path(token: str) -> str:
    return reverse("accounts:invitation", kwargs={"token": token})


def invitation_for_token(token: str) -> Invitation | None:
    """The open, unexpired invitation for this token, or None."""
    if not token:
        return None
    return (
        Invitation.objects.select_related("user__practice")
        .filter(
            token_hash=hash_token(token),
            used_at__isnull=True,
            voided_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str, request=None) -> User:
    """The invitee sets their password; the link is used up in the same transaction."""
    # Lock the row: a link clicked twice at once is still used once.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.used_at or invitation.voided_at or invitation.expires_at <= timezone.now():
        raise ValidationError(
            "This invitation link has already been used or has expired.", code="invitation_used"
        )
    user = invitation.user
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    password_set(
        user=user, password=password, actor=user, request=request, action="user.registered"
    )
    return user
