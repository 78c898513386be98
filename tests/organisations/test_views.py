from datetime import timedelta

import pytest
from django.utils import timezone

from mitmachen.core.models import AuditEntry
from mitmachen.events.models import Event
from mitmachen.events.services import event_create
from mitmachen.groups.models import Group
from mitmachen.groups.services import group_create
from mitmachen.organisations.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture
def kassel_page(world):
    group_create(organisation=world.kassel, name="Offenes FLINTA* Plenum",
                 kind=Group.Kind.PLENUM, rhythm="alle 2 Monate", audience=Group.Audience.OPEN,
                 actor=None)
    group_create(organisation=world.kassel, name="AG Mentale Gesundheit",
                 kind=Group.Kind.WORKING_GROUP, status=Group.Status.FOUNDING, actor=None)
    group_create(organisation=world.kassel, name="Geheimer Kreis", kind=Group.Kind.BOARD,
                 visibility=Group.Visibility.MEMBERS, actor=None)
    soon = timezone.now() + timedelta(days=20)
    event_create(organisation=world.kassel, title="Kreismitgliederversammlung",
                 kind=Event.Kind.ASSEMBLY, starts_at=soon, actor=None)
    event_create(organisation=world.kassel, title="Interne Klausur", kind=Event.Kind.MEETING,
                 starts_at=soon, visibility=Event.Visibility.MEMBERS, actor=None)
    event_create(organisation=world.kassel, title="Vergangenes Treffen", kind=Event.Kind.MEETING,
                 starts_at=timezone.now() - timedelta(days=3), actor=None)
    return world


def test_mitmachen_page_in_german(kassel_page, client):
    html = client.get("/o/kassel/").content.decode()
    for text in ["Wer wir sind", "Wir sind die Kasseler.", "Formate und Gruppen",
                 "Offenes FLINTA* Plenum", "alle 2 Monate", "AG Mentale Gesundheit",
                 "Nächste Treffen", "Kreismitgliederversammlung", "Kontakt",
                 "vorstand@kassel.example.org", "Parteibüro"]:
        assert text in html, text
    for hidden in ["Geheimer Kreis", "Interne Klausur", "Vergangenes Treffen"]:
        assert hidden not in html


def test_mitmachen_page_in_english(kassel_page, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/o/kassel/"})
    html = client.get("/o/kassel/").content.decode()
    assert 'lang="en"' in html and "Who we are" in html and "Next meetings" in html


def test_non_public_or_unknown_organisation_is_404(world, client):
    world.kassel.is_public = False
    world.kassel.save()
    assert client.get("/o/kassel/").status_code == 404
    response = client.get("/o/does-not-exist/")
    assert response.status_code == 404 and "Seite nicht gefunden" in response.content.decode()


def test_umbrella_page_lists_member_organisations(world, client):
    html = client.get("/o/kreisgruppe/").content.decode()
    assert "Tonndorf" in html


def test_board_edits_the_public_page(world, login):
    client = login("kassel_board")
    response = client.post("/staff/kassel/profile/", {
        "name": "DIE LINKE Kassel", "tagline": "Jetzt mitmachen!", "about": "Neu",
        "how_to_join": "Komm vorbei", "contact_email": "v@example.org", "is_public": "on"})
    assert response.status_code == 302
    world.kassel.refresh_from_db()
    assert world.kassel.tagline == "Jetzt mitmachen!"
    assert AuditEntry.objects.filter(action="update", organisation=world.kassel).exists()


@pytest.mark.parametrize("field,value", [
    ("name", ""), ("name", "x" * 201), ("tagline", "a\x00b"), ("contact_email", "not-an-email"),
    ("website", "javascript:alert(1)"), ("about", "x" * 5001),
])
def test_bad_profile_input_shows_message_and_changes_nothing(world, login, field, value):
    client = login("kassel_board")
    data = {"name": "Kassel", "is_public": "on", field: value}
    response = client.post("/staff/kassel/profile/", data)
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert "Es wurde nichts gespeichert" in response.content.decode()
    world.kassel.refresh_from_db()
    assert world.kassel.name == "Kassel" and world.kassel.tagline == ""


def test_bad_input_message_in_english_too(world, login):
    client = login("kassel_board")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.post("/staff/kassel/profile/", {"name": ""})
    assert "Nothing was saved" in response.content.decode()


def test_places_create_edit_delete(world, login):
    client = login("kassel_events")
    mitte = world.kassel_office.district
    response = client.post("/staff/kassel/places/new/", {
        "name": "Stadtteilzentrum Wesertor", "kind": "district_centre", "city": "Kassel",
        "district": mitte.pk, "step_free": "yes", "accessible_toilet": "no", "is_public": "on"})
    assert response.status_code == 302
    place = Place.objects.get(name="Stadtteilzentrum Wesertor")
    assert place.organisation == world.kassel and place.district == mitte
    client.post(f"/staff/kassel/places/{place.pk}/", {
        "name": "SZ Wesertor", "kind": "district_centre", "step_free": "partly",
        "accessible_toilet": "no"})
    place.refresh_from_db()
    assert place.name == "SZ Wesertor" and place.step_free == "partly"
    client.post(f"/staff/kassel/places/{place.pk}/delete/")
    assert not Place.objects.filter(pk=place.pk).exists()
    actions = set(AuditEntry.objects.filter(object_type="organisations.place",
                                            object_id=str(place.pk)).values_list("action",
                                                                                 flat=True))
    assert actions == {"create", "update", "delete"}


def test_place_of_another_organisation_is_404_and_untouched(world, login):
    client = login("kassel_board")
    other = world.duesseldorf_office
    assert client.get(f"/staff/kassel/places/{other.pk}/").status_code == 404
    assert client.post(f"/staff/kassel/places/{other.pk}/", {"name": "Gekapert", "kind": "venue",
                       "step_free": "yes", "accessible_toilet": "yes"}).status_code == 404
    assert client.post(f"/staff/kassel/places/{other.pk}/delete/").status_code == 404
    other.refresh_from_db()
    assert other.name == "Geschäftsstelle Düsseldorf"


def test_district_of_another_municipality_is_refused(world, login):
    from mitmachen.organisations.models import District, Municipality

    elsewhere = District.objects.create(
        municipality=Municipality.objects.create(name="Weimar", slug="weimar"),
        name="Altstadt", slug="altstadt")
    client = login("kassel_board")
    response = client.post("/staff/kassel/places/new/", {
        "name": "X", "kind": "venue", "district": elsewhere.pk, "step_free": "yes",
        "accessible_toilet": "yes"})
    assert response.status_code == 200 and not Place.objects.filter(name="X").exists()


def test_dashboard_lists_what_needs_attention(world, login):
    event_create(organisation=world.kassel, title="Sommerfest", kind=Event.Kind.FESTIVAL,
                 starts_at=timezone.now() + timedelta(days=10), status=Event.Status.TENTATIVE,
                 actor=None)
    group_create(organisation=world.kassel, name="AG Klima", kind=Group.Kind.WORKING_GROUP,
                 status=Group.Status.FOUNDING, actor=None)
    board = login("kassel_board").get("/dashboard/").content.decode()
    assert "Sommerfest" in board and "AG Klima" in board
    assert "Barrierefreiheit" in board  # the office's accessibility is unknown
    treasurer = login("kassel_treasurer").get("/dashboard/").content.decode()
    assert "Sommerfest" not in treasurer and "AG Klima" not in treasurer
    nobody = login("duesseldorf_member").get("/dashboard/").content.decode()
    assert "keine Rolle" in nobody


def test_team_grant_and_revoke(world, login):
    from mitmachen.core.models import RoleAssignment

    client = login("kassel_admin")
    response = client.post("/staff/kassel/team/", {"email": "duesseldorf_member@example.org",
                                                    "role": "treasurer",
                                                    "include_descendants": "on"})
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=world.users["duesseldorf_member"])
    assert assignment.organisation == world.kassel
    client.post(f"/staff/kassel/team/{assignment.pk}/revoke/")
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEntry.objects.filter(action="grant").exists()
    assert AuditEntry.objects.filter(action="revoke").exists()


@pytest.mark.parametrize("data", [
    {"email": "", "role": "board"},
    {"email": "duesseldorf_member@example.org", "role": "emperor"},
    {"email": "duesseldorf_member@example.org\x00", "role": "board"},
])
def test_bad_grants_change_nothing(world, login, data):
    from mitmachen.core.models import RoleAssignment

    count = RoleAssignment.objects.count()
    response = login("kassel_admin").post("/staff/kassel/team/", data)
    assert response.status_code == 200 and b'role="alert"' in response.content
    assert RoleAssignment.objects.count() == count


def test_board_sees_team_but_cannot_grant(world, login):
    client = login("kassel_board")
    assert client.get("/staff/kassel/team/").status_code == 200
    response = client.post("/staff/kassel/team/", {"email": "duesseldorf_member@example.org",
                                                    "role": "board"})
    assert response.status_code == 403


def test_audit_log_page_filters(world, login):
    client = login("kassel_admin")
    client.post("/staff/kassel/profile/", {"name": "Kassel", "tagline": "x"})
    html = client.get("/staff/kassel/audit/?action=update").content.decode()
    assert "tagline" in html
    assert client.get("/staff/kassel/audit/?page=abc").status_code == 200
    assert client.get("/staff/kassel/audit/?action=nonsense").status_code == 200


def test_granting_to_a_new_address_invites_without_revealing_accounts(
        world, login, django_capture_on_commit_callbacks):
    from django.core import mail

    from mitmachen.core.models import RoleAssignment, User

    client = login("kassel_admin")
    with django_capture_on_commit_callbacks(execute=True):
        new = client.post("/staff/kassel/team/", {"email": "neu@example.org",
                                                  "role": "treasurer"}, follow=True)
        known = client.post("/staff/kassel/team/", {"email": "duesseldorf_member@example.org",
                                                    "role": "treasurer"}, follow=True)
    assert "wurde per E-Mail benachrichtigt" in new.content.decode()
    assert "wurde per E-Mail benachrichtigt" in known.content.decode()
    invited = User.objects.get(email="neu@example.org")
    assert not invited.has_usable_password()
    assert RoleAssignment.objects.filter(user=invited, organisation=world.kassel).exists()
    assert len(mail.outbox) == 2
    assert "/accounts/reset/" in mail.outbox[0].body and mail.outbox[0].to == ["neu@example.org"]
    assert "/accounts/reset/" not in mail.outbox[1].body


def test_administrator_cannot_grant_themselves_a_role_through_the_page(world, login):
    from mitmachen.core.models import RoleAssignment

    response = login("kassel_admin").post("/staff/kassel/team/", {
        "email": "kassel_admin@example.org", "role": "antidiscrimination_officer"})
    assert response.status_code == 200 and b'role="alert"' in response.content
    assert not RoleAssignment.objects.filter(role="antidiscrimination_officer",
                                             organisation=world.kassel).exists()


def test_public_pages_hide_non_public_organisations(world, client):
    from mitmachen.organisations import services as org
    from mitmachen.organisations.models import Organisation

    hidden = org.organisation_create(name="Verborgen e. V.", slug="verborgen", kind="association",
                                     level=4, actor=None, is_public=False)
    org.place_create(organisation=hidden, actor=None, data={
        "name": "Geheimer Treffpunkt", "district": world.kassel_office.district})
    assert "Geheimer Treffpunkt" not in client.get("/municipalities/kassel/").content.decode()
    assert "Parteibüro" in client.get("/municipalities/kassel/").content.decode()
    Organisation.objects.filter(pk=world.duesseldorf.pk).update(is_public=False)
    body = client.get(f"/api/v1/cooperations/{world.cooperation.pk}").json()
    assert body["partner_ids"] == [world.kassel.pk]


def test_cooperation_page_shows_only_coming_public_dates(world, client):
    soon, past = timezone.now() + timedelta(days=5), timezone.now() - timedelta(days=5)
    for title, start, status in [("Kommt", soon, "confirmed"), ("War", past, "confirmed"),
                                 ("Abgesagt", soon, "cancelled")]:
        event_create(organisation=world.kassel, cooperation=world.cooperation, title=title,
                     kind=Event.Kind.NETWORK_MEETING, starts_at=start, status=status,
                     actor=None)
    html = client.get("/cooperations/sll/").content.decode()
    assert "Kommt" in html and "War" not in html and "Abgesagt" not in html


def test_api_docs_load_nothing_from_a_cdn(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "cdn." not in html and "/static/ninja/" in html


def test_cooperation_partners_show_in_each_partners_audit_log(world):
    assert AuditEntry.objects.filter(organisation=world.duesseldorf, action="create",
                                     object_type="organisations.cooperationpartner").exists()
