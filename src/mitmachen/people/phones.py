import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def to_e164(value: str, *, field: str, region: str = "DE") -> str:
    """"0561 9201500" → "+495619201500"; empty stays empty; anything else is refused."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError({field: _("“%(value)s” is not a valid phone number.")
                               % {"value": value[:40]}})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
