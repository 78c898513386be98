"""The registrations of one event as CSV or XLSX, one column per question."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from mitmachen.core.spreadsheets import csv_bytes, xlsx_bytes
from mitmachen.events.models import Event, Question, Registration

FORMATS = ("csv", "xlsx")


def answer_text(question: Question, value) -> str:
    if question.kind == Question.Kind.YES_NO:
        return _("yes") if value is True else (_("no") if value is False else "")
    return "" if value is None else str(value)


def answers_of(questions: list[Question], registration: Registration) -> list[str]:
    return [answer_text(q, registration.answers.get(str(q.pk))) for q in questions]


def _moment(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _header(questions: list[Question]) -> list[str]:
    return [_("First name"), _("Last name"), _("E-mail"), _("Phone"), _("Status"), _("Ticket"),
            *[q.label for q in questions], _("Registered at"), _("Attended")]


def _rows(event: Event, questions: list[Question]):
    registrations = event.registrations.select_related("category").order_by(
        "last_name", "first_name", "pk")
    for registration in registrations.iterator(chunk_size=2000):
        yield [registration.first_name, registration.last_name, registration.email,
               registration.phone, registration.get_status_display(),
               registration.category.name if registration.category else "",
               *answers_of(questions, registration), _moment(registration.created_at),
               _moment(registration.attended_at)]


def registrations_file(event: Event, fmt: str) -> bytes:
    questions = list(event.questions.all())
    if fmt == "csv":
        return csv_bytes(_header(questions), _rows(event, questions))
    return xlsx_bytes(_("Registrations"), _header(questions), _rows(event, questions))
