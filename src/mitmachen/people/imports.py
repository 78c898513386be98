"""Importing contacts from CSV or XLSX: a dry run with a report per row, then one transaction.

German exports are often Windows-1252 with ";" as separator; both encodings and both
separators are detected. Rows are checked by hand rather than with full_clean so that 100,000
rows import in well under a minute; the checks mirror the model's.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.organisations.models import District
from mitmachen.people.models import Contact, StatusChange

MAX_BYTES = 50 * 1024 * 1024
BATCH = 2000

# Column names as German and English exports write them → our field.
HEADERS = {
    "vorname": "first_name", "first name": "first_name", "first_name": "first_name",
    "nachname": "last_name", "name": "last_name", "last name": "last_name",
    "last_name": "last_name", "familienname": "last_name",
    "pronomen": "pronouns", "pronouns": "pronouns",
    "e-mail": "email", "email": "email", "e-mail-adresse": "email", "mail": "email",
    "telefon": "phone", "phone": "phone", "telefonnummer": "phone", "mobil": "phone",
    "signal/whatsapp": "messenger_phone", "messenger": "messenger_phone",
    "messenger_phone": "messenger_phone",
    "straße": "street", "strasse": "street", "street": "street", "adresse": "street",
    "plz": "postcode", "postleitzahl": "postcode", "postcode": "postcode", "zip": "postcode",
    "ort": "city", "stadt": "city", "city": "city", "wohnort": "city",
    "stadtteil": "district", "district": "district", "ortsteil": "district",
    "geburtstag": "birthday", "geburtsdatum": "birthday", "birthday": "birthday",
    "status": "status", "mitgliedsnummer": "membership_number",
    "membership number": "membership_number", "membership_number": "membership_number",
    "sprache": "language", "language": "language",
    "notizen": "notes", "bemerkung": "notes", "notes": "notes",
}
LIMITS = {"first_name": 100, "last_name": 100, "pronouns": 40, "street": 200, "postcode": 10,
          "city": 100, "membership_number": 30, "notes": 5000, "email": 254}
STATUS_WORDS = {
    "mitglied": Contact.Status.MEMBER, "member": Contact.Status.MEMBER,
    "interessiert": Contact.Status.INTERESTED, "interested": Contact.Status.INTERESTED,
    "unterstützer*in": Contact.Status.SUPPORTER, "unterstützer": Contact.Status.SUPPORTER,
    "supporter": Contact.Status.SUPPORTER, "antrag": Contact.Status.APPLICANT,
    "applicant": Contact.Status.APPLICANT, "ehemalig": Contact.Status.FORMER,
    "former": Contact.Status.FORMER, "": Contact.Status.INTERESTED,
}


@dataclass
class RowProblem:
    line: int
    errors: list[str] = field(default_factory=list)
    duplicate: str = ""


@dataclass
class Report:
    total: int = 0
    valid: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.errors)

    @property
    def duplicates(self) -> int:
        return sum(1 for p in self.problems if p.duplicate and not p.errors)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Not UTF-8: German spreadsheet programs export Windows-1252.
        return data.decode("cp1252", errors="replace")


def read_rows(data: bytes) -> tuple[list[str], Iterator[list[str]]]:
    """Header and rows of a CSV (any of the usual encodings and separators) or XLSX file."""
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 50 MB."))
    if not data.strip():
        raise ValidationError(_("The file is empty."))
    if data[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception:
            raise ValidationError(_("The Excel file cannot be read.")) from None
        rows = sheet.iter_rows(values_only=True)
        header = [str(cell or "") for cell in next(rows, [])]
        return header, ([_cell(cell) for cell in row] for row in rows)
    if b"\x00" in data[:64]:
        # Binary, or UTF-16 (which spreadsheet programs offer as "Unicode text").
        raise ValidationError(_("This is not a CSV or Excel file. Please save it as CSV "
                                "(UTF-8 or Windows-1252)."))
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, [])
    return header, reader


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _key(header: str) -> str:
    return unicodedata.normalize("NFC", header.strip().strip("\ufeff").lower())


def _birthday(value: str) -> date | None:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError


def _phone(value: str) -> str:
    number = phonenumbers.parse(value, "DE")
    if not phonenumbers.is_valid_number(number):
        raise phonenumbers.NumberParseException(0, "invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Importer:
    def __init__(self, organisation):
        self.organisation = organisation
        self.districts = {d.name.lower(): d.pk for d in District.objects.filter(
            municipality_id=organisation.municipality_id)} if organisation.municipality_id else {}
        existing = Contact.objects.filter(organisation=organisation, erased_at__isnull=True)
        self.emails = {e.lower(): pk for pk, e in existing.exclude(email="").values_list(
            "pk", "email")}
        self.people = {(f.lower(), lt.lower(), b): pk for pk, f, lt, b in existing.exclude(
            birthday=None).values_list("pk", "first_name", "last_name", "birthday")}
        # Erased contacts keep their number (the constraint covers them), so they count too.
        self.numbers = set(Contact.objects.filter(organisation=organisation).exclude(
            membership_number="").values_list("membership_number", flat=True))

    def _clean(self, raw: dict) -> tuple[dict, list[str]]:
        errors: list[str] = []
        data: dict = {}
        for name, value in raw.items():
            value = value.strip()
            if "\x00" in value:
                errors.append(_("%(field)s contains invalid characters.") % {"field": name})
                continue
            if name in LIMITS and len(value) > LIMITS[name]:
                errors.append(_("%(field)s is longer than %(n)d characters.")
                              % {"field": name, "n": LIMITS[name]})
                continue
            data[name] = value
        if not data.get("first_name"):
            errors.append(_("The first name is missing."))
        if data.get("email"):
            try:
                validate_email(data["email"])
                data["email"] = data["email"].lower()
            except ValidationError:
                errors.append(_("“%(value)s” is not a valid e-mail address.")
                              % {"value": data["email"][:60]})
        for name in ("phone", "messenger_phone"):
            if data.get(name):
                try:
                    data[name] = _phone(data[name])
                except phonenumbers.NumberParseException:
                    errors.append(_("“%(value)s” is not a valid phone number.")
                                  % {"value": data[name][:40]})
        if data.get("birthday"):
            try:
                data["birthday"] = _birthday(data["birthday"])
            except ValueError:
                errors.append(_("“%(value)s” is not a date (DD.MM.YYYY).")
                              % {"value": data["birthday"][:20]})
        else:
            data["birthday"] = None
        status = data.pop("status", "").lower()
        if status not in STATUS_WORDS:
            errors.append(_("Unknown status “%(value)s”.") % {"value": status[:30]})
        data["status"] = STATUS_WORDS.get(status, Contact.Status.INTERESTED)
        district = data.pop("district", "")
        data["district_id"] = None
        if district:
            data["district_id"] = self.districts.get(district.lower())
            if data["district_id"] is None:
                errors.append(_("Unknown district “%(value)s”.") % {"value": district[:60]})
        language = data.pop("language", "de").lower()[:2] or "de"
        data["language"] = language if language in {"de", "en"} else "de"
        return data, errors

    def run(self, data: bytes, *, commit: bool, actor=None, progress=None) -> Report:
        header, rows = read_rows(data)
        columns = [HEADERS.get(_key(h)) for h in header]
        if "first_name" not in columns:
            raise ValidationError(_("No column for the first name (“Vorname” or “first_name”) "
                                    "was found."))
        report = Report(unknown_columns=[h for h, c in zip(header, columns, strict=True)
                                         if c is None and h.strip()])
        seen_emails: dict[str, int] = {}
        seen_people: dict[tuple, int] = {}
        seen_numbers: set[str] = set()
        batch: list[Contact] = []
        created = 0
        with transaction.atomic():
            for line, row in enumerate(rows, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                report.total += 1
                raw = {c: v for c, v in zip(columns, row, strict=False) if c}
                data, errors = self._clean(raw)
                problem = RowProblem(line=line, errors=errors)
                email = data.get("email", "")
                person = (data.get("first_name", "").lower(), data.get("last_name", "").lower(),
                          data.get("birthday"))
                if email and email in self.emails:
                    problem.duplicate = _("same e-mail as an existing contact")
                elif email and email in seen_emails:
                    problem.duplicate = _("same e-mail as line %(n)d") % {"n": seen_emails[email]}
                elif person[2] and person in self.people:
                    problem.duplicate = _("same name and birthday as an existing contact")
                elif person[2] and person in seen_people:
                    problem.duplicate = _("same name and birthday as line %(n)d") % {
                        "n": seen_people[person]}
                number = data.get("membership_number", "")
                if number and (number in self.numbers or number in seen_numbers):
                    problem.errors.append(_("The membership number %(value)s is taken.")
                                          % {"value": number})
                if problem.errors or problem.duplicate:
                    report.problems.append(problem)
                    continue
                report.valid += 1
                if email:
                    seen_emails[email] = line
                if person[2]:
                    seen_people[person] = line
                if number:
                    seen_numbers.add(number)
                if commit:
                    batch.append(Contact(organisation=self.organisation, **data))
                    if len(batch) >= BATCH:
                        created += self._save(batch, actor)
                        batch = []
                        if progress:
                            progress(created)
            if commit:
                if batch:
                    created += self._save(batch, actor)
                audit_record(actor=actor, action=AuditEntry.Action.CREATE,
                             organisation=self.organisation,
                             object_repr=f"import of {created} contacts",
                             changes={"created": created, "skipped": len(report.problems)})
        return report

    def _save(self, batch: list[Contact], actor) -> int:
        saved = Contact.objects.bulk_create(batch, batch_size=BATCH)
        if saved[0].pk is None:  # backends that return no ids on bulk insert
            saved = list(Contact.objects.filter(organisation=self.organisation).order_by(
                "-id")[:len(batch)])
        today = date.today()
        user = actor if getattr(actor, "is_authenticated", False) else None
        StatusChange.objects.bulk_create(
            [StatusChange(contact_id=c.pk, to_status=c.status, date=today,
                          reason="import", recorded_by=user) for c in saved],
            batch_size=BATCH)
        return len(saved)
