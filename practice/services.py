"""Creating practices and changing their settings."""

import ipaddress

from django.core.exceptions import ValidationError
from django.db import transaction

from practice.audit import audit_record
from practice.models import OfficeNetwork, Practice
from practice.roles import roles_seed
from practice.validators import normalize_cidr
from practice.vocabulary import AuditAction


@transaction.atomic
def practice_create(
    *,
    code: str,
    name: str,
    actor=None,
    time_zone: str = "America/New_York",
    office_networks: list[str] = (),
    wide_networks_confirmed: bool = False,
    request=None,
) -> Practice:
    refuse_wide_networks(
        [normalize_cidr(raw) for raw in office_networks], confirmed=wide_networks_confirmed
    )
    practice = Practice(
        code=code.strip().lower(),
        name=name.strip(),
        time_zone=time_zone,
        # Offered to a new practice (existing ones keep 0, off, until they choose).
        dormant_after_days=90,
        access_review_days=90,
    )
    practice.full_clean()
    practice.save()
    seen = set()
    for raw in office_networks:
        cidr = normalize_cidr(raw)
        if cidr in seen:
            continue
        seen.add(cidr)
        OfficeNetwork.objects.create(practice=practice, cidr=cidr)
    if seen:
        practice.office_cidrs = sorted(seen)
        practice.save(update_fields=["office_cidrs"])
    roles = roles_seed(practice)
    audit_record(
        action=AuditAction.PRACTICE_CREATED,
        actor=actor,
        practice=practice,
        request=request,
        details={
            "code": practice.code,
            "office_networks": sorted(seen),
            "roles": {role.name: role.permissions for role in roles.values()},
        },
    )
    return practice


# The widest networks an office plausibly has: 10.0.0.0/8, or an IPv6 site of /32 at most.
# Anything wider makes much of the internet "office": no remote-access rule for it, and no second
# factor where the practice exempts the office. It takes a deliberate confirmation.
WIDEST_PREFIX = {4: 8, 6: 32}
WIDE_NETWORK_MESSAGE = (
    "%(networks)s %(verb)s far wider than an office: every sign-in from %(them)s would count as "
    "the office (no remote-access rule, and no second factor where the office is exempt). "
    "Write your office's own network, or confirm that you mean it."
)


def wide_networks(networks: list[str]) -> list[str]:
    """The networks wider than WIDEST_PREFIX allows (0.0.0.0/0, ::/0, 10.0.0.0/7, ...)."""
    found = []
    for cidr in networks:
        network = ipaddress.ip_network(cidr, strict=False)
        if network.prefixlen < WIDEST_PREFIX[network.version]:
            found.append(cidr)
    return found


def refuse_wide_networks(networks: list[str], *, confirmed: bool, already: list[str] = ()) -> None:
    """Refuse a newly added wide network unless the caller confirmed it."""
    wide = [cidr for cidr in wide_networks(networks) if cidr not in already]
    if wide and not confirmed:
        raise ValidationError(
            {
                "office_networks": ValidationError(
                    WIDE_NETWORK_MESSAGE,
                    code="network_too_wide",
                    params={
                        "networks": ", ".join(wide),
                        "verb": "is" if len(wide) == 1 else "are",
                        "them": "it" if len(wide) == 1 else "them",
                    },
                )
            }
        )


def validate_networks(lines: list[str]) -> list[str]:
    """Normalise a list of CIDRs, collecting every bad line into one error."""
    networks, errors = [], []
    for line in lines:
        if not line.strip():
            continue
        try:
            networks.append(normalize_cidr(line))
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    return list(dict.fromkeys(networks))


# The practice settings an administrator may change in the console; anything else in a POST is
# ignored (support staff change the rest, SUPPORT_SETTINGS_FIELDS, in Django admin).
SETTINGS_FIELDS = (
    "time_zone",
    "two_factor_policy",
    "two_factor_office_exempt",
    "lockout_threshold",
    "auto_unlock_minutes",
    "notify_admins_on_lock",
    "idle_timeout_minutes",
    "one_session_per_user",
    "dormant_after_days",
    "dormant_includes_admins",
    "access_review_days",
    "password_profile",
    "password_expiry_days",
    "allow_self_pairing_reset",
)
SUPPORT_SETTINGS_FIELDS = (
    "name",
    *SETTINGS_FIELDS,
    "sms_regions",
    "sms_hourly_limit",
    "password_min_length",
    "password_history",
)


@transaction.atomic
def practice_settings_update(
    *,
    practice: Practice,
    actor,
    values: dict,
    office_networks: list[str],
    fields: tuple[str, ...] = SETTINGS_FIELDS,
    wide_networks_confirmed: bool = False,
    request=None,
) -> bool:
    """Change the practice's policy and office networks; one audit event with before and after.

    Returns False (and writes nothing) when nothing changed.
    """
    practice = Practice.objects.select_for_update().get(pk=practice.pk)
    networks = validate_networks(office_networks)
    old_networks = sorted(practice.office_networks.values_list("cidr", flat=True))
    refuse_wide_networks(networks, confirmed=wide_networks_confirmed, already=old_networks)
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"Not a setting this caller may change: {', '.join(sorted(unknown))}")
    before = {name: getattr(practice, name) for name in values}
    for name, value in values.items():
        setattr(practice, name, value)
    practice.full_clean()
    changed = {name for name in values if before[name] != getattr(practice, name)}
    new_networks = sorted(networks)
    details = {
        "before": {name: before[name] for name in sorted(changed)},
        "after": {name: getattr(practice, name) for name in sorted(changed)},
    }
    if old_networks != new_networks:
        practice.office_networks.exclude(cidr__in=new_networks).delete()
        OfficeNetwork.objects.bulk_create(
            OfficeNetwork(practice=practice, cidr=cidr)
            for cidr in new_networks
            if cidr not in old_networks
        )
        details["before"]["office_networks"] = old_networks
        details["after"]["office_networks"] = new_networks
        practice.office_cidrs = new_networks
        changed.add("office_cidrs")
    if not details["before"]:
        return False
    if changed:
        practice.save(update_fields=sorted(changed))
    audit_record(
        action=AuditAction.PRACTICE_SETTINGS_CHANGED,
        actor=actor,
        practice=practice,
        request=request,
        details=details,
    )
    return True
