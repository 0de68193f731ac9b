"""Phone numbers: E.164 text, and the ways a page may show one without spelling it out."""

import re

import phonenumbers
from django.core.exceptions import ValidationError


def normalize_phone(value: str) -> str:
    """E.164 text for a phone number; a number without +country is read as US/Canada."""
    raw = value.strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, None if raw.startswith("+") else "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "“%(value)s” is not a valid phone number. Write it with its country code, "
            "such as +1 202 555 0143.",
            code="invalid_phone",
            params={"value": value},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_e164(value: str) -> None:
    if value and normalize_phone(value) != value:
        raise ValidationError(
            "Store phone numbers in E.164 form, such as +12025550143.", code="not_e164"
        )


def country_code(number: str) -> str:
    """The calling code of an E.164 number: "1" for +12025550143."""
    return str(phonenumbers.parse(number, None).country_code)


def mask_number(number: str) -> str:
    """+12025550143 -> +1••••••0143: enough to recognise one's own phone."""
    if len(number) <= 6:
        return number
    return number[:2] + "•" * (len(number) - 6) + number[-4:]


def number_ending(number: str) -> str:
    """The last digits of a number, for notices that must not spell it out."""
    return number[-4:] if number else ""


def display_number(number: str) -> str:
    """An E.164 number as people write it: "+1 202 555 0143" for North America, else as is."""
    if re.fullmatch(r"\+1\d{10}", number):
        return f"+1 {number[2:5]} {number[5:8]} {number[8:]}"
    return number
