"""Validators for practice data: time zones, office networks, provider NPIs, the countries text
and voice codes may go to."""

import re

import phonenumbers
from django.core.exceptions import ValidationError

from practice.network import parse_network
from practice.time_zones import known_zones


def validate_time_zone(value: str) -> None:
    if value not in known_zones():
        raise ValidationError(
            "“%(value)s” is not a time zone. Use an IANA name such as America/New_York.",
            code="invalid_time_zone",
            params={"value": value},
        )


def normalize_cidr(value: str) -> str:
    """The canonical text of an IPv4 or IPv6 network; host bits are not allowed.

    An IPv4-mapped network (``::ffff:10.0.0.0/104``) is the IPv4 network (``10.0.0.0/8``):
    clients are matched by their IPv4 address, so the mapped form would match nobody.
    """
    try:
        return str(parse_network(value, strict=True))
    except ValueError:
        try:
            network = parse_network(value, strict=False)
        except ValueError:
            raise ValidationError(
                "“%(value)s” is not a network. Write an address with a prefix length, "
                "such as 192.168.1.0/24 or 2001:db8::/48.",
                code="invalid_cidr",
                params={"value": value},
            ) from None
        raise ValidationError(
            "“%(value)s” has host bits set. Did you mean %(network)s?",
            code="cidr_host_bits",
            params={"value": value, "network": network},
        ) from None


def validate_cidr(value: str) -> None:
    normalize_cidr(value)


def npi_is_valid(npi: str) -> bool:
    """The NPI check digit: Luhn over the 9 digits prefixed with the card issuer 80840."""
    if len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    digits = [int(d) for d in "80840" + npi]
    total = 0
    # Luhn: from the rightmost digit, double every second one.
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_npi(value: str) -> None:
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        raise ValidationError("An NPI is 10 digits.", code="npi_format")
    if not npi_is_valid(value):
        raise ValidationError(
            "“%(value)s” is not a valid NPI: its check digit does not match.",
            code="npi_check_digit",
            params={"value": value},
        )


def split_regions(value: str) -> list[str]:
    """The country codes in a practice's "countries allowed" text, upper case: "us, ca" ->
    ["US", "CA"]."""
    return [part.upper() for part in re.split(r"[\s,;]+", value or "") if part]


def normalize_regions(value: str) -> str:
    """The countries text and voice codes may go to, as two-letter codes (ISO 3166): "US, CA".

    SECURITY: a calling code is refused. +1 is not a country but 25 of them: beside the US and
    Canada, Jamaica (+1 876), the Dominican Republic (+1 809) and other islands, where texts and
    calls cost more and where toll fraud sends its traffic.
    """
    regions = split_regions(value)
    errors = []
    for region in regions:
        if region in phonenumbers.SUPPORTED_REGIONS:
            continue
        if region.lstrip("+").isdigit():
            shared = len(phonenumbers.region_codes_for_country_code(int(region.lstrip("+"))))
            errors.append(
                ValidationError(
                    "“%(value)s” is a calling code, not a country%(shared)s. Write two-letter "
                    "country codes, such as US, CA.",
                    code="calling_code",
                    params={
                        "value": region,
                        "shared": f" (it covers {shared} of them)" if shared > 1 else "",
                    },
                )
            )
        else:
            errors.append(
                ValidationError(
                    "“%(value)s” is not a country code. Write two-letter country codes "
                    "(ISO 3166), such as US, CA.",
                    code="invalid_region",
                    params={"value": region},
                )
            )
    if errors:
        raise ValidationError(errors)
    return ", ".join(dict.fromkeys(regions))


def validate_regions(value: str) -> None:
    normalize_regions(value)
