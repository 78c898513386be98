import re
from pathlib import Path

import pytest
from django.core.management import call_command

from mitmachen.core.demo import DEMO_LOGINS
from mitmachen.core.models import RoleAssignment, User
from mitmachen.core.roles import Role
from mitmachen.events.models import Event
from mitmachen.groups.models import Group
from mitmachen.organisations.models import (
    Cooperation,
    District,
    Organisation,
    Place,
    UmbrellaMembership,
)

pytestmark = pytest.mark.django_db
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture
def demo(db):
    call_command("demo", quiet_logins=True, force=True)


def test_demo_holds_the_seed_structures(demo):
    assert District.objects.filter(municipality__slug="kassel").count() == 23
    kassel = Organisation.objects.get(slug="die-linke-kassel")
    assert kassel.parent.slug == "die-linke-hessen"
    founding = set(Group.objects.filter(organisation=kassel, status="founding")
                   .values_list("name", flat=True))
    assert founding == {"AG Antirassismus und Migration", "AG Mentale Gesundheit"}
    assert Group.objects.filter(organisation=kassel, kind="district_group").count() == 7
    weimar = Organisation.objects.get(slug="paritaet-weimar")
    assert UmbrellaMembership.objects.filter(umbrella=weimar).count() == 35
    assert Place.objects.filter(organisation__slug="spd-kassel",
                                kind="district_centre").count() == 32
    coop = Cooperation.objects.get(slug="stadt-land-links")
    assert set(coop.partners.values_list("slug", flat=True)) == {"rls-niedersachsen",
                                                                  "lkf-niedersachsen"}
    assert Event.objects.filter(cooperation=coop, is_online=True).exists()
    assert Event.objects.filter(organisation=weimar, venue_note="Ort wird noch festgelegt").exists()


def test_demo_holds_the_seed_events(demo):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from mitmachen.events.models import EventSeries, OnlineAccess

    berlin = ZoneInfo("Europe/Berlin")
    ukraine = Event.objects.get(starts_at=datetime(2022, 4, 8, 18, tzinfo=berlin))
    assert "Ukraine" in ukraine.title and ukraine.is_online
    assert set(ukraine.topics.values_list("name", flat=True)) == {
        "Partizipation / Bürgerrechte", "Stadt / Kommune / Region", "Politische Weiterbildung"}
    assert ukraine.speakers.get().name == "Sigmar Walbrecht"
    assert OnlineAccess.objects.get(event=ukraine).meeting_id == "937 6080 1674"
    june = Event.objects.get(starts_at=datetime(2022, 6, 10, 18, tzinfo=berlin))
    assert "Bürger*innen-Beteiligung" in june.title and june.customised
    assert june.series == ukraine.series and june.series.rrule == "FREQ=MONTHLY;INTERVAL=3"
    plan = EventSeries.objects.get(title="Kreisgruppensitzungen 2020")
    assert plan.occurrences.count() == 5
    festival = plan.occurrences.get(kind=Event.Kind.FESTIVAL)
    assert festival.status == Event.Status.TENTATIVE
    assert festival.venue_note == "voraussichtlich" and festival.place.name == "Camsin e. V."
    assert plan.occurrences.filter(venue_note="Ort wird noch festgelegt").count() == 1
    plenum = EventSeries.objects.get(title="Offenes FLINTA* Plenum")
    assert plenum.rrule == "FREQ=MONTHLY;INTERVAL=2" and plenum.occurrences.count() >= 6
    assert Event.objects.filter(title="Kreismitgliederversammlung",
                                kind=Event.Kind.ASSEMBLY).exists()
    assert Event.objects.filter(registrations__isnull=False, is_online=True).exists()


def test_one_demo_login_per_role(demo):
    roles = set(RoleAssignment.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    for email, slug, role in DEMO_LOGINS:
        user = User.objects.get(email=email)
        assert user.check_password("mitmachen-demo")
        assert user.role_assignments.filter(organisation__slug=slug, role=role).exists()


def test_demo_is_safe_to_repeat(demo):
    counts = (Organisation.objects.count(), User.objects.count(), Place.objects.count())
    call_command("demo", quiet_logins=True, force=True)
    assert (Organisation.objects.count(), User.objects.count(), Place.objects.count()) == counts


# The real people and their contact data named in the five seed documents.
SEED_EMAILS = ["vorstand@die-linke-kassel-stadt.de", "kommunal@rls-nds.de",
               "vorstand-kv-duesseldorf@linke-news.de", "kea.detmers@linksfraktion-duesseldorf.de",
               "antidiskriminierung@die-linke-duesseldorf.de"]
SEED_PHONES = ["05619201503", "05112790934"]
SEED_PEOPLE = ["Habermann", "Walbrecht", "Panhans", "Detmers"]


def test_demo_people_are_invented(demo):
    """No name, phone number or e-mail address from the seeds appears in the demo data."""
    if SEEDS.exists():  # keep the lists above honest while the seeds are beside the checkout
        text = " ".join(p.read_text("utf-8") for p in SEEDS.glob("*.txt"))
        found = {e.rstrip(".") for e in re.findall(r"[\w.+-]+@[\w-]+\.[\w.-]+", text)}
        assert found == set(SEED_EMAILS)
    values = []
    for user in User.objects.all():
        values += [user.email, user.name]
    for organisation in Organisation.objects.all():
        values += [organisation.contact_email, organisation.contact_phone, organisation.about,
                   organisation.how_to_join]
    from mitmachen.people.models import Contact

    for contact in Contact.objects.all():
        values += [contact.first_name, contact.last_name, contact.email, contact.phone,
                   contact.messenger_phone]
    dump = " ".join(values)
    assert not any(email in dump for email in SEED_EMAILS)
    assert not any(name in dump for name in SEED_PEOPLE)
    digits = " ".join(re.sub(r"\D", "", v) for v in values if v)
    assert not any(phone in digits for phone in SEED_PHONES)


def test_demo_refuses_without_debug_or_force(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="MITMACHEN_DEBUG"):
        call_command("demo", quiet_logins=True)
    assert not User.objects.exists()


def test_demo_contacts_spread_across_districts_and_groups(demo):
    from mitmachen.groups.models import GroupMember
    from mitmachen.people.models import Contact, MembershipApplication

    kassel = Organisation.objects.get(slug="die-linke-kassel")
    contacts = Contact.objects.filter(organisation=kassel)
    assert contacts.count() > 300
    assert contacts.values("district").distinct().count() >= 20
    assert contacts.filter(status="member").exists() and contacts.filter(
        status="interested").exists()
    assert GroupMember.objects.filter(group__organisation=kassel).count() > 100
    for slug in ["die-linke-duesseldorf", "paritaet-weimar", "spd-kassel", "rls-niedersachsen"]:
        assert Contact.objects.filter(organisation__slug=slug).count() >= 150
    member = User.objects.get(email="mitglied.kassel@example.org")
    assert member.contacts.get().status == "member"
    assert MembershipApplication.objects.filter(status="pending").count() == 2


def test_demo_assemblies_tell_seed_000_and_004(demo):
    from mitmachen.assemblies.models import Assembly, Election, Resolution, Vote
    from mitmachen.assemblies.services import lead_time_problem

    kassel = Assembly.objects.get(organisation__slug="die-linke-kassel", status="in_session")
    board = Election.objects.get(assembly=kassel, kind="board")
    assert board.status == "counted" and board.result["quota_met"]
    assert board.ballots_cast == board.casts.count() == board.ballots.count() > 0
    places = board.candidates.exclude(place=None).order_by("place")
    assert all(c.category == "flinta" for c in places if c.place % 2 == 1)
    discharge = Vote.objects.get(assembly=kassel, subject="discharge")
    assert discharge.adopted and Resolution.objects.filter(vote=discharge).exists()
    assert kassel.current_item.title == "Anträge" and kassel.invited_at is not None
    duesseldorf = Assembly.objects.get(organisation__slug="die-linke-duesseldorf")
    listing = Election.objects.get(assembly=duesseldorf, kind="list")
    flinta = listing.candidates.exclude(place=None).filter(category="flinta").count()
    assert listing.seats == 10 and flinta * 2 >= listing.candidates.exclude(place=None).count()
    assert duesseldorf.status == "closed" and duesseldorf.minutes.text
    late = Assembly.objects.get(event__title="Außerordentliche Kreismitgliederversammlung")
    assert lead_time_problem(late)


def test_demo_reporting_channel_opens_with_the_published_factors(demo):
    """Seed 004's contact point: the demo officer reads every report with the printed
    passphrase, and last year's statistics have suppressed and published cells."""
    from mitmachen.core.models import User
    from mitmachen.organisations.models import Organisation
    from mitmachen.reports import access, selectors, services
    from mitmachen.reports.demo import DEMO_PASSPHRASE, OFFICER
    from mitmachen.reports.models import Report

    officer = User.objects.get(email=OFFICER)
    duesseldorf = Organisation.objects.get(slug="die-linke-duesseldorf")
    private = access.private_key_open(user=officer, passphrase=DEMO_PASSPHRASE)
    reports = Report.objects.filter(organisation=duesseldorf)
    assert {r.status for r in reports} == {"new", "in_progress", "measures", "closed"}
    texts = [services.report_open(report=r, officer=officer, private_key=private)
             for r in reports]
    assert any(m["from_reporter"] for opened in texts for m in opened.messages)
    from django.utils import timezone

    table = selectors.statistics(organisation=duesseldorf, year=timezone.localdate().year - 1)
    cells = [cell for row in table["rows"] for cell in row["cells"]]
    assert 5 in cells and None in cells and all(c is None or c >= 3 for c in cells)


def test_demo_mentoring_programmes_tell_seed_004(demo):
    """Last year's cohort runs (pairs accepted, meetings logged, goals), this year's has
    applications waiting for the coordinator's matching; no mentor over capacity."""
    from mitmachen.mentoring.models import Application, Pairing, Programme

    running = Programme.objects.get(slug="mentoring-2026",
                                    organisation__slug="die-linke-duesseldorf")
    assert running.status == "running" and running.audience == "women"
    active = Pairing.objects.filter(programme=running, status="active")
    assert active.count() >= 4 and all(p.meetings.exists() and p.goals.exists() for p in active)
    for mentor in Application.objects.filter(programme=running, role="mentor"):
        open_pairs = Pairing.objects.filter(mentor=mentor, status__in=["proposed", "active"])
        assert open_pairs.count() <= mentor.capacity
    call = Programme.objects.get(slug="mentoring-2027")
    assert call.status == "open" and not call.pairings.exists()
    assert call.applications.filter(role="mentee").count() == 12
    assert call.applications.filter(role="mentor").count() == 6


def test_demo_addresses_are_ascii(demo):
    """Mail servers without SMTPUTF8 refuse "zänker@…": every demo address can be delivered."""
    from mitmachen.people.models import Contact

    addresses = Contact.objects.exclude(email="").values_list("email", flat=True)
    assert addresses and all(a.isascii() for a in addresses)
