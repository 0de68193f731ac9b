"""Validators for practice data: time zones, office networks, provider NPIs."""

import zoneinfo

from django.core.exceptions import ValidationError

from practice.network import parse_network


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
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
