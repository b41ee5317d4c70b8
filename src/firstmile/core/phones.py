"""Chinese phone numbers: mobile or landline, validated by libphonenumber."""

from __future__ import annotations

import phonenumbers
from django.utils.translation import gettext_lazy as _

from . import error_codes
from .errors import ApplicationError

_ACCEPTED = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def normalise_cn_phone(value: str, *, field: str = "phone") -> str:
    """The number in E.164 (+8613800138000), or an error naming ``field``.

    Accepts what people type: 138 0013 8000, 0769-88881234, +86 138…
    """
    raw = (value or "").strip()
    if not raw:
        raise ApplicationError(error_codes.INVALID_INPUT, _("Phone number is required."), field=field)
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or number.country_code != 86
        or phonenumbers.number_type(number) not in _ACCEPTED
    ):
        raise ApplicationError(
            error_codes.INVALID_INPUT,
            _("Not a valid Chinese mobile or landline number: %(value)s.") % {"value": raw},
            field=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_cn_phone(e164: str) -> str:
    """How a Chinese person writes the number: 138 0013 8000, 0769 8888 1234."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "CN"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164
