"""Demo assemblies (seed 000 and 004): Kassel's Kreismitgliederversammlung in session with its
board election and discharge, Düsseldorf's list election for the municipal election, and two
assemblies being called (one of them too late for the statutory lead time)."""

import random
from datetime import timedelta

from django.utils import timezone, translation

from mitmachen.assemblies import (
    attendance,
    elections,
    invitations,
    minutes,
    motions,
    services,
    votes,
)
from mitmachen.assemblies import speakers as speaking
from mitmachen.assemblies.models import AgendaItem, Assembly, AssemblyRules, Election, Vote
from mitmachen.core.models import User
from mitmachen.events.models import Event
from mitmachen.events.services import event_create
from mitmachen.organisations.models import Organisation

K = AgendaItem.Kind
KASSEL_AGENDA = [
    ("Eröffnung und Formalia", K.OTHER, 10, [
        ("Wahl der Versammlungsleitung und der Protokollführung", K.OTHER, 5),
        ("Beschluss der Tagesordnung", K.OTHER, 5)]),
    ("Rechenschaftsbericht des Kreisvorstands", K.REPORT, 30, []),
    ("Bericht der Finanzrevision", K.REPORT, 10, []),
    ("Entlastung des Kreisvorstands", K.DISCHARGE, 10, []),
    ("Wahl des Kreisvorstands", K.ELECTION, 60, []),
    ("Anträge", K.MOTIONS, 45, []),
    ("Verschiedenes", K.OTHER, 15, []),
]
DUESSELDORF_AGENDA = [
    ("Eröffnung, Formalia, Tagesordnung", K.OTHER, 15, []),
    ("Vorstellung der Kandidierenden", K.DISCUSSION, 60, []),
    ("Wahl der Liste zur Kommunalwahl", K.ELECTION, 90, []),
    ("Verschiedenes", K.OTHER, 15, []),
]


class DemoAssemblies:
    def __init__(self, actor=None, seed: int = 2026):
        self.actor = actor
        self.random = random.Random(seed)
        self.now = timezone.now().replace(second=0, microsecond=0)

    def load(self) -> None:
        # Questions, resolutions and minutes are the organisations' records: German.
        with translation.override("de"):
            self._load()

    def _load(self) -> None:
        kassel = Organisation.objects.get(slug="die-linke-kassel")
        duesseldorf = Organisation.objects.get(slug="die-linke-duesseldorf")
        for organisation, lead, quorum in [(kassel, 21, 10), (duesseldorf, 14, 0)]:
            services.rules_update(organisation=organisation, actor=self.actor, data={
                "lead_days": lead, "reminder_days": 3,
                "quorum_kind": AssemblyRules.Quorum.SHARE if quorum else
                AssemblyRules.Quorum.NONE, "quorum_value": quorum})
        self.kassel_in_session(kassel)
        self.kassel_calling(kassel)
        self.duesseldorf_list(duesseldorf)

    # --- helpers ------------------------------------------------------------------------------

    def _user(self, email):
        return User.objects.filter(email=email).first()

    def _agenda(self, assembly, plan):
        items = {}
        for title, kind, minutes_estimate, children in plan:
            parent = services.item_create(assembly=assembly, title=title, kind=kind,
                                          minutes_estimate=minutes_estimate, actor=self.actor)
            items[title] = parent
            for child_title, child_kind, child_minutes in children:
                items[child_title] = services.item_create(
                    assembly=assembly, title=child_title, kind=child_kind,
                    minutes_estimate=child_minutes, parent=parent, actor=self.actor)
        return items

    def _assembly(self, organisation, title, start, hours, plan, **fields):
        event = event_create(organisation=organisation, title=title, kind=Event.Kind.ASSEMBLY,
                             starts_at=start, ends_at=start + timedelta(hours=hours),
                             visibility=Event.Visibility.MEMBERS,
                             place=organisation.places.first(), actor=self.actor,
                             description="Die Einladung mit Tagesordnung geht per Post und "
                                         "Mail an alle Mitglieder.")
        assembly = services.assembly_create(event=event, actor=self.actor, **fields)
        items = self._agenda(assembly, plan)
        services.voters_build(assembly=assembly, actor=self.actor)
        return assembly, items

    def _arrive(self, assembly, share: float):
        voters = list(assembly.participants.filter(kind="voter").order_by("pk"))
        present = self.random.sample(voters, round(len(voters) * share))
        start = assembly.event.starts_at
        for n, participant in enumerate(sorted(present, key=lambda p: p.pk)):
            attendance.check_in(participant=participant, actor=self.actor,
                                via_code=n % 3 == 0,
                                at=start - timedelta(minutes=15) + timedelta(seconds=20 * n))
        return present

    def _candidates(self, election, present, flinta: int, open_: int):
        chosen = []
        for category, count in [("flinta", flinta), ("open", open_)]:
            pool = [p for p in present if (p.quota_category or "open") == category]
            for participant in self.random.sample(pool, min(count, len(pool))):
                chosen.append(elections.candidate_add(election=election, participant=participant,
                                                      actor=self.actor))
        return chosen

    def _ballots(self, election, present, candidates, per_ballot: int):
        # Popularity differs, so the result shows reserved places doing their work.
        weights = [self.random.uniform(0.2, 1.0) for _ in candidates]
        for participant in present:
            if self.random.random() < 0.04:
                elections.ballot_cast(election=election, participant=participant,
                                      candidate_ids=[], abstain=True)
                continue
            picks = set()
            while len(picks) < min(per_ballot, len(candidates)):
                picks.add(self.random.choices(candidates, weights)[0].pk)
            elections.ballot_cast(election=election, participant=participant,
                                  candidate_ids=sorted(picks))

    # --- Kassel -------------------------------------------------------------------------------

    def kassel_in_session(self, kassel):
        board = self._user("vorstand.kassel@example.org")
        start = self.now - timedelta(hours=1, minutes=30)
        assembly, items = self._assembly(
            kassel, "Kreismitgliederversammlung mit Vorstandswahl", start, 6, KASSEL_AGENDA,
            chair=board, minute_taker=self._user("gruppen.kassel@example.org"),
            reference_date=(start - timedelta(days=30)).date(),
            invitation_text="Liebe Genoss*innen, einmal im Jahr wählen und entlasten wir den "
                            "Kreisvorstand. Wir freuen uns auf euch!")
        invitations.invitation_send(assembly=assembly, actor=self.actor,
                                    at=start - timedelta(days=23))
        services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION,
                               actor=board)
        present = self._arrive(assembly, 0.3)
        # The board's report, with a quota speakers' list.
        report = items["Rechenschaftsbericht des Kreisvorstands"]
        services.item_call(assembly=assembly, item=report, actor=board)
        for participant in present[:5]:
            speaking.speaker_request(item=report, participant=participant)
        for _n in range(5):
            speaking.speaker_next(item=report, actor=board)
        speaking.speaker_end(item=report, actor=board)
        # Discharge, by card count.
        discharge_item = items["Entlastung des Kreisvorstands"]
        services.item_call(assembly=assembly, item=discharge_item, actor=board)
        discharge = votes.vote_create(assembly=assembly, method=Vote.Method.CARDS,
                                      subject=Vote.Subject.DISCHARGE, item=discharge_item,
                                      actor=board)
        votes.vote_open(vote=discharge, actor=board)
        votes.vote_count_enter(vote=discharge, yes=len(present) - 6, no=2, abstain=4,
                               actor=board)
        votes.vote_close(vote=discharge, actor=board)
        # The board election: six places, odd places for women/FLINTA*, at least half.
        election_item = items["Wahl des Kreisvorstands"]
        services.item_call(assembly=assembly, item=election_item, actor=board)
        election = elections.election_create(
            assembly=assembly, title="Kreisvorstand", kind=Election.Kind.BOARD, seats=6,
            reserved=Election.Reserved.ODD, min_share=50, fallback=Election.Fallback.VACANT,
            method=Election.Method.SECRET, item=election_item, actor=board)
        candidates = self._candidates(election, present, flinta=4, open_=5)
        elections.election_open(election=election, actor=board)
        self._ballots(election, present, candidates, per_ballot=6)
        elections.election_count(election=election, actor=board)
        # Motions: one with an amendment, now under discussion with people waiting to speak.
        motions_item = items["Anträge"]
        submitter = present[0]
        motion = motions.motion_submit(
            assembly=assembly, title="Mietendeckel für Kassel", item=motions_item,
            text="Die Kreismitgliederversammlung fordert die Stadt Kassel auf, sich für einen "
                 "Mietendeckel einzusetzen und die städtische Wohnungsgesellschaft zu "
                 "verpflichten, Mieten fünf Jahre nicht zu erhöhen.",
            reasoning="Die Mieten in Kassel steigen schneller als die Einkommen.",
            submitter=submitter.contact, submitter_name=submitter.name, actor=self.actor)
        for participant in present[1:4]:
            motions.motion_support(motion=motion, contact=participant.contact,
                                   actor=self.actor)
        motions.motion_submit(
            assembly=assembly, title="Ergänzung: Leerstand", amends=motion, item=motions_item,
            text="Ergänze: „und leerstehenden Wohnraum zu erfassen“.",
            submitter=present[2].contact, submitter_name=present[2].name, actor=self.actor)
        motions.motion_recommend(motion=motion, recommendation="adopt",
                                 text="Der Vorstand empfiehlt die Annahme.", actor=board)
        motions.motion_admit(motion=motion, actor=board)
        votes.vote_create(assembly=assembly, motion=motion, method=Vote.Method.SECRET,
                          item=motions_item, actor=board)
        services.item_call(assembly=assembly, item=motions_item, actor=board)
        for participant in present[5:9]:
            speaking.speaker_request(item=motions_item, participant=participant)
        speaking.speaker_next(item=motions_item, actor=board)

    def kassel_calling(self, kassel):
        """The next ordinary assembly (the event of the yearly plan) and an extraordinary one
        called too late for the 21 days of the statutes."""
        planned = Event.objects.filter(organisation=kassel, kind=Event.Kind.ASSEMBLY,
                                       assembly__isnull=True).order_by("starts_at").first()
        if planned is not None:
            assembly = services.assembly_create(event=planned, actor=self.actor)
            self._agenda(assembly, [row for row in KASSEL_AGENDA
                                    if row[1] not in (K.ELECTION, K.DISCHARGE)])
            services.voters_build(assembly=assembly, actor=self.actor)
        start = (self.now + timedelta(days=10)).replace(hour=18, minute=0)
        self._assembly(kassel, "Außerordentliche Kreismitgliederversammlung", start, 2,
                       [("Bündnis gegen Mieterhöhungen", K.DISCUSSION, 60, [])])

    # --- Düsseldorf ---------------------------------------------------------------------------

    def duesseldorf_list(self, duesseldorf):
        board = self._user("vorstand.duesseldorf@example.org")
        start = self.now - timedelta(hours=5)
        assembly, items = self._assembly(
            duesseldorf, "Mitgliederversammlung: Liste zur Kommunalwahl", start, 4,
            DUESSELDORF_AGENDA, chair=board, reference_date=(start - timedelta(days=20)).date(),
            invitation_text="Wir stellen unsere Liste für den Rat der Stadt Düsseldorf auf. "
                            "Die Liste ist quotiert: ungerade Plätze für Frauen*, mindestens "
                            "50/50.")
        invitations.invitation_send(assembly=assembly, actor=self.actor,
                                    at=start - timedelta(days=16))
        services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION,
                               actor=board)
        present = self._arrive(assembly, 0.35)
        item = items["Wahl der Liste zur Kommunalwahl"]
        services.item_call(assembly=assembly, item=item, actor=board)
        election = elections.election_create(
            assembly=assembly, title="Liste zur Ratswahl", kind=Election.Kind.LIST, seats=10,
            reserved=Election.Reserved.ODD, min_share=50, fallback=Election.Fallback.VACANT,
            method=Election.Method.SECRET, item=item, actor=board)
        candidates = self._candidates(election, present, flinta=6, open_=7)
        elections.election_open(election=election, actor=board)
        self._ballots(election, present, candidates, per_ballot=10)
        elections.election_count(election=election, actor=board)
        services.item_call(assembly=assembly, item=None, actor=board)
        services.status_change(assembly=assembly, status=Assembly.Status.CLOSED, actor=board)
        minutes.minutes_generate(assembly=assembly, actor=board)
