"""The practice's password rules: what makes a password acceptable, and the checklist pages show.

Rules come from practice.policy.effective_policy(); each failure is a ValidationError with a code
naming the rule, so forms can show which rule failed and why. Django's own password validation
(AUTH_PASSWORD_VALIDATORS: createsuperuser, the admin's forms) runs the same rules through
PracticePasswordValidator.
"""

import secrets
import string

from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import (
    CommonPasswordValidator,
    UserAttributeSimilarityValidator,
)
from django.core.exceptions import ValidationError

from accounts.models import PasswordHistory, User
from practice.policy import Policy, effective_policy

# Refused before hashing: a megabyte "password" must not cost a megabyte of Argon2.
MAX_PASSWORD_LENGTH = 4096


SYMBOLS = set(string.punctuation)


CHARACTER_CLASSES = [
    ("lower", "a lower-case letter", str.islower),
    ("upper", "an upper-case letter", str.isupper),
    ("digit", "a number", str.isdigit),
    ("symbol", "a symbol such as ! or #", lambda ch: ch in SYMBOLS or not ch.isalnum()),
]


def password_rules(policy: Policy, *, with_history: bool = True) -> list[dict]:
    """The rules as a checklist for the page, in the order they are checked.

    `with_history` False leaves out "Not one of your last N passwords", for someone who has
    never had a password here (an invited user choosing a first one).

    Each rule has an `id` (the error code's suffix), its `text`, and `live`: whether the page's
    script can tick it as the user types (length and character classes). The others need the
    server (history, the blocklist, similarity) and are checked when the form is sent.
    """
    rules = [
        {
            "id": "length",
            "text": f"At least {policy.password_min_length} characters",
            "live": True,
            "min": policy.password_min_length,
        }
    ]
    if policy.password_require_classes:
        rules += [
            {"id": cid, "text": f"Contains {label}", "live": True}
            for cid, label, _ in CHARACTER_CLASSES
        ]
    if policy.password_history and with_history:
        rules.append(
            {
                "id": "history",
                "text": f"Not one of your last {policy.password_history} passwords",
                "live": False,
            }
        )
    if policy.password_blocklist:
        rules.append({"id": "common", "text": "Not a common password", "live": False})
    rules.append(
        {
            "id": "similar",
            "text": "Not like your username, name, email or practice",
            "live": False,
        }
    )
    return rules


# The checklist rule that each of validate_password's error codes breaks.
RULE_OF_ERROR = {
    "password_too_short": "length",
    **{f"password_no_{cid}": cid for cid, _, _ in CHARACTER_CLASSES},
    "password_reused": "history",
    "password_too_common": "common",
    "password_too_similar": "similar",
    "password_contains_practice": "similar",
}


def rules_broken(errors: list[ValidationError]) -> set[str]:
    """The ids of the checklist rules that validate_password's errors say were broken."""
    return {RULE_OF_ERROR[error.code] for error in errors if error.code in RULE_OF_ERROR}


def validate_password(password: str, *, user: User, policy: Policy | None = None) -> None:
    """Raise ValidationError listing every rule the password breaks."""
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            "Passwords can be at most %(max)d characters.",
            code="password_too_long",
            params={"max": MAX_PASSWORD_LENGTH},
        )
    policy = policy or effective_policy(user)
    errors: list[ValidationError] = []
    if len(password) < policy.password_min_length:
        errors.append(
            ValidationError(
                "Use at least %(min)d characters (this one has %(length)d).",
                code="password_too_short",
                params={"min": policy.password_min_length, "length": len(password)},
            )
        )
    if policy.password_require_classes:
        for class_id, label, test in CHARACTER_CLASSES:
            if not any(test(ch) for ch in password):
                errors.append(
                    ValidationError(
                        "Add %(label)s: the practice requires all four kinds of character.",
                        code=f"password_no_{class_id}",
                        params={"label": label},
                    )
                )
    if policy.password_blocklist:
        try:
            CommonPasswordValidator().validate(password)
        except ValidationError:
            errors.append(
                ValidationError(
                    "This is one of the most common passwords; attackers try it first.",
                    code="password_too_common",
                )
            )
    if _too_like_the_user(password, user):
        errors.append(
            ValidationError(
                "Too similar to your name, username or email; it would be easy to guess.",
                code="password_too_similar",
            )
        )
    if user.practice_id and _practice_words_in(password, user):
        errors.append(
            ValidationError(
                "Contains the practice's name or code; it would be easy to guess.",
                code="password_contains_practice",
            )
        )
    if user.pk and policy.password_history and _in_history(password, user, policy.password_history):
        errors.append(
            ValidationError(
                "You used this password recently; choose one that is not one of your last %(n)d.",
                code="password_reused",
                params={"n": policy.password_history},
            )
        )
    if errors:
        raise ValidationError(errors)


def _too_like_the_user(password: str, user: User) -> bool:
    # Django's similarity check compares the whole password with each attribute, so
    # "Nina2024!" passes for Nina; a name, username or mailbox inside it is refused too.
    try:
        UserAttributeSimilarityValidator(
            user_attributes=("username", "first_name", "last_name", "email")
        ).validate(password, user)
    except ValidationError:
        return True
    lowered = password.lower()
    words = [user.username, user.first_name, user.last_name, user.email.partition("@")[0]]
    return any(len(word) >= 4 and word.lower() in lowered for word in words)


def _practice_words_in(password: str, user: User) -> bool:
    lowered = password.lower()
    words = [user.practice.code] + user.practice.name.split()
    return any(len(word) >= 4 and word.lower() in lowered for word in words)


def password_has_history(user: User) -> bool:
    """Whether the user has ever had a password here (one to repeat): not a new invitee."""
    return user.has_usable_password() or PasswordHistory.objects.filter(user=user).exists()


def _in_history(password: str, user: User, depth: int) -> bool:
    # The current password counts as one of the last N, so history holds N-1 older ones.
    if user.has_usable_password() and user.check_password(password):
        return True
    hashes = PasswordHistory.objects.filter(user=user).values_list("password", flat=True)
    return any(check_password(password, encoded) for encoded in hashes[: max(depth - 1, 0)])


def generate_password(length: int = 16) -> str:
    """A random password that satisfies every character-class rule."""
    alphabet = string.ascii_letters + string.digits + "!#$%&*+-=?@^_"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(test(ch) for ch in candidate) for _, _, test in CHARACTER_CLASSES):
            return candidate


class PracticePasswordValidator:
    """Our rules behind Django's AUTH_PASSWORD_VALIDATORS, so every password Django itself sets
    (createsuperuser, the admin's password forms) meets them too."""

    def validate(self, password: str, user=None) -> None:
        if user is None:
            # No account yet (a bare call): the rules of a new support staff member.
            user = User(username="", email="")
        validate_password(password, user=user)

    def get_help_text(self) -> str:
        return "Your password must follow your practice's password rules."
