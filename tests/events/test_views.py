"""Staff pages for events: who may, create and edit with good and bad input, status changes,
registrations by phone, approval, exports, files and series."""

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from openpyxl import load_workbook

from mitmachen.core.models import AuditEntry
from mitmachen.events import services
from mitmachen.events.models import (
    Event,
    EventFile,
    EventSeries,
    OnlineAccess,
    Question,
    Registration,
    Speaker,
    TicketCategory,
    Topic,
)
from mitmachen.groups.models import Group
from mitmachen.messaging.models import Message

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
S = Registration.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def login(login):
    """The shared personas, with the pages in English so that messages can be compared."""

    def _login(persona):
        client = login(persona)
        client.cookies["django_language"] = "en"
        return client

    return _login


def day(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def event_data(**overrides) -> dict:
    data = {
        "action": "event", "title": "Netzwerktreffen Partizipation", "kind": "network_meeting",
        "status": "planned", "visibility": "public", "starts_at": f"{day(30)}T18:00",
        "ends_at": f"{day(30)}T20:00", "registration": "open", "capacity": "20",
        "offer_hours": "48", "reminder_hours": "168, 24", "tags": "Ehrenamt, Stadtteil, Ehrenamt",
        "description": "Austausch", "fee": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def event_at(world, title: str, starts_at, **fields) -> Event:
    return services.event_create(organisation=world.kassel, title=title, kind="meeting",
                                 starts_at=starts_at, actor=None, **fields)


def messages_of(response) -> str:
    with translation.override("en"):
        return " ".join(str(m) for m in response.context["messages"])


def errors_of(response, field: str, form: str = "form") -> str:
    """A field's errors in English (they are translated when read, after the request)."""
    with translation.override("en"):
        return " ".join(str(e) for e in response.context[form].errors.get(field, []))


# --- who may ---------------------------------------------------------------------------------

PAGES = [
    "/staff/kassel/events/", "/staff/kassel/events/new/", "/staff/kassel/events/topics/",
    "/staff/kassel/events/series/new/", "/staff/kassel/events/series/{series}/",
    "/staff/kassel/events/{event}/", "/staff/kassel/events/{event}/edit/",
    "/staff/kassel/events/{event}/register/", "/staff/kassel/events/{event}/checkin/",
    "/staff/kassel/events/{event}/checkin/print/", "/staff/kassel/events/{event}/export.csv",
    "/staff/kassel/events/{event}/export.xlsx",
]
WHO = [("kassel_board", 200), ("kassel_events", 200), ("hessen_board", 200),
       ("kassel_treasurer", 403), ("kassel_groups", 403), ("kassel_admin", 403),
       ("duesseldorf_board", 404), ("duesseldorf_member", 404), (None, 302)]


@pytest.fixture
def series(world):
    from mitmachen.events.series import series_create

    start = datetime.combine(timezone.localdate() + timedelta(days=3),
                             datetime.min.time().replace(hour=19), tzinfo=BERLIN)
    return series_create(organisation=world.kassel, title="FLINTA*-Plenum", kind="plenum",
                         dtstart=start, rrule="FREQ=MONTHLY;INTERVAL=2", actor=None)


@pytest.mark.parametrize("persona,status", WHO)
@pytest.mark.parametrize("page", PAGES)
def test_who_may_open_the_staff_pages(world, login, make_event, series, register, persona,
                                      status, page):
    event = make_event()
    register(event, "=HYPERLINK(1)", email="h@example.org")
    response = login(persona).get(page.format(event=event.pk, series=series.pk))
    assert response.status_code == status
    if persona is None:
        assert "/accounts/login/" in response.url
    if status != 200:
        assert b"hyperlink" not in response.content.lower()


def _actions(world, event, registration):
    """(url, data, changed?) for every staff action."""
    return {
        "create": ("/staff/kassel/events/new/", event_data(title="Neu"),
                   lambda: Event.objects.filter(title="Neu").exists()),
        "edit": (f"/staff/kassel/events/{event.pk}/edit/", event_data(title="Anders"),
                 lambda: Event.objects.filter(pk=event.pk, title="Anders").exists()),
        "status": (f"/staff/kassel/events/{event.pk}/status/",
                   {"status": "cancelled", "confirm": "on", "reason": "Krank"},
                   lambda: Event.objects.get(pk=event.pk).status == "cancelled"),
        "topic": ("/staff/kassel/events/topics/", {"name": "Bürgerrechte"},
                  lambda: Topic.objects.filter(name="Bürgerrechte").exists()),
        "series": ("/staff/kassel/events/series/new/", {
            "title": "Elterncafé", "kind": "meeting", "mode": "plan", "duration_minutes": "120",
            "dates": f"{day(10)} 15:00-17:00", "visibility": "public", "registration": "none",
            "preset": "monthly"}, lambda: EventSeries.objects.filter(title="Elterncafé").exists()),
        "register": (f"/staff/kassel/events/{event.pk}/register/", {
            "first_name": "Telefon", "phone": "0561 123", "language": "de", "privacy": "on"},
            lambda: Registration.objects.filter(first_name="Telefon").exists()),
        "approve": (f"/staff/kassel/registrations/{registration.pk}/approve/", {},
                    lambda: Registration.objects.get(pk=registration.pk).status == S.CONFIRMED),
        "decline": (f"/staff/kassel/registrations/{registration.pk}/decline/", {},
                    lambda: Registration.objects.get(pk=registration.pk).status == S.DECLINED),
        "cancel": (f"/staff/kassel/registrations/{registration.pk}/cancel/", {},
                   lambda: Registration.objects.get(pk=registration.pk).status == S.CANCELLED),
    }


@pytest.mark.parametrize("persona,status", [
    ("kassel_board", 302), ("kassel_events", 302), ("kassel_treasurer", 403),
    ("kassel_groups", 403), ("duesseldorf_board", 404), ("duesseldorf_member", 404),
    (None, 302)])
@pytest.mark.parametrize("action", ["create", "edit", "status", "topic", "series", "register",
                                    "approve", "decline", "cancel"])
def test_who_may_act(world, login, make_event, register, persona, status, action):
    event = make_event(approval_required=True)
    pending = register(event, "Ana")
    assert pending.status == S.PENDING
    url, data, changed = _actions(world, event, pending)[action]
    response = login(persona).post(url, data)
    assert response.status_code == status
    if persona is None:
        assert "/accounts/login/" in response.url
    assert changed() is (persona in {"kassel_board", "kassel_events"})


def test_another_organisations_ids_answer_404(world, login, make_event, register):
    theirs = make_event(organisation=world.duesseldorf)
    registration = register(theirs, "Dora")
    client = login("kassel_board")
    for page in ("", "edit/", "register/", "checkin/", "checkin/print/", "export.csv"):
        assert client.get(f"/staff/kassel/events/{theirs.pk}/{page}").status_code == 404
    assert client.post(f"/staff/kassel/events/{theirs.pk}/status/", {
        "status": "cancelled", "confirm": "on"}).status_code == 404
    assert client.post(f"/staff/kassel/registrations/{registration.pk}/cancel/").status_code \
        == 404
    registration.refresh_from_db()
    theirs.refresh_from_db()
    assert registration.status == S.CONFIRMED and theirs.status == "planned"


def test_unknown_action_and_format_are_404(world, login, make_event, register):
    event = make_event()
    registration = register(event)
    client = login("kassel_board")
    assert client.post(f"/staff/kassel/registrations/{registration.pk}/delete/").status_code \
        == 404
    assert client.get(f"/staff/kassel/events/{event.pk}/export.pdf").status_code == 404
    assert client.get(f"/staff/kassel/registrations/{registration.pk}/cancel/").status_code \
        == 405
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED


# --- dashboard -------------------------------------------------------------------------------

def test_list_shows_figures_warnings_and_filters(world, login, make_event, register):
    event = make_event(capacity=1, status=Event.Status.TENTATIVE)
    register(event, "Ana")
    register(event, "Ben")
    event_at(world, "Vorbei", timezone.now() - timedelta(days=3), place=world.kassel_office)
    html = login("kassel_events").get("/staff/kassel/events/").content.decode()
    assert "Netzwerktreffen" in html and "Vorbei" not in html
    assert "not yet confirmed" in html and "no venue yet" in html
    assert "1 / 1" in html  # seats
    row = html[html.index("Netzwerktreffen"):]
    assert "<td>1</td><td>0</td><td>1</td>" in row  # registered, offered, waiting
    past = login("kassel_events").get("/staff/kassel/events/?when=past").content.decode()
    assert "Vorbei" in past and "Netzwerktreffen" not in past


def test_list_is_paginated(world, login, make_event):
    for n in range(27):
        event_at(world, f"Treffen {n:02d}", timezone.now() + timedelta(days=n + 1))
    client = login("kassel_events")
    first = client.get("/staff/kassel/events/").content.decode()
    second = client.get("/staff/kassel/events/?page=2").content.decode()
    assert "Treffen 00" in first and "Treffen 26" not in first
    assert "Treffen 26" in second and "Page 2 of 2" in second


def test_navigation_links_the_events_for_organisers_only(world, login):
    assert "/staff/kassel/events/" in login("kassel_events").get(
        "/staff/kassel/events/").content.decode()
    treasurer = login("kassel_treasurer")
    treasurer.get("/staff/kassel/contacts/")
    assert "/staff/kassel/events/" not in treasurer.get("/staff/kassel/contacts/").content.decode()


def test_dashboard_counts_approvals_and_expiring_offers(world, login, make_event, register):
    from mitmachen.events import dashboard
    from mitmachen.events.registrations import registration_cancel

    waiting_for_approval = make_event(approval_required=True)
    register(waiting_for_approval, "Ana")
    register(waiting_for_approval, "Ben")
    full = event_at(world, "Voll", timezone.now() + timedelta(days=7), capacity=1,
                    offer_hours=12, registration="open", is_online=True)
    first = register(full, "Cem")
    register(full, "Dora")
    registration_cancel(registration=first)
    with translation.override("en"):
        found = dashboard.items(world.users["kassel_events"], world.kassel, {"event_organiser"})
    texts = {item.text: item.url for item in found}
    assert texts["Netzwerktreffen: 2 registrations await approval"] == (
        f"/staff/kassel/events/{waiting_for_approval.pk}/#pending")
    assert texts["Voll: 1 seat offer expires within 24 hours"] == (
        f"/staff/kassel/events/{full.pk}/#offered")
    assert any("no venue yet" in text for text in texts)
    assert dashboard.items(world.users["kassel_treasurer"], world.kassel, {"treasurer"}) == []


# --- create and edit -------------------------------------------------------------------------

def test_create_an_event(world, login):
    topic = services.topic_create(organisation=world.kassel, name="Partizipation", actor=None)
    group = Group.objects.create(organisation=world.kassel, name="Plenum", kind="plenum")
    response = login("kassel_events").post("/staff/kassel/events/new/", event_data(
        topics=[topic.pk], place=world.kassel_office.pk, group=group.pk,
        cooperation=world.cooperation.pk, fee="5.50", contact_email="info@kassel.example.org"))
    event = Event.objects.get(title="Netzwerktreffen Partizipation")
    assert response.status_code == 302 and response.url == f"/staff/kassel/events/{event.pk}/edit/"
    assert event.organisation == world.kassel
    assert event.starts_at == datetime.fromisoformat(f"{day(30)}T18:00").replace(tzinfo=BERLIN)
    assert event.tags == ["Ehrenamt", "Stadtteil"]
    assert event.reminder_hours == [168, 24]
    assert list(event.topics.all()) == [topic]
    assert event.place == world.kassel_office and event.group == group
    assert str(event.fee) == "5.50" and event.capacity == 20
    assert AuditEntry.objects.filter(action="create", object_type="events.event",
                                     object_id=str(event.pk),
                                     actor=world.users["kassel_events"]).exists()


@pytest.mark.parametrize("overrides,field,message", [
    ({"title": ""}, "title", "This field is required."),
    ({"title": "x" * 201}, "title", "at most 200 characters"),
    ({"title": "Null\x00Byte"}, "title", "Null characters are not allowed."),
    ({"ends_at": f"{day(30)}T17:00"}, "ends_at", "The end lies before the start."),
    ({"starts_at": "morgen"}, "starts_at", "Enter a valid date/time."),
    ({"reminder_hours": "24, bald"}, "reminder_hours", "whole hours"),
    ({"reminder_hours": "5000"}, "reminder_hours", "between 1 and 1440"),
    ({"registration_opens_at": f"{day(5)}T10:00", "registration_closes_at": f"{day(4)}T10:00"},
     "registration_closes_at", "Registration closes before it opens."),
])
def test_bad_input_gets_a_message_and_saves_nothing(world, login, overrides, field, message):
    response = login("kassel_events").post("/staff/kassel/events/new/", event_data(**overrides))
    assert response.status_code == 200
    assert message in errors_of(response, field)
    assert "Nothing was saved" in messages_of(response)
    assert not Event.objects.exists()


def test_another_organisations_place_and_topic_are_refused(world, login):
    theirs = services.topic_create(organisation=world.duesseldorf, name="Fremd", actor=None)
    response = login("kassel_events").post("/staff/kassel/events/new/", event_data(
        place=world.duesseldorf_office.pk, topics=[theirs.pk]))
    assert "Select a valid choice" in errors_of(response, "place")
    assert "Select a valid choice" in errors_of(response, "topics")
    assert not Event.objects.exists()


def test_edit_an_event_and_an_unchanged_save_changes_nothing(world, login, series):
    occurrence = series.occurrences.first()
    client = login("kassel_events")
    page = client.get(f"/staff/kassel/events/{occurrence.pk}/edit/")
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields if name not in ("topics",)}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(action="event", starts_at=form["starts_at"].value().strftime("%Y-%m-%dT%H:%M"),
                ends_at=form["ends_at"].value().strftime("%Y-%m-%dT%H:%M"))
    for name in ("is_online", "approval_required", "double_opt_in"):
        if not data[name]:
            data.pop(name)
    before = AuditEntry.objects.count()
    response = client.post(f"/staff/kassel/events/{occurrence.pk}/edit/", data)
    assert response.status_code == 302
    occurrence.refresh_from_db()
    assert not occurrence.customised and AuditEntry.objects.count() == before
    data["title"] = "FLINTA*-Plenum (Sommer)"
    client.post(f"/staff/kassel/events/{occurrence.pk}/edit/", data)
    occurrence.refresh_from_db()
    assert occurrence.title == "FLINTA*-Plenum (Sommer)" and occurrence.customised


def test_edit_refuses_a_capacity_below_the_seats_taken(world, login, make_event, register):
    event = make_event(capacity=3)
    register(event, "Ana")
    register(event, "Ben")
    response = login("kassel_board").post(f"/staff/kassel/events/{event.pk}/edit/", event_data(
        capacity="1"))
    assert "2 people already hold a seat" in response.content.decode()
    event.refresh_from_db()
    assert event.capacity == 3 and event.title == "Netzwerktreffen"


def test_online_access_data_is_shown_to_staff_only_on_the_edit_page(world, login, make_event):
    event = make_event(is_online=True)
    client = login("kassel_events")
    response = client.post(f"/staff/kassel/events/{event.pk}/edit/", {
        "action": "access", "access-url": "https://meet.example.org/abc",
        "access-meeting_id": "123 456", "access-passcode": "geheim42"})
    assert response.status_code == 302
    access = OnlineAccess.objects.get(event=event)
    assert access.passcode == "geheim42"
    assert "geheim42" in client.get(f"/staff/kassel/events/{event.pk}/edit/").content.decode()
    assert "geheim42" not in client.get(f"/staff/kassel/events/{event.pk}/").content.decode()
    entry = AuditEntry.objects.filter(object_id=str(event.pk)).latest("pk")
    assert "geheim42" not in str(entry.changes)
    bad = client.post(f"/staff/kassel/events/{event.pk}/edit/", {
        "action": "access", "access-url": "javascript:alert(1)"})
    assert bad.status_code == 200 and "access-url" in bad.content.decode()
    access.refresh_from_db()
    assert access.url == "https://meet.example.org/abc"


def test_speakers_questions_and_categories(world, login, make_event, register):
    event = make_event()
    client = login("kassel_events")
    url = f"/staff/kassel/events/{event.pk}/edit/"
    client.post(url, {"action": "speaker", "speaker-name": "Dr. Beispiel",
                      "speaker-affiliation": "Uni Kassel"})
    client.post(url, {"action": "question", "question-label": "Kinderbetreuung?",
                      "question-kind": "yes_no"})
    bad = client.post(url, {"action": "question", "question-label": "Essen",
                            "question-kind": "choice", "question-choices": "vegan"})
    assert "at least two answers" in bad.content.decode()
    client.post(url, {"action": "category", "category-name": "ermäßigt",
                      "category-capacity": "5", "category-price": "3"})
    speaker = Speaker.objects.get(event=event)
    assert speaker.name == "Dr. Beispiel"
    assert list(Question.objects.filter(event=event).values_list("label", flat=True)) == [
        "Kinderbetreuung?"]
    category = TicketCategory.objects.get(event=event)
    assert category.capacity == 5
    page = client.get(url).content.decode()
    assert "Dr. Beispiel" in page and "Kinderbetreuung?" in page and "ermäßigt" in page

    client.post(url, {"action": "speaker_remove", "item": speaker.pk})
    assert not Speaker.objects.filter(pk=speaker.pk).exists()
    register(event, "Ana", category=category)
    refused = client.post(url, {"action": "category_remove", "item": category.pk}, follow=True)
    assert "cannot be removed" in messages_of(refused)
    assert TicketCategory.objects.filter(pk=category.pk).exists()
    question = Question.objects.get(event=event)
    refused = client.post(url, {"action": "question_remove", "item": question.pk}, follow=True)
    assert "would be lost" in messages_of(refused)
    assert Question.objects.filter(pk=question.pk).exists()


def test_removing_another_events_item_is_404(world, login, make_event):
    mine, theirs = make_event(), make_event(organisation=world.duesseldorf)
    speaker = services.speaker_add(event=theirs, name="Fremd", actor=None)
    response = login("kassel_events").post(f"/staff/kassel/events/{mine.pk}/edit/", {
        "action": "speaker_remove", "item": speaker.pk})
    assert response.status_code == 404
    assert Speaker.objects.filter(pk=speaker.pk).exists()


def test_a_pdf_is_attached_and_a_disguised_file_refused(world, login, make_event,
                                                        django_capture_on_commit_callbacks):
    event = make_event()
    client = login("kassel_events")
    url = f"/staff/kassel/events/{event.pk}/edit/"
    pdf = SimpleUploadedFile("einladung.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
                             content_type="application/pdf")
    response = client.post(url, {"action": "file", "file-title": "Einladung", "file-file": pdf})
    assert response.status_code == 302
    attached = EventFile.objects.get(event=event)
    assert attached.content_type == "application/pdf" and attached.title == "Einladung"
    for name, content in [("programm.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),
                          ("seite.pdf", b"<!doctype html><script>alert(1)</script>"),
                          ("seite.html", b"<html><body>hi</body></html>")]:
        upload = SimpleUploadedFile(name, content, content_type="application/pdf")
        refused = client.post(url, {"action": "file", "file-file": upload})
        assert refused.status_code == 200
        assert "Please upload a PDF" in errors_of(refused, "file", form="file_form")
    assert EventFile.objects.filter(event=event).count() == 1
    stored = attached.file.path
    assert Path(stored).read_bytes().startswith(b"%PDF-")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "file_remove", "item": attached.pk})
    assert not EventFile.objects.filter(event=event).exists()
    assert not Path(stored).exists()


def test_topics_page(world, login):
    client = login("kassel_events")
    assert client.post("/staff/kassel/events/topics/", {"name": "Partizipation / Bürgerrechte"}
                       ).status_code == 302
    again = client.post("/staff/kassel/events/topics/", {"name": "Partizipation / Bürgerrechte"})
    assert "exists already" in again.content.decode()
    assert Topic.objects.filter(organisation=world.kassel).count() == 1
    assert "Partizipation / Bürgerrechte" in client.get(
        "/staff/kassel/events/topics/").content.decode()


# --- status ----------------------------------------------------------------------------------

def test_cancel_needs_a_confirmation_and_notifies(world, login, make_event, register,
                                                  django_capture_on_commit_callbacks):
    event = make_event()
    register(event, "Ana")
    register(event, "Ben", email="ben@example.org")
    client = login("kassel_events")
    before = Message.objects.count()
    client.post(f"/staff/kassel/events/{event.pk}/status/", {"status": "cancelled"})
    event.refresh_from_db()
    assert event.status == "planned" and Message.objects.count() == before
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/kassel/events/{event.pk}/status/", {
            "status": "cancelled", "confirm": "on", "reason": "Raum nicht verfügbar"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == "cancelled" and event.status_note == "Raum nicht verfügbar"
    notices = Message.objects.filter(body_text__contains="Raum nicht verfügbar")
    assert sorted(notices.values_list("to_address", flat=True)) == [
        "ana@example.org", "ben@example.org"]


def test_confirm_and_tentative_need_no_confirmation(world, login, make_event):
    event = make_event(status=Event.Status.TENTATIVE)
    client = login("kassel_events")
    client.post(f"/staff/kassel/events/{event.pk}/status/", {"status": "confirmed"})
    event.refresh_from_db()
    assert event.status == "confirmed"
    client.post(f"/staff/kassel/events/{event.pk}/status/", {"status": "nonsense"})
    event.refresh_from_db()
    assert event.status == "confirmed"
    long = client.post(f"/staff/kassel/events/{event.pk}/status/", {
        "status": "postponed", "confirm": "on", "reason": "x" * 301}, follow=True)
    event.refresh_from_db()
    assert event.status == "confirmed" and "Nothing was changed" in messages_of(long)


# --- registrations ---------------------------------------------------------------------------

def test_registration_list_groups_by_status_and_is_logged(world, login, make_event, register):
    event = make_event(capacity=1)
    services.question_add(event=event, label="Kinderbetreuung?", kind="yes_no", actor=None)
    question = event.questions.get()
    register(event, "Ana", answers={str(question.pk): True})
    register(event, "Ben")
    register(event, "Cem")
    response = login("kassel_events").get(f"/staff/kassel/events/{event.pk}/")
    html = response.content.decode()
    assert html.index("Ana") < html.index('id="waiting"') < html.index("Ben") < html.index("Cem")
    assert [r.position for r in response.context["waiting"]] == [1, 2]
    assert "Kinderbetreuung?:</span> yes" in html
    assert AuditEntry.objects.filter(action="view", object_id=str(event.pk),
                                     actor=world.users["kassel_events"]).exists()


def test_approve_and_decline(world, login, make_event, register,
                             django_capture_on_commit_callbacks):
    event = make_event(approval_required=True)
    ana, ben = register(event, "Ana"), register(event, "Ben")
    client = login("kassel_events")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/kassel/registrations/{ana.pk}/approve/")
        client.post(f"/staff/kassel/registrations/{ben.pk}/decline/")
    ana.refresh_from_db()
    ben.refresh_from_db()
    assert ana.status == S.CONFIRMED and ben.status == S.DECLINED
    assert Message.objects.filter(to_address="ana@example.org").count() == 2  # pending, confirmed
    again = client.post(f"/staff/kassel/registrations/{ben.pk}/approve/", follow=True)
    assert "already been decided" in messages_of(again)
    ben.refresh_from_db()
    assert ben.status == S.DECLINED


def test_staff_cancel_gives_the_seat_to_the_waiting_list(world, login, make_event, register):
    event = make_event(capacity=1, offer_hours=0)
    ana = register(event, "Ana")
    ben = register(event, "Ben")
    login("kassel_board").post(f"/staff/kassel/registrations/{ana.pk}/cancel/")
    ana.refresh_from_db()
    ben.refresh_from_db()
    assert ana.status == S.CANCELLED and ben.status == S.CONFIRMED


def test_phone_registration_when_the_window_is_closed(world, login, make_event, register):
    event = make_event(capacity=1, registration_closes_at=timezone.now() - timedelta(hours=1),
                       registration_opens_at=timezone.now() - timedelta(days=3))
    services.question_add(event=event, label="Essen", kind="choice", choices=["vegan", "egal"],
                          required=True, actor=None)
    question = event.questions.get()
    client = login("kassel_events")
    url = f"/staff/kassel/events/{event.pk}/register/"
    page = client.get(url).content.decode()
    assert "Registration has closed." in page and 'name="privacy"' in page
    no_consent = client.post(url, {"first_name": "Erika", "phone": "0561 1234",
                                   "language": "de", f"q{question.pk}": "vegan"})
    assert "This field is required." in errors_of(no_consent, "privacy")
    no_way = client.post(url, {"first_name": "Erika", "language": "de", "privacy": "on",
                               f"q{question.pk}": "vegan"})
    assert "phone number or an e-mail" in errors_of(no_way, "phone")
    assert not event.registrations.exists()
    done = client.post(url, {"first_name": "Erika", "last_name": "Muster", "phone": "0561 1234",
                             "language": "de", "privacy": "on", f"q{question.pk}": "vegan",
                             "staff_note": "ruft zurück"}, follow=True)
    erika = event.registrations.get()
    assert erika.status == S.CONFIRMED and erika.source == Registration.Source.PHONE
    assert erika.answers == {str(question.pk): "vegan"} and erika.staff_note == "ruft zurück"
    assert AuditEntry.objects.filter(object_id=str(erika.pk), action="create",
                                     actor=world.users["kassel_events"]).exists()
    assert "Erika Muster is registered" in messages_of(done)
    full = client.post(url, {"first_name": "Fritz", "email": "fritz@example.org",
                             "language": "de", "privacy": "on", f"q{question.pk}": "egal"},
                       follow=True)
    assert "Fritz is on the waiting list, position 1." in messages_of(full)


def test_phone_registration_for_a_cancelled_event_is_refused(world, login, make_event):
    event = make_event(status=Event.Status.CANCELLED)
    client = login("kassel_events")
    url = f"/staff/kassel/events/{event.pk}/register/"
    assert "has been cancelled" in client.get(url).content.decode()
    response = client.post(url, {"first_name": "Erika", "phone": "0561 1234",
                                 "language": "de", "privacy": "on"})
    assert "has been cancelled" in response.content.decode()
    assert not event.registrations.exists()


# --- exports ---------------------------------------------------------------------------------

def test_csv_export_is_formula_safe_and_logged(world, login, make_event, register):
    event = make_event()
    services.question_add(event=event, label="Kinderbetreuung?", kind="yes_no", actor=None)
    question = event.questions.get()
    register(event, "=HYPERLINK(\"http://evil.example\")", email="x@example.org",
             answers={str(question.pk): True}, phone="+49 561 123")
    register(event, "Jürgen", email="j@example.org")
    response = login("kassel_events").get(f"/staff/kassel/events/{event.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="registrations-{event.pk}-')
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["First name", "Last name", "E-mail", "Phone", "Status", "Ticket",
                       "Kinderbetreuung?", "Registered at", "Attended"]
    by_mail = {row[2]: row for row in rows[1:]}
    assert by_mail["x@example.org"][0] == "'=HYPERLINK(\"http://evil.example\")"
    assert by_mail["x@example.org"][3] == "+49 561 123"
    assert by_mail["x@example.org"][6] == "yes"
    assert by_mail["j@example.org"][0] == "Jürgen" and by_mail["j@example.org"][6] == "no"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.actor == world.users["kassel_events"] and entry.organisation == world.kassel
    assert entry.changes == {"count": 2}


def test_xlsx_export(world, login, make_event, register):
    event = make_event()
    register(event, "@SUM(A1)", email="s@example.org")
    response = login("kassel_board").get(f"/staff/kassel/events/{event.pk}/export.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "'@SUM(A1)" and rows[1][4] == "confirmed"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 1


# --- series ----------------------------------------------------------------------------------

def series_data(**overrides) -> dict:
    data = {"title": "FLINTA*-Plenum", "kind": "plenum", "mode": "rule",
            "dtstart": f"{day(5)}T19:00", "duration_minutes": "120", "preset": "bimonthly",
            "visibility": "public", "registration": "none", "description": "Alle zwei Monate"}
    data.update(overrides)
    return data


def test_series_by_preset(world, login):
    topic = services.topic_create(organisation=world.kassel, name="Feminismus", actor=None)
    skipped = timezone.localdate() + timedelta(days=5)
    month = skipped.month + 2
    year = skipped.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    response = login("kassel_events").post("/staff/kassel/events/series/new/", series_data(
        topics=[topic.pk], place=world.kassel_office.pk, capacity="30",
        exdates=f"{year}-{month:02d}-{skipped.day:02d}" if skipped.day <= 28 else ""))
    series = EventSeries.objects.get()
    assert response.status_code == 302
    assert response.url == f"/staff/kassel/events/series/{series.pk}/"
    assert series.rrule == "FREQ=MONTHLY;INTERVAL=2"
    dates = list(series.occurrences.order_by("starts_at"))
    assert 10 <= len(dates) <= 13
    first = timezone.localtime(dates[0].starts_at)
    assert (first.date(), first.hour, first.minute) == (skipped, 19, 0)
    assert all(timezone.localtime(d.starts_at).hour == 19 for d in dates)  # across DST
    assert all(d.place == world.kassel_office and d.capacity == 30 for d in dates)
    assert list(dates[0].topics.all()) == [topic]
    if skipped.day <= 28:
        assert timezone.localtime(dates[1].starts_at).month != month
    page = login("kassel_events").get(f"/staff/kassel/events/series/{series.pk}/").content
    assert f"/staff/kassel/events/{dates[0].pk}/edit/".encode() in page


def test_series_by_custom_rule_and_bad_rule(world, login):
    client = login("kassel_events")
    bad = client.post("/staff/kassel/events/series/new/", series_data(
        preset="custom", rrule="FREQ=SOMETIMES"))
    assert "FREQ=DAILY, WEEKLY, MONTHLY or YEARLY" in bad.content.decode()
    missing = client.post("/staff/kassel/events/series/new/", series_data(preset="custom"))
    assert "Please enter a recurrence rule." in missing.content.decode()
    assert not EventSeries.objects.exists() and not Event.objects.exists()
    client.post("/staff/kassel/events/series/new/", series_data(
        preset="custom", rrule="FREQ=MONTHLY;BYDAY=2TU;COUNT=3"))
    dates = Event.objects.order_by("starts_at")
    assert dates.count() == 3
    assert all(timezone.localtime(d.starts_at).weekday() == 1 for d in dates)


def test_series_by_plan(world, login):
    plan = (f"{day(20)} 13:00-16:00\n\n{day(48)} 09:30 - 12:00\n"
            f"{(timezone.localdate() + timedelta(days=90)).strftime('%d.%m.%Y')} 18:00")
    response = login("kassel_events").post("/staff/kassel/events/series/new/", series_data(
        mode="plan", dates=plan, dtstart="", preset="", registration="open", capacity="15"))
    assert response.status_code == 302
    dates = list(Event.objects.order_by("starts_at"))
    assert len(dates) == 3
    start, end = timezone.localtime(dates[1].starts_at), timezone.localtime(dates[1].ends_at)
    assert (start.isoformat()[:16], end.hour, end.minute) == (f"{day(48)}T09:30", 12, 0)
    assert dates[2].ends_at - dates[2].starts_at == timedelta(minutes=120)
    assert all(d.registration == "open" and d.capacity == 15 for d in dates)
    series = EventSeries.objects.get()
    assert series.rrule == "" and series.dtstart == dates[0].starts_at
    page = login("kassel_events").get(f"/staff/kassel/events/series/{series.pk}/")
    assert page.context["form"] is None and "plan of dates" in page.content.decode()


@pytest.mark.parametrize("line,expected", [
    ("2026-02-30 13:00-16:00", "Line 2 (“2026-02-30 13:00-16:00”)"),
    ("nächsten Dienstag", "Line 2 (“nächsten Dienstag”)"),
    ("2026-02-12 16:00-13:00", "Line 2 (“2026-02-12 16:00-13:00”): the end lies before"),
    ("2026-02-12 25:00", "Line 2 (“2026-02-12 25:00”)"),
])
def test_a_bad_plan_line_is_named_and_nothing_created(world, login, line, expected):
    response = login("kassel_events").post("/staff/kassel/events/series/new/", series_data(
        mode="plan", dates=f"{day(20)} 13:00-16:00\n{line}\n{day(30)} 13:00"))
    assert response.status_code == 200
    assert expected in errors_of(response, "dates")
    assert not EventSeries.objects.exists() and not Event.objects.exists()


def test_an_empty_plan_is_refused(world, login):
    response = login("kassel_events").post("/staff/kassel/events/series/new/", series_data(
        mode="plan", dates="\n  \n"))
    assert "at least one date" in errors_of(response, "dates")
    assert not EventSeries.objects.exists()


def test_change_the_rule_keeps_dates_with_registrations(world, login, series, register):
    client = login("kassel_events")
    dates = list(series.occurrences.order_by("starts_at"))
    kept = dates[1]
    kept.registration = Event.Registration.OPEN
    kept.save()
    register(kept, "Ana")
    skipped = timezone.localtime(dates[2].starts_at).date().isoformat()
    response = client.post(f"/staff/kassel/events/series/{series.pk}/", {
        "preset": "quarterly", "exdates": skipped})
    assert response.status_code == 302
    series.refresh_from_db()
    assert series.rrule == "FREQ=MONTHLY;INTERVAL=3"
    assert series.exdates == [timezone.localtime(dates[2].starts_at).replace(
        tzinfo=None).isoformat(timespec="minutes")]
    assert Event.objects.filter(pk=kept.pk).exists()
    bad = client.post(f"/staff/kassel/events/series/{series.pk}/", {
        "preset": "custom", "rrule": "FREQ=HOURLY", "exdates": "bald"})
    assert bad.status_code == 200
    assert "Line 1 (“bald”)" in errors_of(bad, "exdates")
    series.refresh_from_db()
    assert series.rrule == "FREQ=MONTHLY;INTERVAL=3"


def test_staff_list_shows_the_waiting_list_in_its_real_order(world, login, make_event,
                                                             register):
    from mitmachen.events import registrations as regs

    event = make_event(capacity=1, double_opt_in=True)
    ana, ben, cem = (register(event, name) for name in ("Ana", "Ben", "Cem"))
    for person in (ana, cem, ben):  # Ben confirms his address last: he waits behind Cem
        regs.registration_confirm_email(registration=person)
    page = login("kassel_board").get(f"/staff/kassel/events/{event.pk}/").content.decode()
    assert page.index("Cem") < page.index("Ben")
