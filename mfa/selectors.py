"""Reading second factors: which kinds each user has, for many users at once."""

from collections import defaultdict

from django_otp import device_classes

# A device model's label -> the kind shown to administrators. Factors that are only fallbacks
# (email codes, recovery codes) are not listed: they do not make a user "have 2FA" on their own.
KIND_BY_MODEL = {
    "otp_totp.totpdevice": "app",
    "django_otp_webauthn.webauthncredential": "key",
}


def second_factor_kinds(user_ids) -> dict[int, list[str]]:
    """{user_id: ["app", "text", ...]} for confirmed devices; one query per device model."""
    kinds: dict[int, set[str]] = defaultdict(set)
    ids = list(user_ids)
    if not ids:
        return {}
    for model in device_classes():
        kind = KIND_BY_MODEL.get(model._meta.label_lower)
        if kind is None:
            continue
        for user_id in (
            model.objects.filter(user_id__in=ids, confirmed=True)
            .values_list("user_id", flat=True)
            .distinct()
        ):
            kinds[user_id].add(kind)
    order = ["app", "text", "voice", "key"]
    return {user_id: sorted(found, key=order.index) for user_id, found in kinds.items()}
