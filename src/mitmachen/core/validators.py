from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def reject_nul(value: str) -> None:
    # PostgreSQL refuses NUL in text and SQLite would store it silently; refuse it everywhere.
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError(_("Null characters are not allowed."), code="null_characters")
