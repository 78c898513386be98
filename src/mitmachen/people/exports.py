"""CSV and XLSX exports of a filtered contact list."""

from django.utils.translation import gettext as _

from mitmachen.core.spreadsheets import csv_bytes, xlsx_bytes
from mitmachen.core.spreadsheets import safe_cell as _safe  # noqa: F401 (tests and old imports)

COLUMNS = [
    ("first_name", "First name"), ("last_name", "Last name"), ("status", "Status"),
    ("membership_number", "Membership number"), ("email", "E-mail"), ("phone", "Phone"),
    ("messenger_phone", "Signal/WhatsApp"), ("street", "Street"), ("postcode", "Postcode"),
    ("city", "City"), ("district", "District"), ("pronouns", "Pronouns"),
    ("quota_category", "Quota"), ("language", "Language"),
]


def _rows(contacts):
    for contact in contacts.iterator(chunk_size=2000):
        yield [str(getattr(contact, field) or "") if field != "district"
               else (contact.district.name if contact.district else "")
               for field, _label in COLUMNS]


def _header():
    return [_(label) for _field, label in COLUMNS]


def as_csv(contacts) -> bytes:
    return csv_bytes(_header(), _rows(contacts))


def as_xlsx(contacts) -> bytes:
    return xlsx_bytes(_("Contacts"), _header(), _rows(contacts))
