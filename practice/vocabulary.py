"""The words the audit log and the sign-in speak, as types shared by writer, reader and labels.

Every audit action, zone, sign-in failure reason, session end reason, kind of second factor and
purpose of a phone code is a member here. The
code that writes an event names a member (audit_record refuses anything else); the console's
filter offers every member; the pages show the member's label. A new action is added here once,
and is then known everywhere.
"""

from django.db import models


class AuditAction(models.TextChoices):
    # Sign-in and sessions
    SIGNIN_SUCCEEDED = "signin.succeeded", "Signed in"
    SIGNIN_FAILED = "signin.failed", "Sign-in refused"
    SIGNED_OUT = "signout", "Signed out"
    SESSIONS_ENDED = "sessions.ended", "Sessions ended"
    SIGNIN_SETUP_ACCESS = (
        "signin.setup_access",
        "Let in from outside to set up the practice (no office network yet)",
    )
    # The user's account, changed by an administrator or support
    USER_CREATED = "user.created", "User added"
    USER_INVITED = "user.invited", "Invitation sent"
    USER_REGISTERED = "user.registered", "Registered"
    USER_COPIED = "user.copied", "Copied from another user"
    USER_ACTIVATED = "user.activated", "Activated"
    USER_DEACTIVATED = "user.deactivated", "Deactivated"
    USER_LOCKED = "user.locked", "Locked"
    USER_UNLOCKED = "user.unlocked", "Unlocked"
    USER_ROLE_CHANGED = "user.role_changed", "Role changed"
    USER_PM_USERNAME_CHANGED = "user.pm_username_changed", "Practice management username changed"
    USER_TWO_FACTOR_SETUP_CHANGED = "user.two_factor_setup_changed", "Second-factor setup changed"
    USER_PROVIDER_CHANGED = "user.provider_changed", "Provider link changed"
    USER_REGISTRATION_VERIFICATION_CHANGED = (
        "user.registration_verification_changed",
        "Two-step verification at registration changed",
    )
    USER_CONTACT_CORRECTED = "user.contact_corrected", "Invited user's email or phone corrected"
    USER_EMERGENCY_ACCESS_CHANGED = (
        "user.emergency_access_changed",
        "Emergency access account changed",
    )
    EMERGENCY_DECLARED = "emergency.declared", "Emergency declared at sign-in"
    USER_ACCESS_END_CHANGED = "user.access_end_changed", "Access end date changed"
    USER_ACCESS_ENDED = "user.access_ended", "Access ended (end date reached)"
    USER_OFFBOARDED = "user.offboarded", "Offboarded"
    USER_INVITATIONS_VOIDED = "user.invitations_voided", "Open invitation voided"
    USER_DORMANT_WARNED = "user.dormant_warned", "Warned: no sign-in for a long time"
    ACCESS_REVIEW_STARTED = "access_review.started", "Access review started"
    ACCESS_REVIEW_DECIDED = "access_review.decided", "Access review: item decided"
    ACCESS_REVIEW_FINISHED = "access_review.finished", "Access review finished"
    ACCESS_REVIEW_LAPSED = "access_review.lapsed", "Access review: item not reviewed in time"
    REMOTE_ACCESS_GRANTED = "remote_access.granted", "Remote access granted"
    REMOTE_ACCESS_REMOVED = "remote_access.removed", "Remote access removed"
    LOGIN_TIMES_CHANGED = "login_times.changed", "Login times changed"
    # Passwords
    PASSWORD_CHANGED = "password.changed", "Password changed"
    PASSWORD_TEMPORARY_SET = "password.temporary_set", "Temporary password set"
    PASSWORD_RESET_REQUESTED = "password.reset_requested", "Password reset requested"
    PASSWORD_RESET_LINK_SENT = "password.reset_link_sent", "Password reset link sent by support"
    PASSWORD_RESET = "password.reset", "Password reset"
    PASSWORD_CLEARED = "password.cleared", "Password removed (reset links void)"
    # The user's own profile
    PROFILE_UPDATED = "profile.updated", "Profile updated"
    EMAIL_CHANGE_REQUESTED = "email.change_requested", "Email change requested"
    EMAIL_CHANGED = "email.changed", "Email changed"
    PHONE_VERIFIED = "phone.verified", "Mobile phone verified"
    PHONE_CHANGED = "phone.changed", "Mobile phone changed"
    PHONE_REMOVED = "phone.removed", "Mobile phone removed"
    # Second factors
    MFA_DEVICE_ADDED = "mfa.device_added", "Sign-in method added"
    MFA_DEVICE_SET_UP_IN_PERSON = (
        "mfa.device_set_up_in_person",
        "Sign-in method set up in person with an administrator",
    )
    MFA_DEVICE_RENAMED = "mfa.device_renamed", "Sign-in method renamed"
    MFA_DEVICE_REMOVED = "mfa.device_removed", "Sign-in method removed"
    MFA_PAIRING_RESET = "mfa.pairing_reset", "2FA pairing reset"
    MFA_DEVICES_REMOVED = "mfa.devices_removed", "Every sign-in method removed"
    MFA_RECOVERY_CODES_GENERATED = "mfa.recovery_codes_generated", "Recovery codes created"
    MFA_RECOVERY_CODE_USED = "mfa.recovery_code_used", "Recovery code used"
    MFA_SETUP_SKIPPED = "mfa.setup_skipped", "Two-factor setup skipped"
    MFA_SETUP_IDENTITY_CONFIRMED = (
        "mfa.setup_identity_confirmed",
        "Identity confirmed before a first two-factor setup",
    )
    MFA_CODE_SENT = "mfa.code_sent", "Text or voice code sent"
    MFA_CODE_REFUSED = "mfa.code_refused", "Code not sent (limit reached)"
    MFA_CODE_OPTED_OUT = "mfa.code_opted_out", "Text or voice code not sent (number opted out)"
    MFA_CODE_SEND_FAILED = "mfa.code_send_failed", "Text or voice code could not be sent"
    # The practice
    PRACTICE_CREATED = "practice.created", "Practice created"
    PRACTICE_SETTINGS_CHANGED = "practice.settings_changed", "Practice settings changed"
    ROLE_CREATED = "role.created", "Role added"
    ROLE_CHANGED = "role.changed", "Role changed (name or permissions)"
    ROLE_COPIED = "role.copied", "Role copied from another practice by support"
    PROVIDER_ADDED = "provider.added", "Provider added"
    PROVIDER_CHANGED = "provider.changed", "Provider changed"
    PROVIDER_REMOVED = "provider.removed", "Provider removed"
    # The practice's applications (single sign-on, OpenID Connect)
    APP_CREATED = "app.created", "Application added"
    APP_CHANGED = "app.changed", "Application changed"
    APP_SECRET_ROTATED = "app.secret_rotated", "Application's client secret replaced"
    APP_SWITCHED_OFF = "app.switched_off", "Application switched off"
    APP_SWITCHED_ON = "app.switched_on", "Application switched on"
    APP_SIGNED_IN = "app.signed_in", "Signed in to an application"
    APP_REFUSED = "app.refused", "Sign-in to an application refused"
    APP_SIGNED_OUT = "app.signed_out", "Signed out of an application"
    APP_LOGOUT_SENT = "app.logout_sent", "Sign-out sent to an application"
    APP_LOGOUT_FAILED = "app.logout_failed", "Sign-out not delivered to an application"


class Permission(models.TextChoices):
    """What a role may let its users do. The console checks these, and only these, through
    accounts.permissions.has_permission; the labels are the roles page's checkboxes."""

    VIEW_USERS = "users.view", "See the user list and user pages"
    ADD_USERS = "users.add", "Invite and add users"
    EDIT_DETAILS = "users.edit", "Edit user details"
    ACTIVATE = "users.activate", "Activate and deactivate users"
    UNLOCK = "users.unlock", "Unlock users"
    TEMPORARY_PASSWORD = "users.temporary_password", "Set temporary passwords"
    REMOTE_ACCESS = "users.remote_access", "Grant and remove remote access"
    LOGIN_TIMES = "users.login_times", "Edit login times"
    RESET_PAIRING = "users.reset_pairing", "Reset another user's 2FA pairing"
    OFFBOARD = "users.offboard", "Offboard users"
    SETTINGS = "practice.settings", "Edit practice settings"
    AUDIT = "audit.read", "Read the audit log and export it"
    REVIEWS = "reviews.run", "Run access reviews"
    MANAGE_ROLES = "roles.manage", "Manage roles"
    MANAGE_APPS = "apps.manage", "Manage applications"
    RESET_OWN_PAIRING = "self.reset_pairing", "Reset their own 2FA pairing (self-service)"


class RoleKind(models.TextChoices):
    """The three roles every practice starts with (PracticeRole.seeded_as), and the tier a
    user's role amounts to (User.role): may manage roles, holds some other console permission,
    or holds none."""

    ADMIN = "admin", "Administrator"
    USER_MANAGER = "user_manager", "User manager"
    USER = "user", "User"


# The audit log's action filter, one <optgroup> an area: (area, the codes' prefixes).
AUDIT_ACTION_AREAS = (
    ("Sign-in and sessions", ("signin.", "signout", "sessions.", "emergency.")),
    ("Access", ("remote_access.", "login_times.", "access_review.", "user.access_")),
    ("Users", ("user.",)),
    ("Passwords", ("password.",)),
    ("Profile", ("profile.", "email.", "phone.")),
    ("Second factors", ("mfa.",)),
    ("Practice", ("practice.", "provider.")),
    ("Roles", ("role.",)),
    ("Applications", ("app.",)),
)


def audit_action_area(action: str) -> str:
    """The area of the audit log an action belongs to (the first whose prefix it has)."""
    return next(
        (area for area, prefixes in AUDIT_ACTION_AREAS if action.startswith(prefixes)), "Other"
    )


def audit_action_choices() -> list:
    """Every action with its label, grouped by area (for a select with optgroups)."""
    groups: dict[str, list[tuple[str, str]]] = {area: [] for area, _ in AUDIT_ACTION_AREAS}
    for action in AuditAction:
        groups.setdefault(audit_action_area(action.value), []).append((action.value, action.label))
    return [
        (area, sorted(items, key=lambda item: item[1])) for area, items in groups.items() if items
    ]


class Zone(models.TextChoices):
    """Where a sign-in comes from: inside one of the practice's office networks, or not."""

    OFFICE = "office", "Office"
    REMOTE = "remote", "Remote"


class FactorKind(models.TextChoices):
    """A kind of second factor: what the user holds (an app, a phone for texts or calls, a key)
    or falls back on (recovery codes, a code by email). The value is what is stored (audit
    details "kind", "kinds" and a sign-in's "second_factor"; the session's stamp); the label is
    what a person reads."""

    APP = "app", "Authenticator app"
    TEXT = "text", "Text message"
    VOICE = "voice", "Voice call"
    KEY = "key", "Security key or passkey"
    RECOVERY = "recovery", "Recovery code"
    EMAIL = "email", "Email code"


class CodePurpose(models.TextChoices):
    """What asked for a text or voice code. A code is bound to its purpose and a nonce
    ("signin:<nonce>", phonecodes.codes.code_purpose); the audit keeps the purpose ("For")."""

    SIGNIN = "signin", "Sign-in"
    SIGNIN_SETUP = "signin-setup", "Confirming identity before a first two-factor setup"
    PHONE_SETUP = "phone-setup", "Adding a phone"
    REGISTRATION = "registration", "Registration"
    PASSWORD_RESET = "password-reset", "Password reset"
    PHONE_CHANGE = "phone-change", "Changing the mobile phone"


class SignInFailure(models.TextChoices):
    """Why a sign-in (or a check of a password or code) failed: the "reason" of signin.failed.

    The labels are the user's words, shown in My Account's recent sign-ins.
    """

    UNKNOWN_USER = "unknown_user", "Unknown username"
    WRONG_PASSWORD = "wrong_password", "Wrong password"
    LOCKED = "locked", "Account locked"
    THRESHOLD = "threshold", "Too many failed attempts"
    INACTIVE = "inactive", "Account not active"
    ADDRESS_SLOWED = "address_slowed", "Too many failed sign-ins from this network"
    TEMPORARY_PASSWORD_EXPIRED = "temporary_password_expired", "Temporary password expired"
    LOGIN_TIMES = "login_times", "Outside login times"
    REMOTE_ACCESS = "remote_access", "Remote access not allowed"
    SECOND_FACTOR = "second_factor", "Wrong verification code"
    SECOND_FACTOR_SETUP = "second_factor_setup", "Wrong confirmation code (two-factor setup)"
    SECOND_FACTOR_SETUP_UNCONFIRMABLE = (
        "second_factor_setup_unconfirmable",
        "Two-factor setup from outside the office, with nothing to confirm it",
    )
    SECOND_FACTOR_MISSING = "second_factor_missing", "Second factor not passed"
    ACCESS_ENDED = "access_ended", "Access ended"
    DORMANT = "dormant", "Deactivated: no sign-in for a long time"
    CHANGED_DURING_SIGNIN = "changed_during_signin", "Account changed during sign-in"
    PHONE_CODE = "phone_code", "Wrong code (phone verification)"
    CURRENT_PASSWORD = "current_password", "Wrong current password (changing password)"
    REAUTH_PASSWORD = "reauth_password", "Wrong password (confirming it)"


class CodeRefusal(models.TextChoices):
    """Why a text, voice or email code was not sent: the "reason" of mfa.code_refused."""

    RATE_LIMITED = "rate_limited", "Too many codes for this user or number"
    PRACTICE_LIMIT = "practice_limit", "The practice's hourly limit of text and voice codes"


class SessionEndReason(models.TextChoices):
    """Why a signed-in session ended (UserSession.end_reason and the sessions.ended event)."""

    SIGNED_OUT = "signed_out", "Signed out"
    IDLE = "idle", "Idle too long"
    ABSOLUTE = "absolute", "Reached the 12-hour limit"
    LOGIN_TIMES = "login_times", "Outside login times"
    DEACTIVATED = "deactivated", "Account deactivated"
    LOCKED = "locked", "Account locked"
    REMOTE_ACCESS = "remote_access", "Remote access removed"
    OUTSIDE_OFFICE = "outside_office", "Used outside the office without remote access"
    OUTSIDE_WITHOUT_SECOND_FACTOR = (
        "outside_no_second_factor",
        "Used outside the office without a second factor",
    )
    NOT_SIGNED_IN = "not_signed_in", "Not signed in through the sign-in page"
    SIGNED_IN_ELSEWHERE = "signed_in_elsewhere", "Signed in elsewhere (one session per user)"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset"
    TEMPORARY_PASSWORD = "temporary_password", "A temporary password was set"
    PAIRING_RESET = "pairing_reset", "2FA pairing reset"
    SIGNED_OUT_REMOTELY = "signed_out_remotely", "Signed out from another session"
    ADMINISTRATOR = "administrator", "Signed out by an administrator"
    EMERGENCY_ENDED = "emergency_ended", "The emergency access time ran out"
    EMERGENCY_ACCESS_REMOVED = "emergency_access_removed", "No longer an emergency access account"
    ACCESS_ENDED = "access_ended", "Access ended (end date reached)"
    OFFBOARDED = "offboarded", "Offboarded"
    SETUP_ENDED = "setup_ended", "First setup from outside ended (the office network is set)"


class RemoteAccessRemoval(models.TextChoices):
    """Why remote access was taken away (the "reason" of remote_access.removed)."""

    ADMINISTRATOR = "administrator", "Removed by an administrator"
    DEACTIVATED = "deactivated", "The user was deactivated"
    PM_USERNAME_CLEARED = "pm_username_cleared", "The practice management username was cleared"
    EXPIRED = "expired", "The end date passed"
    ACCESS_ENDED = "access_ended", "The user's access ended"
    REVIEW = "review", "Removed in an access review"
    REVIEW_LAPSED = "review_lapsed", "Not reviewed in time"


class LockChange(models.TextChoices):
    """Who or what locked or unlocked an account (the "reason" of user.locked / user.unlocked)."""

    ADMINISTRATOR = "administrator", "An administrator"
    SUPPORT = "support", "Support"
    FAILED_ATTEMPTS = "failed_attempts", "Too many failed attempts"
    AUTO_UNLOCK = "auto_unlock", "Automatic unlock"
    PASSWORD_RESET = "password_reset", "Password reset"
    DEMO = "demo", "Demo data"


class DeactivationReason(models.TextChoices):
    """Why an account was deactivated by something other than a plain "Active" untick (the
    "why" of user.deactivated)."""

    DORMANT = "dormant", "No sign-in for too long"
    OFFBOARDED = "offboarded", "Offboarded"


class ReviewItemKind(models.TextChoices):
    """What a line of an access review is about."""

    REMOTE_ACCESS = "remote_access", "Remote access"
    ROLE = "role", "Role"


class ReviewDecision(models.TextChoices):
    UNDECIDED = "", "Not reviewed"
    KEEP = "keep", "Keep"
    REMOVE = "remove", "Remove"
    LAPSED = "lapsed", "Removed: not reviewed in time"


class GatewayRefusal(models.TextChoices):
    """Why the gateway refuses a signed-in user: `/auth/verify`'s X-Auth-Reason on a 403, the
    refusal page's `reason`, and the console's "Through the gateway". The values are part of
    the interface (a proxy may show or log them); the labels are the user's words."""

    REMOTE_ACCESS = "remote-access", "Remote access is not allowed"
    LOGIN_TIMES = "login-times", "Outside login times"
    LOCKED = "locked", "Account locked"
    INACTIVE = "inactive", "Account not active"
    SECOND_FACTOR = "second-factor", "Signed in without a second factor"
    EXPIRED = "expired", "Session ended"


class ApplicationRefusal(models.TextChoices):
    """Why a signed-in user may not sign in to one of the practice's applications now (OpenID
    Connect): the "reason" of app.refused and of the refusal page. The application itself hears
    only `error=access_denied`."""

    OTHER_PRACTICE = "other-practice", "The application belongs to another practice"
    REMOTE_ACCESS = "remote-access", "Remote access is not allowed"
    LOGIN_TIMES = "login-times", "Outside login times"
    LOCKED = "locked", "Account locked"
    INACTIVE = "inactive", "Account not active"
    ACCESS_ENDED = "access-ended", "Access ended"
    SECOND_FACTOR = "second-factor", "No second factor"


class ActedOn(models.TextChoices):
    """What someone else did to a user's sign-in that the user is always emailed about (the
    notice's words: "<who> <label> on <when>")."""

    TEMPORARY_PASSWORD = "temporary_password", "set a temporary password for your account"
    SECOND_FACTOR_IN_PERSON = (
        "second_factor_in_person",
        "set up a second factor for your account at their desk",
    )
    PAIRING_RESET = "pairing_reset", "reset your two-factor authentication"
    ROLE_CHANGED = "role_changed", "changed your role"
    SESSIONS_ENDED = "sessions_ended", "signed you out"
    APPLICATIONS_SIGNED_OUT = "applications_signed_out", "signed you out of your applications"
