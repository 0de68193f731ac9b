"""Reading second factors: which kinds each user has, for many users at once; one user's list."""

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When
from django_otp import device_classes
from django_otp.models import Device
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp_webauthn.models import WebAuthnCredential

from mfa.models import AuthenticatorApp, PhoneDevice, RecoveryCodeDevice
from phonecodes.models import PhoneChannel
from practice.vocabulary import FactorKind

# A device model's label -> its kind, for the models that count as a second factor of their
# own (the user list's "Second factor", has_second_factor). Fallbacks (email codes, recovery
# codes) do not make a user "have 2FA": they are in FALLBACK_KIND_BY_MODEL.
KIND_BY_MODEL = {
    "otp_totp.totpdevice": FactorKind.APP,
    "django_otp_webauthn.webauthncredential": FactorKind.KEY,
}
# Models whose kind depends on a field: label -> (field, {value: kind}).
KIND_FIELD_BY_MODEL = {
    "mfa.phonedevice": (
        "method",
        {PhoneChannel.SMS: FactorKind.TEXT, PhoneChannel.VOICE: FactorKind.VOICE},
    ),
}
FALLBACK_KIND_BY_MODEL = {
    "mfa.recoverycodedevice": FactorKind.RECOVERY,
    "otp_email.emaildevice": FactorKind.EMAIL,
}
# The kinds that count as a second factor, in the order they are listed.
PRIMARY_KINDS = (FactorKind.APP, FactorKind.TEXT, FactorKind.VOICE, FactorKind.KEY)
REF_BY_MODEL = {
    "mfa.authenticatorapp": "app",
    "mfa.phonedevice": "phone",
    "django_otp_webauthn.webauthncredential": "key",
    "mfa.recoverycodedevice": "recovery",
    "otp_email.emaildevice": "email",
}


def factor_kind(device: Device) -> FactorKind | None:
    """The kind of any device of ours (an AuthenticatorApp is its TOTPDevice table's); None
    for a model we do not offer."""
    label = device._meta.concrete_model._meta.label_lower
    if label in KIND_FIELD_BY_MODEL:
        field, kind_of = KIND_FIELD_BY_MODEL[label]
        return kind_of.get(getattr(device, field))
    return KIND_BY_MODEL.get(label) or FALLBACK_KIND_BY_MODEL.get(label)


def second_factor_kinds(user_ids) -> dict[int, list[str]]:
    """{user_id: ["app", "text", ...]} (FactorKind values) for confirmed devices of the counted
    kinds: one query (a UNION over the device tables), whatever the number of users or of
    device models."""
    ids = list(user_ids)
    if not ids:
        return {}
    parts = []
    for model in device_classes():
        label = model._meta.label_lower
        confirmed = model.objects.filter(user_id__in=ids, confirmed=True).order_by()
        if label in KIND_FIELD_BY_MODEL:
            field, kind_of = KIND_FIELD_BY_MODEL[label]
            kind = Case(
                *(When(**{field: value}, then=Value(name)) for value, name in kind_of.items()),
                output_field=CharField(),
            )
        elif label in KIND_BY_MODEL:
            kind = Value(KIND_BY_MODEL[label], output_field=CharField())
        else:
            continue
        parts.append(confirmed.annotate(kind=kind).values_list("user_id", "kind"))
    if not parts:
        return {}
    kinds: dict[int, set[str]] = defaultdict(set)
    for user_id, kind in parts[0].union(*parts[1:]):
        kinds[user_id].add(kind)
    return {user_id: sorted(found, key=PRIMARY_KINDS.index) for user_id, found in kinds.items()}


@dataclass(frozen=True)
class Factor:
    """One confirmed second factor of a user, as the pages show it."""

    device: Device
    kind: FactorKind

    @property
    def persistent_id(self) -> str:
        return self.device.persistent_id

    @property
    def ref(self) -> str:
        """A short id for URLs: "app-5", "phone-2", "key-7"."""
        return f"{REF_BY_MODEL[self.device._meta.label_lower]}-{self.device.pk}"

    @property
    def kind_label(self) -> str:
        return self.kind.label

    @property
    def name(self) -> str:
        return self.device.name or self.kind_label

    @property
    def created_at(self) -> datetime | None:
        return getattr(self.device, "created_at", None)

    @property
    def last_used_at(self) -> datetime | None:
        return getattr(self.device, "last_used_at", None)

    @property
    def is_primary(self) -> bool:
        return self.kind in PRIMARY_KINDS


def user_factors(user, *, include_fallbacks: bool = False) -> list[Factor]:
    """The user's confirmed factors: apps, phones, keys; with fallbacks, recovery codes and email.

    Apps are loaded as AuthenticatorApp (our one-step-back check), never as bare TOTPDevice.
    """
    factors = [
        Factor(device, FactorKind.APP)
        for device in AuthenticatorApp.objects.filter(user=user, confirmed=True)
    ]
    factors += [
        Factor(device, factor_kind(device))
        for device in PhoneDevice.objects.filter(user=user, confirmed=True)
    ]
    factors += [
        Factor(device, FactorKind.KEY)
        for device in WebAuthnCredential.objects.filter(user=user, confirmed=True)
    ]
    factors.sort(key=lambda f: (f.created_at is None, f.created_at, f.kind))
    if include_fallbacks:
        factors += [
            Factor(device, FactorKind.RECOVERY)
            for device in RecoveryCodeDevice.objects.filter(user=user, confirmed=True)
        ]
        factors += [
            Factor(device, FactorKind.EMAIL)
            for device in EmailDevice.objects.filter(user=user, confirmed=True)
        ]
    return factors


# The models whose confirmed devices count as a second factor (fallbacks do not).
PRIMARY_DEVICE_MODELS = (AuthenticatorApp, PhoneDevice, WebAuthnCredential)


def has_second_factor(user) -> bool:
    """Whether the user has a confirmed app, phone or key (fallbacks alone do not count).

    One statement, and it runs in every sign-in: written once as SQL rather than built by the
    ORM each time (compiling three EXISTS subqueries cost more than running them).
    """
    with connection.cursor() as cursor:
        cursor.execute(_has_second_factor_sql(), [user.pk, True] * len(PRIMARY_DEVICE_MODELS))
        return bool(cursor.fetchone()[0])


def has_second_factor_q() -> Q:
    """has_second_factor as a condition on users, for lists and counts of many at once."""
    condition = Q(pk__in=[])
    for model in PRIMARY_DEVICE_MODELS:
        condition |= Q(Exists(model.objects.filter(user_id=OuterRef("pk"), confirmed=True)))
    return condition


@functools.cache
def _has_second_factor_sql() -> str:
    quote = connection.ops.quote_name
    exists = [
        f"EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} "  # noqa: S608 - our own tables
        f"WHERE {quote('user_id')} = %s AND {quote('confirmed')} = %s)"
        for model in PRIMARY_DEVICE_MODELS
    ]
    return f"SELECT {' OR '.join(exists)}"


def user_factor(user, ref: str) -> Factor | None:
    """The user's own confirmed app, phone or key with this ref ("app-5"), or None.

    SECURITY: looked up among the user's devices only, so the id of another account's device
    (or a forged one) finds nothing.
    """
    return next((factor for factor in user_factors(user) if factor.ref == ref), None)


def recovery_codes_left(user) -> int | None:
    """Unused recovery codes, or None when the user has no set."""
    device = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
    return None if device is None else device.codes_left
