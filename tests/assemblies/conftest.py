"""A Kassel assembly with six voting members, shared by the assemblies tests."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mitmachen.assemblies import services
from mitmachen.assemblies.access import participant_token
from mitmachen.assemblies.models import AssemblyRules, Participant
from mitmachen.core import services as core
from mitmachen.events import services as events
from mitmachen.events.models import Event
from mitmachen.people import services as people
from mitmachen.people.models import Contact

MEMBERS = [
    # first, last, quota, e-mail, street
    ("Rosa", "Roth", "flinta", "rosa@example.org", "Wilhelmshöher Allee 1"),
    ("Clara", "Zeller", "flinta", "clara@example.org", ""),
    ("Emma", "Ihrig", "flinta", "", "Friedrichsplatz 3"),
    ("Karl", "Lieb", "open", "karl@example.org", ""),
    ("August", "Bebber", "open", "august@example.org", ""),
    ("Paul", "Sänger", "open", "paul@example.org", ""),
]


def member(organisation, first, last, quota="", email="", street="", **extra):
    data = {"first_name": first, "last_name": last, "quota_category": quota, "email": email,
            "street": street, "postcode": "34117" if street else "",
            "city": "Kassel" if street else "", **extra}
    return people.contact_create(organisation=organisation, data=data, actor=None,
                                 status=Contact.Status.MEMBER)


@pytest.fixture
def make_assembly(world):
    """make_assembly(organisation=kassel, days=30, **assembly fields) -> Assembly with voters."""

    def _make(organisation=None, days=30, title="Kreismitgliederversammlung", members=MEMBERS,
              **fields):
        organisation = organisation or world.kassel
        services.rules_update(organisation=organisation, actor=None, data={
            "quorum_kind": AssemblyRules.Quorum.SHARE, "quorum_value": 10})
        start = timezone.now() + timedelta(days=days)
        event = events.event_create(organisation=organisation, title=title,
                                    kind=Event.Kind.ASSEMBLY, starts_at=start,
                                    ends_at=start + timedelta(hours=3), actor=None,
                                    place=world.kassel_office
                                    if organisation == world.kassel else None)
        for row in members:
            member(organisation, *row)
        assembly = services.assembly_create(event=event, actor=None, **fields)
        services.voters_build(assembly=assembly, actor=None)
        return assembly

    return _make


@pytest.fixture
def assembly(make_assembly):
    return make_assembly()


@pytest.fixture
def kassel_member(world):
    """An account linked to a Kassel member's contact (Rosa Roth, once the assembly exists)."""
    return core.user_create(email="kassel_member@example.org", name="Rosa Roth",
                            password="correct horse battery staple")


def voter(assembly, first_name: str) -> Participant:
    return assembly.participants.get(name__startswith=first_name)


def participant_client(participant: Participant) -> tuple[Client, str]:
    """An anonymous browser that holds the participant's personal link (their phone)."""
    return Client(), f"/a/{participant_token(participant)}/"
