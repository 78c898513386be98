"""The events API: who sees which event, who gets the access data, writes through the services."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from mitmachen.core.models import AuditEntry
from mitmachen.events import registrations as regs
from mitmachen.events import services
from mitmachen.events.models import Event, EventSeries, Registration, Topic
from mitmachen.people import services as people

pytestmark = pytest.mark.django_db
PASSCODE = "geheim-4711-passcode"
S = Registration.Status


def post(client, url, body, headers=None):
    return client.post(url, data=json.dumps(body), content_type="application/json",
                       **(headers or {}))


def patch(client, url, body, headers=None):
    return client.patch(url, data=json.dumps(body), content_type="application/json",
                        **(headers or {}))


@pytest.fixture
def member(world):
    """duesseldorf_member's account, with a member record in Kassel (their token's scope)."""
    user = world.users["duesseldorf_member"]
    contact = people.contact_create(organisation=world.kassel, actor=None, status="member",
                                    data={"first_name": "Mira", "email": user.email})
    contact.user = user
    contact.save()
    return user


@pytest.fixture
def online(make_event):
    event = make_event(capacity=5, is_online=True)
    services.access_set(event=event, actor=None, url="https://meet.example.org/rls",
                        meeting_id="123 456", passcode=PASSCODE)
    return event


def ids(response):
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


# --- reading -------------------------------------------------------------------------------

def test_public_list_hides_members_and_invited_events_and_never_shows_access_data(
        world, client, make_event, online, member, token_for):
    members_only = make_event(visibility=Event.Visibility.MEMBERS)
    invited = make_event(visibility=Event.Visibility.INVITED)
    regs.registration_create(event=online, first_name="Ana", email="ana@example.org",
                             privacy_accepted=True, user=member)

    anonymous = client.get("/api/v1/events")
    assert ids(anonymous) == {online.pk}
    as_member = client.get("/api/v1/events", **token_for("duesseldorf_member"))
    assert ids(as_member) == {online.pk, members_only.pk}
    as_staff = client.get("/api/v1/events", **token_for("kassel_events"))
    assert ids(as_staff) == {online.pk, members_only.pk, invited.pk}

    detail = client.get(f"/api/v1/events/{online.pk}", **token_for("kassel_events"))
    assert detail.status_code == 200
    assert detail.json()["is_online"] is True and detail.json()["organisation"] == "kassel"
    for response in (anonymous, as_member, as_staff, detail):
        body = response.content.decode()
        assert PASSCODE not in body and "meet.example.org" not in body and "123 456" not in body
    assert client.get(f"/api/v1/events/{members_only.pk}").status_code == 404
    assert client.get(f"/api/v1/events/{invited.pk}",
                      **token_for("duesseldorf_member")).status_code == 404


def test_event_fields(world, client, make_event):
    topic = services.topic_create(organisation=world.kassel, name="Partizipation", actor=None)
    event = make_event(capacity=3, place=world.kassel_office, topics=[topic], tags=["Sommer"],
                       fee="5.00", contact_email="info@kassel.example.org")
    services.speaker_add(event=event, name="Dr. Rosa Beispiel", actor=None)
    regs.registration_create(event=event, first_name="Ana", email="ana@example.org",
                             privacy_accepted=True)
    body = client.get(f"/api/v1/events/{event.pk}").json()
    assert body["place"]["name"] == "Parteibüro"
    assert body["place"]["district_id"] == world.kassel_office.district_id
    assert body["topics"] == [{"slug": "partizipation", "name": "Partizipation"}]
    assert body["tags"] == ["Sommer"] and body["fee"] == "5.00"
    assert body["seats_left"] == 2 and body["registration_open"] is True
    assert body["speakers"][0]["name"] == "Dr. Rosa Beispiel"
    assert body["url"].endswith(f"/o/kassel/events/{event.pk}/")


def test_list_filters(world, client, make_event):
    topic = services.topic_create(organisation=world.kassel, name="Klima", actor=None)
    on_site = services.event_create(organisation=world.kassel, title="Plenum", kind="plenum",
                                    starts_at=timezone.now() + timedelta(days=2),
                                    place=world.kassel_office, topics=[topic], actor=None)
    remote = make_event(is_online=True)
    later = services.event_create(organisation=world.kassel, title="Später", kind="meeting",
                                  starts_at=timezone.now() + timedelta(days=40), actor=None)
    elsewhere = make_event(organisation=world.duesseldorf)
    assert ids(client.get("/api/v1/events?organisation=kassel")) == {on_site.pk, remote.pk,
                                                                     later.pk}
    assert ids(client.get("/api/v1/events?organisation=duesseldorf")) == {elsewhere.pk}
    assert ids(client.get("/api/v1/events?organisation=nirgendwo")) == set()
    assert ids(client.get("/api/v1/events?topic=klima")) == {on_site.pk}
    assert ids(client.get("/api/v1/events?online=true")) == {remote.pk}
    assert ids(client.get(f"/api/v1/events?district={world.kassel_office.district_id}")) == {
        on_site.pk}
    assert ids(client.get("/api/v1/events?kind=plenum")) == {on_site.pk}
    start = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert ids(client.get(f"/api/v1/events?from={start}")) == {later.pk}
    end = (timezone.localdate() + timedelta(days=10)).isoformat()
    assert later.pk not in ids(client.get(f"/api/v1/events?to={end}"))
    for bad in ("kind=castle", "from=morgen", "online=vielleicht", "district=drei"):
        response = client.get(f"/api/v1/events?{bad}")
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid"


def test_a_wrong_token_is_refused_not_treated_as_public(world, client, make_event):
    event = make_event()
    response = client.get(f"/api/v1/events/{event.pk}", HTTP_AUTHORIZATION="Bearer mm_wrong")
    assert response.status_code == 401


# --- the access data -----------------------------------------------------------------------

def test_access_data_for_organisers_and_confirmed_registrants_only(world, client, online,
                                                                  member, token_for):
    url = f"/api/v1/events/{online.pk}/access"
    organiser = client.get(url, **token_for("kassel_events"))
    assert organiser.status_code == 200 and organiser.json()["passcode"] == PASSCODE
    assert client.get(url, **token_for("hessen_board")).status_code == 200  # role covers Kassel

    for persona in ("duesseldorf_board", "kassel_treasurer", "kassel_groups"):
        response = client.get(url, **token_for(persona))
        assert response.status_code == 404, persona
        assert PASSCODE not in response.content.decode()
    assert client.get(url).status_code == 401

    # A registrant: only while confirmed.
    headers = token_for("duesseldorf_member")
    assert client.get(url, **headers).status_code == 404
    registration = regs.registration_create(event=online, first_name="Mira", user=member,
                                            email="mira@example.org", privacy_accepted=True)
    assert registration.status == S.CONFIRMED
    response = client.get(url, **headers)
    assert response.status_code == 200 and response.json()["passcode"] == PASSCODE
    regs.registration_cancel(registration=registration)
    assert client.get(url, **headers).status_code == 404


def test_waiting_registrant_gets_no_access_data(world, client, make_event, member, token_for):
    event = make_event(capacity=1, is_online=True)
    services.access_set(event=event, actor=None, passcode=PASSCODE)
    regs.registration_create(event=event, first_name="Ana", email="ana@example.org",
                             privacy_accepted=True)
    waiting = regs.registration_create(event=event, first_name="Mira", user=member,
                                       email="mira@example.org", privacy_accepted=True)
    assert waiting.status == S.WAITING
    assert client.get(f"/api/v1/events/{event.pk}/access",
                      **token_for("duesseldorf_member")).status_code == 404


def test_no_access_data_answers_404_even_for_organisers(world, client, make_event, token_for):
    event = make_event(is_online=True)
    response = client.get(f"/api/v1/events/{event.pk}/access", **token_for("kassel_events"))
    assert response.status_code == 404


# --- creating and changing -----------------------------------------------------------------

def test_staff_create_an_event(world, client, token_for):
    services.topic_create(organisation=world.kassel, name="Klima", actor=None)
    response = post(client, "/api/v1/events", {
        "organisation": "kassel", "title": "Klimaplenum", "kind": "plenum",
        "starts_at": "2099-03-02T19:00", "ends_at": "2099-03-02T21:00",
        "place_id": world.kassel_office.pk, "topics": ["klima"], "registration": "open",
        "capacity": 20, "tags": ["Klima", "Klima"], "reminder_hours": [24]},
        token_for("kassel_events"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Klimaplenum" and body["topics"][0]["slug"] == "klima"
    assert body["starts_at"].startswith("2099-03-02T19:00:00+01:00")  # Berlin time
    event = Event.objects.get(pk=body["id"])
    assert event.organisation == world.kassel and event.tags == ["Klima"]
    assert AuditEntry.objects.filter(action="create", object_type="events.event",
                                     object_id=str(event.pk), via="api").exists()


GOOD = {"organisation": "kassel", "title": "Plenum", "kind": "plenum",
        "starts_at": "2099-05-04T19:00"}


@pytest.mark.parametrize("change", [
    {"title": None},
    {"title": ""},
    {"title": "x" * 201},
    {"title": "a\x00b"},
    {"title": 42},
    {"kind": "castle"},
    {"starts_at": "bald"},
    {"ends_at": "2099-05-04T18:00"},
    {"place_id": "drei"},
    {"topics": ["gibt-es-nicht"]},
    {"topics": "klima"},
    {"capacity": -1},
    {"fee": "1.234"},
    {"tags": "sommer"},
    {"reminder_hours": [0]},
    {"contact_email": "keine-adresse"},
    {"registration_opens_at": "2099-05-02T00:00", "registration_closes_at": "2099-05-01T00:00"},
    {"description": "x" * 20001},
    {"is_online": "vielleicht"},
])
def test_bad_event_input_gets_422_and_nothing_is_saved(world, client, token_for, change):
    headers = token_for("kassel_events")
    count, audit = Event.objects.count(), AuditEntry.objects.count()
    response = post(client, "/api/v1/events", {**GOOD, **change}, headers)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"] and error["fields"]
    assert Event.objects.count() == count and AuditEntry.objects.count() == audit


def test_another_organisations_place_is_refused(world, client, token_for):
    response = post(client, "/api/v1/events", {**GOOD, "place_id": world.duesseldorf_office.pk},
                    token_for("kassel_events"))
    assert response.status_code == 422 and "place_id" in response.json()["error"]["fields"]
    assert not Event.objects.exists()


def test_patch_changes_only_what_is_sent(world, client, make_event, token_for):
    event = make_event(capacity=5, venue_note="Noch offen")
    response = patch(client, f"/api/v1/events/{event.pk}", {"title": "Neu", "place_id":
                                                             world.kassel_office.pk},
                     token_for("kassel_events"))
    assert response.status_code == 200, response.content
    event.refresh_from_db()
    assert event.title == "Neu" and event.place == world.kassel_office
    assert event.venue_note == "Noch offen" and event.capacity == 5


@pytest.mark.parametrize("change", [{"title": None}, {"kind": None}, {"starts_at": None},
                                    {"is_online": None}, {"topics": None}, {"capacity": -2},
                                    {"status": "cancelled"}, {"title": "a\x00"}])
def test_bad_patch_changes_nothing(world, client, make_event, token_for, change):
    event = make_event(capacity=5)
    response = patch(client, f"/api/v1/events/{event.pk}", change, token_for("kassel_events"))
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"]
    event.refresh_from_db()
    assert event.title == "Netzwerktreffen" and event.status == Event.Status.PLANNED
    assert event.capacity == 5 and event.is_online is False


def test_capacity_below_the_seats_taken_is_refused(world, client, make_event, register,
                                                   token_for):
    event = make_event(capacity=2)
    register(event, "Ana")
    register(event, "Ben")
    response = patch(client, f"/api/v1/events/{event.pk}", {"capacity": 1},
                     token_for("kassel_events"))
    assert response.status_code == 422 and "capacity" in response.json()["error"]["fields"]
    event.refresh_from_db()
    assert event.capacity == 2


def test_cancel_an_event_tells_the_registrants(world, client, make_event, register, token_for):
    from mitmachen.messaging.models import Message

    event = make_event()
    register(event, "Ana")
    before = Message.objects.filter(to_address="ana@example.org").count()
    response = post(client, f"/api/v1/events/{event.pk}/status",
                    {"status": "cancelled", "reason": "Der Raum ist weg."},
                    token_for("kassel_events"))
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["status_note"] == "Der Raum ist weg."
    assert Message.objects.filter(to_address="ana@example.org").count() == before + 1
    bad = post(client, f"/api/v1/events/{event.pk}/status", {"status": "weg"},
               token_for("kassel_events"))
    assert bad.status_code == 422


# --- series --------------------------------------------------------------------------------

def test_series_by_rule_and_its_occurrences(world, client, token_for):
    start = (timezone.localtime() + timedelta(days=3)).replace(hour=19, minute=0, second=0,
                                                               microsecond=0)
    response = post(client, "/api/v1/series", {
        "organisation": "kassel", "title": "FLINTA*-Plenum", "kind": "plenum",
        "dtstart": start.replace(tzinfo=None).isoformat(), "rrule": "FREQ=MONTHLY;INTERVAL=2",
        "exdates": [(start.replace(tzinfo=None) + timedelta(days=61)).isoformat()],
        "place_id": world.kassel_office.pk, "registration": "open"}, token_for("kassel_events"))
    assert response.status_code == 201, response.content
    body = response.json()
    found = EventSeries.objects.get(pk=body["id"])
    assert found.rrule == "FREQ=MONTHLY;INTERVAL=2"
    assert found.occurrences.count() >= 10
    assert all(e.place_id == world.kassel_office.pk for e in found.occurrences.all())
    assert len(body["next_occurrences"]) == 6
    assert body["next_occurrences"][0]["starts_at"].startswith(start.date().isoformat())

    public = client.get(f"/api/v1/series/{found.pk}").json()
    assert public["title"] == "FLINTA*-Plenum" and len(public["next_occurrences"]) == 6
    page = client.get(f"/api/v1/series/{found.pk}/occurrences?page_size=100").json()
    assert page["count"] == found.occurrences.count()


def test_series_by_list_of_dates(world, client, token_for):
    response = post(client, "/api/v1/series", {
        "organisation": "kassel", "title": "Netzwerktreffen", "kind": "network_meeting",
        "dates": [{"starts_at": "2099-02-03T17:00"},
                  {"starts_at": "2099-05-05T17:00", "ends_at": "2099-05-05T19:30"}]},
        token_for("kassel_events"))
    assert response.status_code == 201, response.content
    found = EventSeries.objects.get(pk=response.json()["id"])
    assert found.occurrences.count() == 2 and found.rrule == ""


@pytest.mark.parametrize("change", [
    {"rrule": "FREQ=SOMETIMES"},
    {"rrule": ""},
    {"rrule": "FREQ=WEEKLY", "dtstart": None},
    {"exdates": ["kein Datum"]},
    {"rrule": "", "dates": [{"starts_at": "2099-02-03T17:00", "ends_at": "2099-02-03T16:00"}]},
    {"title": "x" * 201},
    {"duration_minutes": 0},
    {"topics": ["unbekannt"]},
])
def test_bad_series_input_changes_nothing(world, client, token_for, change):
    body = {"organisation": "kassel", "title": "Plenum", "kind": "plenum",
            "dtstart": "2099-01-07T19:00", "rrule": "FREQ=WEEKLY", **change}
    response = post(client, "/api/v1/series", body, token_for("kassel_events"))
    assert response.status_code == 422, response.content
    assert not EventSeries.objects.exists() and not Event.objects.exists()


def test_members_only_series_is_hidden_from_the_public(world, client, member, token_for):
    from mitmachen.events import series

    start = timezone.now() + timedelta(days=5)
    found = series.series_create(organisation=world.kassel, title="Aktiventreffen",
                                 kind="meeting", dtstart=start, dates=[(start, None)],
                                 visibility="members", actor=None)
    assert client.get(f"/api/v1/series/{found.pk}").status_code == 404
    assert client.get(f"/api/v1/series/{found.pk}/occurrences").status_code == 404
    response = client.get(f"/api/v1/series/{found.pk}", **token_for("duesseldorf_member"))
    assert response.status_code == 200 and len(response.json()["next_occurrences"]) == 1


# --- registrations -------------------------------------------------------------------------

def test_capacity_one_waiting_list_and_promotion(world, client, make_event, token_for,
                                                 django_capture_on_commit_callbacks):
    event = make_event(capacity=1, offer_hours=0)
    url = f"/api/v1/events/{event.pk}/registrations"
    staff = token_for("kassel_events")
    first = post(client, url, {"first_name": "Ana", "phone": "0561 123456", "source": "phone",
                               "privacy_accepted": True}, staff)
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "confirmed" and first.json()["phone"] == "0561 123456"

    second = post(client, url, {"first_name": "Ben", "email": "ben@example.org",
                                "privacy_accepted": True})
    third = post(client, url, {"first_name": "Cem", "email": "cem@example.org",
                               "privacy_accepted": True})
    assert second.status_code == 201 and third.status_code == 201
    assert second.json()["status"] == "waiting" and second.json()["waiting_position"] == 1
    assert third.json()["waiting_position"] == 2
    assert "email" not in second.json() and "first_name" not in second.json()
    assert Registration.objects.get(pk=first.json()["id"]).source == Registration.Source.PHONE

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = post(client, f"/api/v1/registrations/{first.json()['id']}/cancel", {},
                         staff)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    ben = Registration.objects.get(pk=second.json()["id"])
    assert ben.status == S.CONFIRMED
    listing = client.get(url, **staff).json()
    assert {(r["first_name"], r["status"], r["waiting_position"]) for r in listing["items"]} == {
        ("Ana", "cancelled", None), ("Ben", "confirmed", None), ("Cem", "waiting", 1)}
    assert AuditEntry.objects.filter(action="view", organisation=world.kassel,
                                     via="api").exists()


def test_cancel_with_offers_promotes_the_first_waiting(world, client, make_event, register,
                                                       token_for,
                                                       django_capture_on_commit_callbacks):
    event = make_event(capacity=1, offer_hours=24)
    ana = register(event, "Ana")
    ben = register(event, "Ben")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, f"/api/v1/registrations/{ana.pk}/cancel", {},
                        token_for("kassel_board"))
    assert response.status_code == 200
    ben.refresh_from_db()
    assert ben.status == S.OFFERED and ben.offer_expires_at is not None


def test_registration_checkin(world, client, make_event, register, token_for):
    event = make_event(capacity=1)
    ana, ben = register(event, "Ana"), register(event, "Ben")
    url = f"/api/v1/registrations/{ana.pk}/checkin"
    headers = token_for("kassel_events")
    response = post(client, url, {"present": True}, headers)
    assert response.status_code == 200 and response.json()["attended_at"]
    ana.refresh_from_db()
    assert ana.attended_at is not None
    assert post(client, url, {"present": False}, headers).json()["attended_at"] is None
    ana.refresh_from_db()
    assert ana.attended_at is None
    waiting = post(client, f"/api/v1/registrations/{ben.pk}/checkin", {"present": True}, headers)
    assert waiting.status_code == 422
    ben.refresh_from_db()
    assert ben.attended_at is None
    assert post(client, url, {"present": "vielleicht"}, headers).status_code == 422


def test_decide_a_pending_registration(world, client, make_event, register, token_for):
    event = make_event(capacity=3, approval_required=True)
    ana = register(event, "Ana")
    assert ana.status == S.PENDING
    url = f"/api/v1/registrations/{ana.pk}/decide"
    response = post(client, url, {"approve": True}, token_for("kassel_events"))
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    again = post(client, url, {"approve": False}, token_for("kassel_events"))
    assert again.status_code == 422
    ana.refresh_from_db()
    assert ana.status == S.CONFIRMED


def test_self_registration_with_a_token(world, client, make_event, member, token_for):
    event = make_event(visibility=Event.Visibility.MEMBERS,
                       registration=Event.Registration.MEMBERS)
    headers = token_for("duesseldorf_member")
    response = post(client, f"/api/v1/events/{event.pk}/registrations",
                    {"privacy_accepted": True}, headers)
    assert response.status_code == 201, response.content
    registration = Registration.objects.get(pk=response.json()["id"])
    assert registration.user == member and registration.email == member.email
    assert registration.source == Registration.Source.ONLINE
    assert registration.contact.status == "member"

    mine = client.get("/api/v1/me/registrations", **headers).json()
    assert [(r["id"], r["event_title"]) for r in mine["items"]] == [
        (registration.pk, "Netzwerktreffen")]
    assert client.get("/api/v1/me/registrations",
                      **token_for("kassel_board")).json()["count"] == 0

    cancelled = post(client, f"/api/v1/registrations/{registration.pk}/cancel", {}, headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert "email" not in cancelled.json()


def test_someone_elses_registration_cannot_be_cancelled(world, client, make_event, register,
                                                        member, token_for):
    ana = register(make_event(), "Ana")
    response = post(client, f"/api/v1/registrations/{ana.pk}/cancel", {},
                    token_for("duesseldorf_member"))
    assert response.status_code == 404
    ana.refresh_from_db()
    assert ana.status == S.CONFIRMED


def test_public_registration_rules(world, client, make_event):
    members_only = make_event(visibility=Event.Visibility.MEMBERS)
    none = make_event(registration=Event.Registration.NONE)
    for_members = make_event(registration=Event.Registration.MEMBERS)
    body = {"first_name": "Ana", "email": "ana@example.org", "privacy_accepted": True}
    assert post(client, f"/api/v1/events/{members_only.pk}/registrations",
                body).status_code == 404
    for event in (none, for_members):
        response = post(client, f"/api/v1/events/{event.pk}/registrations", body)
        assert response.status_code == 422 and response.json()["error"]["fields"]
    assert not Registration.objects.exists()


@pytest.mark.parametrize("change", [
    {"privacy_accepted": False},
    {"first_name": ""},
    {"email": "", "phone": ""},
    {"first_name": "A\x00na"},
    {"first_name": "x" * 101},
    {"email": 5},
    {"answers": "ja"},
    {"answers": {"1": ["liste"]}},
    {"category_id": 999999},
    {"email": "keine-adresse"},
])
def test_bad_registration_input_changes_nothing(world, client, make_event, change):
    event = make_event()
    body = {"first_name": "Ana", "email": "ana@example.org", "privacy_accepted": True, **change}
    response = post(client, f"/api/v1/events/{event.pk}/registrations", body)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"]
    assert not Registration.objects.exists()
    event.refresh_from_db()
    assert event.seats_taken == 0


def test_required_answers(world, client, make_event):
    event = make_event()
    question = services.question_add(event=event, label="Essen?", kind="choice",
                                     choices=["vegan", "vegetarisch"], required=True, actor=None)
    url = f"/api/v1/events/{event.pk}/registrations"
    body = {"first_name": "Ana", "email": "ana@example.org", "privacy_accepted": True}
    assert post(client, url, {**body, "answers": {str(question.pk): "Fleisch"}}).status_code \
        == 422
    response = post(client, url, {**body, "answers": {str(question.pk): "vegan"}})
    assert response.status_code == 201
    assert Registration.objects.get().answers == {str(question.pk): "vegan"}


def test_staff_may_register_for_an_invited_event(world, client, make_event, token_for):
    event = make_event(registration=Event.Registration.INVITED)
    url = f"/api/v1/events/{event.pk}/registrations"
    body = {"first_name": "Ana", "email": "ana@example.org", "privacy_accepted": True}
    assert post(client, url, body).status_code == 422
    response = post(client, url, body, token_for("kassel_events"))
    assert response.status_code == 201 and response.json()["email"] == "ana@example.org"
    assert Registration.objects.get().source == Registration.Source.API


def test_unauthenticated_registrations_are_rate_limited(world, client, make_event, settings,
                                                       token_for):
    settings.EVENT_REGISTRATION_LIMIT = 3
    event = make_event(capacity=None)
    url = f"/api/v1/events/{event.pk}/registrations"
    codes = [post(client, url, {"first_name": f"P{n}", "email": f"p{n}@example.org",
                                "privacy_accepted": True}).status_code for n in range(5)]
    assert codes == [201, 201, 201, 422, 422]
    assert Registration.objects.count() == 3
    staff = post(client, url, {"first_name": "S", "email": "s@example.org",
                               "privacy_accepted": True}, token_for("kassel_events"))
    assert staff.status_code == 201  # staff are not throttled


# --- another organisation ------------------------------------------------------------------

def test_a_token_of_another_organisation_gets_404_and_changes_nothing(
        world, client, make_event, register, online, token_for):
    ana = register(online, "Ana")
    headers = token_for("duesseldorf_board")
    audit = AuditEntry.objects.count()
    calls = [
        ("get", f"/api/v1/events/{online.pk}/access", None),
        ("get", f"/api/v1/events/{online.pk}/registrations", None),
        ("patch", f"/api/v1/events/{online.pk}", {"title": "Übernommen"}),
        ("post", f"/api/v1/events/{online.pk}/status", {"status": "cancelled"}),
        ("post", f"/api/v1/registrations/{ana.pk}/cancel", {}),
        ("post", f"/api/v1/registrations/{ana.pk}/checkin", {"present": True}),
        ("post", "/api/v1/events", GOOD),
        ("post", "/api/v1/series", {**GOOD, "dtstart": "2099-01-07T19:00",
                                    "rrule": "FREQ=WEEKLY"}),
        ("post", f"/api/v1/events/{online.pk}/registrations",
         {"first_name": "X", "email": "x@example.org", "privacy_accepted": True}),
    ]
    for method, url, body in calls:
        if method == "get":
            response = client.get(url, **headers)
        else:
            response = (post if method == "post" else patch)(client, url, body, headers)
        assert response.status_code == 404, (url, response.content)
        assert response.json()["error"]["code"] == "not_found"
    assert AuditEntry.objects.count() == audit
    online.refresh_from_db()
    ana.refresh_from_db()
    assert online.title == "Netzwerktreffen" and online.status == Event.Status.PLANNED
    assert ana.status == S.CONFIRMED and ana.attended_at is None
    assert Registration.objects.count() == 1 and Event.objects.count() == 1
    assert not Topic.objects.exists()


def test_a_token_reaches_only_its_organisations_subtree(world, client, make_event, token_for):
    invited = make_event(visibility=Event.Visibility.INVITED)
    assert client.get(f"/api/v1/events/{invited.pk}",
                      **token_for("hessen_board", world.hessen)).status_code == 200
    # The Hessen board may organise Kassel's events, but not with a token for Kassel-Nord.
    below = token_for("hessen_board", world.ortsverband)
    assert client.get(f"/api/v1/events/{invited.pk}", **below).status_code == 404
    assert invited.pk not in ids(client.get("/api/v1/events", **below))
    assert patch(client, f"/api/v1/events/{invited.pk}", {"title": "x"}, below).status_code \
        == 404


def test_the_list_takes_the_same_queries_for_more_events(world, client, make_event,
                                                         django_assert_max_num_queries):
    topic = services.topic_create(organisation=world.kassel, name="Klima", actor=None)

    def add(n):
        for _n in range(n):
            event = make_event(place=world.kassel_office, topics=[topic])
            services.speaker_add(event=event, name="Rosa", actor=None)

    add(2)
    with django_assert_max_num_queries(8) as few:
        assert client.get("/api/v1/events").json()["count"] == 2
    add(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/events").json()["count"] == 10


def test_staff_registration_list_ranks_the_waiting_list_in_one_query(
        world, client, make_event, register, token_for, django_assert_max_num_queries):
    event = make_event(capacity=1)
    for name in ("Ana", "Ben", "Cem", "Dora", "Emil"):
        register(event, name)
    headers = token_for("kassel_board")
    url = f"/api/v1/events/{event.pk}/registrations"
    client.get(url, **headers)  # warm: token, roles
    with django_assert_max_num_queries(12) as few:
        rows = client.get(url, **headers).json()["items"]
    assert [(r["first_name"], r["waiting_position"]) for r in rows] == [
        ("Ana", None), ("Ben", 1), ("Cem", 2), ("Dora", 3), ("Emil", 4)]
    register(event, "Fritz")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url, **headers)


def test_file_links_go_through_the_checked_download(world, client, make_event):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mitmachen.events import services

    event = make_event()
    services.file_add(event=event, upload=SimpleUploadedFile("flyer.pdf", b"%PDF-1.4 x"),
                      title="Flyer", actor=None)
    link = client.get(f"/api/v1/events/{event.pk}").json()["files"][0]["url"]
    assert f"/o/kassel/events/{event.pk}/files/" in link
    response = client.get(link.split("testserver", 1)[-1].replace("http://127.0.0.1:8000", ""))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31",
                                   "district=99999999999999999999", "district=0"])
def test_extreme_filters_get_a_clear_answer(world, client, query):
    response = client.get(f"/api/v1/events?{query}")
    assert response.status_code == 422 and response.json()["error"]["message"]
