"""The officers' pages of the reporting channel: who gets in (and who is sent where), the key's
set-up, unlocking and locking, and every form of a case, down to the daily tick."""

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from mitmachen.core import mfa
from mitmachen.core import services as core
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.core.roles import Role
from mitmachen.messaging.models import Message as Outgoing
from mitmachen.reports import access, gate, keystore, services
from mitmachen.reports.models import (
    CaseEntry,
    Category,
    EntryKind,
    Message,
    OfficerKey,
    Report,
    ReportKey,
    Status,
    Tally,
)

from .conftest import KNOWN_TEXT, PASSPHRASE, PDF, code_for, enrol, make_officer, pdf

pytestmark = pytest.mark.django_db

SLUG = "duesseldorf"
NEW_PASSPHRASE = "Königsallee im Regen 1999"


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.REPORTS_KEY_DIR = tmp_path / "report-keys"
    return settings.REPORTS_KEY_DIR


def url(name, *args):
    return reverse(f"reports:{name}", args=[SLUG, *args])


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def signed_in(user) -> Client:
    """Logged in, with a code entered in this session (as the login with two factors does)."""
    client = english(Client())
    client.force_login(user)
    session = client.session
    session[mfa.SESSION_VERIFIED] = time.time()
    session.save()
    return client


def unlocked(user, passphrase=PASSPHRASE) -> Client:
    client = signed_in(user)
    response = client.post(url("unlock"), {"passphrase": passphrase, "code": code_for(user)})
    assert response.status_code == 302, response.content[:2000]
    assert client.cookies[access.COOKIE].value
    return client


@pytest.fixture
def case(submit):
    """A report of Düsseldorf with a file, as (report, receipt)."""
    return submit(files=[pdf()])


def pages(report):
    """(method, url) of every officer page, with a real report and file in it."""
    number = report.number
    file_pk = report.attachments.first().pk
    return [("get", url("inbox")), ("get", url("setup")), ("get", url("unlock")),
            ("post", url("lock")), ("get", url("passphrase")), ("get", url("access")),
            ("get", url("settings")), ("get", url("statistics")),
            ("get", url("statistics") + "?format=csv"), ("get", url("detail", number)),
            ("post", url("reply", number)), ("post", url("entry", number)),
            ("post", url("update", number)), ("get", url("attachment", number, file_pk)),
            ("get", url("log"))]


# --- who gets in -----------------------------------------------------------------------------

def test_anonymous_is_sent_to_the_login_on_every_page(case):
    report, _receipt = case
    client = Client()
    for method, address in pages(report):
        response = getattr(client, method)(address)
        assert response.status_code == 302, address
        assert response["Location"].startswith(reverse("core:login")), address


@pytest.mark.parametrize("persona", ["kassel_board", "duesseldorf_board", "duesseldorf_admin",
                                     "duesseldorf_member"])
def test_other_roles_and_strangers_see_nothing(world, case, persona):
    report, _receipt = case
    user = world.users[persona]
    enrol(user)  # two factors change nothing: the role is missing
    client = signed_in(user)
    for method, address in pages(report):
        data = {"reply-text": "Eingeschleust", "entry-kind": "note", "entry-text": "x",
                "update-status": "closed", "update-category": "racism", "action": "update"}
        response = getattr(client, method)(address, data if method == "post" else None)
        assert response.status_code in (403, 404), (persona, address)
        assert KNOWN_TEXT.encode() not in response.content
        assert b"beleg.pdf" not in response.content
    report.refresh_from_db()
    assert report.status == Status.NEW and report.category == Category.OTHER
    assert not Message.objects.exists() and not CaseEntry.objects.exists()
    assert not OfficerKey.objects.filter(user=user).exists()


def test_an_officer_without_two_factors_is_sent_to_set_them_up(world):
    user = world.users["duesseldorf_officer"]
    client = english(Client())
    client.force_login(user)
    for name in ["inbox", "access", "settings", "statistics", "passphrase", "unlock"]:
        response = client.get(url(name))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("core:mfa_setup")), name
    # The set-up page itself explains and links there instead, and offers no key yet.
    page = client.get(url("setup"))
    assert page.status_code == 200
    assert reverse("core:mfa_setup").encode() in page.content
    assert b'name="create-passphrase"' not in page.content
    refused = client.post(url("setup"), {"action": "create", "create-passphrase": PASSPHRASE,
                                         "create-confirm": PASSPHRASE})
    assert refused.status_code == 302
    assert not OfficerKey.objects.filter(user=user).exists()


def test_a_session_without_a_code_is_asked_for_one(world, officer):
    user, _key = officer
    client = english(Client())
    client.force_login(user)  # logged in without the code step
    response = client.get(url("inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login_code"))
    # The unlock page asks for a code itself.
    assert client.get(url("unlock")).status_code == 200


def test_without_a_key_the_officer_sets_one_up_then_unlocks(world):
    user = world.users["duesseldorf_officer"]
    enrol(user)
    client = signed_in(user)
    for name in ["inbox", "access", "settings", "statistics", "passphrase", "unlock"]:
        response = client.get(url(name))
        assert response.status_code == 302
        assert response["Location"] == url("setup"), name
    page = client.get(url("setup"))
    assert b'name="create-passphrase"' in page.content
    assert b"Forgot your passphrase" not in page.content

    # Two different passphrases, and a short one: nothing is created.
    differ = client.post(url("setup"), {"action": "create", "create-passphrase": PASSPHRASE,
                                        "create-confirm": PASSPHRASE + "!"})
    assert differ.status_code == 200 and b"not the same" in differ.content
    short = client.post(url("setup"), {"action": "create", "create-passphrase": "kurz",
                                       "create-confirm": "kurz"})
    assert short.status_code == 200 and b"at least 12 characters" in short.content
    assert not OfficerKey.objects.filter(user=user).exists()

    done = client.post(url("setup"), {"action": "create", "create-passphrase": PASSPHRASE,
                                      "create-confirm": PASSPHRASE})
    assert done.status_code == 302 and done["Location"] == url("unlock")
    assert access.private_key_open(user=user, passphrase=PASSPHRASE)
    assert client.get(url("inbox"))["Location"].startswith(url("unlock"))


def test_locked_pages_lead_to_the_unlock_page_and_back(world, case):
    user = world.users["duesseldorf_officer"]
    client = signed_in(user)
    target = url("detail", case[0].number)
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"] == f"{url('unlock')}?next={target.replace('/', '%2F')}"
    page = client.get(response["Location"])
    assert page.status_code == 200 and b'name="passphrase"' in page.content
    assert target.encode() in page.content  # carried in the form as `next`

    done = client.post(url("unlock"), {"passphrase": PASSPHRASE, "code": code_for(user),
                                       "next": target})
    assert done.status_code == 302 and done["Location"] == target
    assert KNOWN_TEXT in client.get(target).content.decode()


@pytest.mark.parametrize("wrong", ["passphrase", "code"])
def test_a_wrong_passphrase_or_code_unlocks_nothing(world, officer, wrong):
    user, _key = officer
    client = signed_in(user)
    data = {"passphrase": PASSPHRASE, "code": code_for(user)}
    data[wrong] = "Falsche Passphrase 123" if wrong == "passphrase" else "000000"
    response = client.post(url("unlock"), data)
    assert response.status_code == 200
    assert b"is wrong" in response.content
    assert access.COOKIE not in client.cookies
    assert access.SESSION_KEY not in client.session
    assert client.get(url("inbox"))["Location"].startswith(url("unlock"))


def test_the_key_cookie_and_its_promises(world, officer):
    user, _key = officer
    client = signed_in(user)
    response = client.post(url("unlock"), {"passphrase": PASSPHRASE, "code": code_for(user),
                                           "next": "https://evil.example/steal"})
    assert response["Location"] == url("inbox")  # an outside `next` is ignored
    cookie = response.cookies[access.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/staff/"
    assert not cookie["max-age"] and not cookie["expires"]  # gone with the browser
    # The session in the database holds the key only sealed: the cookie's value is not in it.
    assert cookie.value not in str(dict(client.session))
    page = client.get(url("inbox"))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]


def test_the_unlocked_key_does_not_survive_without_the_cookie(world, officer):
    user, _key = officer
    client = unlocked(user)
    assert client.get(url("inbox")).status_code == 200
    other = english(Client())
    other.cookies["sessionid"] = client.cookies["sessionid"].value
    response = other.get(url("inbox"))
    assert response.status_code == 302 and response["Location"].startswith(url("unlock"))
    # The unlock page offers to continue (a link from a mail program brings no Strict cookie).
    page = other.get(response["Location"])
    assert b'id="continue"' in page.content
    # A made-up cookie opens nothing either.
    other.cookies[access.COOKIE] = "A" * 44
    assert other.get(url("inbox")).status_code == 302


def test_lock_forgets_the_key(world, officer):
    user, _key = officer
    client = unlocked(user)
    response = client.post(url("lock"))
    assert response.status_code == 302 and response["Location"] == url("unlock")
    assert client.cookies[access.COOKIE].value == ""
    assert access.SESSION_KEY not in client.session
    assert client.get(url("inbox"))["Location"].startswith(url("unlock"))
    assert client.get(url("lock")).status_code == 405


def test_passphrase_change(world, officer, submit):
    user, _key = officer
    report, _receipt = submit()
    client = unlocked(user)
    wrong = client.post(url("passphrase"), {"passphrase": "Nicht die richtige 1",
                                            "new_passphrase": NEW_PASSPHRASE,
                                            "confirm": NEW_PASSPHRASE})
    assert wrong.status_code == 200 and b"is wrong" in wrong.content
    differ = client.post(url("passphrase"), {"passphrase": PASSPHRASE,
                                             "new_passphrase": NEW_PASSPHRASE,
                                             "confirm": "anders als die neue"})
    assert differ.status_code == 200 and b"not the same" in differ.content
    access.private_key_open(user=user, passphrase=PASSPHRASE)  # still the old one

    done = client.post(url("passphrase"), {"passphrase": PASSPHRASE,
                                           "new_passphrase": NEW_PASSPHRASE,
                                           "confirm": NEW_PASSPHRASE})
    assert done.status_code == 302
    assert access.private_key_open(user=user, passphrase=NEW_PASSPHRASE)
    # The new passphrase brings a new key pair; this browser keeps reading without unlocking
    # again, with the new key.
    assert KNOWN_TEXT in client.get(url("detail", report.number)).content.decode()
    unlocked(user, NEW_PASSPHRASE)


def test_forgotten_passphrase_new_key(world, officer, case):
    user, _key = officer
    client = unlocked(user)
    page = client.get(url("setup"))
    assert b"Forgot your passphrase" in page.content
    assert b"until another officer" in page.content
    data = {"action": "reset", "reset-passphrase": NEW_PASSPHRASE,
            "reset-confirm": NEW_PASSPHRASE, "reset-code": code_for(user)}
    not_ticked = client.post(url("setup"), data)
    assert not_ticked.status_code == 200
    assert ReportKey.objects.filter(officer=user).exists()
    wrong_code = client.post(url("setup"), {**data, "reset-understood": "on",
                                            "reset-code": "000000"})
    assert wrong_code.status_code == 200
    access.private_key_open(user=user, passphrase=PASSPHRASE)

    done = client.post(url("setup"), {**data, "reset-understood": "on",
                                      "reset-code": code_for(user)})
    assert done.status_code == 302 and done["Location"] == url("unlock")
    assert not ReportKey.objects.filter(officer=user).exists()
    assert access.SESSION_KEY not in client.session
    client = unlocked(user, NEW_PASSPHRASE)
    assert client.get(url("detail", case[0].number)).status_code == 403


# --- the inbox -------------------------------------------------------------------------------

def test_inbox_empty(world, officer):
    client = unlocked(officer[0])
    page = client.get(url("inbox"))
    assert page.status_code == 200 and b'id="empty"' in page.content
    assert url("form").encode() in page.content  # the link to share


def test_inbox_rows_markers_and_filter(world, officer, submit):
    user, _key = officer
    first, _r = submit()
    second, _r = submit(category=Category.RACISM)
    today = timezone.localdate()
    Report.objects.filter(pk=first.pk).update(deadline=today - timedelta(days=1),
                                              expires_on=today + timedelta(days=3),
                                              unread_by_officers=False)
    Report.objects.filter(pk=second.pk).update(status=Status.IN_PROGRESS)
    client = unlocked(user)
    page = client.get(url("inbox")).content.decode()
    first_row = page.split(f'id="report-{first.number}"')[1].split("</tr>")[0]
    second_row = page.split(f'id="report-{second.number}"')[1].split("</tr>")[0]
    assert "overdue" in first_row and "expires-soon" in first_row
    assert "new-message" not in first_row
    assert "new-message" in second_row and "Racism" in second_row
    assert "overdue" not in second_row and "expires-soon" not in second_row
    assert url("detail", first.number) in first_row
    assert KNOWN_TEXT not in page  # the list shows no content

    filtered = client.get(url("inbox"), {"status": Status.IN_PROGRESS}).content.decode()
    assert f'id="report-{second.number}"' in filtered
    assert f'id="report-{first.number}"' not in filtered
    assert client.get(url("inbox"), {"status": "bogus"}).status_code == 200


def test_inbox_deletes_what_has_expired(world, officer, case, submit,
                                        django_capture_on_commit_callbacks):
    report, _receipt = case
    unwarned, _receipt = submit()
    today = timezone.localdate()
    Report.objects.filter(pk=report.pk).update(expires_on=today,
                                               warned_on=today - timedelta(days=30))
    Report.objects.filter(pk=unwarned.pk).update(expires_on=today)
    client = unlocked(officer[0])
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(url("inbox"))
    assert page.status_code == 200
    assert not Report.objects.filter(pk=report.pk).exists()
    assert keystore.read(report.key_name) is None
    # Never deleted unwarned: warned now, and kept for the warning period.
    unwarned.refresh_from_db()
    assert unwarned.warned_on == today and unwarned.expires_on > today
    assert f'id="report-{unwarned.number}"' in page.content.decode()


# --- a case ----------------------------------------------------------------------------------

def test_detail_shows_the_case(world, officer, submit):
    user, key = officer
    report, receipt = submit(files=[pdf()], who="der Kassierer", contact="Signal 0151")
    services.reporter_reply(report=report, report_key=services.reporter_open(
        organisation=world.duesseldorf, receipt=receipt)[1], text="Noch etwas")
    services.entry_add(report=report, officer=user, private_key=key, kind=EntryKind.NOTE,
                       text="Erste Notiz")
    client = unlocked(user)
    page = client.get(url("detail", report.number))
    body = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    for text in [KNOWN_TEXT, "der Kassierer", "Signal 0151", "Advice", "Noch etwas",
                 "Erste Notiz", "beleg.pdf", "letzten Samstag", "Rheinufer"]:
        assert text in body, text
    assert url("attachment", report.number, report.attachments.first().pk) in body
    assert 'name="delete-reason"' not in body  # not closed
    assert Report.objects.get(pk=report.pk).unread_by_officers is False


def test_attachment_download(world, officer, case):
    report, _receipt = case
    client = unlocked(officer[0])
    item = report.attachments.first()
    response = client.get(url("attachment", report.number, item.pk))
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert "beleg.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert client.get(url("attachment", report.number, item.pk + 999)).status_code == 404


def test_unknown_report_is_404(world, officer, case):
    client = unlocked(officer[0])
    assert client.get(url("detail", 999)).status_code == 404
    assert client.post(url("reply", 999), {"reply-text": "x"}).status_code == 404


def test_reply_reaches_the_reporter(world, officer, case):
    report, receipt = case
    user, _key = officer
    client = unlocked(user)
    empty = client.post(url("reply", report.number), {"reply-text": "   "})
    assert empty.status_code == 200 and b"Please" in empty.content
    assert not Message.objects.exists()

    done = client.post(url("reply", report.number), {"reply-text": "Danke, wir melden uns.",
                                                     "reply-files": [pdf("antwort.pdf")]})
    assert done.status_code == 302 and done["Location"] == url("detail", report.number)
    found, report_key = services.reporter_open(organisation=world.duesseldorf, receipt=receipt)
    seen = services.reporter_view(report=found, report_key=report_key)
    assert [m["text"] for m in seen.messages] == ["Danke, wir melden uns."]
    assert "antwort.pdf" in [a["name"] for a in seen.attachments]
    assert Report.objects.get(pk=report.pk).status == Status.IN_PROGRESS
    page = client.get(done["Location"]).content.decode()
    assert "Danke, wir melden uns." in page and "sent" in page
    # A GET (after an unlock interrupted a POST) leads back to the case.
    assert client.get(url("reply", report.number))["Location"] == url("detail", report.number)


def test_officer_uploads_stay_in_memory_and_the_body_is_capped(world, officer, case,
                                                              monkeypatch):
    report, _receipt = case
    user, _key = officer

    def refuse(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file")

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", refuse)
    client = unlocked(user)
    big = SimpleUploadedFile("vereinbarung.pdf", PDF + b"%" * (3 * 1024 * 1024),
                             content_type="application/pdf")
    done = client.post(url("reply", report.number), {"reply-text": "Antwort mit Datei",
                                                     "reply-files": [big]})
    assert done.status_code == 302
    assert report.attachments.get(from_reporter=False).size == big.size

    # Over the cap: refused unread, nothing sent.
    too_big = client.post(url("reply", report.number), {"reply-text": "Zu groß"},
                          CONTENT_LENGTH=str(gate.BODY_MAX + 1))
    assert too_big.status_code == 302 and too_big["Location"] == url("detail", report.number)
    assert "at most 25 MB" in client.get(too_big["Location"]).content.decode()
    assert Message.objects.count() == 1

    # The CSRF check is deferred, not dropped.
    strict = english(Client(enforce_csrf_checks=True))
    strict.cookies = client.cookies
    forged = strict.post(url("reply", report.number), {"reply-text": "Untergeschoben"})
    assert forged.status_code == 403 and Message.objects.count() == 1
    strict.get(url("detail", report.number))
    token = strict.cookies["csrftoken"].value
    sent = strict.post(url("reply", report.number), {"reply-text": "Mit Token",
                                                     "csrfmiddlewaretoken": token})
    assert sent.status_code == 302 and Message.objects.count() == 2


def test_entries_in_the_case_record(world, officer, case):
    report, receipt = case
    client = unlocked(officer[0])
    bad = client.post(url("entry", report.number), {"entry-kind": "status", "entry-text": "x"})
    assert bad.status_code == 200 and not CaseEntry.objects.exists()
    for kind, text in [("note", "Gespräch geführt"), ("measure", "Ausschluss aus der Gruppe"),
                       ("decision", "Verfahren eröffnet")]:
        response = client.post(url("entry", report.number),
                               {"entry-kind": kind, "entry-text": text})
        assert response.status_code == 302
    page = client.get(url("detail", report.number)).content.decode()
    for text in ["Gespräch geführt", "Ausschluss aus der Gruppe", "Verfahren eröffnet"]:
        assert text in page
    assert list(CaseEntry.objects.values_list("kind", flat=True)) == ["note", "measure",
                                                                      "decision"]
    assert Report.objects.get(pk=report.pk).status == Status.MEASURES
    # The reporter never sees the record.
    found, key = services.reporter_open(organisation=world.duesseldorf, receipt=receipt)
    assert "Gespräch geführt" not in str(services.reporter_view(report=found, report_key=key))


def _update(client, report, **data):
    fields = {"update-status": report.status, "update-category": report.category,
              "update-deadline": report.deadline.isoformat() if report.deadline else "",
              "update-reason": "", "action": "update"}
    fields.update({f"update-{k}": v for k, v in data.items()})
    return client.post(url("update", report.number), fields)


def test_status_deadline_and_category(world, officer, case):
    report, _receipt = case
    user, _key = officer
    client = unlocked(user)
    year, quarter = report.received_on.year, report.quarter

    response = _update(client, report, status=Status.IN_PROGRESS, reason="Erstgespräch")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.IN_PROGRESS
    assert CaseEntry.objects.filter(report=report, kind=EntryKind.STATUS).count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, actor=user,
                                     object_id=str(report.pk),
                                     changes__status=["new", "in_progress"]).exists()

    deadline = timezone.localdate() + timedelta(days=14)
    _update(client, report, deadline=deadline.isoformat())
    report.refresh_from_db()
    assert report.deadline == deadline

    _update(client, report, category=Category.SEXISM)
    report.refresh_from_db()
    assert report.category == Category.SEXISM
    tally = dict(Tally.objects.filter(organisation=world.duesseldorf, year=year,
                                      quarter=quarter).values_list("category", "count"))
    assert tally[Category.OTHER] == 0 and tally[Category.SEXISM] == 1

    bad = _update(client, report, deadline="kein Datum")
    assert bad.status_code == 200
    report.refresh_from_db()
    assert report.deadline == deadline
    page = client.get(url("detail", report.number)).content.decode()
    assert "Erstgespräch" in page and "Sexism" in page

    before = CaseEntry.objects.count()
    same = _update(client, report)
    assert same.status_code == 302 and CaseEntry.objects.count() == before
    assert "Nothing was changed" in client.get(same["Location"]).content.decode()


def test_delete_now_only_when_closed(world, officer, case, django_capture_on_commit_callbacks):
    report, receipt = case
    client = unlocked(officer[0])
    delete = {"action": "delete", "delete-reason": "Auf Wunsch der meldenden Person"}
    refused = client.post(url("update", report.number), {**delete, "delete-confirmed": "1"})
    assert refused.status_code == 302
    assert Report.objects.filter(pk=report.pk).exists()

    _update(client, report, status=Status.CLOSED)
    report.refresh_from_db()
    assert 'name="delete-reason"' in client.get(url("detail", report.number)).content.decode()
    no_reason = client.post(url("update", report.number), {"action": "delete",
                                                           "delete-reason": ""})
    assert no_reason.status_code == 200 and Report.objects.filter(pk=report.pk).exists()
    confirm = client.post(url("update", report.number), delete)
    assert confirm.status_code == 200
    assert b'name="delete-confirmed"' in confirm.content
    assert Report.objects.filter(pk=report.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url("update", report.number), {**delete, "delete-confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == url("inbox")
    assert not Report.objects.filter(pk=report.pk).exists()
    assert keystore.read(report.key_name) is None
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DELETE,
                                     object_repr__contains="Auf Wunsch").exists()
    with pytest.raises(Exception):  # noqa: B017 - the receipt opens nothing any more
        services.reporter_open(organisation=world.duesseldorf, receipt=receipt)


# --- access ----------------------------------------------------------------------------------

def test_a_second_officer_waits_until_a_reader_approves_them(world, officer, case):
    report, _receipt = case
    user, _key = officer
    second = core.user_create(email="zweite@example.org", name="Zweite Beauftragte",
                              password="correct horse battery staple")
    core.role_grant(user=second, organisation=world.duesseldorf,
                    role=Role.ANTIDISCRIMINATION_OFFICER, actor=None)
    make_officer(second, NEW_PASSPHRASE, approve=False)
    assert access.pending_readers(world.duesseldorf) == [second]

    second_client = unlocked(second, NEW_PASSPHRASE)
    # Not even the inbox's metadata before approval: every unlocked page leads to the access page.
    for page in (url("detail", report.number), url("inbox"), url("log")):
        refused = second_client.get(page)
        assert refused.status_code == 302 and refused.url == url("access"), page
        assert KNOWN_TEXT.encode() not in refused.content
    # Waiting, and no button to approve oneself.
    own = second_client.get(url("access")).content.decode()
    waiting = own.split(f'id="pending-{second.pk}"')[1].split("</li>")[0]
    assert "another officer has to approve you" in waiting and 'value="approve"' not in waiting
    # The report form names the readers: the approved one only.
    form = english(Client()).get(reverse("reports:form", args=[SLUG])).content.decode()
    readers = form.split('id="readers"')[1].split("</li>")[0]
    assert user.name in readers and second.name not in readers and "@" not in readers

    client = unlocked(user)
    page = client.get(url("access")).content.decode()
    pending = page.split(f'id="pending-{second.pk}"')[1].split("</li>")[0]
    assert 'value="approve"' in pending and "Approve and grant access" in pending
    row = page.split(f'id="officer-{second.pk}"')[1].split("</tr>")[0]
    assert "Waiting for approval" in row and 'name="officer"' not in row
    # Only someone waiting: not oneself, not a member without the role.
    for other in (user, world.users["duesseldorf_board"]):
        assert client.post(url("access"), {"action": "approve", "officer": other.pk}
                           ).status_code == 302
    assert not ReportKey.objects.filter(officer=world.users["duesseldorf_board"]).exists()
    assert access.pending_readers(world.duesseldorf) == [second]

    response = client.post(url("access"), {"action": "approve", "officer": second.pk},
                           follow=True)
    assert "Zweite Beauftragte now receives new reports and can read 1 earlier report." \
        in response.content.decode()
    assert ReportKey.objects.filter(report=report, officer=second, granted_by=user).exists()
    assert access.pending_readers(world.duesseldorf) == []
    assert KNOWN_TEXT in second_client.get(url("detail", report.number)).content.decode()
    assert 'id="missing-access"' not in second_client.get(url("inbox")).content.decode()
    form = english(Client()).get(reverse("reports:form", args=[SLUG])).content.decode()
    readers = form.split('id="readers"')[1].split("</li>")[0]
    assert user.name in readers and second.name in readers


def test_the_channel_log_is_for_the_officers_not_the_audit_page(world, officer, case):
    report, _receipt = case
    user, key = officer
    services.report_update(report=report, officer=user, private_key=key,
                           status=Status.IN_PROGRESS, category=Category.SEXISM, reason="")
    admin = world.users["duesseldorf_admin"]
    audit_record(actor=admin, action=AuditEntry.Action.UPDATE, obj=world.duesseldorf,
                 changes={"name": ["alt", "neu"]})
    rows = list(AuditEntry.objects.filter(organisation=world.duesseldorf,
                                          object_type__startswith="reports."))
    assert AuditEntry.Action.UPDATE in {row.action for row in rows}

    # The administrators' audit log: everything else, nothing of the channel.
    audit = english(Client())
    audit.force_login(admin)
    body = audit.get(reverse("core:audit", args=[SLUG])).content.decode()
    assert "organisations.organisation" in body
    assert "reports." not in body and report.reference not in body
    assert "reports." not in audit.get(reverse("core:audit", args=[SLUG]) + "?q=Report"
                                       ).content.decode()

    # The officers' log: who, what, when, which report, and their own key's rows.
    page = unlocked(user).get(url("log"))
    assert page.status_code == 200
    log = page.content.decode().split('id="log"')[1]
    for row in rows:
        assert escape(row.object_repr) in log
    assert user.email in log and "changed" in log
    key_row = AuditEntry.objects.filter(object_type="reports.officerkey",
                                        object_id=str(user.report_key.pk)).first()
    assert key_row is not None and escape(key_row.object_repr) in log
    assert "organisations.organisation" not in log and "alt" not in log


# --- settings and statistics -----------------------------------------------------------------

def test_channel_settings(world, officer, case):
    report, _receipt = case
    client = unlocked(officer[0])
    page = client.get(url("settings"))
    assert page.status_code == 200 and b'name="retention_days"' in page.content
    bad = client.post(url("settings"), {"retention_days": 60, "warning_days": 90})
    assert bad.status_code == 200 and b"before the deletion" in bad.content
    too_short = client.post(url("settings"), {"retention_days": 5, "warning_days": 1})
    assert too_short.status_code == 200
    assert b'min="30" max="3650"' in page.content and b'min="1" max="365"' in page.content
    # Out of range, however far: an error on the field, never a server error.
    for field, retention_days, warning_days in [
            ("retention_days", 10**30, 1), ("retention_days", -5, 1),
            ("retention_days", 3651, 1), ("warning_days", 365, 10**30),
            ("warning_days", 365, 0), ("warning_days", 365, 366)]:
        refused = client.post(url("settings"), {"retention_days": retention_days,
                                                "warning_days": warning_days})
        assert refused.status_code == 200, (retention_days, warning_days)
        assert f'id="id_{field}_error"'.encode() in refused.content
    assert services.channel_settings(world.duesseldorf).retention_days == 730
    done = client.post(url("settings"), {"retention_days": 365, "warning_days": 14,
                                         "introduction": "Wir sind für dich da."})
    assert done.status_code == 302
    row = services.channel_settings(world.duesseldorf)
    assert (row.retention_days, row.warning_days, row.introduction) == (
        365, 14, "Wir sind für dich da.")
    report.refresh_from_db()
    assert report.expires_on == report.last_activity_on + timedelta(days=365)


def test_a_shorter_period_asks_first_and_warns_before_deleting(
        world, officer, case, django_capture_on_commit_callbacks):
    report, _receipt = case
    user, _key = officer
    today = timezone.localdate()
    Report.objects.filter(pk=report.pk).update(last_activity_on=today - timedelta(days=100))
    client = unlocked(user)
    data = {"retention_days": 60, "warning_days": 10}
    asked = client.post(url("settings"), data)
    assert asked.status_code == 200 and b'id="confirm-deletion"' in asked.content
    assert b"That is in 10 days." in asked.content
    assert services.channel_settings(world.duesseldorf).retention_days == 730
    mails_before = Outgoing.objects.filter(to_address=user.email).count()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url("settings"), {**data, "confirm_deletion": "1"})
    assert done.status_code == 302
    assert services.channel_settings(world.duesseldorf).retention_days == 60
    # Not deleted at once: its officer is warned now, and it goes after the warning period.
    report.refresh_from_db()
    assert report.expires_on == today + timedelta(days=10) and report.warned_on == today
    assert keystore.read(report.key_name) is not None
    assert Outgoing.objects.filter(to_address=user.email).count() == mails_before + 1


def test_statistics_table_print_and_csv(world, officer):
    user, _key = officer
    this_year = timezone.localdate().year
    Tally.objects.create(organisation=world.duesseldorf, year=2024, quarter=2,
                         category=Category.RACISM, count=4)
    Tally.objects.create(organisation=world.duesseldorf, year=2024, quarter=3,
                         category=Category.SEXISM, count=2)
    client = signed_in(user)  # statistics need no unlocked key
    page = client.get(url("statistics"), {"year": 2024})
    body = page.content.decode()
    assert page.status_code == 200 and "2024" in body
    assert 'scope="col"' in body and 'scope="row"' in body
    racism = body.split("Racism")[1].split("</tr>")[0]
    assert "<td>4</td>" in racism and "fewer than 3" in racism
    assert "<td>2</td>" not in body
    assert client.get(url("statistics"), {"year": 2024, "print": 1}).status_code == 200

    csv = client.get(url("statistics"), {"year": 2024, "format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert "attachment" in csv["Content-Disposition"] and "2024" in csv["Content-Disposition"]
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[1:] == ["Q1", "Q2", "Q3", "Q4"]
    rows = {line.split(";")[0]: line.split(";")[1:] for line in lines[1:]}
    assert rows["Racism"] == ["<3", "4", "<3", "<3"]
    assert rows["Sexism"] == ["<3", "<3", "<3", "<3"]

    for bad in ["1990", "abc", ""]:
        other = client.get(url("statistics"), {"year": bad})
        assert other.status_code == 200 and other.context["year"] == this_year


# --- the daily tick --------------------------------------------------------------------------

def test_reports_tick_deletes_and_warns(world, officer, submit, django_capture_on_commit_callbacks):
    user, _key = officer
    old, _r = submit()
    soon, _r = submit()
    fresh, _r = submit()
    today = timezone.localdate()
    Report.objects.filter(pk=old.pk).update(expires_on=today - timedelta(days=1),
                                            warned_on=today - timedelta(days=31))
    Report.objects.filter(pk=soon.pk).update(expires_on=today + timedelta(days=5))
    mails_before = Outgoing.objects.filter(to_address=user.email).count()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reports_tick", stdout=out)
    assert "reports deleted: 1" in out.getvalue()
    assert "reports warned about: 1" in out.getvalue()
    assert not Report.objects.filter(pk=old.pk).exists()
    assert keystore.read(old.key_name) is None
    assert keystore.read(fresh.key_name) is not None
    assert Report.objects.get(pk=soon.pk).warned_on == today
    warnings = Outgoing.objects.filter(to_address=user.email)
    assert warnings.count() == mails_before + 1
    assert KNOWN_TEXT not in warnings.latest("pk").body_text
    # Twice is harmless.
    out = StringIO()
    call_command("reports_tick", stdout=out)
    assert "reports deleted: 0, reports warned about: 0" in out.getvalue()


def test_reports_tick_removes_orphaned_keys(world, key_dir):
    import os

    keystore.create("0" * 32)
    stale = time.time() - 2 * 3600
    os.utime(key_dir / f"{'0' * 32}.key", (stale, stale))
    out = StringIO()
    call_command("reports_tick", stdout=out)
    assert "orphaned keys removed: 1" in out.getvalue()
    assert keystore.read("0" * 32) is None

