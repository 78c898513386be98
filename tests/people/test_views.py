import csv
import io
import json

import pytest
from openpyxl import load_workbook

from mitmachen.core.models import AuditEntry, Job
from mitmachen.groups.models import Group, GroupMember
from mitmachen.groups.services import group_create
from mitmachen.people import bulk, selectors, services
from mitmachen.people.models import Consent, Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(world):
    contact = services.contact_create(organisation=world.kassel, actor=None, data={
        "first_name": "Anna", "last_name": "Beispiel", "email": "anna@example.org",
        "phone": "0561 9201500", "notes": "kommt mit dem Rad"})
    services.consent_record(contact=contact, channel="email", purpose="invitations",
                            granted=True, source="staff", text_version="v1", actor=None)
    return contact


@pytest.fixture
def fremd(world):
    return services.contact_create(organisation=world.duesseldorf, actor=None, data={
        "first_name": "Anna", "last_name": "Fremd", "email": "fremd@example.org"})


def test_list_searches_and_logs_the_read(world, login, anna, fremd):
    client = login("kassel_board")
    html = client.get("/staff/kassel/contacts/?q=anna&status=interested").content.decode()
    assert "Beispiel" in html and "Fremd" not in html
    entry = AuditEntry.objects.filter(action="view", organisation=world.kassel).first()
    # Which filters were used is logged; the search text (which may name someone) is not.
    assert entry.object_repr == "contact list: text search, status=interested"


def test_htmx_request_gets_only_the_table(world, login, anna):
    response = login("kassel_board").get("/staff/kassel/contacts/?q=Beisp",
                                         HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    html = response.content.decode()
    assert "Beispiel" in html and "<html" not in html


@pytest.mark.parametrize("query", ["?status=emperor", "?district=999999", "?page=-1",
                                   "?order=password", "?q=" + "x" * 500, "?consent=fax:spam",
                                   "?q=%00"])
def test_bad_filters_show_the_list_without_error(world, login, anna, query):
    assert login("kassel_board").get("/staff/kassel/contacts/" + query).status_code == 200


def test_csv_and_xlsx_export_are_logged(world, login, anna, fremd):
    client = login("kassel_board")
    response = client.get("/staff/kassel/contacts/?q=anna&export=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:2] == ["Anna", "Beispiel"] and len(rows) == 2
    response = client.get("/staff/kassel/contacts/?export=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]][:2] == ["Anna", "Beispiel"]
    assert AuditEntry.objects.filter(action="export", organisation=world.kassel).count() == 2


def test_export_cells_cannot_become_formulas(world, login):
    services.contact_create(organisation=world.kassel, actor=None,
                            data={"first_name": "=HYPERLINK(\"x\")", "last_name": "B"})
    text = login("kassel_board").get("/staff/kassel/contacts/?export=csv").content.decode()
    assert "'=HYPERLINK" in text


def test_group_coordinator_may_read_but_not_export_or_change(world, login, anna):
    client = login("kassel_groups")
    assert client.get("/staff/kassel/contacts/").status_code == 200
    assert client.get("/staff/kassel/contacts/?export=csv").status_code == 403
    assert client.get(f"/staff/kassel/contacts/{anna.pk}/edit/").status_code == 403


def test_detail_shows_history_and_logs_the_read(world, login, anna):
    html = login("kassel_board").get(f"/staff/kassel/contacts/{anna.pk}/").content.decode()
    assert "kommt mit dem Rad" in html and "+49 561 9201500" in html
    assert AuditEntry.objects.filter(action="view", object_id=str(anna.pk)).exists()


def test_another_organisations_contact_is_404_everywhere(world, login, fremd):
    client = login("kassel_admin")
    for url in ["/", "edit/", "export/", "export/?format=json", "erase/"]:
        assert client.get(f"/staff/kassel/contacts/{fremd.pk}/{url}").status_code == 404
    for url in ["status/", "consent/", "edit/", "erase/"]:
        response = client.post(f"/staff/kassel/contacts/{fremd.pk}/{url}",
                               {"status": "member", "confirm": "Anna Fremd"})
        assert response.status_code == 404
    fremd.refresh_from_db()
    assert fremd.status == "interested" and fremd.erased_at is None


def test_create_and_edit_with_bad_input(world, login):
    client = login("kassel_board")
    response = client.post("/staff/kassel/contacts/new/", {
        "first_name": "Bert", "phone": "12", "language": "de"})
    assert response.status_code == 200 and not Contact.objects.exists()
    assert "gültige Telefonnummer" in response.content.decode()
    response = client.post("/staff/kassel/contacts/new/", {
        "first_name": "Bert", "phone": "0561 9201501", "language": "de"})
    bert = Contact.objects.get()
    assert response.status_code == 302 and bert.phone == "+495619201501"
    for bad in [{"first_name": ""}, {"first_name": "B\x00"}, {"email": "nope"},
                {"birthday": "31.02.2000"}]:
        response = client.post(f"/staff/kassel/contacts/{bert.pk}/edit/",
                               {"first_name": "Bert", "language": "de", **bad})
        assert response.status_code == 200, bad
    bert.refresh_from_db()
    assert bert.first_name == "Bert" and bert.email == ""


def test_status_and_consent_forms(world, login, anna):
    client = login("kassel_board")
    client.post(f"/staff/kassel/contacts/{anna.pk}/status/", {"status": "member",
                                                              "membership_number": "KS-1"})
    anna.refresh_from_db()
    assert anna.status == "member" and anna.membership_number == "KS-1"
    client.post(f"/staff/kassel/contacts/{anna.pk}/status/", {"status": "applicant"})
    anna.refresh_from_db()
    assert anna.status == "member"  # not an allowed step
    client.post(f"/staff/kassel/contacts/{anna.pk}/consent/", {
        "channel": "email", "purpose": "invitations", "granted": "no", "text_version": "v2"})
    assert anna not in selectors.reachable(world.kassel, "email", "invitations")
    client.post(f"/staff/kassel/contacts/{anna.pk}/consent/", {
        "channel": "fax", "purpose": "invitations", "granted": "yes", "text_version": "v2"})
    assert not Consent.objects.filter(channel="fax").exists()


def test_small_bulk_runs_at_once(world, login, anna):
    plenum = group_create(organisation=world.kassel, name="Plenum", kind=Group.Kind.PLENUM,
                          actor=None)
    response = login("kassel_board").post("/staff/kassel/contacts/bulk/", {
        "action": "add_to_group", "group": plenum.pk, "contact": [anna.pk], "scope": "selected"})
    job = Job.objects.get()
    assert response.url == f"/staff/kassel/jobs/{job.pk}/"
    assert job.status == "done" and GroupMember.objects.filter(contact=anna).exists()


def test_large_bulk_runs_as_a_task_with_progress(world, login,
                                                 django_capture_on_commit_callbacks):
    for n in range(bulk.IMMEDIATE_LIMIT + 5):
        Contact.objects.create(organisation=world.kassel, first_name=f"P{n}")
    client = login("kassel_board")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/staff/kassel/contacts/bulk/", {
            "action": "change_status", "status": "supporter", "scope": "all", "query": ""})
    job = Job.objects.get()
    assert job.total == bulk.IMMEDIATE_LIMIT + 5 and job.status == "done"
    assert Contact.objects.filter(status="supporter").count() == job.total
    html = client.get(f"/staff/kassel/jobs/{job.pk}/", HTTP_HX_REQUEST="true",
                      HTTP_HX_TARGET="job").content.decode()
    assert "<progress" in html and f'value="{job.total}"' in html


def test_bulk_refuses_other_organisations_ids(world, login, anna, fremd):
    client = login("kassel_board")
    client.post("/staff/kassel/contacts/bulk/", {
        "action": "change_status", "status": "supporter", "contact": [anna.pk, fremd.pk],
        "scope": "selected"})
    assert not Job.objects.exists()
    anna.refresh_from_db()
    fremd.refresh_from_db()
    assert anna.status == fremd.status == "interested"


def test_bulk_bad_input(world, login, anna):
    client = login("kassel_board")
    for data in [{"action": "add_to_group", "contact": [anna.pk]},
                 {"action": "explode", "contact": [anna.pk]},
                 {"action": "change_status", "status": "member", "contact": ["x"]},
                 {"action": "change_status", "status": "member"}]:
        client.post("/staff/kassel/contacts/bulk/", data)
    assert not Job.objects.exists()


def test_gdpr_export_json_and_pdf(world, login, anna):
    client = login("kassel_admin")
    data = json.loads(client.get(f"/staff/kassel/contacts/{anna.pk}/export/?format=json")
                      .content)
    assert data["contact"]["last_name"] == "Beispiel"
    assert data["consents"][0]["channel"] == "email"
    assert "groups" in data
    pdf = client.get(f"/staff/kassel/contacts/{anna.pk}/export/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert AuditEntry.objects.filter(action="export", object_id=str(anna.pk)).count() == 2


def test_erasure_leaves_nothing_searchable(world, login, anna):
    client = login("kassel_admin")
    services.status_change(contact=anna, to_status="member", actor=None, reason="Eintritt")
    client.get("/staff/kassel/contacts/?q=Beispiel")
    client.get(f"/staff/kassel/contacts/{anna.pk}/")
    response = client.post(f"/staff/kassel/contacts/{anna.pk}/erase/", {"confirm": "falsch"})
    assert response.status_code == 200
    client.get(f"/staff/kassel/contacts/{anna.pk}/export/?format=json")
    client.post(f"/staff/kassel/contacts/{anna.pk}/erase/", {"confirm": "Anna Beispiel"})
    anna.refresh_from_db()
    assert anna.erased_at and anna.first_name == "" and anna.email == "" and anna.phone == ""
    assert not anna.consents.exists()
    assert anna.status_changes.count() == 2  # the history stays, without reasons
    for text in ["Anna", "Beispiel", "anna@example.org", "9201500"]:
        assert not selectors.search(world.kassel, text=text).exists()
        assert not AuditEntry.objects.filter(object_repr__icontains=text).exists(), text
    assert client.get(f"/staff/kassel/contacts/{anna.pk}/").status_code == 404
    actions = set(AuditEntry.objects.filter(object_id=str(anna.pk)).values_list("action",
                                                                               flat=True))
    assert {"export", "delete"} <= actions
    dump = json.dumps(list(AuditEntry.objects.values("object_repr", "changes")))
    assert "Beispiel" not in dump and "anna@example.org" not in dump


def test_giving_a_contact_a_login(world, login, anna, django_capture_on_commit_callbacks):
    from django.core import mail

    client = login("kassel_board")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/kassel/contacts/{anna.pk}/account/")
    anna.refresh_from_db()
    assert anna.user.email == "anna@example.org" and not anna.user.has_usable_password()
    assert "/accounts/reset/" in mail.outbox[0].body
    assert login("kassel_groups").post(
        f"/staff/kassel/contacts/{anna.pk}/account/").status_code == 403
    no_mail = services.contact_create(organisation=world.kassel, data={"first_name": "B"},
                                      actor=None)
    client.post(f"/staff/kassel/contacts/{no_mail.pk}/account/")
    no_mail.refresh_from_db()
    assert no_mail.user is None
