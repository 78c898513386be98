"""Staff pages for calling an assembly: who may, creating one (with the lead-time warning),
the overview and its status buttons, editing, the agenda with documents, participants, the
statutes and the register of resolutions; bad input changes nothing."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from mitmachen.assemblies import services
from mitmachen.assemblies.access import participant_token
from mitmachen.assemblies.models import (
    AgendaDocument,
    AgendaItem,
    Assembly,
    AssemblyRules,
    Invitation,
    Resolution,
)
from mitmachen.core.models import AuditEntry
from mitmachen.events import services as events
from mitmachen.events.models import Event

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


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


def messages_of(response) -> str:
    with translation.override("en"):
        return " ".join(str(m) for m in response.context["messages"])


def errors_of(response, field: str, form: str = "form") -> str:
    with translation.override("en"):
        return " ".join(str(e) for e in response.context[form].errors.get(field, []))


def base(assembly) -> str:
    return f"/staff/{assembly.organisation.slug}/assemblies/{assembly.pk}/"


def an_item(assembly, title="Berichte", **fields) -> AgendaItem:
    return services.item_create(assembly=assembly, title=title, actor=None, **fields)


def a_document(item) -> AgendaDocument:
    return services.document_add(item=item, title="Rechenschaftsbericht", actor=None,
                                 upload=SimpleUploadedFile("bericht.pdf", PDF))


# --- who may ---------------------------------------------------------------------------------

PAGES = ["", "new/", "rules/", "{a}/", "{a}/edit/", "{a}/agenda/", "{a}/agenda/?print=1",
         "{a}/agenda/add/", "{a}/agenda/{item}/", "{a}/participants/",
         "{a}/agenda/documents/{doc}/"]
WHO = [("kassel_board", 200), ("hessen_board", 200), ("kassel_events", 403),
       ("kassel_admin", 403), ("kassel_treasurer", 403), ("duesseldorf_board", 404),
       ("duesseldorf_member", 404), (None, 302)]
# Any staff member of the organisation may read the agenda's documents.
DOCUMENT_WHO = {"kassel_events": 200, "kassel_admin": 200, "kassel_treasurer": 200}


@pytest.mark.parametrize("persona,status", WHO)
@pytest.mark.parametrize("page", PAGES)
def test_who_may_open_the_pages(assembly, login, persona, status, page):
    item = an_item(assembly)
    document = a_document(item)
    url = "/staff/kassel/assemblies/" + page.format(a=assembly.pk, item=item.pk,
                                                    doc=document.pk)
    response = login(persona).get(url)
    if "documents" in page:
        status = DOCUMENT_WHO.get(persona, status)
    assert response.status_code == status
    if persona is None:
        assert "/accounts/login/" in response.url
    if status != 200:
        assert b"Kreismitgliederversammlung" not in response.content


@pytest.mark.parametrize("persona,status", [
    ("kassel_board", 200), ("kassel_admin", 200), ("kassel_groups", 200),
    ("kassel_events", 200), ("kassel_treasurer", 200), ("kassel_consultation", 403),
    ("duesseldorf_board", 404), (None, 302)])
def test_who_may_read_the_register_of_resolutions(world, login, persona, status):
    assert login(persona).get("/staff/kassel/resolutions/").status_code == status


@pytest.mark.parametrize("page", ["{a}/", "{a}/agenda/"])
def test_the_chair_may_open_the_overview_and_the_agenda(assembly, world, login, page):
    services.assembly_update(assembly=assembly, actor=None,
                             data={"chair": world.users["kassel_events"]})
    chair = login("kassel_events")
    assert chair.get("/staff/kassel/assemblies/" + page.format(a=assembly.pk)).status_code == 200
    assert chair.get(f"{base(assembly)}edit/").status_code == 403
    assert chair.get(f"{base(assembly)}participants/").status_code == 403


def test_the_chair_opens_the_session(assembly, world, login):
    services.assembly_update(assembly=assembly, actor=None,
                             data={"chair": world.users["kassel_events"]})
    # Nobody was invited through the platform: opening needs the confirmation.
    login("kassel_events").post(f"{base(assembly)}status/", {"status": "in_session",
                                                             "confirm": "on"})
    assert Assembly.objects.get(pk=assembly.pk).status == "in_session"


POSTS = ["{a}/status/", "{a}/agenda/{item}/move/", "{a}/agenda/{item}/delete/",
         "{a}/agenda/{item}/documents/", "{a}/agenda/documents/{doc}/delete/",
         "{a}/participants/build/", "{a}/participants/guests/"]


@pytest.mark.parametrize("page", POSTS)
def test_changes_are_post_only_and_refused_to_other_organisations(assembly, login, page):
    item = an_item(assembly)
    document = a_document(item)
    url = "/staff/kassel/assemblies/" + page.format(a=assembly.pk, item=item.pk,
                                                    doc=document.pk)
    assert login("kassel_board").get(url).status_code == 405
    data = {"status": "invited", "direction": "down", "name": "Gast"}
    assert login("duesseldorf_board").post(url, data).status_code == 404
    assert login("kassel_events").post(url, data).status_code == 403
    assert login(None).post(url, data).status_code == 302
    assembly.refresh_from_db()
    assert assembly.status == "preparing" and assembly.participants.count() == 6
    assert AgendaItem.objects.filter(pk=item.pk).exists()
    assert AgendaDocument.objects.filter(pk=document.pk).exists()


def test_another_organisations_assembly_is_not_found_under_ours(make_assembly, world, login):
    theirs = make_assembly(organisation=world.duesseldorf, members=[])
    client = login("kassel_board")
    assert client.get(f"/staff/kassel/assemblies/{theirs.pk}/").status_code == 404
    assert client.get(f"/staff/duesseldorf/assemblies/{theirs.pk}/").status_code == 404


def test_csrf_is_required(assembly, world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["kassel_board"])
    response = client.post(f"{base(assembly)}status/", {"status": "invited"})
    assert response.status_code == 403
    assert Assembly.objects.get(pk=assembly.pk).status == "preparing"


# --- the list --------------------------------------------------------------------------------

def test_the_list_shows_upcoming_first_with_counts_and_the_lead_time_badge(
        make_assembly, world, login):
    soon = make_assembly(days=10, title="Sondersitzung")
    later = make_assembly(days=60, title="Jahreshauptversammlung", members=[])
    Invitation.objects.create(participant=later.participants.first(), kind="invitation",
                              channel="email", address="rosa@example.org",
                              content_sha256="0" * 64, created_at=timezone.now())
    past_event = events.event_create(organisation=world.kassel, title="Vorjahres-KMV",
                                     kind="assembly", actor=None,
                                     starts_at=timezone.now() - timedelta(days=200))
    services.assembly_create(event=past_event, actor=None)
    make_assembly(organisation=world.duesseldorf, title="Düsseldorfer KMV", members=[])
    response = login("kassel_board").get("/staff/kassel/assemblies/")
    html = response.content.decode()
    assert html.index("Sondersitzung") < html.index("Jahreshauptversammlung") < html.index(
        "Vorjahres-KMV")
    assert "Düsseldorfer KMV" not in html
    rows = {a.event.title: a for _key, _heading, rows in response.context["sections"]
            for a in rows}
    assert (rows["Jahreshauptversammlung"].n_eligible,
            rows["Jahreshauptversammlung"].n_invited) == (6, 1)
    assert rows["Sondersitzung"].warning and not rows["Jahreshauptversammlung"].warning
    assert not rows["Vorjahres-KMV"].warning  # past and never invited: nothing to warn about
    assert html.count('class="badge warn"') == 1
    assert soon.pk != later.pk


# --- creating --------------------------------------------------------------------------------

def new_data(**overrides) -> dict:
    data = {"source": "new", "title": "Kreismitgliederversammlung Herbst",
            "starts_at": f"{day(40)}T18:00", "ends_at": f"{day(40)}T21:00",
            "place": "", "venue_note": "", "visibility": "members", "reference_date": "",
            "chair": "", "minute_taker": "", "invitation_text": "Liebe Mitglieder"}
    data.update(overrides)
    return data


def test_create_with_a_new_event(world, login):
    response = login("kassel_board").post("/staff/kassel/assemblies/new/", new_data(
        place=str(world.kassel_office.pk), chair=str(world.users["kassel_events"].pk)))
    assembly = Assembly.objects.get()
    assert response.status_code == 302 and response.url == base(assembly)
    event = assembly.event
    assert (event.kind, event.title, event.place, event.visibility) == (
        "assembly", "Kreismitgliederversammlung Herbst", world.kassel_office, "members")
    assert assembly.reference_date == date.fromisoformat(day(40))
    assert assembly.chair == world.users["kassel_events"]
    assert assembly.invitation_text == "Liebe Mitglieder"


def test_create_for_an_event_already_planned(world, login):
    event = events.event_create(organisation=world.kassel, title="KMV Frühjahr",
                                kind="assembly", actor=None,
                                starts_at=timezone.now() + timedelta(days=50))
    client = login("kassel_board")
    page = client.get("/staff/kassel/assemblies/new/")
    assert "KMV Frühjahr" in page.content.decode()
    response = client.post("/staff/kassel/assemblies/new/", new_data(
        source="existing", event=str(event.pk), title="", starts_at="",
        reference_date=day(20)))
    assert response.status_code == 302
    assembly = Assembly.objects.get()
    assert assembly.event == event and assembly.reference_date == date.fromisoformat(day(20))
    assert Event.objects.count() == 1
    # Once an assembly, the event is no longer offered.
    assert "KMV Frühjahr" not in client.get("/staff/kassel/assemblies/new/").content.decode()


def test_create_warns_about_the_lead_time_before_saving(world, login):
    client = login("kassel_board")
    data = new_data(starts_at=f"{day(10)}T18:00", ends_at="")
    response = client.post("/staff/kassel/assemblies/new/", data)
    assert response.status_code == 200 and response.context["confirming"]
    with translation.override("en"):
        assert "the statutes require 21 days" in response.context["warning"]
    assert "Lead time" in response.content.decode()
    assert not Assembly.objects.exists() and not Event.objects.exists()
    # A warning, not a refusal: sent again as confirmed, the assembly is created.
    response = client.post("/staff/kassel/assemblies/new/", {**data, "confirmed": "True"})
    assert response.status_code == 302
    assembly = Assembly.objects.get()
    detail = client.get(response.url)
    assert "the statutes require 21 days" in messages_of(detail)
    assert "the statutes require 21 days" in detail.content.decode()
    assert detail.context["warning"]
    assert assembly.status == "preparing"


def test_create_without_warning_when_the_date_is_far_enough(world, login):
    response = login("kassel_board").post("/staff/kassel/assemblies/new/", new_data())
    assert response.status_code == 302
    assert "Lead time" not in login("kassel_board").get(response.url).content.decode()


@pytest.mark.parametrize("overrides,field", [
    ({"title": ""}, "title"),
    ({"title": "K\x00MV"}, "title"),
    ({"title": "K" * 201}, "title"),
    ({"starts_at": ""}, "starts_at"),
    ({"starts_at": "morgen"}, "starts_at"),
    ({"ends_at": f"{day(39)}T18:00"}, "ends_at"),
    ({"visibility": "secret"}, "visibility"),
    ({"reference_date": "31.02.2025"}, "reference_date"),
    ({"invitation_text": "x" * 20001}, "invitation_text"),
    ({"source": "existing"}, "source"),  # no event planned: only a new one can be chosen
    ({"source": "maybe"}, "source"),
])
def test_create_refuses_bad_input(world, login, overrides, field):
    response = login("kassel_board").post("/staff/kassel/assemblies/new/",
                                          new_data(**overrides))
    assert response.status_code == 200
    assert errors_of(response, field)
    assert "Nothing was saved" in messages_of(response)
    assert not Assembly.objects.exists() and not Event.objects.exists()


def test_create_refuses_another_organisations_ids(world, login):
    theirs = events.event_create(organisation=world.duesseldorf, title="Fremd",
                                 kind="assembly", actor=None,
                                 starts_at=timezone.now() + timedelta(days=50))
    meeting = events.event_create(organisation=world.kassel, title="Treffen", kind="meeting",
                                  actor=None, starts_at=timezone.now() + timedelta(days=50))
    events.event_create(organisation=world.kassel, title="KMV geplant", kind="assembly",
                        actor=None, starts_at=timezone.now() + timedelta(days=50))
    client = login("kassel_board")
    cases = [
        ({"source": "existing", "event": ""}, "event"),
        ({"source": "existing", "event": str(theirs.pk)}, "event"),
        ({"source": "existing", "event": str(meeting.pk)}, "event"),
        ({"place": str(world.duesseldorf_office.pk)}, "place"),
        ({"chair": str(world.users["duesseldorf_board"].pk)}, "chair"),
        ({"minute_taker": str(world.users["duesseldorf_member"].pk)}, "minute_taker"),
        ({"chair": "abc"}, "chair"),
    ]
    for overrides, field in cases:
        response = client.post("/staff/kassel/assemblies/new/", new_data(**overrides))
        assert response.status_code == 200 and errors_of(response, field), overrides
    assert not Assembly.objects.exists() and Event.objects.count() == 3


# --- the overview and its status -------------------------------------------------------------

def test_the_overview_shows_the_figures(assembly, login):
    services.guest_add(assembly=assembly, name="Gast", actor=None)
    voter = assembly.participants.filter(kind="voter").first()
    voter.present = True
    voter.save()
    response = login("kassel_board").get(base(assembly))
    quorum = response.context["quorum"]
    assert (quorum.eligible, quorum.present, quorum.required, quorum.met) == (6, 1, 1, True)
    assert response.context["guests"] == 1 and response.context["invitations"] == 0
    # "Invited" comes with sending the invitations, not with a button.
    assert [v for v, _label in response.context["next_statuses"]] == ["in_session"]
    assert 'value="invited"' not in response.content.decode()
    assert response.context["projector_token"]


def test_status_buttons(assembly, login):
    client = login("kassel_board")
    response = client.post(f"{base(assembly)}status/", {"status": "invited"}, follow=True)
    assert "by sending the invitations" in messages_of(response)
    assert Assembly.objects.get(pk=assembly.pk).status == "preparing"
    response = client.post(f"{base(assembly)}status/", {"status": "preparing"}, follow=True)
    assert "cannot go from" in messages_of(response)
    response = client.post(f"{base(assembly)}status/", {"status": "nonsense"}, follow=True)
    assert "Please choose a status" in messages_of(response)
    client.post(f"{base(assembly)}status/", {"status": "in_session", "confirm": "on"})
    assert Assembly.objects.get(pk=assembly.pk).status == "in_session"
    # Closing is for good: it needs the confirmation.
    response = client.post(f"{base(assembly)}status/", {"status": "closed"}, follow=True)
    assert "Please confirm" in messages_of(response)
    assert Assembly.objects.get(pk=assembly.pk).status == "in_session"
    client.post(f"{base(assembly)}status/", {"status": "closed", "confirm": "on"})
    assert Assembly.objects.get(pk=assembly.pk).status == "closed"


# --- editing ---------------------------------------------------------------------------------

def edit_data(assembly, **overrides) -> dict:
    data = {"reference_date": assembly.reference_date.isoformat(), "chair": "",
            "minute_taker": "", "invitation_text": "Hallo", "lead_days": "21",
            "reminder_days": "3", "quorum_kind": "share", "quorum_value": "10",
            "alternate": "on", "first_time_first": "on", "speaking_seconds": "180"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_edit_the_assembly_and_its_rules(assembly, world, login):
    client = login("kassel_board")
    page = client.get(f"{base(assembly)}edit/")
    assert "Invitation lead time (days)" in page.content.decode()
    response = client.post(f"{base(assembly)}edit/", edit_data(
        assembly, minute_taker=str(world.users["kassel_admin"].pk), lead_days="28",
        alternate=None, quorum_kind="absolute", quorum_value="4"))
    assert response.status_code == 302
    assembly.refresh_from_db()
    assert (assembly.minute_taker, assembly.lead_days, assembly.alternate,
            assembly.quorum_kind, assembly.quorum_value) == (
        world.users["kassel_admin"], 28, False, "absolute", 4)
    # The organisation's statutes are not touched.
    assert AssemblyRules.objects.get(organisation=world.kassel).lead_days == 21


@pytest.mark.parametrize("overrides,field", [
    ({"quorum_value": "150"}, "quorum_value"),
    ({"lead_days": "999"}, "lead_days"),
    ({"lead_days": "-1"}, "lead_days"),
    ({"speaking_seconds": "5"}, "speaking_seconds"),
    ({"quorum_kind": "most"}, "quorum_kind"),
    ({"reference_date": "gestern"}, "reference_date"),
    ({"reference_date": ""}, "reference_date"),
    ({"invitation_text": "a\x00b"}, "invitation_text"),
    ({"chair": "999999"}, "chair"),
    ({"chair": "DUESSELDORF"}, "chair"),
])
def test_edit_refuses_bad_input(assembly, world, login, overrides, field):
    if overrides.get("chair") == "DUESSELDORF":
        overrides = {"chair": str(world.users["duesseldorf_board"].pk)}
    before = Assembly.objects.filter(pk=assembly.pk).values().get()
    response = login("kassel_board").post(f"{base(assembly)}edit/",
                                          edit_data(assembly, **overrides))
    assert response.status_code == 200 and errors_of(response, field)
    assert Assembly.objects.filter(pk=assembly.pk).values().get() == before


def test_edit_a_closed_assembly_is_refused(assembly, login):
    services.status_change(assembly=assembly, status="in_session", actor=None)
    services.status_change(assembly=assembly, status="closed", actor=None)
    client = login("kassel_board")
    response = client.post(f"{base(assembly)}edit/", edit_data(assembly, invitation_text="Neu"),
                           follow=True)
    assert response.redirect_chain == [(base(assembly), 302)]
    assert "The assembly is closed; its record can no longer change." in messages_of(response)
    assert Assembly.objects.get(pk=assembly.pk).invitation_text == ""
    page = client.get(f"{base(assembly)}edit/")
    assert page.status_code == 200 and page.context["form"] is None
    assert "<form method=\"post\" novalidate>" not in page.content.decode()


# --- the agenda ------------------------------------------------------------------------------

def test_agenda_numbers_times_total_and_planned_end(assembly, login):
    opening = an_item(assembly, "Eröffnung", minutes_estimate=10)
    reports = an_item(assembly, "Berichte")  # no estimate: its sub-items' sum
    an_item(assembly, "Bericht des Vorstands", parent=reports, minutes_estimate=20)
    an_item(assembly, "Kassenbericht", parent=reports, minutes_estimate=15)
    an_item(assembly, "Wahlen", minutes_estimate=60)
    response = login("kassel_board").get(f"{base(assembly)}agenda/")
    lines = response.context["lines"]
    start = assembly.event.starts_at
    assert [(line["number"], line["item"].title) for line in lines] == [
        ("1", "Eröffnung"), ("2", "Berichte"), ("2.1", "Bericht des Vorstands"),
        ("2.2", "Kassenbericht"), ("3", "Wahlen")]
    assert [line["starts"] - start for line in lines] == [
        timedelta(0), timedelta(minutes=10), timedelta(minutes=10), timedelta(minutes=30),
        timedelta(minutes=45)]
    assert response.context["total"] == 105
    assert response.context["planned_end"] == start + timedelta(minutes=105)
    assert response.context["overrun"] is False  # the event lasts 3 hours
    assert opening.pk


def test_agenda_warns_when_it_runs_past_the_end(assembly, login):
    an_item(assembly, "Aussprache", minutes_estimate=200)
    response = login("kassel_board").get(f"{base(assembly)}agenda/")
    assert response.context["overrun"] is True
    assert "runs past the end" in response.content.decode()


def test_agenda_print_view(assembly, login):
    an_item(assembly, "Eröffnung", minutes_estimate=10)
    response = login("kassel_board").get(f"{base(assembly)}agenda/?print=1")
    assert response.templates[0].name == "assemblies/agenda_print.html"
    html = response.content.decode()
    assert "1. Eröffnung" in html and "Parteibüro" in html and "<form" not in html.split(
        "<main")[1].split("</main>")[0]


def test_add_an_item_and_a_sub_item(assembly, login):
    client = login("kassel_board")
    response = client.post(f"{base(assembly)}agenda/add/", {
        "title": "Berichte", "parent": "", "kind": "report", "minutes_estimate": "30",
        "description": "Vorstand und Kasse"})
    item = AgendaItem.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"#item-{item.pk}")
    assert (item.kind, item.minutes_estimate) == ("report", 30)
    page = client.get(f"{base(assembly)}agenda/add/?parent={item.pk}")
    assert page.context["form"].initial["parent"] == item
    client.post(f"{base(assembly)}agenda/add/", {"title": "Kassenbericht",
                                                 "parent": str(item.pk), "kind": "report"})
    assert AgendaItem.objects.get(title="Kassenbericht").parent == item


@pytest.mark.parametrize("overrides,field", [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": "A\x00B"}, "title"),
    ({"kind": "party"}, "kind"),
    ({"minutes_estimate": "-5"}, "minutes_estimate"),
    ({"minutes_estimate": "601"}, "minutes_estimate"),
    ({"minutes_estimate": "zehn"}, "minutes_estimate"),
    ({"parent": "OTHER"}, "parent"),
    ({"parent": "SUB"}, "parent"),
])
def test_add_an_item_refuses_bad_input(assembly, make_assembly, login, overrides, field):
    other = an_item(make_assembly(title="Andere", members=[]), "Fremd")
    main = an_item(assembly, "Berichte")
    sub = an_item(assembly, "Kassenbericht", parent=main)
    ids = {"OTHER": str(other.pk), "SUB": str(sub.pk)}
    data = {"title": "Neu", "parent": "", "kind": "discussion", "minutes_estimate": "",
            "description": ""}
    data.update({k: ids.get(v, v) for k, v in overrides.items()})
    response = login("kassel_board").post(f"{base(assembly)}agenda/add/", data)
    assert response.status_code == 200 and errors_of(response, field)
    assert assembly.items.count() == 2


def test_edit_an_item(assembly, login):
    item = an_item(assembly, "Berichte", minutes_estimate=30)
    client = login("kassel_board")
    page = client.get(f"{base(assembly)}agenda/{item.pk}/")
    assert page.context["number"] == "1"
    response = client.post(f"{base(assembly)}agenda/{item.pk}/", {
        "title": "Berichte des Vorstands", "parent": "", "kind": "report",
        "minutes_estimate": "45", "description": ""})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.kind, item.minutes_estimate) == ("Berichte des Vorstands",
                                                              "report", 45)
    response = client.post(f"{base(assembly)}agenda/{item.pk}/", {
        "title": "", "parent": "", "kind": "report", "minutes_estimate": "45"})
    assert response.status_code == 200 and errors_of(response, "title")
    assert AgendaItem.objects.get(pk=item.pk).title == "Berichte des Vorstands"


def test_an_item_of_another_assembly_is_not_found(assembly, make_assembly, login):
    other = make_assembly(title="Andere", members=[])
    foreign = an_item(other, "Fremd")
    client = login("kassel_board")
    assert client.get(f"{base(assembly)}agenda/{foreign.pk}/").status_code == 404
    assert client.post(f"{base(assembly)}agenda/{foreign.pk}/delete/").status_code == 404
    assert client.post(f"{base(assembly)}agenda/{foreign.pk}/move/",
                       {"direction": "up"}).status_code == 404
    assert AgendaItem.objects.filter(pk=foreign.pk).exists()


def test_move_and_delete_items(assembly, login):
    a, b = an_item(assembly, "A"), an_item(assembly, "B")
    client = login("kassel_board")
    client.post(f"{base(assembly)}agenda/{b.pk}/move/", {"direction": "up"})
    assert list(assembly.items.values_list("title", flat=True)) == ["B", "A"]
    response = client.post(f"{base(assembly)}agenda/{b.pk}/move/", {"direction": "sideways"},
                           follow=True)
    assert "up or down" in messages_of(response)
    assert list(assembly.items.values_list("title", flat=True)) == ["B", "A"]
    client.post(f"{base(assembly)}agenda/{a.pk}/delete/")
    assert list(assembly.items.values_list("title", flat=True)) == ["B"]


def test_an_item_with_speakers_is_not_deleted(assembly, login):
    from mitmachen.assemblies.models import SpeakerRequest

    item = an_item(assembly, "Aussprache")
    SpeakerRequest.objects.create(item=item, participant=assembly.participants.first(),
                                  category="open", requested_at=timezone.now())
    response = login("kassel_board").post(f"{base(assembly)}agenda/{item.pk}/delete/",
                                          follow=True)
    assert "cannot be deleted" in messages_of(response)
    assert AgendaItem.objects.filter(pk=item.pk).exists()


# --- documents -------------------------------------------------------------------------------

def test_upload_download_and_remove_a_document(assembly, login):
    item = an_item(assembly)
    client = login("kassel_board")
    response = client.post(f"{base(assembly)}agenda/{item.pk}/documents/", {
        "document-title": "Haushaltsplan 2026",
        "document-file": SimpleUploadedFile("plan.pdf", PDF)})
    assert response.status_code == 302
    document = AgendaDocument.objects.get()
    assert (document.title, document.content_type) == ("Haushaltsplan 2026",
                                                       "application/pdf")
    agenda = client.get(f"{base(assembly)}agenda/").content.decode()
    url = f"{base(assembly)}agenda/documents/{document.pk}/"
    assert url in agenda
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "haushaltsplan-2026.pdf" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF
    client.post(f"{url}delete/")
    assert not AgendaDocument.objects.exists()


@pytest.mark.parametrize("upload", [
    None, SimpleUploadedFile("evil.html", b"<script>alert(1)</script>"),
    SimpleUploadedFile("leer.pdf", b"")])
def test_a_bad_document_is_refused(assembly, login, upload):
    item = an_item(assembly)
    data = {"document-title": "Bericht"}
    if upload is not None:
        data["document-file"] = upload
    response = login("kassel_board").post(f"{base(assembly)}agenda/{item.pk}/documents/",
                                          data)
    assert response.status_code == 200
    assert errors_of(response, "file", form="document_form")
    assert not AgendaDocument.objects.exists()


def test_participants_read_documents_through_their_personal_link(assembly, make_assembly,
                                                                   world):
    from django.test import Client

    document = a_document(an_item(assembly))
    url = f"{base(assembly)}agenda/documents/{document.pk}/"
    rosa = assembly.participants.get(name="Rosa Roth")
    assert Client().get(f"{url}?t={participant_token(rosa)}").status_code == 200
    other = make_assembly(title="Andere", members=[])
    guest = services.guest_add(assembly=other, name="Gast", actor=None)
    for token in [participant_token(guest), "1-abc", "x" * 100, participant_token(rosa) + "0"]:
        assert Client().get(f"{url}?t={token}").status_code == 404, token
    response = Client().get(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url


# --- participants ----------------------------------------------------------------------------

def test_participants_page_lists_searches_and_audits_the_read(assembly, login):
    client = login("kassel_board")
    reads = AuditEntry.objects.filter(action="view", object_type="assemblies.assembly")
    response = client.get(f"{base(assembly)}participants/")
    names = [p.name for p in response.context["page"]]
    assert len(names) == 6 and "Rosa Roth" in names
    assert "women/FLINTA*" in response.content.decode()
    assert reads.count() == 1
    response = client.get(f"{base(assembly)}participants/?q=karl")
    assert [p.name for p in response.context["page"]] == ["Karl Lieb"]
    assert reads.count() == 2
    response = client.get(f"{base(assembly)}participants/?q=" + "x" * 101)
    assert len(response.context["page"]) == 6  # an overlong search is ignored, not an error


def test_build_the_list_of_voters_says_how_many_were_added(assembly, world, login):
    from .conftest import member

    client = login("kassel_board")
    response = client.post(f"{base(assembly)}participants/build/", follow=True)
    assert "no voting member was added" in messages_of(response)
    member(world.kassel, "Lotte", "Neu")
    member(world.kassel, "Otto", "Neu")
    response = client.post(f"{base(assembly)}participants/build/", follow=True)
    assert "2 voting members have been added" in messages_of(response)
    assert assembly.participants.count() == 8


def test_add_a_guest(assembly, login):
    response = login("kassel_board").post(f"{base(assembly)}participants/guests/", {
        "guest-name": "Mira Gast", "guest-quota_category": "flinta"}, follow=True)
    assert "Mira Gast has been added" in messages_of(response)
    guest = assembly.participants.get(kind="guest")
    assert (guest.name, guest.quota_category) == ("Mira Gast", "flinta")


@pytest.mark.parametrize("data,field", [
    ({"guest-name": ""}, "name"), ({"guest-name": "   "}, "name"),
    ({"guest-name": "x" * 201}, "name"), ({"guest-name": "Mi\x00ra"}, "name"),
    ({"guest-name": "Mira", "guest-quota_category": "men"}, "quota_category"),
])
def test_add_a_guest_refuses_bad_input(assembly, login, data, field):
    response = login("kassel_board").post(f"{base(assembly)}participants/guests/", data)
    assert response.status_code == 200 and errors_of(response, field, form="guest_form")
    assert not assembly.participants.filter(kind="guest").exists()


# --- the statutes ----------------------------------------------------------------------------

def rules_data(**overrides) -> dict:
    data = {"lead_days": "21", "reminder_days": "3", "quorum_kind": "none",
            "quorum_value": "0", "alternate": "on", "first_time_first": "on",
            "speaking_seconds": "180"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_rules_page_saves_the_statutes(world, login):
    client = login("kassel_board")
    assert client.get("/staff/kassel/assemblies/rules/").status_code == 200
    response = client.post("/staff/kassel/assemblies/rules/", rules_data(
        lead_days="28", quorum_kind="share", quorum_value="25", first_time_first=None))
    assert response.status_code == 302
    rules = AssemblyRules.objects.get(organisation=world.kassel)
    assert (rules.lead_days, rules.quorum_kind, rules.quorum_value,
            rules.first_time_first) == (28, "share", 25, False)


@pytest.mark.parametrize("overrides,field", [
    ({"quorum_kind": "share", "quorum_value": "101"}, "quorum_value"),
    ({"lead_days": "366"}, "lead_days"), ({"lead_days": ""}, "lead_days"),
    ({"reminder_days": "61"}, "reminder_days"), ({"speaking_seconds": "9"}, "speaking_seconds"),
    ({"quorum_kind": "all"}, "quorum_kind"), ({"quorum_value": "1e3"}, "quorum_value"),
])
def test_rules_page_refuses_bad_input(world, login, overrides, field):
    response = login("kassel_board").post("/staff/kassel/assemblies/rules/",
                                          rules_data(**overrides))
    assert response.status_code == 200 and errors_of(response, field)
    assert not AssemblyRules.objects.filter(organisation=world.kassel).exists()


# --- the register of resolutions -------------------------------------------------------------

def resolution(organisation, number, title, decided_on, text="Die Versammlung beschließt."):
    return Resolution.objects.create(organisation=organisation, number=number, title=title,
                                     text=text, decided_on=decided_on, result="angenommen")


def test_register_of_resolutions_newest_first_filtered_and_searched(world, login):
    resolution(world.kassel, "2024/1", "Haushalt 2024", date(2024, 3, 1))
    resolution(world.kassel, "2025/1", "Mietendeckel", date(2025, 5, 1),
               text="Wir fordern einen Mietendeckel für Kassel.")
    resolution(world.kassel, "2025/2", "Satzungsänderung", date(2025, 11, 1))
    resolution(world.duesseldorf, "2025/1", "Düsseldorfer Beschluss", date(2025, 6, 1))
    client = login("kassel_board")

    def titles(query=""):
        response = client.get(f"/staff/kassel/resolutions/{query}")
        return [r.title for r in response.context["rows"]]

    assert titles() == ["Satzungsänderung", "Mietendeckel", "Haushalt 2024"]
    assert titles("?year=2025") == ["Satzungsänderung", "Mietendeckel"]
    assert titles("?q=kassel") == ["Mietendeckel"]  # found in the text
    assert titles("?year=2024&q=Miete") == []
    assert titles("?print=1&year=2025") == ["Satzungsänderung", "Mietendeckel"]
    response = client.get("/staff/kassel/resolutions/?year=1999")
    assert errors_of(response, "year") and response.context["rows"] == []
    assert "Düsseldorfer" not in client.get("/staff/kassel/resolutions/").content.decode()


# --- the overview: invited by sending, opening with a warning --------------------------------

def an_agenda_and_invitations(assembly, **kwargs):
    from mitmachen.assemblies import invitations

    an_item(assembly, "Eröffnung")
    invitations.invitation_send(assembly=assembly, actor=None, **kwargs)


def test_opening_the_session_warns_when_nobody_was_invited(assembly, login):
    client = login("kassel_board")
    page = client.get(base(assembly))
    assert "Nobody has been invited" in page.context["opening_warning"]
    html = page.content.decode()
    assert 'id="confirm-open"' in html and "Send the invitations" in html
    response = client.post(f"{base(assembly)}status/", {"status": "in_session"}, follow=True)
    assert "Nobody has been invited" in messages_of(response)
    assert "Please confirm that the session is to be opened" in messages_of(response)
    assert Assembly.objects.get(pk=assembly.pk).status == "preparing"
    client.post(f"{base(assembly)}status/", {"status": "in_session", "confirm": "on"})
    assert Assembly.objects.get(pk=assembly.pk).status == "in_session"


def test_opening_the_session_after_a_late_invitation_warns_about_the_lead_time(
        make_assembly, login):
    late = make_assembly(days=10)
    an_agenda_and_invitations(late, confirm_late=True)
    client = login("kassel_board")
    page = client.get(base(late))
    assert [v for v, _label in page.context["next_statuses"]] == ["in_session"]
    warning = page.context["opening_warning"]
    assert "The lead time was not kept" in warning and "the statutes require 21 days" in warning
    client.post(f"{base(late)}status/", {"status": "in_session"})
    assert Assembly.objects.get(pk=late.pk).status == "invited"
    client.post(f"{base(late)}status/", {"status": "in_session", "confirm": "on"})
    assert Assembly.objects.get(pk=late.pk).status == "in_session"


def test_opening_the_session_after_invitations_in_time_needs_no_confirmation(assembly, login):
    an_agenda_and_invitations(assembly)
    client = login("kassel_board")
    page = client.get(base(assembly))
    assert page.context["opening_warning"] == ""
    assert 'id="confirm-open"' not in page.content.decode()
    client.post(f"{base(assembly)}status/", {"status": "in_session"})
    assert Assembly.objects.get(pk=assembly.pk).status == "in_session"


# --- the statutes an invitation went out under ---------------------------------------------

def test_the_statutes_are_fixed_once_the_invitations_went_out(assembly, login):
    client = login("kassel_board")
    fixed = ["lead_days", "reminder_days", "quorum_kind", "quorum_value"]
    form = client.get(f"{base(assembly)}edit/").context["form"]
    assert not any(form.fields[name].disabled for name in fixed)
    an_agenda_and_invitations(assembly)
    before = Assembly.objects.filter(pk=assembly.pk).values(*fixed).get()
    page = client.get(f"{base(assembly)}edit/")
    form = page.context["form"]
    assert all(form.fields[name].disabled for name in fixed)
    assert not form.fields["speaking_seconds"].disabled
    html = page.content.decode()
    assert "the invitations have gone out under this rule" in html
    assert 'name="lead_days"' in html and "disabled" in html.split('name="lead_days"')[1][:200]
    response = client.post(f"{base(assembly)}edit/", edit_data(
        assembly, lead_days="7", reminder_days="0", quorum_kind="absolute", quorum_value="2",
        speaking_seconds="120"))
    assert response.status_code == 302
    assert Assembly.objects.filter(pk=assembly.pk).values(*fixed).get() == before
    assert Assembly.objects.get(pk=assembly.pk).speaking_seconds == 120


# --- the lead time before any invitation: a forecast ----------------------------------------

def test_before_inviting_the_lead_time_warning_is_a_forecast(make_assembly, login):
    soon = make_assembly(days=10)
    html = login("kassel_board").get(base(soon)).content.decode()
    assert "If you invite today, that is only 10 days ahead" in html
    assert "Invited 10 days ahead" not in html


# --- the list: a closed assembly is over -----------------------------------------------------

def test_a_closed_assembly_of_today_is_listed_under_past(make_assembly, login):
    today = make_assembly(days=0, title="Heute beendet", members=[])
    make_assembly(days=0, title="Heute offen", members=[])
    close(today)
    response = login("kassel_board").get("/staff/kassel/assemblies/")
    sections = {key: [a.event.title for a in rows]
                for key, _heading, rows in response.context["sections"]}
    assert sections == {"upcoming": ["Heute offen"], "past": ["Heute beendet"]}


# --- a closed assembly -----------------------------------------------------------------------

def close(assembly):
    services.status_change(assembly=assembly, status="in_session", actor=None)
    services.status_change(assembly=assembly, status="closed", actor=None)
    assembly.refresh_from_db()


def test_a_closed_assembly_shows_its_record_without_edit_controls(assembly, login):
    item = an_item(assembly, "Berichte")
    an_item(assembly, "Wahlen")
    services.status_change(assembly=assembly, status="in_session", actor=None)
    services.item_call(assembly=assembly, item=item, actor=None)
    services.status_change(assembly=assembly, status="closed", actor=None)
    client = login("kassel_board")
    pages = {path: client.get(f"{base(assembly)}{path}") for path in [
        "", "agenda/", "participants/", "invitation/", "speakers/", "elections/"]}
    for path, response in pages.items():
        assert response.status_code == 200, path
        assert "the record of this assembly is final" in response.content.decode(), path
    detail, agenda = pages[""].content.decode(), pages["agenda/"].content.decode()
    assert f"{base(assembly)}edit/" not in detail and 'name="status"' not in detail
    assert "agenda/add/" not in agenda and f"agenda/{item.pk}/" not in agenda
    assert 'name="direction"' not in agenda and "Actions" not in agenda
    participants = pages["participants/"].content.decode()
    assert "participants/build/" not in participants
    assert "participants/guests/" not in participants
    assert "invitation/send/" not in pages["invitation/"].content.decode()
    console = pages["speakers/"].content.decode()
    for action in ("call", "next", "end", "add", "close", "extend"):
        assert f"speakers/{action}/" not in console, action
    assert "Berichte" in pages["agenda/"].content.decode()  # the record stays readable


def test_open_assembly_pages_offer_the_edit_controls(assembly, login):
    an_item(assembly, "Berichte")
    an_item(assembly, "Wahlen")
    client = login("kassel_board")
    agenda = client.get(f"{base(assembly)}agenda/").content.decode()
    assert "agenda/add/" in agenda and 'name="direction"' in agenda
    assert "participants/build/" in client.get(f"{base(assembly)}participants/").content.decode()
    assert "the record of this assembly is final" not in agenda


CLOSED_POSTS = [
    ("agenda/add/", {"title": "Neu", "kind": "discussion"}),
    ("agenda/{item}/", {"title": "Neu", "kind": "discussion"}),
    ("agenda/{item}/move/", {"direction": "down"}),
    ("agenda/{item}/delete/", {}),
    ("agenda/{item}/documents/", {"document-title": "Neu", "upload": True}),
    ("agenda/documents/{doc}/delete/", {}),
    ("participants/build/", {}),
    ("participants/guests/", {"guest-name": "Mira Gast"}),
    ("edit/", {"edit": True}),
    ("status/", {"status": "in_session"}),
]


@pytest.mark.parametrize("page,data", CLOSED_POSTS)
def test_changes_to_a_closed_assembly_are_refused_with_the_services_message(
        assembly, world, login, page, data):
    from .conftest import member

    item = an_item(assembly, "Berichte")
    an_item(assembly, "Wahlen")
    document = a_document(item)
    close(assembly)
    member(world.kassel, "Lotte", "Neu")  # building the list would add her

    def record():
        return (list(assembly.items.values_list("pk", "title", "position")),
                list(AgendaDocument.objects.values_list("pk", flat=True)),
                list(assembly.participants.values_list("pk", flat=True)),
                Assembly.objects.filter(pk=assembly.pk).values().get())

    before = record()
    data = dict(data)
    if data.pop("upload", False):
        data["document-file"] = SimpleUploadedFile("plan.pdf", PDF)
    if data.pop("edit", False):
        data = edit_data(assembly, invitation_text="Neu", lead_days="7")
    url = base(assembly) + page.format(item=item.pk, doc=document.pk)
    response = login("kassel_board").post(url, data, follow=True)
    assert response.status_code == 200
    expected = "cannot go from" if page == "status/" else \
        "The assembly is closed; its record can no longer change."
    assert expected in messages_of(response)
    assert record() == before


@pytest.mark.parametrize("page", ["agenda/add/", "agenda/{item}/"])
def test_the_item_forms_of_a_closed_assembly_lead_back_to_the_agenda(assembly, login, page):
    item = an_item(assembly, "Berichte")
    close(assembly)
    response = login("kassel_board").get(base(assembly) + page.format(item=item.pk),
                                         follow=True)
    assert response.redirect_chain[-1][0].startswith(f"{base(assembly)}agenda/")
    assert "can no longer change" in messages_of(response)


# --- the agenda: moving, the print button, links to the record -------------------------------

def test_up_is_hidden_on_the_first_and_down_on_the_last(assembly, login):
    a, b, c = an_item(assembly, "A"), an_item(assembly, "B"), an_item(assembly, "C")
    only = an_item(assembly, "B1", parent=b)
    response = login("kassel_board").get(f"{base(assembly)}agenda/")
    assert {line["item"].title: (line["first"], line["last"])
            for line in response.context["lines"]} == {
        "A": (True, False), "B": (False, False), "B1": (True, True), "C": (False, True)}
    html = response.content.decode()

    def row(item):
        return html.split(f'id="item-{item.pk}"')[1].split("</tr>")[0]

    assert 'value="up"' not in row(a) and 'value="down"' in row(a)
    assert 'value="up"' in row(b) and 'value="down"' in row(b)
    assert 'value="up"' in row(c) and 'value="down"' not in row(c)
    assert "/move/" not in row(only)


def test_the_agenda_print_view_has_a_print_button(assembly, login):
    an_item(assembly, "Eröffnung")
    html = login("kassel_board").get(f"{base(assembly)}agenda/?print=1").content.decode()
    assert 'onclick="window.print()"' in html


def test_agenda_items_link_to_their_motions_votes_elections_and_speakers(assembly, login):
    from mitmachen.assemblies import elections, motions, votes
    from mitmachen.assemblies.models import Election

    item = an_item(assembly, "Anträge")
    other = an_item(assembly, "Wahlen")
    motion = motions.motion_submit(assembly=assembly, title="Mietenstopp", text="Wir fordern.",
                                   reasoning="", submitter=None, submitter_name="Vorstand",
                                   actor=None, item=item)
    motions.motion_admit(motion=motion, actor=None)
    vote = votes.vote_create(assembly=assembly, motion=motion, method="open", actor=None)
    election = elections.election_create(
        assembly=assembly, title="Wahl des Vorstands", kind=Election.Kind.BOARD, seats=2,
        reserved=Election.Reserved.ODD, min_share=50, fallback=Election.Fallback.VACANT,
        method=Election.Method.SECRET, actor=None, item=other)
    services.status_change(assembly=assembly, status="in_session", actor=None)
    services.item_call(assembly=assembly, item=item, actor=None)
    html = login("kassel_board").get(f"{base(assembly)}agenda/").content.decode()
    first = html.split(f'id="item-{item.pk}"')[1].split("</tr>")[0]
    second = html.split(f'id="item-{other.pk}"')[1].split("</tr>")[0]
    assert f"{base(assembly)}motions/{motion.pk}/" in first
    assert f"{base(assembly)}motions/#vote-{vote.pk}" in first
    assert f"{base(assembly)}speakers/" in first  # under discussion
    assert f"{base(assembly)}elections/{election.pk}/" in second
    assert "speakers/" not in second and "motions/" not in second


# --- links into the agenda and to the assembly -----------------------------------------------

def test_a_motion_and_an_election_link_to_their_agenda_item(assembly, login):
    from mitmachen.assemblies import elections, motions
    from mitmachen.assemblies.models import Election

    item = an_item(assembly, "Anträge")
    motion = motions.motion_submit(assembly=assembly, title="Mietenstopp", text="Wir fordern.",
                                   reasoning="", submitter=None, submitter_name="Vorstand",
                                   actor=None, item=item)
    election = elections.election_create(
        assembly=assembly, title="Wahl des Vorstands", kind=Election.Kind.BOARD, seats=2,
        reserved=Election.Reserved.ODD, min_share=50, fallback=Election.Fallback.VACANT,
        method=Election.Method.SECRET, actor=None, item=item)
    client = login("kassel_board")
    anchor = f"{base(assembly)}agenda/#item-{item.pk}"
    assert anchor in client.get(f"{base(assembly)}motions/{motion.pk}/").content.decode()
    assert anchor in client.get(f"{base(assembly)}elections/{election.pk}/").content.decode()


def test_register_entries_link_to_their_assembly_for_those_who_may_open_it(assembly, login):
    Resolution.objects.create(organisation=assembly.organisation, assembly=assembly,
                              number="2025/1", title="Mietenstopp", text="Beschlossen.",
                              decided_on=date(2025, 5, 1), result="angenommen")
    assert base(assembly) in login("kassel_board").get(
        "/staff/kassel/resolutions/").content.decode()
    # The treasurer reads the register but may not open the assembly: no link to a 403.
    treasurer = login("kassel_treasurer").get("/staff/kassel/resolutions/").content.decode()
    assert "Kreismitgliederversammlung" in treasurer and base(assembly) not in treasurer


# --- narrow screens and the tab bar ----------------------------------------------------------

def test_the_motions_table_stacks_into_labelled_cards_on_a_phone(assembly, login):
    from mitmachen.assemblies import motions

    motion = motions.motion_submit(assembly=assembly, title="Mietenstopp", text="Wir fordern.",
                                   reasoning="", submitter=None, submitter_name="Vorstand",
                                   actor=None)
    motions.motion_submit(assembly=assembly, title="Änderung", text="Statt.", reasoning="",
                          submitter=None, submitter_name="Rosa", actor=None, amends=motion)
    html = login("kassel_board").get(f"{base(assembly)}motions/").content.decode()
    assert "@media (max-width: 40rem)" in html and 'table class="motions"' in html
    assert 'data-label="Submitted by">Vorstand<' in html
    assert 'class="amendment"' in html and 'data-label="Submitted by">Rosa<' in html
    assert 'tabindex="0" role="region"' in html


def test_the_tabs_have_short_labels(assembly, login):
    html = login("kassel_board").get(base(assembly)).content.decode()
    tabs = html.split('class="tabs assembly-tabs')[1].split("</nav>")[0]
    assert ">Motions</a>" in tabs and "Motions and votes" not in tabs
