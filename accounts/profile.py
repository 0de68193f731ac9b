"""A user's own profile (My Account): names, contact details, professional details.

Plain details change at once. The email address changes only once the new mailbox confirms it
(a link sent there; the old address gets a notice), and the mobile phone, which receives codes,
only once a code sent to the new number comes back. Practice details are not the user's to edit.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.emailed_links import EMAIL_CHANGE, emailed_link
from accounts.models import User
from accounts.notices import email_send, notice_send
from accounts.tokens import EMAIL_CHANGE_SECONDS, email_change_read, email_change_token
from phonecodes.codes import code_purpose, phone_code_verify, phone_codes_available
from phonecodes.numbers import number_ending
from practice import ratelimit
from practice.audit import audit_record
from practice.vocabulary import AuditAction, CodePurpose

# What a user may change directly on their profile. Email and mobile phone go through their
# own confirmation; nothing else (role, practice, access) is the user's to change.
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "other_phone",
    "time_zone",
    "npi",
    "ada_number",
    "specialties",
)


@transaction.atomic
def profile_update(*, user: User, actor: User, changes: dict, request=None) -> list[str]:
    """Change the user's plain profile details; returns the names of the fields that changed."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        # A programming error, not user input: forms offer only PROFILE_FIELDS.
        raise ValueError(f"Not profile fields: {', '.join(sorted(unknown))}")
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(user, name, changes[name])
    user.clean_fields(exclude=[f.name for f in User._meta.concrete_fields if f.name not in changed])
    user.save(update_fields=changed)
    audit_record(
        action=AuditAction.PROFILE_UPDATED,
        actor=actor,
        target=user,
        request=request,
        details={"fields": changed},
    )
    return changed


# Confirmation emails: a few an hour per user, and per address they are sent to, so nobody can
# use this page to flood someone's mailbox (the email version of text-message toll fraud).
EMAIL_CHANGES_PER_USER = 3
EMAIL_CHANGES_PER_ADDRESS = 3
EMAIL_CHANGE_WINDOW_SECONDS = 60 * 60
TOO_MANY_EMAIL_CHANGES = "Too many confirmation emails were sent recently. Try again in an hour."


def email_change_request(*, user: User, new_email: str, request=None) -> None:
    """Send a confirmation link to the new address and a notice to the current one."""
    new_email = new_email.strip()
    validate_email(new_email)
    if new_email.lower() == user.email.lower():
        raise ValidationError("That is already your email address.", code="email_unchanged")
    for key, limit in (
        (f"email-change:user:{user.pk}", EMAIL_CHANGES_PER_USER),
        (f"email-change:address:{new_email.lower()}", EMAIL_CHANGES_PER_ADDRESS),
    ):
        if not ratelimit.hit(key, limit=limit, window_seconds=EMAIL_CHANGE_WINDOW_SECONDS):
            raise ValidationError(TOO_MANY_EMAIL_CHANGES, code="rate_limited")
    token = email_change_token(user=user, new_email=new_email)
    link = emailed_link(EMAIL_CHANGE, token)
    with transaction.atomic():
        audit_record(
            action=AuditAction.EMAIL_CHANGE_REQUESTED,
            actor=user,
            target=user,
            request=request,
            details={"new_email": new_email},
        )
    sent = email_send(
        to=new_email,
        subject="PracticeGate: confirm your new email address",
        template="emails/email_change_confirm.txt",
        context={
            "user": user,
            "practice": user.practice,
            "link": link,
            "hours": EMAIL_CHANGE_SECONDS // 3600,
        },
    )
    if not sent:
        raise ValidationError(
            "We could not send the confirmation email. Try again in a few minutes.",
            code="email_not_sent",
        )
    # SECURITY: the current address hears of it, so a change it did not ask for is noticed.
    notice_send(
        user=user,
        subject="PracticeGate: a change of your email address was requested",
        template="emails/email_change_requested.txt",
        context={"new_email": new_email},
    )


def email_change_confirm(*, token: str, request=None) -> User:
    """The new mailbox opened its link: the address changes. The link is spent by that."""
    with transaction.atomic():
        found = email_change_read(token, lock=True)
        if found is None:
            raise ValidationError(
                "This confirmation link has expired or has already been used.",
                code="email_link_invalid",
            )
        user, new_email = found
        old_email = user.email
        user.email = new_email
        user.save(update_fields=["email"])
        audit_record(
            action=AuditAction.EMAIL_CHANGED,
            actor=user,
            target=user,
            request=request,
            details={"old_email": old_email, "new_email": new_email},
        )
    return user


def phone_change_purpose() -> str:
    """A fresh purpose for one phone change: its codes verify for that change only."""
    return code_purpose(CodePurpose.PHONE_CHANGE)


def phone_change_confirm(*, user: User, number: str, purpose: str, code: str, request=None) -> None:
    """Check the code sent to `number`; on success it is the user's verified mobile phone."""
    if not phone_code_verify(user=user, purpose=purpose, code=code, request=request):
        raise ValidationError(
            "Invalid code. Enter the latest code we sent, or send a new one.",
            code="invalid_code",
        )
    _phone_store(user=user, number=number, verified=True, request=request)


def registration_phone_pending(user: User) -> bool:
    """The practice asked this user to verify their phone at registration, and they have not.

    MySecurePractice's "Two-step verification at registration": until it is done the console
    shows the user as "phone not verified", and the next sign-in asks for it.
    """
    return bool(
        user.verify_phone_at_registration
        and user.mobile_phone
        and user.mobile_phone_verified_at is None
        # A server that cannot text or call must not ask for a code nobody can receive.
        and phone_codes_available()
    )


def phone_verify(*, user: User, purpose: str, code: str, request=None) -> None:
    """Check a code sent to the number on file; on success that number is verified."""
    if not phone_code_verify(user=user, purpose=purpose, code=code, request=request):
        raise ValidationError(
            "Invalid code. Enter the latest code we sent, or send a new one.",
            code="invalid_code",
        )
    with transaction.atomic():
        user.mobile_phone_verified_at = timezone.now()
        user.save(update_fields=["mobile_phone_verified_at"])
        audit_record(
            action=AuditAction.PHONE_VERIFIED,
            actor=user,
            target=user,
            request=request,
            details={"ending": number_ending(user.mobile_phone)},
        )


def phone_set_unverified(*, user: User, number: str, request=None) -> None:
    """Without text or voice codes on this server, a new number is kept as contact only.

    It is not verified, so it is never used for codes or for the two-step reset.
    """
    _phone_store(user=user, number=number, verified=False, request=request)


def _phone_store(*, user: User, number: str, verified: bool, request) -> None:
    """Set (or, with "", remove) the mobile phone, audit it and tell the user."""
    removed = not number
    with transaction.atomic():
        old_number = user.mobile_phone
        user.mobile_phone = number
        user.mobile_phone_verified_at = timezone.now() if verified else None
        user.save(update_fields=["mobile_phone", "mobile_phone_verified_at"])
        details = {"old": old_number} if removed else {"old": old_number, "new": number}
        audit_record(
            action=AuditAction.PHONE_REMOVED if removed else AuditAction.PHONE_CHANGED,
            actor=user,
            target=user,
            request=request,
            details={**details, "verified": verified},
        )
    notice_send(
        user=user,
        subject=f"PracticeGate: your mobile phone number was {'removed' if removed else 'changed'}",
        template="emails/phone_changed.txt",
        context={"ending": number_ending(old_number if removed else number), "removed": removed},
    )


def phone_remove(*, user: User, request=None) -> None:
    """The user removes their mobile phone: no more codes to it, and no code step at reset."""
    if user.mobile_phone:
        _phone_store(user=user, number="", verified=False, request=request)
