"""Düsseldorf's feminist mentoring programme (seed 004) in the demo: last year's cohort running
with pairs, meetings and goals, and this year's open for applications, ready to be matched."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from mitmachen.core.models import User
from mitmachen.mentoring import services
from mitmachen.mentoring.models import Meeting, Pairing, Programme
from mitmachen.mentoring.vocabulary import Activity, Body, Field, Need, TimeSlot
from mitmachen.organisations.models import Organisation

COORDINATOR = "mentoring.duesseldorf@example.org"
DISTRICTS = ["Altstadt", "Bilk", "Flingern", "Oberbilk", "Pempelfort", "Derendorf", "Unterbilk",
             "Gerresheim", "Benrath", "Eller", "Rath", "Garath", "Wersten", "Friedrichstadt"]
DESCRIPTION = (
    "Wir wollen Frauen* ermutigen, sich in der Kommunalpolitik einzubringen. Erfahrene "
    "Mentor*innen begleiten euch ein Jahr lang: persönliche Treffen in Absprache, Begleitung zu "
    "Sitzungen, Planungstreffen o. Ä. – je nachdem, was euch interessiert, wie viel Zeit ihr "
    "investieren könnt und wo eure Interessen liegen.")
GOALS = ["Eine Rede im Ausschuss halten", "Einen Antrag für die Bezirksvertretung schreiben",
         "Eine Veranstaltung im Stadtteil organisieren", "Pressearbeit kennenlernen"]


class DemoMentoring:
    def __init__(self, fake, actor=None):
        self.fake = fake
        self.actor = actor
        self.random = random.Random(4)

    @transaction.atomic
    def load(self) -> None:
        organisation = Organisation.objects.get(slug="die-linke-duesseldorf")
        coordinator = User.objects.get(email=COORDINATOR)
        today = timezone.localdate()
        self.running(organisation, coordinator, today)
        self.open(organisation, coordinator, today)

    def _programme(self, organisation, coordinator, *, title, slug, opens, cohort_starts):
        data = {
            "title": title, "slug": slug, "description": DESCRIPTION,
            "audience": Programme.Audience.WOMEN, "audience_applies_to_mentors": False,
            "cohort_starts": cohort_starts, "cohort_ends": cohort_starts + timedelta(days=330),
            "mentee_window_opens": opens, "mentee_window_closes": opens + timedelta(days=35),
            "mentor_window_opens": opens, "mentor_window_closes": opens + timedelta(days=35),
            "contact_email": "mentoring@die-linke-duesseldorf.example.org",
            "max_mentees_per_mentor": 3,
        }
        programme = services.programme_create(organisation=organisation, actor=coordinator,
                                              data=data)
        services.programme_set_status(programme=programme, status=Programme.Status.OPEN,
                                      actor=coordinator)
        return programme

    def _profile(self, role: str) -> dict:
        pick = self.random.sample
        first = self.fake.first_name_female() if role == "mentee" or self.random.random() < .8 \
            else self.fake.first_name_nonbinary()
        name = f"{first} {self.fake.last_name()}"
        data = {
            "name": name,
            "email": f"{slugify(name.replace('ß', 'ss')).replace('-', '.')}@example.org",
            "fields": pick(Field.values, self.random.randint(1, 3)),
            "bodies": pick(Body.values, self.random.randint(1, 2)),
            "activities": pick(Activity.values, self.random.randint(1, 3)),
            "times": pick(TimeSlot.values, self.random.randint(1, 2)),
            "languages": ["de"] + (["en"] if self.random.random() < .4 else [])
            + (["tr"] if self.random.random() < .15 else []),
            "hours_per_month": self.random.choice([2, 4, 4, 6, 8]),
            "district": self.random.choice(DISTRICTS),
            "gender": "woman" if role == "mentee" else self.random.choice(
                ["woman", "woman", "nonbinary", "man"]),
        }
        if role == "mentee":
            data["goals"] = self.random.choice(GOALS) + "."
            data["audience_confirmed"] = True
            if self.random.random() < .3:
                data["requires"] = ["mentor_woman"]
            if self.random.random() < .15:
                data["needs"] = [Need.STEP_FREE]
        else:
            data["experience"] = self.random.choice([
                "Seit zehn Jahren im Stadtrat.", "Sprecherin im Ausschuss für Wohnen.",
                "Bezirksvertreterin und Vorstandsmitglied.", "Organisiert seit Jahren Aktionen."])
            data["capacity"] = self.random.choice([1, 2, 2, 3])
            data["offers"] = [Need.STEP_FREE] if self.random.random() < .6 else []
            data["other_commitments"] = self.random.choice(
                ["", "Fraktionssprecherin", "Kassiererin im Ortsverband"])
        return data

    def _apply(self, programme, role, count, today):
        for _ in range(count):
            services.application_submit(programme=programme, role=role, consent=True,
                                        data=self._profile(role), today=today)

    def running(self, organisation, coordinator, today) -> None:
        """Last autumn's cohort: matched, accepted, meeting since spring."""
        opens = today - timedelta(days=200)
        programme = self._programme(
            organisation, coordinator, title="Feministisches Mentoring 2026",
            slug="mentoring-2026", opens=opens, cohort_starts=today - timedelta(days=120))
        self._apply(programme, "mentor", 4, opens + timedelta(days=3))
        self._apply(programme, "mentee", 6, opens + timedelta(days=5))
        run = services.matching_run(programme=programme, actor=coordinator)
        services.matching_send(run=run, actor=coordinator)
        pairings = list(Pairing.objects.filter(programme=programme,
                                               status=Pairing.Status.PROPOSED))
        for number, pairing in enumerate(pairings):
            services.proposal_answer(pairing=pairing, side="mentor", accept=True)
            services.proposal_answer(pairing=pairing, side="mentee", accept=True)
            # The cohort began in the summer: so did its pairs (meetings cannot predate them).
            Pairing.objects.filter(pk=pairing.pk).update(
                started_at=timezone.now() - timedelta(days=110))
            pairing.refresh_from_db()
            for weeks in range(number % 3 + 1):
                services.meeting_log(
                    pairing=pairing, side="mentee", held_on=today - timedelta(weeks=3 * weeks + 1),
                    kind=self.random.choice(Meeting.Kind.values), minutes=90,
                    summary="Ausschusssitzung vorbereitet, Fragen gesammelt.")
            goal = services.goal_add(pairing=pairing, side="mentee", title=GOALS[number % 4])
            if number % 2:
                services.goal_update(goal=goal, side="mentor", status="progress")
        services.programme_set_status(programme=programme, status=Programme.Status.RUNNING,
                                      actor=coordinator)

    def open(self, organisation, coordinator, today) -> None:
        """This year's call: applications in, the coordinator has not matched yet."""
        programme = self._programme(
            organisation, coordinator, title="Feministisches Mentoring 2027",
            slug="mentoring-2027", opens=today - timedelta(days=14),
            cohort_starts=today + timedelta(days=45))
        self._apply(programme, "mentor", 6, today)
        self._apply(programme, "mentee", 12, today)
