"""The names of things in the audit log's words: detail keys as field names, and the words for
the codes the details hold (a vocabulary's member, a device model, a purpose), by key."""

from functools import cache

from practice.models import TwoFactorPolicy
from practice.vocabulary import (
    ApplicationRefusal,
    AuditAction,
    CodePurpose,
    CodeRefusal,
    DeactivationReason,
    FactorKind,
    GatewayRefusal,
    LockChange,
    Permission,
    RemoteAccessRemoval,
    ReviewDecision,
    ReviewItemKind,
    SessionEndReason,
    SignInFailure,
)

# A second factor is stored as its FactorKind. Rows written before named the device's model
# instead (a sign-in's "second_factor", the first part of django-otp's persistent id; a pairing
# reset's "kinds"): their words. A phone's model does not say whether it took texts or calls.
STORED_DEVICE_MODELS = {
    "otp_totp.totpdevice": FactorKind.APP.label,
    "mfa.authenticatorapp": FactorKind.APP.label,
    "mfa.phonedevice": "Text or voice code",
    "phone": "Text or voice code",
    "django_otp_webauthn.webauthncredential": FactorKind.KEY.label,
    "mfa.recoverycodedevice": FactorKind.RECOVERY.label,
    "otp_email.emaildevice": FactorKind.EMAIL.label,
}
CHANNELS = {"sms": "text message", "voice": "voice call", "email": "email"}
# What a check happened during, beside a code's purposes (CodePurpose): its own words, and the
# purpose rows written before CodePurpose named as "enroll".
PURPOSES = {"password_reset": "password reset", "enroll": "adding a phone"}
# A user's own second-factor setup (accounts.models.TwoFactorSetup): the practice's policy
# values, or "" for the practice's default.
TWO_FACTOR_SETUP = {"": "Practice default", **dict(TwoFactorPolicy.choices)}

# Detail keys, as field names. A key not listed is shown with its underscores as spaces.
KEY_LABELS = {
    "reason": "Reason",
    "zone": "Where",
    "second_factor": "Second factor",
    "emergency": "Emergency reason",
    "username": "Username tried",
    # A name that matched nobody, kept as its length and keyed hash (practice.audit).
    "username_length": "Username tried (characters)",
    "username_fingerprint": "Username tried (fingerprint)",
    "count": "Sessions",
    "until": "Until",
    "grant_reason": "Reason for the grant",
    "expires_at": "Expires",
    "ends_on": "Access ended on",
    "before": "Before",
    "after": "After",
    "threshold": "Failed attempts allowed",
    "role": "Role",
    "permissions": "Permissions",
    "before_permissions": "Permissions before",
    "after_permissions": "Permissions after",
    "first_user": "First user of the practice",
    "from": "From",
    "to": "To",
    "from_practice": "From practice",
    "from_role": "From role",
    "days": "Days without sign-in",
    "why": "Why",
    "refused": "Refused because",
    "items": "Items",
    "due_on": "Due on",
    "kind": "Kind",
    "held": "Held",
    "decision": "Decision",
    "kept": "Kept",
    "removed": "Removed",
    "lapsed": "Not reviewed",
    "during": "During",
    "fields": "Changed",
    "new_email": "New email",
    "old_email": "Old email",
    "email": "Email",
    "mobile_phone": "Mobile phone",
    "ending": "Number ending",
    "old": "Old number",
    "new": "New number",
    "verified": "Verified",
    "restricted": "Restricted",
    "windows": "Windows",
    "codes_left": "Recovery codes left",
    "replaced": "Replaced earlier codes",
    "kinds": "Kinds",
    "setup_required": "Must set up again",
    "name": "Name",
    "last": "Was the last one",
    "channel": "Sent by",
    "number": "Number",
    "purpose": "For",
    "provider_code": "Provider's error code",
    "limit": "Codes an hour allowed",
    "code": "Practice code",
    "office_networks": "Office networks",
    "roles": "Roles",
    "sessions": "Sessions ended",
    "remote_access": "Remote access removed",
    "second_factors": "Second factors removed",
    "invitations": "Invitations voided",
    "reset_links": "Reset links voided",
    "provider_kept": "Provider link kept",
    "npi": "NPI",
    "application": "Application",
    "client_id": "Client ID",
    "redirect_uris": "Redirect URIs",
    "backchannel_logout_uri": "Back-channel logout URI",
    "attempt": "Attempt",
    "error": "What went wrong",
}
# What My Account's profile fields are called (the "fields" of profile.updated).
PROFILE_FIELD_NAMES = {"npi": "NPI", "ada_number": "ADA number"}
# The vocabulary a "reason" holds, by action; any of them for another action's "reason".
REASONS = {
    AuditAction.SIGNIN_FAILED: SignInFailure,
    AuditAction.SIGNED_OUT: SessionEndReason,
    AuditAction.SESSIONS_ENDED: SessionEndReason,
    AuditAction.REMOTE_ACCESS_REMOVED: RemoteAccessRemoval,
    AuditAction.USER_LOCKED: LockChange,
    AuditAction.USER_UNLOCKED: LockChange,
    AuditAction.MFA_CODE_REFUSED: CodeRefusal,
    AuditAction.APP_REFUSED: ApplicationRefusal,
    AuditAction.APP_SIGNED_OUT: SessionEndReason,
}
REASON_VOCABULARIES = (
    SignInFailure,
    SessionEndReason,
    RemoteAccessRemoval,
    LockChange,
    CodeRefusal,
    GatewayRefusal,
    ApplicationRefusal,
)
LOCK_WORDS = {
    (AuditAction.USER_LOCKED, LockChange.ADMINISTRATOR): "Locked by an administrator",
    (AuditAction.USER_LOCKED, LockChange.SUPPORT): "Locked by support",
    (AuditAction.USER_LOCKED, LockChange.FAILED_ATTEMPTS): "Locked after too many failed attempts",
    (AuditAction.USER_UNLOCKED, LockChange.ADMINISTRATOR): "Unlocked by an administrator",
    (AuditAction.USER_UNLOCKED, LockChange.SUPPORT): "Unlocked by support",
    (AuditAction.USER_UNLOCKED, LockChange.AUTO_UNLOCK): "Unlocked automatically",
    (AuditAction.USER_UNLOCKED, LockChange.PASSWORD_RESET): "Unlocked by a password reset",
}
# Keys whose values are codes of one vocabulary (said as its label, in lower case).
VOCABULARY_OF_KEY = {
    "why": DeactivationReason,
    "decision": ReviewDecision,
}
PERMISSION_KEYS = frozenset({"permissions", "before_permissions", "after_permissions"})


@cache
def labels(choices) -> dict[str, str]:
    # Read once: TextChoices builds `.choices` anew at every access; the CSV describes every row.
    return {value: str(label) for value, label in choices.choices}


def action_label(action: str) -> str:
    """The action's label, or the code itself for an action no longer known."""
    return labels(AuditAction).get(action, action)


def label_of(choices, value, default: str | None = None) -> str:
    label = labels(choices).get(value) if isinstance(value, str) else None
    if label is not None:
        return label
    return str(value) if default is None else default


def lower_first(text: str) -> str:
    return f"{text[:1].lower()}{text[1:]}"


def key_name(key) -> str:
    """A detail key as a field name: "Reason", "Permissions before"; a key of no list with its
    underscores as spaces."""
    return KEY_LABELS.get(key) or str(key).replace("_", " ").capitalize()


def reason_words(value: str, action: str) -> str:
    """A "reason": in the action's vocabulary; a code of another (a reason the action does not
    usually give) still in words; anything else is text someone typed, as typed."""
    if action in REASONS and value in labels(REASONS[action]):
        return labels(REASONS[action])[value]
    if "_" in value or "-" in value:
        for vocabulary in REASON_VOCABULARIES:
            if value in labels(vocabulary):
                return labels(vocabulary)[value]
    return value


def kind_words(value: str) -> str:
    """A second factor's kind or device model, or what an access review line is about."""
    name = value.lower()
    if name in labels(FactorKind):
        return labels(FactorKind)[name]
    if name in STORED_DEVICE_MODELS:
        return STORED_DEVICE_MODELS[name]
    return lower_first(label_of(ReviewItemKind, value))


def purpose_words(value: str) -> str:
    """What asked for a code (a CodePurpose), or what a check happened during."""
    if value in labels(CodePurpose):
        return lower_first(labels(CodePurpose)[value])
    return PURPOSES.get(value, value)


def permission_words(value: str) -> str:
    return lower_first(label_of(Permission, value))
