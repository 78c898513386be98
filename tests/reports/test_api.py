"""The reporting channel's API: officers only, and only with the key unlocked."""

import json
import time
from datetime import date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from mitmachen.core import services as core
from mitmachen.core.models import AuditEntry
from mitmachen.core.roles import Role
from mitmachen.reports import access, services
from mitmachen.reports import api as reports_api
from mitmachen.reports.models import CaseEntry, Message, Report, Status, Tally
from tests.reports.conftest import KNOWN_TEXT, PASSPHRASE, PDF, code_for, make_officer, pdf

pytestmark = pytest.mark.django_db

BASE = "/api/v1/reports/duesseldorf"
NOT_OFFICERS = ["kassel_board", "hessen_board", "duesseldorf_admin", "duesseldorf_board",
                "duesseldorf_mentoring"]


@pytest.fixture
def case(world, officer, submit):
    """A report with a file, and the officer's bearer token with an unlocked key."""
    report, receipt = submit(files=[pdf()])
    return report, receipt


@pytest.fixture
def headers(world, officer, token_for):
    user, private_key = officer
    token, _until = reports_api.unlock_store(user=user, private_key=private_key)
    return {**token_for("duesseldorf_officer"), "HTTP_X_REPORTS_UNLOCK": token}


def call(client, method, url, headers, body=None):
    kwargs = dict(headers)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **kwargs)


def operations(report):
    """Every operation that reads or writes a report: (method, url, body)."""
    number = report.number
    file_id = report.attachments.get().pk
    return [
        ("get", BASE, None),
        ("get", f"{BASE}/statistics", None),
        ("get", f"{BASE}/{number}", None),
        ("get", f"{BASE}/{number}/files/{file_id}", None),
        ("post", f"{BASE}/{number}/messages", {"text": "Wir melden uns."}),
        ("post", f"{BASE}/{number}/entries", {"kind": "note", "text": "Rückruf"}),
        ("patch", f"{BASE}/{number}", {"status": "closed", "reason": "erledigt"}),
    ]


def second_officer(world, *, key=True):
    """Another officer of Düsseldorf (persona "second_officer")."""
    user = core.user_create(email="zweite@example.org", name="Zweite Beauftragte",
                            password=None)
    core.role_grant(user=user, organisation=world.duesseldorf,
                    role=Role.ANTIDISCRIMINATION_OFFICER, actor=None)
    world.users["second_officer"] = user
    return user, (make_officer(user) if key else None)


def nothing_written(report, before):
    report.refresh_from_db()
    assert (Message.objects.filter(report=report).count(),
            CaseEntry.objects.filter(report=report).count(),
            report.status, report.category, report.deadline) == before


def snapshot(report):
    report.refresh_from_db()
    return (Message.objects.filter(report=report).count(),
            CaseEntry.objects.filter(report=report).count(),
            report.status, report.category, report.deadline)


# --- the schema ------------------------------------------------------------------------------

def test_openapi_lists_the_operations_with_the_unlock_header(client):
    schema = client.get("/api/v1/openapi.json").json()
    found = {(method, path) for path, item in schema["paths"].items()
             for method in item if path.startswith("/api/v1/reports/")}
    assert found == {
        ("post", "/api/v1/reports/{slug}/unlock"),
        ("post", "/api/v1/reports/{slug}/lock"),
        ("get", "/api/v1/reports/{slug}"),
        ("get", "/api/v1/reports/{slug}/statistics"),
        ("get", "/api/v1/reports/{slug}/{number}"),
        ("patch", "/api/v1/reports/{slug}/{number}"),
        ("post", "/api/v1/reports/{slug}/{number}/messages"),
        ("post", "/api/v1/reports/{slug}/{number}/entries"),
        ("get", "/api/v1/reports/{slug}/{number}/files/{file_id}"),
    }
    for method, path in found:
        operation = schema["paths"][path][method]
        assert operation["tags"] == ["reports"]
        assert operation["security"] == [{"BearerToken": []}]
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        if path.endswith("/unlock"):
            assert headers == []
        else:
            assert headers == ["X-Reports-Unlock"]
    content = schema["components"]["schemas"]["CaseOut"]["properties"]
    assert {"content", "messages", "attachments", "entries"} <= set(content)


# --- who may ---------------------------------------------------------------------------------

def test_anonymous_gets_401_everywhere(world, client, case):
    report, _receipt = case
    for method, url, body in [*operations(report), ("post", f"{BASE}/unlock",
                                                    {"passphrase": PASSPHRASE, "code": "1"}),
                              ("post", f"{BASE}/lock", None)]:
        response = call(client, method, url, {}, body)
        assert response.status_code == 401, (url, response.content)
        assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("persona", NOT_OFFICERS)
def test_nobody_but_the_officer_reads_or_writes_even_with_the_officers_unlock_token(
        world, client, token_for, case, headers, persona):
    report, _receipt = case
    # Strangers (no role in Düsseldorf) get 404, other roles of Düsseldorf 403.
    expected = 404 if persona in {"kassel_board", "hessen_board"} else 403
    theirs = {**token_for(persona), "HTTP_X_REPORTS_UNLOCK": headers["HTTP_X_REPORTS_UNLOCK"]}
    before = snapshot(report)
    audit_before = AuditEntry.objects.count()
    for method, url, body in [*operations(report),
                              ("post", f"{BASE}/unlock",
                               {"passphrase": PASSPHRASE,
                                "code": code_for(world.users["duesseldorf_officer"])}),
                              ("post", f"{BASE}/lock", None)]:
        response = call(client, method, url, theirs, body)
        assert response.status_code == expected, (persona, url, response.content)
        assert KNOWN_TEXT not in response.content.decode()
        assert PDF not in response.content
    nothing_written(report, before)
    assert AuditEntry.objects.count() == audit_before
    # The officer's unlock token still works for the officer: the attempts did not lock it.
    assert call(client, "get", BASE, headers).status_code == 200


def test_kassels_slug_is_not_found_for_duesseldorfs_officer(world, client, case, headers):
    report, _receipt = case
    for method, url, body in operations(report):
        response = call(client, method, url.replace("/duesseldorf", "/kassel"), headers, body)
        assert response.status_code == 404, (url, response.content)
        assert response.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/reports/nowhere", **headers).status_code == 404


def test_a_token_issued_for_another_organisation_does_not_reach_the_reports(
        world, client, token_for, officer, case):
    user, private_key = officer
    core.role_grant(user=user, organisation=world.kassel, role=Role.BOARD, actor=None)
    unlock, _until = reports_api.unlock_store(user=user, private_key=private_key)
    kassel_token = {**token_for("duesseldorf_officer", world.kassel),
                    "HTTP_X_REPORTS_UNLOCK": unlock}
    response = client.get(BASE, **kassel_token)
    assert response.status_code == 404


def test_the_officer_without_an_unlock_token_reads_nothing(world, client, token_for, case):
    report, _receipt = case
    before = snapshot(report)
    bare = token_for("duesseldorf_officer")
    for method, url, body in operations(report):
        response = call(client, method, url, bare, body)
        assert response.status_code == 401, (url, response.content)
        error = response.json()["error"]
        assert error["code"] == "locked"
        assert "X-Reports-Unlock" in error["message"] and "unlock" in error["message"]
        assert KNOWN_TEXT not in response.content.decode()
        assert "no-store" in response["Cache-Control"]
    nothing_written(report, before)


@pytest.mark.parametrize("token", [
    "", "nonsense", ".", "a" * 22 + ".", "a" * 22 + ".AAAA", "x" * 500,
    "../../etc.passwd", "a" * 22 + "." + "A" * 43 + "=",
])
def test_a_forged_unlock_token_is_refused(world, client, token_for, case, token):
    report, _receipt = case
    response = client.get(f"{BASE}/{report.number}", HTTP_X_REPORTS_UNLOCK=token,
                          **token_for("duesseldorf_officer"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "locked"


def test_a_right_id_with_a_wrong_client_key_is_refused(world, client, case, headers):
    token = headers["HTTP_X_REPORTS_UNLOCK"]
    ident, client_key = token.split(".", 1)
    wrong = "B" if client_key[0] != "B" else "C"
    forged = {**headers, "HTTP_X_REPORTS_UNLOCK": f"{ident}.{wrong}{client_key[1:]}"}
    assert client.get(BASE, **forged).status_code == 401
    assert client.get(BASE, **headers).status_code == 200


def test_another_officers_unlock_token_does_not_work(world, client, token_for, case, headers):
    _user, private_key = second_officer(world)
    theirs, _until = reports_api.unlock_store(user=world.users["second_officer"],
                                              private_key=private_key)
    mixed = {**token_for("duesseldorf_officer"), "HTTP_X_REPORTS_UNLOCK": theirs}
    response = client.get(BASE, **mixed)
    assert response.status_code == 401 and response.json()["error"]["code"] == "locked"


def test_an_expired_unlock_token_is_refused(world, client, case, headers, monkeypatch):
    later = time.time() + access.UNLOCK_SECONDS + 1
    monkeypatch.setattr(reports_api, "_now", lambda: later)
    response = client.get(BASE, **headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "locked"
    monkeypatch.undo()
    # Forgotten for good, not only refused while the clock was ahead.
    assert client.get(BASE, **headers).status_code == 401


def test_a_new_key_pair_ends_the_unlock(world, client, case, headers):
    user = world.users["duesseldorf_officer"]
    access.officer_key_reset(user=user, passphrase="ein ganz neuer Satz 2027")
    assert client.get(BASE, **headers).status_code == 401


def test_a_removed_authenticator_app_ends_the_unlock(world, client, case, headers):
    from mitmachen.core import mfa

    user = world.users["duesseldorf_officer"]
    mfa.totp_remove(user=user, actor=user)
    assert client.get(BASE, **headers).status_code == 401


def test_a_revoked_officer_reads_nothing_with_their_old_unlock(world, client, case, headers):
    user = world.users["duesseldorf_officer"]
    assignment = user.role_assignments.get(role=Role.ANTIDISCRIMINATION_OFFICER)
    core.role_revoke(assignment=assignment, actor=None)
    report, _receipt = case
    response = client.get(f"{BASE}/{report.number}", **headers)
    assert response.status_code == 404
    assert KNOWN_TEXT not in response.content.decode()


# --- unlock and lock -------------------------------------------------------------------------

def test_unlock_with_passphrase_and_code_then_read(world, client, token_for, officer, case):
    user, _private = officer
    bearer = token_for("duesseldorf_officer")
    response = call(client, "post", f"{BASE}/unlock", bearer,
                    {"passphrase": PASSPHRASE, "code": code_for(user)})
    assert response.status_code == 201, response.content
    body = response.json()
    token = body["unlock_token"]
    ident, client_key = token.split(".", 1)
    assert len(ident) == 22 and client_key
    expires = datetime.fromisoformat(body["expires_at"])
    assert abs((expires - timezone.now()).total_seconds() - access.UNLOCK_SECONDS) < 60
    assert response["Cache-Control"] and "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN, actor=user)
    assert entry.via == "api" and entry.organisation == world.duesseldorf
    # The cache keeps the key sealed: neither the raw private key nor the client's half.
    held = cache.get(reports_api.CACHE_PREFIX + ident)
    assert held["user"] == user.pk
    assert _private.hex() not in json.dumps(held) and client_key not in json.dumps(held)
    report, _receipt = case
    read = client.get(f"{BASE}/{report.number}", HTTP_X_REPORTS_UNLOCK=token, **bearer)
    assert read.status_code == 200 and read.json()["content"]["what"] == KNOWN_TEXT


@pytest.mark.parametrize("body, field", [
    ({"passphrase": "falsch falsch falsch", "code": "CODE"}, "passphrase"),
    ({"passphrase": PASSPHRASE, "code": "000000"}, "code"),
    ({"passphrase": PASSPHRASE, "code": "abc"}, "code"),
    ({"passphrase": PASSPHRASE}, "code"),
    ({"code": "CODE"}, "passphrase"),
    ({"passphrase": "", "code": "CODE"}, "passphrase"),
    ({"passphrase": "a\x00b" * 5, "code": "CODE"}, "passphrase"),
    ({"passphrase": "x" * (access.PASSPHRASE_MAX + 1), "code": "CODE"}, "passphrase"),
    ({"passphrase": PASSPHRASE, "code": 123456}, "code"),
])
def test_unlock_with_a_wrong_passphrase_or_code_is_refused(
        world, client, token_for, officer, body, field):
    user, _private = officer
    if body.get("code") == "CODE":
        body = {**body, "code": code_for(user)}
    before = AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN).count()
    response = call(client, "post", f"{BASE}/unlock", token_for("duesseldorf_officer"), body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error
    assert "unlock_token" not in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN).count() == before


def test_unlock_messages_say_what_is_wrong(world, client, token_for, officer):
    user, _private = officer
    bearer = {**token_for("duesseldorf_officer"), "HTTP_ACCEPT_LANGUAGE": "en"}
    wrong = call(client, "post", f"{BASE}/unlock", bearer,
                 {"passphrase": "falsch falsch falsch", "code": code_for(user)})
    assert wrong.json()["error"]["fields"]["passphrase"] == ["The passphrase is wrong."]
    reused = code_for(user)
    assert call(client, "post", f"{BASE}/unlock", bearer,
                {"passphrase": PASSPHRASE, "code": reused}).status_code == 201
    again = call(client, "post", f"{BASE}/unlock", bearer,
                 {"passphrase": PASSPHRASE, "code": reused})
    assert again.status_code == 422
    assert again.json()["error"]["fields"]["code"] == ["The code is wrong or was already used."]


def test_unlock_needs_two_factors_and_a_key(world, client, token_for):
    from tests.reports.conftest import enrol

    user = world.users["duesseldorf_officer"]
    bearer = {**token_for("duesseldorf_officer"), "HTTP_ACCEPT_LANGUAGE": "en"}
    body = {"passphrase": PASSPHRASE, "code": "123456"}
    response = call(client, "post", f"{BASE}/unlock", bearer, body)
    assert response.status_code == 422
    assert "two-factor" in response.json()["error"]["fields"]["code"][0]
    enrol(user)
    code = code_for(user)
    response = call(client, "post", f"{BASE}/unlock", bearer, {**body, "code": code})
    assert response.status_code == 422
    assert "no key" in response.json()["error"]["fields"]["passphrase"][0]
    # The code was not used up by the refusal.
    access.officer_key_create(user=user, passphrase=PASSPHRASE)
    response = call(client, "post", f"{BASE}/unlock", bearer, {**body, "code": code})
    assert response.status_code == 201, response.content


def test_lock_forgets_the_key(world, client, case, headers):
    assert client.get(BASE, **headers).status_code == 200
    response = client.post(f"{BASE}/lock", **headers)
    assert response.status_code == 204
    assert client.get(BASE, **headers).status_code == 401
    # Locking again, or without a token, is harmless.
    assert client.post(f"{BASE}/lock", **headers).status_code == 204


def test_lock_cannot_end_another_officers_unlock(world, client, token_for, case, headers):
    _user, private_key = second_officer(world)
    theirs, _until = reports_api.unlock_store(user=world.users["second_officer"],
                                              private_key=private_key)
    client.post(f"{BASE}/lock", HTTP_X_REPORTS_UNLOCK=theirs,
                **token_for("duesseldorf_officer"))
    still = client.get(BASE, HTTP_X_REPORTS_UNLOCK=theirs, **token_for("second_officer"))
    assert still.status_code == 200


# --- reading ---------------------------------------------------------------------------------

def test_the_list_shows_metadata_only(world, client, case, headers, submit):
    report, _receipt = case
    submit(what="Zweite Meldung", category="racism")
    response = client.get(BASE, **headers)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["count"] == 2
    first = body["items"][-1]
    assert first == {
        "reference": report.reference, "number": report.number,
        "received_on": report.received_on.isoformat(), "category": "other", "status": "new",
        "deadline": None, "expires_on": report.expires_on.isoformat(), "unread": True,
        "readable": True}
    assert [item["number"] for item in body["items"]] == [2, 1]
    assert KNOWN_TEXT not in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.VIEW).exists()


def test_the_list_filters_by_status_and_says_what_is_not_readable(
        world, client, token_for, case, headers, submit):
    report, _receipt = case
    Report.objects.filter(pk=report.pk).update(status=Status.CLOSED)
    later, _r = submit(what="Noch eine")
    assert [i["number"] for i in client.get(f"{BASE}?status=closed", **headers).json()
            ["items"]] == [report.number]
    assert client.get(f"{BASE}?status=lost", **headers).status_code == 422
    # A second officer, given a key after the first report: only the later one is readable.
    _user, private_key = second_officer(world)
    newest, _r = submit(what="Nach der Ernennung")
    theirs, _until = reports_api.unlock_store(user=world.users["second_officer"],
                                              private_key=private_key)
    rows = client.get(BASE, HTTP_X_REPORTS_UNLOCK=theirs,
                      **token_for("second_officer")).json()["items"]
    assert {r["number"]: r["readable"] for r in rows} == {
        newest.number: True, later.number: False, report.number: False}


def test_an_expired_report_is_not_listed_nor_opened(world, client, case, headers):
    report, _receipt = case
    Report.objects.filter(pk=report.pk).update(expires_on=timezone.localdate())
    assert client.get(BASE, **headers).json()["count"] == 0
    assert client.get(f"{BASE}/{report.number}", **headers).status_code == 404


def test_the_officer_reads_the_case(world, client, case, headers, officer):
    report, receipt = case
    user, private_key = officer
    services.reporter_reply(report=report, report_key=services.reporter_open(
        organisation=world.duesseldorf, receipt=receipt)[1], text="Noch etwas")
    services.entry_add(report=report, officer=user, private_key=private_key, kind="note",
                       text="Erstgespräch")
    response = client.get(f"{BASE}/{report.number}", **headers)
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["content"] == {"what": KNOWN_TEXT, "when": "letzten Samstag",
                               "where": "Rheinufer", "who": "", "wish": "advice",
                               "contact": ""}
    assert [(m["from_reporter"], m["author"], m["text"]) for m in body["messages"]] == [
        (True, None, "Noch etwas")]
    [attachment] = body["attachments"]
    assert attachment["name"] == "beleg.pdf" and attachment["type"] == "application/pdf"
    assert attachment["size"] == len(PDF) and attachment["message_id"] is None
    assert [(e["kind"], e["author"], e["text"]) for e in body["entries"]] == [
        ("note", str(user), "Erstgespräch")]
    assert isinstance(body["entries"][0]["label"], str)
    # A read of content is logged (without content), through the API.
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW, actor=user)
    assert entry.via == "api" and KNOWN_TEXT not in entry.object_repr
    report.refresh_from_db()
    assert report.unread_by_officers is False


def test_a_report_without_the_officers_key_is_forbidden(world, client, token_for, case):
    report, _receipt = case
    before = snapshot(report)
    _user, private_key = second_officer(world)
    theirs, _until = reports_api.unlock_store(user=world.users["second_officer"],
                                              private_key=private_key)
    headers = {**token_for("second_officer"), "HTTP_X_REPORTS_UNLOCK": theirs}
    for method, url, body in operations(report):
        if url in (BASE, f"{BASE}/statistics"):
            continue
        response = call(client, method, url, headers, body)
        assert response.status_code == 403, (url, response.content)
        assert KNOWN_TEXT not in response.content.decode()
    nothing_written(report, before)


def test_unknown_numbers_and_files_are_not_found(world, client, case, headers, submit):
    report, _receipt = case
    other, _r = submit(files=[pdf("anderes.pdf")])
    other_file = other.attachments.get()
    assert client.get(f"{BASE}/999", **headers).status_code == 404
    assert client.get(f"{BASE}/{report.number}/files/{other_file.pk}",
                      **headers).status_code == 404
    assert client.get(f"{BASE}/{report.number}/files/999999", **headers).status_code == 404
    assert call(client, "post", f"{BASE}/999/messages", headers,
                {"text": "x"}).status_code == 404


def test_the_file_is_a_download(world, client, case, headers, officer):
    report, _receipt = case
    attachment = report.attachments.get()
    response = client.get(f"{BASE}/{report.number}/files/{attachment.pk}", **headers)
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "beleg.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW,
                                     actor=officer[0]).exists()


def test_a_shredded_report_is_gone(world, client, case, headers):
    from mitmachen.reports import keystore

    report, _receipt = case
    keystore.destroy(report.key_name)
    assert client.get(f"{BASE}/{report.number}", **headers).status_code == 404
    assert call(client, "post", f"{BASE}/{report.number}/messages", headers,
                {"text": "Hallo"}).status_code == 404


def test_statistics_suppress_small_cells(world, client, case, headers, submit):
    for _ in range(3):
        submit(category="racism")
    response = client.get(BASE + "/statistics", **headers)
    assert response.status_code == 200
    body = response.json()
    year = timezone.localdate().year
    quarter = (timezone.localdate().month - 1) // 3
    assert body["year"] == year and body["threshold"] == 3 and year in body["years"]
    rows = {row["category"]: row["cells"] for row in body["rows"]}
    assert rows["racism"][quarter] == 3
    assert rows["other"] == [None, None, None, None]  # one report: suppressed, never "1"
    assert all(isinstance(row["label"], str) and row["label"] for row in body["rows"])
    empty = client.get(f"{BASE}/statistics?year=2001", **headers).json()
    assert empty["year"] == 2001
    assert all(cell is None for row in empty["rows"] for cell in row["cells"])
    for bad in ["abc", "1800", "99999"]:
        assert client.get(f"{BASE}/statistics?year={bad}", **headers).status_code == 422


# --- writing ---------------------------------------------------------------------------------

def test_the_officer_answers_and_the_reporter_reads_it(world, client, case, headers):
    report, receipt = case
    response = call(client, "post", f"{BASE}/{report.number}/messages", headers,
                    {"text": "  Danke, wir melden uns bis Freitag.  "})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["text"] == "Danke, wir melden uns bis Freitag."
    assert body["from_reporter"] is False and body["author"] == "duesseldorf officer"
    assert "no-store" in response["Cache-Control"]
    report.refresh_from_db()
    assert report.status == Status.IN_PROGRESS and report.unread_by_reporter
    found, report_key = services.reporter_open(organisation=world.duesseldorf, receipt=receipt)
    seen = services.reporter_view(report=found, report_key=report_key)
    assert [m["text"] for m in seen.messages] == ["Danke, wir melden uns bis Freitag."]
    # Stored encrypted only.
    assert b"Freitag" not in bytes(Message.objects.get(pk=body["id"]).body)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, via="api",
                                     object_type="reports.message").exists()


def test_the_officer_adds_to_the_case_record(world, client, case, headers):
    report, _receipt = case
    response = call(client, "post", f"{BASE}/{report.number}/entries", headers,
                    {"kind": "measure", "text": "Gespräch mit der Person geführt"})
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "measure" and response.json()["label"]
    report.refresh_from_db()
    assert report.status == Status.MEASURES
    texts = [e["text"] for e in client.get(f"{BASE}/{report.number}", **headers)
             .json()["entries"]]
    assert texts == ["Gespräch mit der Person geführt"]


def test_the_officer_changes_status_category_and_deadline(world, client, case, headers):
    report, _receipt = case
    deadline = timezone.localdate() + timedelta(days=14)
    response = call(client, "patch", f"{BASE}/{report.number}", headers,
                    {"status": "in_progress", "category": "sexism",
                     "deadline": deadline.isoformat(), "reason": "nach dem Gespräch"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["category"], body["deadline"]) == (
        "in_progress", "sexism", deadline.isoformat())
    assert body["readable"] is True
    report.refresh_from_db()
    assert (report.status, report.category, report.deadline) == ("in_progress", "sexism",
                                                                  deadline)
    year, quarter = report.received_on.year, report.quarter
    counts = dict(Tally.objects.filter(organisation=world.duesseldorf, year=year,
                                       quarter=quarter).values_list("category", "count"))
    assert counts.get("other", 0) == 0 and counts["sexism"] == 1
    kinds = [e["kind"] for e in client.get(f"{BASE}/{report.number}", **headers)
             .json()["entries"]]
    assert kinds == ["status", "decision", "deadline"]
    # Only what is sent changes; a deadline of null removes it.
    response = call(client, "patch", f"{BASE}/{report.number}", headers, {"deadline": None})
    assert response.status_code == 200 and response.json()["deadline"] is None
    report.refresh_from_db()
    assert (report.status, report.category, report.deadline) == ("in_progress", "sexism",
                                                                  None)
    # Nothing sent: nothing changes, nothing recorded.
    entries = CaseEntry.objects.filter(report=report).count()
    assert call(client, "patch", f"{BASE}/{report.number}", headers, {}).status_code == 200
    assert CaseEntry.objects.filter(report=report).count() == entries


@pytest.mark.parametrize("method, part, body", [
    ("post", "/messages", {}),
    ("post", "/messages", {"text": ""}),
    ("post", "/messages", {"text": "   "}),
    ("post", "/messages", {"text": "x" * (services.TEXT_MAX + 1)}),
    ("post", "/messages", {"text": "a\x00b"}),
    ("post", "/messages", {"text": 42}),
    ("post", "/messages", {"text": ["Liste"]}),
    ("post", "/entries", {"kind": "status", "text": "selbst gemacht"}),
    ("post", "/entries", {"kind": "access", "text": "selbst gemacht"}),
    ("post", "/entries", {"kind": "note"}),
    ("post", "/entries", {"kind": "note", "text": " "}),
    ("post", "/entries", {"text": "ohne Art"}),
    ("patch", "", {"status": "gone"}),
    ("patch", "", {"status": None}),
    ("patch", "", {"category": None}),
    ("patch", "", {"category": "weather"}),
    ("patch", "", {"deadline": "next friday"}),
    ("patch", "", {"deadline": "1800-01-01"}),
    ("patch", "", {"deadline": "2026-02-30"}),
    ("patch", "", {"status": "closed", "reason": "x" * (services.MEDIUM_MAX + 1)}),
    ("patch", "", {"status": "closed", "reason": None}),
    ("patch", "", {"status": "closed", "reason": "a\x00"}),
])
def test_bad_input_gets_a_clear_error_and_changes_nothing(world, client, case, headers,
                                                          method, part, body):
    report, _receipt = case
    before = snapshot(report)
    audit_before = AuditEntry.objects.count()
    response = call(client, method, f"{BASE}/{report.number}{part}", headers, body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"] and error["fields"]
    nothing_written(report, before)
    assert AuditEntry.objects.count() == audit_before


def test_malformed_json_changes_nothing(world, client, case, headers):
    report, _receipt = case
    before = snapshot(report)
    for raw in [b"{not json", b"", "{\"text\": \"B\xfcro\"}".encode("cp1252")]:
        response = client.post(f"{BASE}/{report.number}/messages", data=raw,
                               content_type="application/json", **headers)
        assert response.status_code in (400, 422), (raw, response.content)
    nothing_written(report, before)


def test_a_deadline_in_the_patch_is_a_date(world, client, case, headers):
    report, _receipt = case
    response = call(client, "patch", f"{BASE}/{report.number}", headers,
                    {"deadline": "2030-01-31"})
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.deadline == date(2030, 1, 31)
