"""CSV and XLSX exports of a filtered contact list."""

import csv
import io
import re

from django.utils.translation import gettext as _
from openpyxl import Workbook

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


_NUMBER = re.compile(r"^\+?\d[\d ]*$")


def _safe(value: str) -> str:
    # A cell starting with = + - @ tab or CR runs as a formula in a spreadsheet (CSV injection);
    # only plain numbers such as "+49561…" may keep their sign.
    if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(value):
        return "'" + value
    return value


def as_csv(contacts) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(_header())
    for row in _rows(contacts):
        writer.writerow([_safe(v) for v in row])
    # UTF-8 with BOM so that spreadsheet programs in German settings read umlauts right.
    return buffer.getvalue().encode("utf-8-sig")


def as_xlsx(contacts) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Contacts"))
    sheet.append(_header())
    for row in _rows(contacts):
        sheet.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
