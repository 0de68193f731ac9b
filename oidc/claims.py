"""What an application is told about the user who signs in: the claims of the ID token and of
the userinfo endpoint (scopes `openid profile email`).

- `sub`: stable and opaque (oidc.models.Subject), never the username;
- `preferred_username`, `name` (profile); `email`, `email_verified` (email);
- `practice`: the practice's code, `roles`: the names of the user's role (profile), so an
  application can map them to its own;
- `amr` (RFC 8176): `pwd`, and with a second factor what it was (`otp`, `sms`, `tel`, `hwk`)
  and `mfa`.
"""

from accounts.models import Invitation, User
from oidc.models import Subject
from practice.vocabulary import FactorKind

# The scope each claim comes with. A claim of no scope listed here is never given out.
CLAIM_SCOPES = {
    "sub": "openid",
    "amr": "openid",
    "preferred_username": "profile",
    "name": "profile",
    "given_name": "profile",
    "family_name": "profile",
    "practice": "profile",
    "roles": "profile",
    "email": "email",
    "email_verified": "email",
}

# RFC 8176 method of each kind of second factor (the kind the session's stamp records).
AMR_OF_KIND = {
    FactorKind.APP: "otp",
    FactorKind.RECOVERY: "otp",
    FactorKind.EMAIL: "otp",
    FactorKind.TEXT: "sms",
    FactorKind.VOICE: "tel",
    FactorKind.KEY: "hwk",
}
AMR_PWD = "pwd"  # noqa: S105 - RFC 8176 "password was used", not a password
AMR_MFA = "mfa"


def amr_of(*, second_factor: str, kind: str) -> list[str]:
    """The `amr` of a session signed in with the device `second_factor` (its persistent id, ""
    for none) of `kind` (a FactorKind; "" in a session stamped before kinds were recorded, when
    a second factor still says "mfa")."""
    if not second_factor:
        return [AMR_PWD]
    method = AMR_OF_KIND.get(kind, "")
    return [AMR_PWD, *([method] if method else []), AMR_MFA]


def subject_of(user: User) -> str:
    """The user's `sub`, made the first time it is asked for."""
    try:
        return str(user.oidc_subject.sub)
    except Subject.DoesNotExist:
        subject, _ = Subject.objects.get_or_create(user=user)
        user.oidc_subject = subject
        return str(subject.sub)


def email_verified(user: User) -> bool:
    """Whether the address on file is known to reach the user: they set their password from the
    invitation emailed to it (an address changed later is changed only once its mailbox
    confirms it). An address typed in by someone else is not verified."""
    return bool(user.email) and Invitation.objects.filter(user=user, used_at__isnull=False).exists()


def user_claims(user: User, *, amr: list[str], scopes) -> dict:
    """The claims the scopes granted allow, for the ID token and userinfo alike."""
    scopes = set(scopes)
    claims = {"sub": subject_of(user), "amr": list(amr)}
    if "profile" in scopes:
        role = user.practice_role.name if user.practice_role_id else ""
        claims.update(
            preferred_username=user.username,
            name=user.get_full_name() or user.username,
            given_name=user.first_name,
            family_name=user.last_name,
            practice=user.practice.code if user.practice_id else "",
            roles=[role] if role else [],
        )
    if "email" in scopes and user.email:
        claims.update(email=user.email, email_verified=email_verified(user))
    return {name: value for name, value in claims.items() if CLAIM_SCOPES[name] in scopes}
