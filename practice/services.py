"""Creating practices and changing their settings."""

from django.core.exceptions import ValidationError
from django.db import transaction

from practice.audit import audit_record
from practice.models import OfficeNetwork, Practice
from practice.validators import normalize_cidr


@transaction.atomic
def practice_create(
    *,
    code: str,
    name: str,
    actor=None,
    time_zone: str = "America/New_York",
    office_networks: list[str] = (),
) -> Practice:
    practice = Practice(code=code.strip().lower(), name=name.strip(), time_zone=time_zone)
    practice.full_clean()
    practice.save()
    seen = set()
    for raw in office_networks:
        cidr = normalize_cidr(raw)
        if cidr in seen:
            continue
        seen.add(cidr)
        OfficeNetwork.objects.create(practice=practice, cidr=cidr)
    audit_record(
        action="practice.created",
        actor=actor,
        practice=practice,
        details={"code": practice.code, "office_networks": sorted(seen)},
    )
    return practice


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
