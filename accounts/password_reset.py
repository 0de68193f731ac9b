"""Forgot password: an emailed single-use link (1 hour), a phone code when the user has a
verified phone, then a new password under the practice's rules.

The request page answers the same whether or not the account exists, sends nothing for an
unknown one and takes about as long. A completed reset unlocks the account and ends every
session; it never signs anyone in, so the next sign-in still asks for the second factor.
Support staff never set a password: they can only have the link emailed to the user.
"""

import logging
import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.emailed_links import PASSWORD_RESET, emailed_link
from accounts.lockout import user_unlock
from accounts.models import User
from accounts.notices import email_send, notice_send
from accounts.passwords import password_set
from accounts.permissions import authority_check
from accounts.sessions import sessions_end
from accounts.tokens import PASSWORD_RESET_SECONDS, password_reset_tokens
from accounts.usernames import normalize_username
from phonecodes.codes import code_purpose, phone_code_verify, phone_codes_available
from practice import ratelimit
from practice.audit import audit_record
from practice.network import client_ip, throttle_key
from practice.vocabulary import (
    AuditAction,
    CodePurpose,
    LockChange,
    SessionEndReason,
    SignInFailure,
)

logger = logging.getLogger(__name__)

# Requests per hour: from one client address (any accounts), and for one account (any
# address). Past the account's limit nothing more is sent, silently: saying so would tell a
# stranger the account exists.
ADDRESS_LIMIT = 10
ACCOUNT_LIMIT = 3
LIMIT_WINDOW_SECONDS = 60 * 60
# Wrong phone codes allowed for one account's resets within the window.
CODE_FAILURE_LIMIT = 5
RESET_EMAIL = "emails/password_reset.txt"
# Every request takes at least this long, so an SMTP round trip for a real account does not
# stand out against the nothing done for an unknown one.
MIN_REQUEST_SECONDS = 0.25


def _users_for(practice_code: str, identifier: str) -> list[User]:
    identifier = normalize_username(identifier)
    if not practice_code or not identifier:
        return []
    users = User.objects.select_related("practice").filter(
        Q(username__iexact=identifier) | Q(email__iexact=identifier),
        practice__code=practice_code.strip().lower(),
        is_active=True,
    )
    # An invited user who never set a password registers through the invitation instead.
    return [user for user in users if user.email and user.has_usable_password()]


def reset_secret(user: User, token: str) -> str:
    """What the emailed link carries after its `#`: the user's id and the token."""
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{token}"


def reset_secret_read(secret: str) -> tuple[User | None, str]:
    """The active user a reset link names (or None), and its token."""
    uidb64, _, token = secret.partition(".")
    return reset_user(uidb64), token


def reset_link(user: User, token: str) -> str:
    return emailed_link(PASSWORD_RESET, reset_secret(user, token))


def _reset_context(user: User, link: str) -> dict:
    return {
        "user": user,
        "practice": user.practice,
        "link": link,
        "minutes": PASSWORD_RESET_SECONDS // 60,
    }


def _link_send(*, user: User, actor: User | None, request, action: AuditAction) -> bool:
    token = password_reset_tokens.make_token(user)
    with transaction.atomic():
        audit_record(action=action, actor=actor, target=user, request=request)
    return email_send(
        to=user.email,
        subject="PracticeGate: reset your password",
        template=RESET_EMAIL,
        context=_reset_context(user, reset_link(user, token)),
    )


def _same_work_as_a_link() -> None:
    # For an unknown account: make and render a link as for a real one (and send nothing), so
    # the work done does not say whether the account exists.
    stand_in = User(pk=0, username="", email="", password="")
    link = reset_link(stand_in, password_reset_tokens.make_token(stand_in))
    render_to_string(RESET_EMAIL, _reset_context(stand_in, link))


def password_reset_request(*, practice_code: str, identifier: str, request) -> None:
    """Email a reset link to the account matching practice + username or email, if any.

    Raises ValidationError only when this client address asked too often: that says nothing
    about any account.
    """
    started = time.monotonic()
    try:
        address = throttle_key(client_ip(request))
        if not ratelimit.hit(
            f"password-reset:address:{address}",
            limit=ADDRESS_LIMIT,
            window_seconds=LIMIT_WINDOW_SECONDS,
        ):
            logger.warning("Password reset requests refused for %s: too many this hour", address)
            raise ValidationError(
                "Too many reset requests from your network. Try again in an hour.",
                code="rate_limited",
            )
        users = _users_for(practice_code, identifier)
        if not users:
            _same_work_as_a_link()
        for user in users:
            if ratelimit.hit(
                f"password-reset:user:{user.pk}",
                limit=ACCOUNT_LIMIT,
                window_seconds=LIMIT_WINDOW_SECONDS,
            ):
                _link_send(
                    user=user,
                    actor=None,
                    request=request,
                    action=AuditAction.PASSWORD_RESET_REQUESTED,
                )
    finally:
        elapsed = time.monotonic() - started
        if elapsed < MIN_REQUEST_SECONDS:
            time.sleep(MIN_REQUEST_SECONDS - elapsed)


def password_reset_send(*, user: User, actor: User, request=None) -> bool:
    """Support staff have the reset link emailed to the user (they never see or set it)."""
    authority_check(actor=actor, user=user)
    if not user.is_active:
        raise ValidationError("This account is deactivated.", code="inactive")
    if not user.email:
        raise ValidationError("This account has no email address.", code="no_email")
    return _link_send(
        user=user, actor=actor, request=request, action=AuditAction.PASSWORD_RESET_LINK_SENT
    )


def reset_user(uidb64: str) -> User | None:
    """The active user a reset link names, or None."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.select_related("practice").filter(pk=pk, is_active=True).first()


def reset_token_valid(user: User, token: str) -> bool:
    return password_reset_tokens.check_token(user, token)


def reset_needs_phone_code(user: User) -> bool:
    """The two-step reset (MySecurePractice): a user with a verified phone proves it too.

    Not when this server cannot text or call (SMS_BACKEND="none"): the email link alone,
    rather than a reset nobody can finish.
    """
    return bool(user.mobile_phone and user.mobile_phone_verified_at and phone_codes_available())


def reset_code_purpose() -> str:
    """A fresh purpose for one opening of a reset link: its codes verify for it only."""
    return code_purpose(CodePurpose.PASSWORD_RESET)


def reset_code_verify(*, user: User, purpose: str, code: str, request=None) -> bool:
    """Check the phone code of a reset; too many wrong ones stop this account's resets a while.

    SECURITY: the count is per account, not per browser session, so opening the link again
    does not give a guesser a fresh set of tries.
    """
    key = f"password-reset:code-failures:{user.pk}"
    if ratelimit.used(key) >= CODE_FAILURE_LIMIT:
        raise ValidationError(
            "Too many wrong codes. Request a new reset link in an hour.", code="too_many_codes"
        )
    if phone_code_verify(user=user, purpose=purpose, code=code, request=request):
        ratelimit.forget(key)
        return True
    ratelimit.hit(key, limit=CODE_FAILURE_LIMIT, window_seconds=LIMIT_WINDOW_SECONDS)
    # A wrong code here is a failed proof of who someone is, like one at sign-in: logged, and
    # shown among the user's recent sign-in activity.
    audit_record(
        action=AuditAction.SIGNIN_FAILED,
        target=user,
        request=request,
        details={"reason": SignInFailure.PHONE_CODE, "during": "password_reset"},
    )
    return False


def password_reset_complete(*, user: User, token: str, password: str, request=None) -> User:
    """Set the new password (validated by the caller), unlock, end every session, notify."""
    with transaction.atomic():
        # Lock the row and check the token again: the same link sent twice at once is used once.
        user = User.objects.select_for_update().get(pk=user.pk)
        if not password_reset_tokens.check_token(user, token):
            raise ValidationError(
                "This reset link has expired or has already been used.", code="reset_link_invalid"
            )
        password_set(
            user=user,
            password=password,
            actor=user,
            request=request,
            action=AuditAction.PASSWORD_RESET,
        )
        user_unlock(user=user, actor=user, request=request, reason=LockChange.PASSWORD_RESET)
        ended = sessions_end(
            user=user,
            reason=SessionEndReason.PASSWORD_RESET,
            actor=user,
            request=request,
        )
    notice_send(
        user=user,
        subject="PracticeGate: your password was reset",
        template="emails/password_changed.txt",
        context={"sessions_ended": ended, "reset": True},
    )
    return user
