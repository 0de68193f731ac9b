"""Invitations: a single-use link, valid 7 days, that lets a new user set their password; and
what an administrator may do for an invited user before they register (re-invite, correct the
email or phone)."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.emailed_links import INVITATION, emailed_link
from accounts.models import Invitation, User
from accounts.notices import email_send
from accounts.passwords import password_set
from accounts.permissions import authority_check, may_act_on
from phonecodes.numbers import normalize_phone
from practice.audit import audit_record
from practice.vocabulary import AuditAction

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
    audit_record(action=AuditAction.USER_INVITED, actor=actor, target=user, request=request)
    return token


@transaction.atomic
def invitations_void(*, user: User, actor: User | None, request=None) -> int:
    """Void the user's open invitation, if any (the link stops working); returns how many."""
    authority_check(actor=actor, user=user)
    voided = Invitation.objects.filter(
        user=user, used_at__isnull=True, voided_at__isnull=True
    ).update(voided_at=timezone.now())
    if voided:
        audit_record(
            action=AuditAction.USER_INVITATIONS_VOIDED,
            actor=actor,
            target=user,
            request=request,
            details={"count": voided},
        )
    return voided


def invitation_link(token: str, *, base: str = "") -> str:
    """The invitation's link: on `base` (an origin) when given, else on the public site."""
    return emailed_link(INVITATION, token, base=base)


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
        user=user,
        password=password,
        actor=user,
        request=request,
        action=AuditAction.USER_REGISTERED,
    )
    return user


def invitation_email(*, user: User, token: str) -> bool:
    """Email the invitation link; False if the mail server refused (the link stays valid)."""
    return email_send(
        to=user.email,
        subject=f"PracticeGate: you are invited to {user.practice.name}",
        template="emails/invitation.txt",
        context={
            "user": user,
            "practice": user.practice,
            "link": invitation_link(token),
            "days": INVITATION_DAYS,
        },
    )


def _refuse_outside_authority(user: User, actor: User) -> None:
    """Only someone who holds everything the invited user's role holds handles their invitation
    (the authority rule, said in the invitation page's words).

    SECURITY: otherwise a user manager could point an invited administrator's invitation at
    their own address, register with it, and become an administrator.
    """
    if not may_act_on(actor, user):
        raise ValidationError(
            "Only someone who holds every permission of this user's role can change their "
            "invitation.",
            code="outside_authority",
        )


def user_reinvite(*, user: User, actor: User, request=None) -> bool:
    """A new invitation link; the old one stops working. True if the email went out."""
    _refuse_outside_authority(user, actor)
    if user.is_registered:
        raise ValidationError(
            "%(username)s has already registered; set a temporary password instead.",
            code="already_registered",
            params={"username": user.username},
        )
    if not user.email:
        raise ValidationError("Add an email address before sending an invitation.")
    with transaction.atomic():
        token = invitation_create(user=user, actor=actor, request=request)
    return invitation_email(user=user, token=token)


@transaction.atomic
def invited_contact_update(
    *, user: User, actor: User, email: str, mobile_phone: str, request=None
) -> bool:
    """Correct an invited user's email and mobile phone (before they register). True if changed."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _refuse_outside_authority(user, actor)
    if user.is_registered:
        raise ValidationError(
            "%(username)s has already registered: they change their own email and phone.",
            code="already_registered",
            params={"username": user.username},
        )
    email = email.strip()
    try:
        phone = normalize_phone(mobile_phone) if mobile_phone.strip() else ""
    except ValidationError as exc:
        raise ValidationError({"mobile_phone": exc.error_list}) from None
    before = {"email": user.email, "mobile_phone": user.mobile_phone}
    after = {"email": email, "mobile_phone": phone}
    if before == after:
        return False
    user.email = email
    user.mobile_phone = phone
    user.mobile_phone_verified_at = None
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    user.save(update_fields=["email", "mobile_phone", "mobile_phone_verified_at"])
    audit_record(
        action=AuditAction.USER_CONTACT_CORRECTED,
        actor=actor,
        target=user,
        request=request,
        details={"before": before, "after": after},
    )
    return True
