import phonenumbers
from django import template

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """"+495619201500" → "+49 561 9201500": readable, and it wraps between the groups."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
