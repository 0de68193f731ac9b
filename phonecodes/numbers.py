"""Phone numbers: E.164 text, the country and kind of line a number is, and the ways a page may
show one without spelling it out."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from phonenumbers import PhoneNumberType, geocoder


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


# What a number may receive. A text: a mobile, or a number whose plan does not tell mobiles
# from landlines (the US and Canada: FIXED_LINE_OR_MOBILE). A call: a landline too.
# SECURITY: never premium-rate or shared-cost numbers (the callee is paid: toll fraud's
# earnings), nor toll-free, UAN, pager, voicemail, VoIP, personal (forwarding) numbers or
# numbers of no known type: none of them is a person's own phone.
TEXT_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
CALL_TYPES = TEXT_TYPES | {PhoneNumberType.FIXED_LINE}
# How a refused type is named to the user.
TYPE_WORDS = {
    PhoneNumberType.FIXED_LINE: "a landline number",
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.TOLL_FREE: "a toll-free number",
    PhoneNumberType.UAN: "a company's single number (UAN)",
    PhoneNumberType.PAGER: "a pager number",
    PhoneNumberType.VOICEMAIL: "a voicemail number",
    PhoneNumberType.VOIP: "an internet (VoIP) number",
    PhoneNumberType.PERSONAL_NUMBER: "a personal forwarding number",
}


def number_region(number: str) -> str:
    """The country (ISO 3166 code) an E.164 number belongs to: "JM" for +18765550123, though it
    dials +1 like the US; "" when no single country has it."""
    return phonenumbers.region_code_for_number(phonenumbers.parse(number, None)) or ""


def number_type(number: str) -> int:
    """What kind of line an E.164 number is: a PhoneNumberType (MOBILE, PREMIUM_RATE, ...)."""
    return phonenumbers.number_type(phonenumbers.parse(number, None))


def type_words(kind: int) -> str:
    return TYPE_WORDS.get(kind, "a number we cannot tell is a phone")


def region_name(region: str) -> str:
    """A country's name in English: "Jamaica" for "JM"; the code itself when none is known."""
    example = phonenumbers.example_number(region)
    name = geocoder.country_name_for_number(example, "en") if example else ""
    return name or region


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
