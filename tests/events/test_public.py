"""Public event pages: calendar, event page, registration form, personal link, series, yearly
plan and "my events"."""

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mitmachen.events import registrations as regs
from mitmachen.events import series as series_services
from mitmachen.events import services
from mitmachen.events.models import CalendarToken, Event, Question, Registration, Topic
from mitmachen.events.public import PER_PAGE
from mitmachen.messaging.models import Message
from mitmachen.organisations import services as org
from mitmachen.organisations.models import Place
from mitmachen.people import services as people
from mitmachen.people.models import Contact

S = Registration.Status
BERLIN = timezone.get_default_timezone()


def url(name, *args):
    return reverse(f"events:{name}", args=args)


def at(days, hour=19, minute=0):
    """A Berlin wall-clock time `days` from today."""
    day = timezone.localdate() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def form_data(**fields):
    data = {"first_name": "Ana", "last_name": "Alves", "email": "ana@example.org",
            "phone": "", "privacy": "on", "website": ""}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def make_event(world):
    """Like the events conftest's, with the title, start and kind open too."""

    def _make(capacity=2, organisation=None, title="Netzwerktreffen", starts_at=None,
              kind=Event.Kind.NETWORK_MEETING, **fields):
        start = starts_at or timezone.now() + timedelta(days=7)
        fields = {"registration": Event.Registration.OPEN, "capacity": capacity,
                  "ends_at": start + timedelta(hours=2), **fields}
        return services.event_create(organisation=organisation or world.kassel, title=title,
                                     kind=kind, starts_at=start, actor=None, **fields)

    return _make


@pytest.fixture
def login(login, settings):
    """The personas' clients, reading the pages in English (German is the default)."""

    def _login(persona):
        client = login(persona)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return _login


@pytest.fixture
def client(login):
    return login(None)


@pytest.fixture
def topic(world):
    return services.topic_create(organisation=world.kassel, name="Partizipation / Bürgerrechte",
                                 actor=None)


# --- calendar -----------------------------------------------------------------------------

def test_calendar_shows_public_events_in_berlin_time_with_badges(world, client, make_event,
                                                                 topic):
    event = make_event(starts_at=at(5, 19), ends_at=at(5, 21), place=world.kassel_office,
                       topics=[topic], fee=Decimal("5.00"))
    make_event(title="Vorstand intern", visibility=Event.Visibility.MEMBERS)
    services.event_create(organisation=world.kassel, title="Sommerfest", kind=Event.Kind.FESTIVAL,
                          starts_at=at(9, 14), actor=None, status=Event.Status.TENTATIVE,
                          is_online=True)
    cancelled = make_event(title="Abgesagt")
    services.event_status_change(event=cancelled, to_status=Event.Status.CANCELLED, actor=None)

    response = client.get(url("calendar"))
    assert response.status_code == 200
    text = response.content.decode()
    assert url("public_detail", "kassel", event.pk) in text
    assert "19:00" in text and "21:00" in text  # Berlin, not UTC
    assert "Parteibüro" in text and "Partizipation / Bürgerrechte" in text
    assert "5,00 €" in text or "5.00 €" in text
    assert "Vorstand intern" not in text
    assert "not yet confirmed" in text and "cancelled" in text
    assert "free of charge" in text  # the festival has no fee
    assert "Online" in text
    assert "Kassel" in text  # the organiser


def test_calendar_filters(world, client, make_event, topic):
    wesertor = world.kassel_office.district.municipality.districts.get(slug="wesertor")
    elsewhere = org.place_create(organisation=world.kassel, actor=None, data={
        "name": "Stadtteilzentrum Wesertor", "city": "Kassel", "district": wesertor})
    make_event(title="Mitte vor Ort", place=world.kassel_office, topics=[topic])
    make_event(title="Wesertor vor Ort", place=elsewhere, kind=Event.Kind.PLENUM)
    make_event(title="Digital", is_online=True, starts_at=at(40))
    make_event(title="Düsseldorfer Treffen", organisation=world.duesseldorf)

    def titles(**params):
        response = client.get(url("calendar"), params)
        assert response.status_code == 200
        return {t for t in ("Mitte vor Ort", "Wesertor vor Ort", "Digital",
                            "Düsseldorfer Treffen") if t in response.content.decode()}

    assert titles() == {"Mitte vor Ort", "Wesertor vor Ort", "Digital", "Düsseldorfer Treffen"}
    assert titles(organisation="kassel") == {"Mitte vor Ort", "Wesertor vor Ort", "Digital"}
    assert titles(organisation="kassel", topic=topic.slug) == {"Mitte vor Ort"}
    assert titles(topic=topic.slug) == {"Mitte vor Ort"}
    assert titles(district=wesertor.pk) == {"Wesertor vor Ort"}
    assert titles(where="online") == {"Digital"}
    assert titles(where="onsite") == {"Mitte vor Ort", "Wesertor vor Ort"}
    assert titles(kind=Event.Kind.PLENUM) == {"Wesertor vor Ort"}
    assert titles(q="wesertor") == {"Wesertor vor Ort"}
    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert titles(date_from=later) == {"Digital"}
    assert titles(date_to=later, organisation="kassel") == {"Mitte vor Ort", "Wesertor vor Ort"}
    # The organisation's own topics become a choice.
    page = client.get(url("calendar"), {"organisation": "kassel"}).content.decode()
    assert f'<option value="{topic.slug}">' in page


@pytest.mark.parametrize("params", [
    {"date_from": "2024-13-45"}, {"date_to": "0001-01-01"}, {"date_from": "9999-12-31"},
    {"district": "abc"}, {"district": "99999999999999999999999"}, {"kind": "party"},
    {"organisation": "nowhere"}, {"organisation": "kassel\x00"}, {"q": "a\x00b"},
    {"q": "x" * 500}, {"topic": "not a slug!"}, {"where": "moon"},
    {"date_from": "2030-02-01", "date_to": "2030-01-01"},
])
def test_unreadable_filters_are_ignored_with_a_note(world, client, make_event, params):
    make_event(title="Netzwerktreffen")
    response = client.get(url("calendar"), {**params, "page": "x"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "could not be read and were ignored" in text
    if "date_from" not in params:
        assert "Netzwerktreffen" in text


def test_calendar_pages_hold_25_and_keep_the_filters(world, client, make_event):
    for day in range(30):
        make_event(title=f"Termin {day:02d}", starts_at=at(day + 1))
    first = client.get(url("calendar"), {"organisation": "kassel"}).content.decode()
    assert first.count('class="card event"') == 25
    assert "30 events" in first
    assert "organisation=kassel&amp;page=2" in first
    second = client.get(url("calendar"), {"organisation": "kassel", "page": 2}).content.decode()
    assert second.count('class="card event"') == 5 and "Termin 29" in second


def _many_events(world, count):
    districts = list(world.kassel_office.district.municipality.districts.all())
    topics = [Topic.objects.get_or_create(organisation=world.kassel, slug=f"thema-{n}",
                                          defaults={"name": f"Thema {n}"})[0] for n in range(3)]
    for n in range(count):
        place = org.place_create(organisation=world.kassel, actor=None, data={
            "name": f"Ort {n}", "city": "Kassel", "district": districts[n % len(districts)]})
        services.event_create(organisation=world.kassel, title=f"Treffen {n}",
                              kind=Event.Kind.MEETING, starts_at=at(n + 1), actor=None,
                              place=place, topics=topics[: n % 3 + 1],
                              cooperation=world.cooperation if n % 2 else None)


@pytest.mark.parametrize("persona", [None, "duesseldorf_member", "kassel_board"])
def test_calendar_queries_do_not_grow_with_the_events(world, login, persona,
                                                      django_assert_max_num_queries):
    _many_events(world, 3)
    client = login(persona)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pages = [(url("org_calendar", "kassel"), {}),
             (url("calendar"), {"organisation": "kassel", "topic": "thema-0", "where": "onsite"})]
    counts = []
    for address, params in pages:
        with CaptureQueriesContext(connection) as few:
            assert client.get(address, params).status_code == 200
        counts.append(len(few.captured_queries))
    _many_events(world, 30)  # 33 in all: a full page of 25 and a second one
    for (address, params), count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            response = client.get(address, params)
        assert response.content.decode().count('class="card event"') == PER_PAGE
        with django_assert_max_num_queries(count):
            second = client.get(address, {**params, "page": 2})
        assert second.content.decode().count('class="card event"') == 33 - PER_PAGE
    assert max(counts) <= 16


def test_organisation_calendar_includes_sub_organisations_and_feed_links(world, client,
                                                                        make_event):
    make_event(title="Ortsverband Nord", organisation=world.ortsverband)
    make_event(title="Düsseldorf", organisation=world.duesseldorf)
    response = client.get(url("org_calendar", "kassel"))
    text = response.content.decode()
    assert "Ortsverband Nord" in text and "Düsseldorf</a>" not in text
    assert url("feed_organisation", "kassel") in text and url("feed_atom", "kassel") in text
    assert client.get(url("org_calendar", "nowhere")).status_code == 404


# --- event page ---------------------------------------------------------------------------

@pytest.fixture
def seed_001(world, settings, tmp_path):
    """The STADT. LAND. LINKS. meeting of seed 001."""
    settings.MEDIA_ROOT = tmp_path
    topics = [services.topic_create(organisation=world.kassel, name=name, actor=None)
              for name in ("Partizipation / Bürgerrechte", "Stadt / Kommune / Region")]
    event = services.event_create(
        organisation=world.kassel, title="Arbeitstreffen Unterstützung für Geflüchtete",
        kind=Event.Kind.NETWORK_MEETING, starts_at=at(10, 18), ends_at=at(10, 20, 30),
        actor=None, is_online=True, topics=topics, cooperation=world.cooperation,
        registration=Event.Registration.OPEN, capacity=30,
        description="Der Krieg in der Ukraine wirkt sich aus.",
        contact_name="Rosa-Luxemburg-Stiftung Niedersachsen",
        contact_email="kommunal@rls-nds.example", contact_phone="+495112790934")
    services.access_set(event=event, actor=None, url="https://zoom.example/j/93760801674",
                        meeting_id="937 6080 1674", passcode="geheim-4711")
    services.speaker_add(event=event, name="Sigmar Walbrecht",
                         affiliation="Flüchtlingsrat Niedersachsen", actor=None)
    services.file_add(event=event, title="Einladung", actor=None, upload=SimpleUploadedFile(
        "einladung.pdf", b"%PDF-1.4 invitation", content_type="application/pdf"))
    return event


def test_event_page_as_in_seed_001(world, client, seed_001):
    event = seed_001
    response = client.get(url("public_detail", "kassel", event.pk))
    assert response.status_code == 200
    text = response.content.decode()
    for expected in ("Arbeitstreffen Unterstützung für Geflüchtete", "18:00", "20:30",
                     "Online", "Partizipation / Bürgerrechte, Stadt / Kommune / Region",
                     "Input by", "Sigmar Walbrecht, Flüchtlingsrat Niedersachsen",
                     "Einladung", "Register now", "free of charge", "kommunal@rls-nds.example",
                     "+49 511 2790934", "STADT. LAND. LINKS.",
                     "The access data will be sent after registration.", "30 seats left",
                     url("register", "kassel", event.pk), url("event_ics", "kassel", event.pk),
                     "Der Krieg in der Ukraine"):
        assert expected in text, expected
    for secret in ("geheim-4711", "93760801674", "937 6080 1674", "zoom.example"):
        assert secret not in text


def test_the_event_page_hides_access_data_from_a_confirmed_registrant(world, login, seed_001,
                                                                       register):
    user = world.users["duesseldorf_member"]
    register(seed_001, "Dora", email=user.email, user=user)
    text = login("duesseldorf_member").get(url("public_detail", "kassel", seed_001.pk)) \
        .content.decode()
    assert "Arbeitstreffen" in text and "geheim-4711" not in text and "zoom.example" not in text


def test_attached_files_download_with_their_type(world, client, seed_001):
    attached = seed_001.files.get()
    response = client.get(url("event_file", "kassel", seed_001.pk, attached.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="einladung.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 invitation"
    assert client.get(url("event_file", "duesseldorf", seed_001.pk, attached.pk)) \
        .status_code == 404
    services.event_update(event=seed_001, data={"visibility": Event.Visibility.MEMBERS},
                          actor=None)
    assert client.get(url("event_file", "kassel", seed_001.pk, attached.pk)).status_code == 404


def test_event_ics_has_the_event_but_no_access_data(world, client, seed_001):
    response = client.get(url("event_ics", "kassel", seed_001.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert "Arbeitstreffen" in body and "geheim-4711" not in body and "zoom.example" not in body


def test_place_accessibility_and_venue(world, client, make_event):
    place = org.place_create(organisation=world.kassel, actor=None, data={
        "name": "Frauenzentrum", "street": "Hauptstraße 1", "postcode": "34117",
        "city": "Kassel", "step_free": Place.Access.YES, "accessible_toilet": Place.Access.NO,
        "accessibility_notes": "Rampe am Hintereingang"})
    event = make_event(place=place, accessibility_note="Gebärdendolmetschung auf Anfrage")
    text = client.get(url("public_detail", "kassel", event.pk)).content.decode()
    for expected in ("Frauenzentrum, Hauptstraße 1, 34117 Kassel", "Step-free access",
                     "Rampe am Hintereingang", "Gebärdendolmetschung auf Anfrage"):
        assert expected in text


def test_members_only_and_wrong_addresses_answer_404(world, client, login, make_event):
    secret = make_event(visibility=Event.Visibility.MEMBERS)
    assert client.get(url("public_detail", "kassel", secret.pk)).status_code == 404
    assert client.get(url("register", "kassel", secret.pk)).status_code == 404
    assert client.get(url("event_ics", "kassel", secret.pk)).status_code == 404
    # staff of the organisation may look at it
    assert login("kassel_events").get(url("public_detail", "kassel", secret.pk)) \
        .status_code == 200
    theirs = make_event(organisation=world.duesseldorf)
    assert client.get(url("public_detail", "kassel", theirs.pk)).status_code == 404
    assert client.get(url("public_detail", "duesseldorf", theirs.pk)).status_code == 200
    assert client.get(url("public_detail", "kassel", 999999)).status_code == 404


def test_a_member_sees_members_only_events_of_their_organisation(world, login, make_event):
    secret = make_event(visibility=Event.Visibility.MEMBERS,
                        registration=Event.Registration.MEMBERS)
    user = world.users["duesseldorf_member"]
    contact = people.contact_create(organisation=world.kassel, actor=None, data={
        "first_name": "Dora", "last_name": "Dietz", "email": "dora@example.org"},
        status=Contact.Status.MEMBER)
    Contact.objects.filter(pk=contact.pk).update(user=user)
    client = login("duesseldorf_member")
    page = client.get(url("public_detail", "kassel", secret.pk))
    assert page.status_code == 200 and "Register now" in page.content.decode()
    form = client.get(url("register", "kassel", secret.pk)).content.decode()
    assert 'value="Dora"' in form and 'value="dora@example.org"' in form  # prefilled
    response = client.post(url("register", "kassel", secret.pk),
                           form_data(first_name="Dora", email="dora@example.org"))
    assert response.status_code in (302, 303)
    registration = secret.registrations.get()
    assert registration.contact == contact and registration.user == user
    assert registration.status == S.CONFIRMED


def test_the_reason_shows_when_registration_is_not_possible(world, client, make_event):
    closed = make_event(registration_closes_at=timezone.now() - timedelta(hours=1))
    text = client.get(url("public_detail", "kassel", closed.pk)).content.decode()
    assert "Registration has closed." in text and "Register now" not in text
    members = make_event(registration=Event.Registration.MEMBERS)
    text = client.get(url("public_detail", "kassel", members.pk)).content.decode()
    assert "Only members can register" in text and reverse("core:login") in text
    response = client.post(url("register", "kassel", members.pk), form_data())
    assert response.status_code == 400 and not members.registrations.exists()


def test_fully_booked_offers_the_waiting_list(world, client, make_event, register):
    event = make_event(capacity=1)
    register(event, "Ana")
    text = client.get(url("public_detail", "kassel", event.pk)).content.decode()
    assert "fully booked – waiting list" in text and "Register now" in text


def test_series_link_with_next_dates(world, client):
    created = series_services.series_create(
        organisation=world.kassel, title="FLINTA*-Plenum", kind=Event.Kind.PLENUM,
        dtstart=at(3, 19), rrule="FREQ=MONTHLY;INTERVAL=2", actor=None,
        place=world.kassel_office)
    first, second = created.occurrences.order_by("starts_at")[:2]
    text = client.get(url("public_detail", "kassel", first.pk)).content.decode()
    assert url("series_detail", "kassel", created.pk) in text
    assert url("public_detail", "kassel", second.pk) in text


# --- registration -------------------------------------------------------------------------

def test_registration_confirms_and_leads_to_the_personal_page(world, client, make_event):
    event = make_event(capacity=1)
    assert "Register now" in client.get(url("register", "kassel", event.pk)).content.decode()
    response = client.post(url("register", "kassel", event.pk), form_data())
    assert response.status_code == 303
    registration = event.registrations.get()
    assert registration.status == S.CONFIRMED and registration.source == "online"
    assert registration.language == "en" and registration.user is None
    assert response["Location"] == url("personal", regs.personal_token(registration))
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Your registration is confirmed." in page.content.decode()

    response = client.post(url("register", "kassel", event.pk),
                           form_data(first_name="Ben", email="ben@example.org"))
    page = client.get(response["Location"]).content.decode()
    assert "waiting list at position 1" in page


def test_double_opt_in_and_approval_are_explained(world, client, make_event):
    opt_in = make_event(double_opt_in=True)
    response = client.post(url("register", "kassel", opt_in.pk), form_data())
    page = client.get(response["Location"]).content.decode()
    assert "Please open the link in it to confirm your address" in page
    assert "Confirm my e-mail address" not in page  # not without the e-mail's code
    approval = make_event(approval_required=True)
    response = client.post(url("register", "kassel", approval.pk), form_data())
    assert "awaiting approval" in client.get(response["Location"]).content.decode()


def test_german_is_the_default_language(world, make_event):
    from django.test import Client

    event = make_event()
    response = Client().post(url("register", "kassel", event.pk), form_data())
    assert event.registrations.get().language == "de"
    assert 'lang="de"' in Client().get(response["Location"]).content.decode()


@pytest.mark.parametrize("fields, field, message", [
    ({"first_name": "", "email": "", "privacy": None}, "first_name", "This field is required"),
    ({"first_name": "A" * 101}, "first_name", "at most 100 characters"),
    ({"last_name": "Al\x00ves"}, "last_name", "Null characters are not allowed"),
    ({"email": "ana(at)example"}, "email", "Enter a valid email address"),
    ({"privacy": None}, "privacy", "This field is required"),
    ({"phone": "1" * 41}, "phone", "at most 40 characters"),
])
def test_bad_input_is_refused_and_saves_nothing(world, client, make_event, fields, field,
                                                message):
    event = make_event()
    response = client.post(url("register", "kassel", event.pk), form_data(**fields))
    assert response.status_code == 400
    text = response.content.decode()
    assert message in text
    assert f'id="id_{field}"' in text and 'aria-invalid="true"' in text
    assert not Registration.objects.exists()


def test_the_service_refusal_shows_on_the_form(world, client, make_event, register):
    event = make_event()
    register(event, "Ana", email="ana@example.org")
    response = client.post(url("register", "kassel", event.pk), form_data())
    assert response.status_code == 400
    assert "already registered for this event" in response.content.decode()
    assert event.registrations.count() == 1


def test_the_honeypot_keeps_nothing(world, client, make_event):
    event = make_event()
    response = client.post(url("register", "kassel", event.pk),
                           form_data(website="http://spam.example"))
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    assert not Registration.objects.exists()


def test_categories_and_questions(world, client, make_event):
    event = make_event(capacity=None)
    reduced = services.category_add(event=event, name="ermäßigt", actor=None,
                                    price=Decimal("3"))
    services.category_add(event=event, name="normal", actor=None, price=Decimal("6"))
    food = services.question_add(event=event, label="Essen", kind=Question.Kind.CHOICE,
                                 choices=["vegan", "vegetarisch"], required=True, actor=None)
    childcare = services.question_add(event=event, label="Kinderbetreuung?",
                                      kind=Question.Kind.YES_NO, actor=None)
    note = services.question_add(event=event, label="Anmerkung", actor=None)
    form = client.get(url("register", "kassel", event.pk)).content.decode()
    assert 'type="radio" name="category"' in form and "<legend>Ticket" in form
    assert f'name="q{food.pk}"' in form and f'name="q{childcare.pk}"' in form
    assert re.search(rf'<select name="q{food.pk}"', form)
    assert f'type="checkbox" name="q{childcare.pk}"' in form
    base = form_data(category=reduced.pk)
    for bad in ({f"q{food.pk}": "fleisch"}, {}, {f"q{food.pk}": "vegan", "category": "999"},
                {f"q{food.pk}": "vegan", f"q{note.pk}": "x" * 1001}):
        response = client.post(url("register", "kassel", event.pk), {**base, **bad})
        assert response.status_code == 400, bad
    assert not Registration.objects.exists()
    response = client.post(url("register", "kassel", event.pk), {
        **base, f"q{food.pk}": "vegan", f"q{childcare.pk}": "on", f"q{note.pk}": "Danke"})
    assert response.status_code == 303
    registration = event.registrations.get()
    assert registration.category == reduced
    assert registration.answers == {str(food.pk): "vegan", str(childcare.pk): True,
                                    str(note.pk): "Danke"}


def test_registrations_are_limited_per_client(world, client, make_event, settings):
    settings.EVENT_REGISTRATION_LIMIT = 2
    event = make_event(capacity=None)
    for n in range(2):
        response = client.post(url("register", "kassel", event.pk),
                               form_data(email=f"p{n}@example.org"))
        assert response.status_code == 303
    response = client.post(url("register", "kassel", event.pk),
                           form_data(email="p9@example.org"))
    assert response.status_code == 429 and "Too many registrations" in response.content.decode()
    assert event.registrations.count() == 2
    settings.EVENT_REGISTRATION_LIMIT = 0
    response = client.post(url("register", "kassel", event.pk),
                           form_data(email="p9@example.org"))
    assert response.status_code == 303


def test_the_form_is_protected_against_csrf(world, make_event):
    from django.test import Client

    event = make_event()
    response = Client(enforce_csrf_checks=True).post(url("register", "kassel", event.pk),
                                                     form_data())
    assert response.status_code == 403 and not Registration.objects.exists()


# --- personal page ------------------------------------------------------------------------

def test_personal_page_confirms_email_only_on_post(world, client, make_event, register):
    event = make_event(double_opt_in=True)
    registration = register(event, "Ana")
    link = url("personal", regs.personal_token(registration))
    # Whoever filled in the form has the personal link; only the e-mail has the code.
    assert "Confirm my e-mail address" not in client.get(link).content.decode()
    assert client.post(link, {"action": "confirm_email"}).status_code == 400
    assert client.post(link, {"action": "confirm_email", "code": "0" * 24}).status_code == 400
    mailed = Message.objects.get(to_address="ana@example.org")
    confirm_link = next(word for word in mailed.body_text.split() if "?code=" in word)
    code = confirm_link.split("?code=")[1]
    for _ in range(2):
        page = client.get(f"{link}?code={code}")
        assert page.status_code == 200 and "Confirm my e-mail address" in page.content.decode()
    registration.refresh_from_db()
    assert registration.status == S.UNCONFIRMED
    response = client.post(link, {"action": "confirm_email", "code": code})
    assert response.status_code == 303
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED
    assert "your e-mail address is confirmed" in client.get(link).content.decode()


def test_personal_page_offer_and_two_step_cancel(world, client, make_event, register):
    event = make_event(capacity=1, offer_hours=24)
    ana = register(event, "Ana")
    ben = register(event, "Ben")
    ana_link = url("personal", regs.personal_token(ana))
    ben_link = url("personal", regs.personal_token(ben))
    assert "position 1" in client.get(ben_link).content.decode()

    first = client.post(ana_link, {"action": "cancel"})
    assert first.status_code == 200 and "Really cancel?" in first.content.decode()
    ana.refresh_from_db()
    assert ana.status == S.CONFIRMED
    assert client.post(ana_link, {"action": "cancel_confirmed"}).status_code == 303
    ana.refresh_from_db()
    assert ana.status == S.CANCELLED
    assert "This registration is cancelled." in client.get(ana_link).content.decode()

    page = client.get(ben_link).content.decode()
    assert "A seat has become free for you." in page and "Accept the seat" in page
    assert client.post(ben_link, {"action": "accept"}).status_code == 303
    ben.refresh_from_db()
    assert ben.status == S.CONFIRMED


def test_an_expired_offer_cannot_be_accepted(world, client, make_event, register):
    event = make_event(capacity=1, offer_hours=24)
    ana = register(event, "Ana")
    ben = register(event, "Ben")
    cem = register(event, "Cem")
    regs.registration_cancel(registration=ana)
    Registration.objects.filter(pk=ben.pk).update(
        offer_expires_at=timezone.now() - timedelta(minutes=1))
    response = client.post(url("personal", regs.personal_token(ben)), {"action": "accept"})
    assert response.status_code == 400
    assert "the time to accept this seat has run out" in response.content.decode()
    ben.refresh_from_db()
    cem.refresh_from_db()
    assert ben.status == S.EXPIRED and cem.status == S.OFFERED


def test_unknown_actions_and_invalid_links(world, client, make_event, register):
    registration = register(make_event(), "Ana")
    link = url("personal", regs.personal_token(registration))
    assert client.post(link, {"action": "drop_table"}).status_code == 400
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED
    for token in (f"{registration.pk}-{'0' * 32}", "nonsense", "1" * 200):
        response = client.get(url("personal", token))
        assert response.status_code == 404
        assert "This link is not valid" in response.content.decode()
        assert client.post(url("personal", token), {"action": "cancel_confirmed"}) \
            .status_code == 404
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED


# --- series and yearly plan ---------------------------------------------------------------

def test_series_page_with_rule_in_words_and_differing_venues(world, client, topic):
    created = series_services.series_create(
        organisation=world.kassel, title="FLINTA*-Plenum", kind=Event.Kind.PLENUM,
        dtstart=at(3, 19), rrule="FREQ=MONTHLY;INTERVAL=2", actor=None,
        place=world.kassel_office, description="Alle zwei Monate.")
    dates = list(created.occurrences.order_by("starts_at"))
    other = org.place_create(organisation=world.kassel, actor=None, data={
        "name": "Café Buch-Oase", "city": "Kassel"})
    services.event_update(event=dates[1], data={"place": other, "title": "Sommer-Plenum"},
                          actor=None, topics=[topic])
    response = client.get(url("series_detail", "kassel", created.pk))
    assert response.status_code == 200
    text = response.content.decode()
    assert "every 2 months" in text and "Alle zwei Monate." in text
    assert url("public_detail", "kassel", dates[0].pk) in text
    assert "Café Buch-Oase" in text and "Sommer-Plenum" in text
    assert "Partizipation / Bürgerrechte" in text
    assert client.get(url("series_detail", "duesseldorf", created.pk)).status_code == 404


def test_members_only_series_is_hidden(world, client):
    created = series_services.series_create(
        organisation=world.kassel, title="Vorstandssitzung", kind=Event.Kind.MEETING,
        dtstart=at(3, 19), rrule="FREQ=WEEKLY", actor=None,
        visibility=Event.Visibility.MEMBERS)
    assert client.get(url("series_detail", "kassel", created.pk)).status_code == 404


def test_rule_in_words():
    from django.utils.translation import override

    from mitmachen.events.public import rule_text

    assert rule_text("FREQ=MONTHLY;INTERVAL=2") == "alle 2 Monate"  # German by default
    with override("en"):
        _english_rules(rule_text)


def _english_rules(rule_text):
    assert rule_text("FREQ=MONTHLY;INTERVAL=2") == "every 2 months"
    assert rule_text("FREQ=MONTHLY;INTERVAL=3") == "quarterly"
    assert rule_text("FREQ=WEEKLY") == "every week"
    assert rule_text("FREQ=MONTHLY;BYDAY=2WE") == ""


def test_yearly_plan_as_in_seed_002(world, client):
    year = timezone.localdate().year + 1
    kreis = world.umbrella

    def meeting(month, day, start, end, title, **fields):
        return services.event_create(
            organisation=kreis, title=title, kind=Event.Kind.NETWORK_MEETING, actor=None,
            starts_at=datetime(year, month, day, start, tzinfo=BERLIN),
            ends_at=datetime(year, month, day, end, tzinfo=BERLIN), **fields)

    schloss = org.place_create(organisation=kreis, actor=None, data={
        "name": "Schloss Tonndorf", "city": "Tonndorf"})
    first = meeting(2, 12, 13, 16, "Sozialraumorientiertes Arbeiten", place=schloss)
    services.speaker_add(event=first, name="Stephan Panhans", actor=None,
                         affiliation="LIGA Thüringen")
    meeting(6, 10, 14, 17, "Sommerfest mit Ehrenamtsauszeichnung",
            venue_note="voraussichtlich bei Camsin e. V.", status=Event.Status.TENTATIVE)
    meeting(12, 16, 14, 16, "Jahresabschluss", venue_note="wird noch festgelegt")
    meeting(3, 1, 10, 12, "Intern", visibility=Event.Visibility.MEMBERS)
    response = client.get(url("yearly_plan", kreis.slug, year))
    assert response.status_code == 200
    text = response.content.decode()
    assert f"12.02.{year}" in text and "13:00 – 16:00" in text
    assert "Schloss Tonndorf" in text and "Stephan Panhans (LIGA Thüringen)" in text
    assert "voraussichtlich bei Camsin e. V." in text and "(not yet confirmed)" in text
    assert "wird noch festgelegt" in text and "Intern" not in text
    assert "window.print()" in text and '<button type="button"' in text
    assert text.index("Sozialraumorientiertes") < text.index("Sommerfest") \
        < text.index("Jahresabschluss")
    assert client.get(url("yearly_plan", kreis.slug, year + 1)).status_code == 200
    assert client.get(url("yearly_plan", kreis.slug, 99999)).status_code == 404
    assert client.get(url("yearly_plan", "nowhere", year)).status_code == 404


# --- my events ----------------------------------------------------------------------------

def test_my_events_needs_a_login(client):
    response = client.get(url("my_events"))
    assert response.status_code == 302 and reverse("core:login") in response["Location"]


def test_my_events_lists_registrations_and_makes_a_calendar_address(world, login, make_event,
                                                                    register):
    user = world.users["duesseldorf_member"]
    event = make_event(title="Mein Treffen")
    registration = register(event, "Dora", email=user.email, user=user)
    other = register(make_event(title="Abgesagt"), "Dora", email=user.email, user=user)
    regs.registration_cancel(registration=other)
    client = login("duesseldorf_member")
    page = client.get(url("my_events")).content.decode()
    assert "Mein Treffen" in page and url("personal", regs.personal_token(registration)) in page
    assert "Abgesagt" not in page and "Create my calendar address" in page

    response = client.post(url("my_events"), {"action": "reset"})
    feed = re.search(r'value="(http://testserver/calendar/[^"]+\.ics)"',
                     response.content.decode()).group(1)
    token = feed.rsplit("/", 1)[1][:-4]
    stored = CalendarToken.objects.get(user=user)
    assert stored.digest == CalendarToken.digest_of(token) and token not in stored.digest
    assert "Mein Treffen" in client.get(feed).content.decode()
    # shown once only
    assert token not in client.get(url("my_events")).content.decode()

    response = client.post(url("my_events"), {"action": "reset"})
    new_feed = re.search(r'value="(http://testserver/calendar/[^"]+\.ics)"',
                         response.content.decode()).group(1)
    assert new_feed != feed
    assert client.get(feed).status_code == 404
    assert client.get(new_feed).status_code == 200
    assert client.post(url("my_events"), {"action": "delete"}).status_code == 303
    assert client.get(new_feed).status_code == 404
    assert not CalendarToken.objects.filter(user=user).exists()


def test_calendar_tags_match_the_includes(world, make_event):
    from django.template import Context, Template

    event = make_event(venue_note="Parteibüro", is_online=True,
                       status=Event.Status.TENTATIVE)
    includes = Template('{% include "events/public_when.html" %}|'
                        '{% include "events/public_status.html" %}|'
                        '{% include "events/public_venue.html" %}').render(
        Context({"event": event}))
    tags = Template("{% load event_tags %}{% event_when event %}|{% event_status event %}|"
                    "{% event_venue event %}").render(Context({"event": event}))
    assert [part.strip() for part in tags.split("|")] == [
        part.strip() for part in includes.split("|")]


def test_personal_link_with_a_non_ascii_digit_is_a_clear_404(world, client):
    # "²".isdigit() is True, int("²") fails: such a link must not become a 500.
    assert client.get("/r/²-abc/").status_code in (400, 404)
