"""Registering the practice's applications: add, change, replace the secret, switch off and on.

The console's "Applications" pages, `manage.py create_oidc_app` and Django admin's actions all
come here, with the acting user (None: a command run by the operator), and each change is
audited in its own transaction.

- Redirect URIs and the back-channel logout URI are https, or http on a loopback address (an
  application on the same machine, development, tests); no fragment, no user information.
- A confidential application gets a client secret, shown once (the database keeps only its
  hash: django-oauth-toolkit hashes it with the first of PASSWORD_HASHERS); a public one (a
  single-page or native app) has none and must use PKCE.
"""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AbstractApplication

from accounts.models import User
from accounts.permissions import actor_may
from oidc.endings import APPLICATION_OFF, signins_end
from oidc.models import Application
from practice.audit import audit_record
from practice.models import Practice
from practice.vocabulary import AuditAction, Permission

URI_MAX_LENGTH = 500
LOOPBACK_NAMES = {"localhost"}

# What the audit row and the console call each field.
FIELDS = {
    "name": "name",
    "redirect_uris": "redirect URIs",
    "post_logout_redirect_uris": "post-logout redirect URIs",
    "backchannel_logout_uri": "back-channel logout URI",
    "always_second_factor": "always ask for a second factor",
}


@dataclass
class Registered:
    """An application just added, or given a new secret: the secret is here once, never
    again (None for a public application)."""

    application: Application
    secret: str | None


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def uri_problem(uri: str) -> str:
    """What is wrong with a redirect or back-channel URI; "" when nothing is."""
    if len(uri) > URI_MAX_LENGTH:
        return f"is longer than {URI_MAX_LENGTH} characters"
    if any(ch.isspace() or not ch.isprintable() for ch in uri) or "\\" in uri:
        return "contains a space or a character that is not allowed"
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "is not an address"
    if not host or parts.scheme not in ("https", "http"):
        return "is not a web address (https://…)"
    if parts.scheme == "http" and not is_loopback(host):
        return "must start with https:// (http:// only for an address on this machine)"
    if "#" in uri:
        return "may not have a #fragment"
    if "@" in parts.netloc:
        return "may not carry a user name or password"
    return ""


def _clean_uris(field: str, uris, *, required: bool) -> list[str]:
    cleaned = []
    for uri in uris:
        uri = uri.strip()
        if not uri or uri in cleaned:
            continue
        if problem := uri_problem(uri):
            raise ValidationError({field: ValidationError(f"{uri} {problem}.", code="uri")})
        cleaned.append(uri)
    if required and not cleaned:
        raise ValidationError({field: "Give at least one address."})
    return cleaned


def _clean_name(practice: Practice, name: str, *, exclude: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give the application a name."})
    taken = Application.objects.filter(practice=practice, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"name": f"This practice already has an application named {name}."})
    return name


def _refuse_outsider(actor: User | None, practice: Practice) -> None:
    # SECURITY: an administrator changes the applications of their own practice only (support
    # staff and the command line act for any).
    if not actor_may(actor, Permission.MANAGE_APPS) or (
        actor is not None and actor.practice_id not in (None, practice.pk)
    ):
        raise PermissionDenied("You may not manage this practice's applications.")


def _save(application: Application, **kwargs) -> None:
    try:
        with transaction.atomic():
            application.save(**kwargs)
    except IntegrityError:
        # Two saves of the same name at once: the database's unique constraint decides.
        raise ValidationError(
            {"name": "This practice already has an application of that name."}
        ) from None


@transaction.atomic
def application_create(
    *,
    practice: Practice,
    actor: User | None,
    name: str,
    redirect_uris,
    public: bool = False,
    backchannel_logout_uri: str = "",
    post_logout_redirect_uris=(),
    always_second_factor: bool = False,
    request=None,
) -> Registered:
    _refuse_outsider(actor, practice)
    secret = None if public else generate_client_secret()
    application = Application(
        practice=practice,
        name=_clean_name(practice, name),
        redirect_uris=" ".join(_clean_uris("redirect_uris", redirect_uris, required=True)),
        post_logout_redirect_uris=" ".join(
            _clean_uris("post_logout_redirect_uris", post_logout_redirect_uris, required=False)
        ),
        backchannel_logout_uri=" ".join(
            _clean_uris("backchannel_logout_uri", [backchannel_logout_uri], required=False)
        ),
        always_second_factor=always_second_factor,
        client_type=AbstractApplication.CLIENT_PUBLIC
        if public
        else AbstractApplication.CLIENT_CONFIDENTIAL,
        authorization_grant_type=AbstractApplication.GRANT_AUTHORIZATION_CODE,
        algorithm=AbstractApplication.RS256_ALGORITHM,
        # No consent page: the practice registered the application itself.
        skip_authorization=True,
        # Hashed as it is saved (django-oauth-toolkit's ClientSecretField).
        client_secret=secret or "",
        hash_client_secret=True,
    )
    _save(application)
    audit_record(
        action=AuditAction.APP_CREATED,
        actor=actor,
        practice=practice,
        request=request,
        details={
            "application": application.name,
            "client_id": application.client_id,
            "kind": application.client_type,
            "redirect_uris": application.redirect_uris.split(),
            "backchannel_logout_uri": application.backchannel_logout_uri,
            "always_second_factor": application.always_second_factor,
        },
    )
    return Registered(application=application, secret=secret)


@transaction.atomic
def application_update(
    *, application: Application, actor: User | None, changes: dict, request=None
) -> list[str]:
    """Change what `changes` holds (the keys of FIELDS); returns what changed."""
    _refuse_outsider(actor, application.practice)
    values = {}
    if "name" in changes:
        values["name"] = _clean_name(application.practice, changes["name"], exclude=application.pk)
    for field in ("redirect_uris", "post_logout_redirect_uris"):
        if field in changes:
            uris = _clean_uris(field, changes[field], required=field == "redirect_uris")
            values[field] = " ".join(uris)
    if "backchannel_logout_uri" in changes:
        uris = _clean_uris(
            "backchannel_logout_uri", [changes["backchannel_logout_uri"]], required=False
        )
        values["backchannel_logout_uri"] = " ".join(uris)
    if "always_second_factor" in changes:
        values["always_second_factor"] = bool(changes["always_second_factor"])
    changed = [field for field, value in values.items() if getattr(application, field) != value]
    if not changed:
        return []
    before = {field: getattr(application, field) for field in changed}
    for field in changed:
        setattr(application, field, values[field])
    _save(application, update_fields=[*changed, "updated"])
    audit_record(
        action=AuditAction.APP_CHANGED,
        actor=actor,
        practice=application.practice,
        request=request,
        details={
            "application": application.name,
            "fields": [FIELDS[field] for field in changed],
            "before": before,
            "after": {field: values[field] for field in changed},
        },
    )
    return changed


@transaction.atomic
def application_secret_rotate(
    *, application: Application, actor: User | None, request=None
) -> Registered:
    """A new client secret, shown once; the old one stops working at once (the application's
    tokens already issued stay valid until they expire)."""
    _refuse_outsider(actor, application.practice)
    if application.is_public:
        raise ValidationError("A public application has no client secret.")
    secret = generate_client_secret()
    application.client_secret = secret
    application.save(update_fields=["client_secret", "updated"])
    audit_record(
        action=AuditAction.APP_SECRET_ROTATED,
        actor=actor,
        practice=application.practice,
        request=request,
        details={"application": application.name, "client_id": application.client_id},
    )
    return Registered(application=application, secret=secret)


@transaction.atomic
def application_switch(
    *, application: Application, actor: User | None, on: bool, request=None
) -> bool:
    """Switch the application on or off; True if that changed. Off, it issues nothing, its
    tokens are refused at once, and every open sign-in to it ends."""
    _refuse_outsider(actor, application.practice)
    if application.is_active == on:
        return False
    application.is_active = on
    application.save(update_fields=["is_active", "updated"])
    audit_record(
        action=AuditAction.APP_SWITCHED_ON if on else AuditAction.APP_SWITCHED_OFF,
        actor=actor,
        practice=application.practice,
        request=request,
        details={"application": application.name},
    )
    if not on:
        # No logout tokens: the application is off, and its tokens are refused anyway.
        signins_end(
            signins=application.signins.all(),
            reason=APPLICATION_OFF,
            actor=actor,
            request=request,
            tell=False,
        )
    return True
