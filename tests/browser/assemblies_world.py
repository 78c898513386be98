"""Assemblies for the browser tests: Kassel's assembly in session, built through the services.

`session(world)` is the hall on the evening: the assembly in session with its agenda (nothing
called yet), an admitted motion, and two voting members checked in, Rosa (FLINTA*) and Karl
(open); two more members stay at home. `assembly_pages(world)` adds a record to every staff
page (invitations with their proof, a closed vote in the register of resolutions, an election
with candidates, the draft minutes) and returns each page's address by a short name, so that
the accessibility and phone-width checks can list the pages by name."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from mitmachen.assemblies import (
    access,
    attendance,
    elections,
    invitations,
    minutes,
    motions,
    services,
    speakers,
    votes,
)
from mitmachen.assemblies.models import AgendaItem, Assembly, AssemblyRules, Election, Vote
from mitmachen.events import services as events
from mitmachen.events.models import Event
from mitmachen.people import services as people
from mitmachen.people.models import Contact

TITLE = "Kreismitgliederversammlung Frühjahr"
ITEM = "Bericht des Kreisvorstands"
MOTION = "Mietenstopp für Kassel"
PIN_REASON = "Antwort auf eine Nachfrage"
MEMBERS = [
    # first, last, quota category, checked in
    ("Rosa", "Roth", "flinta", True),
    ("Karl", "Lieb", "open", True),
    ("Clara", "Zeller", "flinta", False),
    ("August", "Bebber", "open", False),
]


@dataclass
class Session:
    assembly: Assembly
    item: AgendaItem
    motion: object
    rosa: object
    karl: object
    chair: object

    @property
    def staff(self) -> str:
        return f"/staff/{self.assembly.organisation.slug}/assemblies/{self.assembly.pk}"

    @property
    def console(self) -> str:
        return f"{self.staff}/speakers/"

    @property
    def motions(self) -> str:
        return f"{self.staff}/motions/"

    @property
    def projector(self) -> str:
        return f"/assembly/{self.assembly.pk}/projector/{access.projector_token(self.assembly)}/"

    def phone(self, participant) -> str:
        return f"/a/{access.participant_token(participant)}/"


def session(world, *, invite: bool = False) -> Session:
    """The assembly in session, its agenda with nothing called, Rosa and Karl checked in.
    With `invite` the invitations go out first (as if on time: the event is 30 days ahead)."""
    kassel = world.kassel
    chair = world.users["kassel_board"]
    services.rules_update(organisation=kassel, actor=None, data={
        "quorum_kind": AssemblyRules.Quorum.SHARE, "quorum_value": 10, "alternate": True})
    start = (timezone.localtime() + timedelta(days=30 if invite else 0)).replace(
        hour=19, minute=0, second=0, microsecond=0)
    event = events.event_create(organisation=kassel, title=TITLE, kind=Event.Kind.ASSEMBLY,
                                starts_at=start, ends_at=start + timedelta(hours=3),
                                actor=None, place=world.kassel_office)
    for first, last, quota, _present in MEMBERS:
        email = f"{first.lower()}@example.org" if first != "August" else ""
        people.contact_create(organisation=kassel, actor=None, status=Contact.Status.MEMBER,
                              data={"first_name": first, "last_name": last,
                                    "quota_category": quota, "email": email,
                                    "street": "Friedrichsplatz 3" if not email else "",
                                    "postcode": "34117" if not email else "",
                                    "city": "Kassel" if not email else ""})
    assembly = services.assembly_create(event=event, actor=None, chair=chair)
    services.voters_build(assembly=assembly, actor=None)
    services.item_create(assembly=assembly, title="Eröffnung und Formalia", actor=None)
    item = services.item_create(assembly=assembly, title=ITEM, actor=None,
                                kind=AgendaItem.Kind.REPORT, minutes_estimate=30)
    services.item_create(assembly=assembly, title="Anträge", actor=None,
                         kind=AgendaItem.Kind.MOTIONS)
    motion = motions.motion_submit(
        assembly=assembly, title=MOTION, text="Die Versammlung fordert einen Mietenstopp.",
        reasoning="Die Mieten steigen.", submitter=None, submitter_name="Kreisvorstand",
        actor=None, item=item)
    motions.motion_admit(motion=motion, actor=None)
    if invite:
        invitations.invitation_send(assembly=assembly, actor=None)
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    people_by_name = {}
    for first, _last, _quota, present in MEMBERS:
        participant = assembly.participants.get(name__startswith=first)
        if present:
            participant = attendance.check_in(participant=participant, actor=None)
        people_by_name[first] = participant
    assembly.refresh_from_db()
    return Session(assembly=assembly, item=item, motion=motion, rosa=people_by_name["Rosa"],
                   karl=people_by_name["Karl"], chair=chair)


def assembly_pages(world) -> dict[str, str]:
    """Content for every assemblies page; → {name: path}. Call inside a transactional test."""
    hall = session(world, invite=True)
    assembly, item = hall.assembly, hall.item
    # The hall at work: an item called, a speech, someone waiting, a closed vote with its
    # resolution, an election with its candidates, the draft minutes.
    services.item_call(assembly=assembly, item=item, actor=None)
    speakers.speaker_request(item=item, participant=hall.karl)
    speakers.speaker_request(item=item, participant=hall.rosa)
    speakers.speaker_next(item=item, actor=None)
    speakers.speaker_request(item=item, participant=hall.karl,
                             kind=speakers.K.POINT_OF_ORDER)
    vote = votes.vote_create(assembly=assembly, motion=hall.motion, method=Vote.Method.SECRET,
                             actor=None)
    votes.vote_open(vote=vote, actor=None)
    votes.vote_cast(vote=vote, participant=hall.rosa, choice="yes")
    votes.vote_cast(vote=vote, participant=hall.karl, choice="no")
    votes.vote_close(vote=vote, actor=None)
    other = votes.vote_create(assembly=assembly, question="Soll die Versammlung bis 22 Uhr "
                              "dauern?", method=Vote.Method.OPEN, actor=None)
    votes.vote_open(vote=other, actor=None)
    election = elections.election_create(
        assembly=assembly, title="Wahl des Kreisvorstands", kind=Election.Kind.BOARD, seats=2,
        reserved=Election.Reserved.ODD, min_share=50, fallback=Election.Fallback.VACANT,
        method=Election.Method.SECRET, actor=None)
    elections.candidate_add(election=election, participant=hall.rosa, actor=None)
    elections.candidate_add(election=election, participant=hall.karl, actor=None)
    elections.candidate_add(election=election, name="Erika Extern", category="flinta",
                            actor=None)
    minutes.minutes_generate(assembly=assembly, actor=None)

    slug = assembly.organisation.slug
    staff = hall.staff
    return {
        # staff of Kassel
        "list": f"/staff/{slug}/assemblies/",
        "new": f"/staff/{slug}/assemblies/new/",
        "rules": f"/staff/{slug}/assemblies/rules/",
        "resolutions": f"/staff/{slug}/resolutions/",
        "detail": f"{staff}/",
        "edit": f"{staff}/edit/",
        "agenda": f"{staff}/agenda/",
        "item": f"{staff}/agenda/{item.pk}/",
        "participants": f"{staff}/participants/",
        "invitation": f"{staff}/invitation/",
        "proof": f"{staff}/invitation/proof/",
        "attendance": f"{staff}/attendance/",
        "speakers": f"{staff}/speakers/",
        "motions": f"{staff}/motions/",
        "motion": f"{staff}/motions/{hall.motion.pk}/",
        "elections": f"{staff}/elections/",
        "election": f"{staff}/elections/{election.pk}/",
        "minutes": f"{staff}/minutes/",
        # the hall and the phones, by their links
        "projector": hall.projector,
        "phone": hall.phone(hall.rosa),
        "phone-absent": hall.phone(assembly.participants.get(name__startswith="Clara")),
        "phone-voting": f"{hall.phone(hall.rosa)}voting/",
        "phone-motions": f"{hall.phone(hall.rosa)}motions/",
        "phone-invalid": "/a/1-not-a-valid-token/",
    }


STAFF = ["list", "new", "rules", "resolutions", "detail", "edit", "agenda", "item",
         "participants", "invitation", "proof", "attendance", "speakers", "motions", "motion",
         "elections", "election", "minutes"]
PHONE = ["phone", "phone-absent", "phone-voting", "phone-motions", "phone-invalid"]
PROJECTOR = ["projector"]


def without_stream(context) -> None:
    """Refuse the live view's event stream in `context`: the page falls back to polling. Under
    the test server a stream holds a thread for 25 s after its page is gone, and would read the
    database after the test; a poll is over at once. The flow test covers the stream itself."""
    context.route("**/live/events*", lambda route: route.fulfill(status=503))
