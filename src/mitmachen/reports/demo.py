"""Düsseldorf's reporting channel in the demo: the officer's two factors and key (both
published: demo only), reports in several states, a conversation, and a year of statistics."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from mitmachen.core.models import TotpDevice, User
from mitmachen.organisations.models import Organisation
from mitmachen.reports import access, services
from mitmachen.reports.models import Category, Report, Status, Tally, Wish

OFFICER = "antidiskriminierung.duesseldorf@example.org"
DEMO_TOTP_SECRET = "MITMACHENDEMOANTIDISKRIMINIERUNG"  # noqa: S105  (published: demo only)
DEMO_PASSPHRASE = "mitmachen-demo-passphrase"  # noqa: S105  (published: demo only)

# (days ago, category, wish, what, where, status, officer's answer, reporter's reply)
REPORTS = [
    (200, Category.SEXISM, Wish.DOCUMENT,
     "Bei der Plakataktion wurden mir mehrfach abwertende Sprüche über Frauen in der Politik "
     "gemacht. Ich möchte nur, dass es festgehalten wird.", "Infostand Schadowstraße",
     Status.CLOSED, "", ""),
    (120, Category.RACISM, Wish.MEDIATION,
     "In der Chatgruppe des Ortsverbands wurde ein rassistischer Witz geteilt und niemand hat "
     "widersprochen.", "Messenger-Gruppe", Status.MEASURES,
     "Danke für deine Meldung. Wir haben mit der Moderation der Gruppe gesprochen; der Beitrag "
     "ist gelöscht. Möchtest du an einem Gespräch teilnehmen?", "Ja, gerne – aber bitte online."),
    (40, Category.SEXUALISED_VIOLENCE, Wish.ADVICE,
     "Nach der Mitgliederversammlung hat mich eine Person gegen meinen Willen angefasst.",
     "Nach der Versammlung, Vorplatz", Status.IN_PROGRESS,
     "Es tut uns leid, was dir passiert ist. Wir melden uns mit Beratungsangeboten; du "
     "entscheidest, was weiter geschieht.", ""),
    (3, Category.DISABILITY, Wish.ADVICE,
     "Der Raum für das Aktiventreffen war wieder nicht barrierefrei, obwohl es zugesagt war.",
     "Aktiventreffen", Status.NEW, "", ""),
]


class DemoReports:
    def __init__(self, actor=None):
        self.actor = actor

    @transaction.atomic
    def load(self) -> None:
        organisation = Organisation.objects.get(slug="die-linke-duesseldorf")
        officer = User.objects.get(email=OFFICER)
        TotpDevice.objects.update_or_create(user=officer, defaults={
            "secret": DEMO_TOTP_SECRET, "confirmed_at": timezone.now(), "last_step": 0})
        if not hasattr(officer, "report_key"):
            # The channel's first officer: approved as its reader without anyone's approval.
            access.officer_key_create(user=officer, passphrase=DEMO_PASSPHRASE)
        private = access.private_key_open(user=officer, passphrase=DEMO_PASSPHRASE)
        services.channel_settings(organisation)
        today = timezone.localdate()
        for days, category, wish, what, where, status, answer, reply in REPORTS:
            report, receipt = services.report_submit(
                organisation=organisation, what=what, where=where, wish=wish,
                category=category, when=(today - timedelta(days=days)).strftime("%d.%m.%Y"))
            if answer:
                services.officer_reply(report=report, officer=officer, private_key=private,
                                       text=answer)
            if reply:
                opened, key = services.reporter_open(organisation=organisation, receipt=receipt)
                services.reporter_reply(report=opened, report_key=key, text=reply)
            if status != report.status:
                report.refresh_from_db()
                services.report_update(report=report, officer=officer, private_key=private,
                                       status=status, reason="Demo")
            _backdate(report, today - timedelta(days=days))
        _earlier_quarters(organisation, today)


def _backdate(report: Report, day) -> None:
    """The demo's reports arrived over the last months; move them and their tally there."""
    report.refresh_from_db()
    old = (report.received_on.year, report.quarter)
    Report.objects.filter(pk=report.pk).update(received_on=day)
    report.received_on = day
    if (day.year, report.quarter) != old:
        services._tally(report.organisation, old[0], old[1], report.category, -1)
        services._tally(report.organisation, day.year, report.quarter, report.category, +1)


def _earlier_quarters(organisation, today) -> None:
    """Counts of the previous year (their reports have expired), for the statistics page."""
    year = today.year - 1
    counts = {(1, Category.SEXISM): 4, (2, Category.SEXISM): 3, (2, Category.RACISM): 5,
              (3, Category.SEXUALISED_VIOLENCE): 2, (4, Category.OTHER): 1,
              (4, Category.RACISM): 3}
    for (quarter, category), count in counts.items():
        Tally.objects.update_or_create(organisation=organisation, year=year, quarter=quarter,
                                       category=category, defaults={"count": count})
