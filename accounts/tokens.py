"""Tokens for emailed links: password reset (1 hour) and email-address confirmation (1 day).

Neither is stored. Each is an HMAC over the state its use changes, so using it once spends it:
a reset changes the password hash, a confirmed email change changes the email address.
"""

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.crypto import salted_hmac
from django.utils.http import base36_to_int

from accounts.models import User

PASSWORD_RESET_SECONDS = 60 * 60
EMAIL_CHANGE_SECONDS = 24 * 60 * 60


class PasswordResetTokens(PasswordResetTokenGenerator):
    """Django's reset token (user id, password hash, last sign-in, email), valid one hour.

    Django's own generator reads one project-wide timeout; ours is fixed by the reset rules.
    """

    key_salt = "accounts.tokens.PasswordResetTokens"

    def check_token(self, user, token):
        if not super().check_token(user, token):
            return False
        # The signature is good, so the timestamp is ours: check our own, shorter, limit.
        issued = base36_to_int(token.split("-")[0])
        return self._num_seconds(self._now()) - issued <= PASSWORD_RESET_SECONDS


password_reset_tokens = PasswordResetTokens()

_EMAIL_CHANGE_SALT = "accounts.tokens.email_change"


def _email_fingerprint(email: str) -> str:
    # The address the account has now, without putting it (readable) into the link.
    return salted_hmac(_EMAIL_CHANGE_SALT, email.lower()).hexdigest()[:24]


def email_change_token(*, user: User, new_email: str) -> str:
    return signing.dumps(
        {"u": user.pk, "e": new_email, "f": _email_fingerprint(user.email)},
        salt=_EMAIL_CHANGE_SALT,
        compress=True,
    )


def email_change_read(token: str, *, lock: bool = False) -> tuple[User, str] | None:
    """(user, new email) for a good, unexpired, unspent token; None otherwise.

    With `lock` (inside a transaction) the user's row is locked first, so a link opened twice
    at once is still used once.
    """
    try:
        data = signing.loads(token, salt=_EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_SECONDS)
    except signing.BadSignature:
        return None
    users = User.objects.select_for_update() if lock else User.objects.select_related("practice")
    user = users.filter(pk=data.get("u"), is_active=True).first()
    # Spent once the address changed (to this one, or to any other since the link was sent).
    if user is None or data.get("f") != _email_fingerprint(user.email):
        return None
    return user, data["e"]
