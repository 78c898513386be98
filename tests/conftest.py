"""Shared personas: a board member of Kassel, a member of Düsseldorf, an officer, and so on.

The world is small on purpose: two party branches under different state associations, one state
board above Kassel, an umbrella with a member organisation, and a cooperation.
"""

import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mitmachen.core import services as core
from mitmachen.core.roles import Role
from mitmachen.events import services as events
from mitmachen.events.models import Event
from mitmachen.organisations import services as org
from mitmachen.organisations.models import Organisation, Place

PASSWORD = "correct horse battery staple"
CI = os.environ.get("CI", "").lower() == "true"
DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences",
               "django_db_serialized_rollback", "live_server"}


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, run only the tests that touch the database: a pure rule (quotas,
    matching, crypto) gives the same answer on either backend, and `make test` has already run
    it on SQLite. The rest of the suite runs on both."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    keep, pure = [], []
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or bool(
            DB_FIXTURES & set(getattr(item, "fixturenames", ())))
        (keep if uses_db else pure).append(item)
    if pure:
        config.hook.pytest_deselected(items=pure)
        items[:] = keep


@dataclass
class World:
    federal: Organisation
    hessen: Organisation
    kassel: Organisation
    ortsverband: Organisation
    nrw: Organisation
    duesseldorf: Organisation
    umbrella: Organisation
    member_org: Organisation
    kassel_office: Place
    duesseldorf_office: Place
    cooperation: object
    users: dict


def _org(slug, kind, level, parent=None, **extra):
    return org.organisation_create(name=slug.replace("-", " ").title(), slug=slug, kind=kind,
                                   level=level, parent=parent, actor=None, **extra)


@pytest.fixture
def world(db) -> World:
    K, L = Organisation.Kind, Organisation.Level
    town = org.municipality_create(name="Kassel", slug="kassel", state="Hessen", actor=None)
    mitte = org.district_create(municipality=town, name="Mitte", slug="mitte", actor=None)
    org.district_create(municipality=town, name="Wesertor", slug="wesertor", actor=None)
    federal = _org("bund", K.PARTY_BRANCH, L.FEDERAL)
    hessen = _org("hessen", K.PARTY_BRANCH, L.STATE, federal)
    kassel = _org("kassel", K.PARTY_BRANCH, L.DISTRICT, hessen, municipality=town,
                  about="Wir sind die Kasseler.", how_to_join="Schreib uns.",
                  contact_email="vorstand@kassel.example.org")
    ortsverband = _org("kassel-nord", K.PARTY_BRANCH, L.LOCAL, kassel)
    nrw = _org("nrw", K.PARTY_BRANCH, L.STATE, federal)
    duesseldorf = _org("duesseldorf", K.PARTY_BRANCH, L.DISTRICT, nrw)
    umbrella = _org("kreisgruppe", K.UMBRELLA, L.DISTRICT)
    member_org = _org("tonndorf", K.MEMBER_ORGANISATION, L.LOCAL)
    org.umbrella_member_add(umbrella=umbrella, member=member_org, actor=None)
    kassel_office = org.place_create(organisation=kassel, actor=None, data={
        "name": "Parteibüro", "kind": Place.Kind.OFFICE, "city": "Kassel", "district": mitte})
    duesseldorf_office = org.place_create(organisation=duesseldorf, actor=None, data={
        "name": "Geschäftsstelle Düsseldorf", "city": "Düsseldorf"})
    cooperation = org.cooperation_create(name="STADT. LAND. LINKS.", slug="sll",
                                         partners=[kassel, duesseldorf], actor=None)
    personas = {
        # name: (organisation, role or None)
        "kassel_board": (kassel, Role.BOARD),
        "kassel_admin": (kassel, Role.ADMINISTRATOR),
        "kassel_groups": (kassel, Role.GROUP_COORDINATOR),
        "kassel_events": (kassel, Role.EVENT_ORGANISER),
        "kassel_consultation": (kassel, Role.CONSULTATION_STAFF),
        "kassel_treasurer": (kassel, Role.TREASURER),
        "hessen_board": (hessen, Role.BOARD),
        "duesseldorf_board": (duesseldorf, Role.BOARD),
        "duesseldorf_admin": (duesseldorf, Role.ADMINISTRATOR),
        "duesseldorf_mentoring": (duesseldorf, Role.MENTORING_COORDINATOR),
        "duesseldorf_officer": (duesseldorf, Role.ANTIDISCRIMINATION_OFFICER),
        "umbrella_board": (umbrella, Role.BOARD),
        "duesseldorf_member": (None, None),  # an account without any staff role
    }
    users = {}
    for name, (organisation, role) in personas.items():
        user = core.user_create(email=f"{name}@example.org", name=name.replace("_", " "),
                                password=PASSWORD)
        if role:
            core.role_grant(user=user, organisation=organisation, role=role, actor=None)
        users[name] = user
    return World(federal, hessen, kassel, ortsverband, nrw, duesseldorf, umbrella, member_org,
                 kassel_office, duesseldorf_office, cooperation, users)


@pytest.fixture
def login(world):
    """login("kassel_board") → a test client logged in as that persona."""

    def _login(persona: str | None) -> Client:
        client = Client()
        if persona is not None:
            client.force_login(world.users[persona])
        return client

    return _login


@pytest.fixture
def token_for(world):
    """token_for("kassel_board") → headers with a bearer token for the persona's organisation."""

    def _token(persona: str, organisation: Organisation | None = None) -> dict:
        user = world.users[persona]
        first_role = user.role_assignments.first()
        target = organisation or (first_role.organisation if first_role
                                  else user.contacts.first().organisation)
        _t, plaintext = core.token_create(user=user, organisation=target, name="test")
        return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}

    return _token


# Events: used by tests/events and by the mailings to registrants in tests/messaging.
@pytest.fixture
def make_event(world):
    """An event of Kassel's in a week, open for registration, with `capacity` seats."""

    def _make(capacity=2, organisation=None, title="Netzwerktreffen", **fields):
        start = timezone.now() + timedelta(days=7)
        fields = {"registration": Event.Registration.OPEN, "capacity": capacity,
                  "ends_at": start + timedelta(hours=2), **fields}
        return events.event_create(organisation=organisation or world.kassel,
                                   title=title, kind=Event.Kind.NETWORK_MEETING,
                                   starts_at=start, actor=None, **fields)

    return _make


@pytest.fixture
def register():
    from mitmachen.events.registrations import registration_create

    def _register(event, name="Ana", email=None, **fields):
        return registration_create(event=event, first_name=name,
                                   email=email if email is not None else
                                   f"{str(name).lower()}@example.org",
                                   privacy_accepted=True, **fields)

    return _register
