"""The reporter's pages: the form, the receipt shown once, the follow-up with the receipt, and
the promises around them (no session, no cache, no referrer, rate limits, files of one report
only)."""

import logging
import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client
from django.urls import reverse

from mitmachen.reports import crypto, limits, services
from mitmachen.reports.models import Attachment, Message, Report, Wish
from tests.reports.conftest import KNOWN_TEXT, PDF, pdf

RECEIPT = re.compile(r'id="receipt"[^>]*>([^<]+)<')
WRONG = "We found no report with this receipt code."
FAKE_RECEIPT = "AAAA-BBBB-CCCC-DDDD-EEEE"


@pytest.fixture(autouse=True)
def same_hour(monkeypatch):
    """The rate limits count per clock hour with a salt of the hour; pinned, a test running
    across the full hour does not start counting afresh."""
    monkeypatch.setattr(limits, "_salt", lambda: b"pinned for the test")
    monkeypatch.setattr(limits, "_hour", lambda: 481516)


def url(name, *args):
    return reverse(f"reports:{name}", args=args)


def english(client=None):
    client = client or Client()
    client.cookies["django_language"] = "en"
    return client


def form_data(**fields):
    data = {"what": KNOWN_TEXT, "when": "letzten Samstag", "where": "Rheinufer", "who": "",
            "wish": Wish.ADVICE, "category": "", "contact": ""}
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def private(response):
    """The headers every reporter page sends, and no session cookie."""
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    return response


def text(response) -> str:
    return response.content.decode()


def receipt_of(response) -> str:
    found = RECEIPT.search(text(response))
    assert found, "no receipt on the page"
    return found[1].strip()


def not_image(name="beleg.pdf"):
    """A file that calls itself a PDF but is none."""
    return SimpleUploadedFile(name, b"MZ\x90\x00 this is a program, not a PDF",
                              content_type="application/pdf")


# --- the form ------------------------------------------------------------------------------

def test_the_form_shows_the_introduction_the_retention_and_every_field(world, officer):
    user, _key = officer
    services.settings_update(organisation=world.duesseldorf, actor=user, retention_days=400,
                             warning_days=30, introduction="Wir sind Ana und Ben, erreichbar.")
    page = private(english().get(url("form", "duesseldorf")))
    assert page.status_code == 200
    html = text(page)
    assert "Wir sind Ana und Ben, erreichbar." in html
    assert "deleted for good 400 days after the last activity" in html
    assert "where and when a photo was taken" in html
    assert "Anonymous is the default." in html
    assert 'enctype="multipart/form-data"' in html
    for name in ("what", "when", "where", "who", "wish", "category", "contact", "files"):
        assert f'name="{name}"' in html
    # The radio group has a legend, every input a label, and the help texts are linked.
    assert re.search(r'<fieldset[^>]*id="id_wish"[^>]*>\s*<legend>What would you like', html)
    assert html.count('name="wish"') == len(Wish.values)
    assert 'for="id_what"' in html and 'aria-describedby="id_contact_helptext"' in html
    assert "multiple" in re.search(r'<input type="file"[^>]*>', html)[0]
    assert 'id="receipt"' not in html
    assert url("follow_up", "duesseldorf") in html


def test_a_closed_channel_says_so_and_shows_no_form(world, client):
    page = private(english(client).get(url("form", "kassel")))
    assert page.status_code == 200
    assert "not open yet" in text(page)
    assert 'name="what"' not in text(page)
    posted = private(client.post(url("form", "kassel"), form_data()))
    assert posted.status_code == 200 and "not open yet" in text(posted)
    assert not Report.objects.exists()


def test_an_unknown_or_hidden_organisation_is_not_found(world, client):
    assert private(client.get(url("form", "nowhere"))).status_code == 404
    assert private(client.get(url("follow_up", "nowhere"))).status_code == 404
    world.kassel.is_public = False
    world.kassel.save()
    # A hidden organisation without an open channel: nothing shows that it exists.
    assert private(client.get(url("form", "kassel"))).status_code == 404


def test_the_public_page_links_the_form_only_when_the_channel_is_open(world, client, officer):
    english(client)
    detail = text(client.get(reverse("organisations:detail", args=["duesseldorf"])))
    assert url("form", "duesseldorf") in detail and "Report discrimination" in detail
    kassel = text(client.get(reverse("organisations:detail", args=["kassel"])))
    assert url("form", "kassel") not in kassel


# --- submitting ----------------------------------------------------------------------------

def test_a_report_is_received_and_its_receipt_shown_once(world, officer):
    user, key = officer
    client = english()
    page = private(client.post(url("form", "duesseldorf"), form_data(
        category="sexism", contact="ana@example.org", files=[pdf()])))
    assert page.status_code == 200
    receipt = receipt_of(page)
    assert crypto.normalise_receipt(receipt) == receipt
    assert "shown only this once" in text(page)
    assert url("follow_up", "duesseldorf") in text(page)
    assert receipt not in page.get("Location", "")  # no redirect carries it anywhere

    report = Report.objects.get()
    assert (report.organisation, report.category) == (world.duesseldorf, "sexism")
    opened = services.report_open(report=report, officer=user, private_key=key)
    assert opened.content["what"] == KNOWN_TEXT
    assert opened.content["contact"] == "ana@example.org"
    assert [a["name"] for a in opened.attachments] == ["beleg.pdf"]

    again = private(client.get(url("form", "duesseldorf")))
    assert receipt not in text(again) and 'id="receipt"' not in text(again)
    assert not Session.objects.exists()


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"what": "   "}, "what", "Please describe what happened."),
    ({"wish": None}, "wish", "Please choose what you would like us to do."),
    ({"wish": "revenge"}, "wish", "Please choose what you would like us to do."),
    ({"what": "x" * (services.TEXT_MAX + 1)}, "what", "Please keep this under 20000 characters."),
    ({"where": "Rhein\x00ufer"}, "where", "Null characters are not allowed."),
    ({"category": "weather"}, "category", "Please choose a category from the list."),
    ({"files": [not_image()]}, "files", "Please upload a PDF, a PNG or JPEG image"),
    ({"files": [pdf(f"{n}.pdf") for n in range(services.FILES_MAX + 1)]}, "files",
     "At most 5 files."),
], ids=["empty-what", "no-wish", "unknown-wish", "overlong", "nul", "unknown-category",
        "disguised-pdf", "six-files"])
def test_bad_input_is_shown_on_its_field_and_nothing_is_stored(world, officer, fields, field,
                                                               message):
    page = private(english().post(url("form", "duesseldorf"), form_data(**fields)))
    assert page.status_code == 400
    html = text(page)
    assert message in html
    # The message sits under its field and the field points at it.
    assert re.search(rf'id="id_{field}_error"[^>]*>\s*<li>{re.escape(message)}', html)
    assert f"id_{field}_error" in re.search(rf'<[^>]*id="id_{field}"[^>]*>', html)[0]
    assert 'role="alert"' in html and 'id="receipt"' not in html
    # What was typed is kept.
    if field != "where":
        assert "Rheinufer" in html
    if field != "what":
        assert KNOWN_TEXT in html
    if "files" in fields:
        assert "Please choose your attachments again" in html
    assert not Report.objects.exists() and not Attachment.objects.exists()


def test_messages_are_german_by_default_and_english_on_request(world, officer):
    german = private(Client().post(url("form", "duesseldorf"),
                                   form_data(where="a\x00b", files=[not_image()])))
    assert '<html lang="de">' in text(german)
    assert "Nullzeichen sind nicht erlaubt." in text(german)
    german = Client().post(url("form", "duesseldorf"), form_data(files=[not_image()]))
    assert "Bitte lade ein PDF" in text(german)
    english_page = english().post(url("form", "duesseldorf"), form_data(files=[not_image()]))
    assert '<html lang="en">' in text(english_page)
    assert "Please upload a PDF" in text(english_page)
    assert "Bitte lade" not in text(english_page)


def test_submitting_is_rate_limited(world, officer):
    client = english()
    per_client = limits.LIMITS["submit"][0]
    for _ in range(per_client):
        assert client.post(url("form", "duesseldorf"), form_data()).status_code == 200
    refused = private(client.post(url("form", "duesseldorf"), form_data()))
    assert refused.status_code == 429
    assert "Too many reports" in text(refused) and refused["Retry-After"]
    assert Report.objects.count() == per_client


def test_posts_with_errors_do_not_use_up_the_limits(world, officer):
    address = url("form", "duesseldorf")
    # Sixty empty posts from twelve connections: nothing accepted, nothing counted.
    for n in range(60):
        english(Client(REMOTE_ADDR=f"198.51.100.{n // 5}")).post(address, {})
    assert not Report.objects.exists()
    assert english(Client(REMOTE_ADDR="192.0.2.1")).post(address, form_data()).status_code == 200
    # One connection's own mistakes do not lock it out either.
    client = english(Client(REMOTE_ADDR="192.0.2.2"))
    for _ in range(limits.LIMITS["submit"][0] + 3):
        assert client.post(address, form_data(what="")).status_code == 400
    assert client.post(address, form_data()).status_code == 200
    assert Report.objects.count() == 2


def test_the_organisation_ceiling_counts_accepted_reports(world, officer, monkeypatch):
    assert limits.LIMITS["submit"][1] >= 200
    monkeypatch.setitem(limits.LIMITS, "submit", (5, 3))
    address = url("form", "duesseldorf")
    for n in range(3):
        english(Client(REMOTE_ADDR=f"198.51.100.{n}")).post(address, {})
        assert english(Client(REMOTE_ADDR=f"198.51.100.{n}")).post(
            address, form_data()).status_code == 200
    refused = private(english(Client(REMOTE_ADDR="192.0.2.1")).post(address, form_data()))
    assert refused.status_code == 429 and "Too many reports" in text(refused)
    assert Report.objects.count() == 3


def test_the_form_checks_the_csrf_token(world, officer):
    client = english(Client(enforce_csrf_checks=True))
    refused = private(client.post(url("form", "duesseldorf"), form_data()))
    assert refused.status_code == 403 and not Report.objects.exists()
    client.get(url("form", "duesseldorf"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = client.post(url("form", "duesseldorf"),
                           {**form_data(), "csrfmiddlewaretoken": token})
    assert accepted.status_code == 200 and Report.objects.count() == 1


def test_uploads_never_touch_the_disk(world, officer, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file")

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", refuse)
    big = SimpleUploadedFile("gross.pdf", PDF + b"%" * (3 * 1024 * 1024),
                             content_type="application/pdf")
    page = english().post(url("form", "duesseldorf"), form_data(files=[big]))
    assert page.status_code == 200
    assert Attachment.objects.get().size == big.size


def test_a_body_over_the_limit_is_refused_before_it_is_read(world, officer):
    page = private(english().post(url("form", "duesseldorf"), form_data(),
                                  CONTENT_LENGTH=str(services.FILES_TOTAL_MAX + 2 * 2**20)))
    assert page.status_code == 413 and "25 MB" in text(page)
    assert not Report.objects.exists()


def test_a_logged_in_visitors_session_is_neither_read_nor_written(world, officer, login):
    member = world.users["duesseldorf_member"]
    member.language = "en"
    member.save(update_fields=["language"])
    client = login("duesseldorf_member")  # no language cookie: the account's choice would count
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date="2030-01-01T00:00:00Z")
    before = Session.objects.values("session_data", "expire_date").get(session_key=key)

    form = private(client.get(url("form", "duesseldorf")))
    page = private(client.post(url("form", "duesseldorf"), form_data()))
    assert receipt_of(page)
    # The language of nobody in particular: German, not the account's English.
    assert '<html lang="de">' in text(form) and '<html lang="de">' in text(page)
    # The session row is untouched (SESSION_SAVE_EVERY_REQUEST would rewrite its expiry, and
    # so the moment of the report, next to the account), and the cookie is not sent back.
    assert Session.objects.values("session_data", "expire_date").get(session_key=key) == before
    assert settings.SESSION_COOKIE_NAME not in page.cookies
    # Elsewhere, the member is still logged in.
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == key
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_a_logged_in_visitor_reports_as_nobody(world, officer, login, caplog):
    client = english(login("duesseldorf_member"))
    with caplog.at_level(logging.INFO, logger="mitmachen.request"):
        form = client.get(url("form", "duesseldorf"))
        page = client.post(url("form", "duesseldorf"), form_data())
    assert "duesseldorf member" not in text(form)
    assert receipt_of(page)
    lines = [r for r in caplog.records if r.name == "mitmachen.request"]
    assert len(lines) == 2 and all(r.user is None for r in lines)


# --- the follow-up -------------------------------------------------------------------------

def test_the_receipt_works_across_separate_browsers(world, officer):
    user, key = officer
    first = english()
    receipt = receipt_of(first.post(url("form", "duesseldorf"), form_data(files=[pdf()])))
    report = Report.objects.get()
    services.officer_reply(report=report, officer=user, private_key=key,
                           text="Danke, wir melden uns. Antwort-4711",
                           files=[pdf("antwort.pdf")])

    # Another browser, the code typed loosely: the conversation.
    second = english()
    entry = private(second.get(url("follow_up", "duesseldorf")))
    assert 'name="receipt"' in text(entry) and KNOWN_TEXT not in text(entry)
    page = private(second.post(url("follow_up", "duesseldorf"),
                               {"receipt": receipt.lower().replace("-", " ")}))
    assert page.status_code == 200
    html = text(page)
    assert KNOWN_TEXT in html and "Antwort-4711" in html
    assert "In progress" in html and "Advice" in html
    assert html.index(KNOWN_TEXT) < html.index("Antwort-4711")
    assert f'name="receipt" value="{receipt}"' in html
    assert url("follow_up_reply", "duesseldorf") in html
    for attachment in report.attachments.all():
        assert url("follow_up_file", "duesseldorf", attachment.pk) in html

    # The officer's file, downloaded with the receipt.
    theirs = report.attachments.get(from_reporter=False)
    download = private(second.post(url("follow_up_file", "duesseldorf", theirs.pk),
                                   {"receipt": receipt}))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert 'filename="antwort.pdf"' in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"

    # A third browser writes back; the officer reads it.
    third = english()
    answer = private(third.post(url("follow_up_reply", "duesseldorf"),
                                {"receipt": receipt, "text": "Ich möchte reden. Antwort-0815"}))
    assert answer.status_code == 200
    assert "Your message has been sent." in text(answer)
    assert "Antwort-0815" in text(answer)
    opened = services.report_open(report=report, officer=user, private_key=key)
    assert [(m["from_reporter"], m["text"]) for m in opened.messages] == [
        (False, "Danke, wir melden uns. Antwort-4711"),
        (True, "Ich möchte reden. Antwort-0815")]
    assert not Session.objects.exists()


def test_an_empty_reply_is_refused_and_nothing_is_sent(world, submit):
    _report, receipt = submit()
    page = private(english().post(url("follow_up_reply", "duesseldorf"),
                                  {"receipt": receipt, "text": "  ", "files": [pdf()]}))
    assert page.status_code == 400
    assert "Please write a message." in text(page)
    assert "Please choose your attachments again" in text(page)
    assert not Message.objects.exists() and not Attachment.objects.exists()


def test_a_reply_page_asked_for_by_get_leads_to_the_follow_up(world, client):
    page = private(client.get(url("follow_up_reply", "duesseldorf")))
    assert page.status_code == 302 and page["Location"] == url("follow_up", "duesseldorf")


def test_wrong_receipts_say_nothing_and_are_rate_limited(world, submit):
    _report, receipt = submit()
    client = english()
    # The right code does not count against the limit.
    for _ in range(limits.LIMITS["receipt"][0] + 1):
        assert client.post(url("follow_up", "duesseldorf"), {"receipt": receipt}
                           ).status_code == 200
    answers = []
    for guess in [FAKE_RECEIPT, "kurz", receipt[:-1] + ("0" if receipt[-1] != "0" else "1")]:
        page = private(client.post(url("follow_up", "duesseldorf"), {"receipt": guess}))
        assert page.status_code == 400 and KNOWN_TEXT not in text(page)
        answers.append(re.search(r'id="id_receipt_error"[^>]*>(.*?)</ul>', text(page))[1])
    assert len(set(answers)) == 1 and WRONG in answers[0]
    # Guesses through the reply and the file addresses count too.
    private(client.post(url("follow_up_reply", "duesseldorf"),
                        {"receipt": FAKE_RECEIPT, "text": "hallo"}))
    private(client.post(url("follow_up_file", "duesseldorf", 1), {"receipt": FAKE_RECEIPT}))
    for _ in range(limits.LIMITS["receipt"][0] - 5):
        client.post(url("follow_up", "duesseldorf"), {"receipt": FAKE_RECEIPT})

    refused = private(client.post(url("follow_up", "duesseldorf"), {"receipt": receipt}))
    assert refused.status_code == 429
    assert "Too many attempts" in text(refused) and KNOWN_TEXT not in text(refused)
    assert private(client.post(url("follow_up_reply", "duesseldorf"),
                               {"receipt": receipt, "text": "x"})).status_code == 429
    assert not Message.objects.exists()


def test_replies_are_rate_limited(world, submit):
    _report, receipt = submit()
    client = english()
    per_client = limits.LIMITS["reply"][0]
    for n in range(per_client):
        assert client.post(url("follow_up_reply", "duesseldorf"),
                           {"receipt": receipt, "text": f"Nachricht {n}"}).status_code == 200
    refused = private(client.post(url("follow_up_reply", "duesseldorf"),
                                  {"receipt": receipt, "text": "noch eine"}))
    assert refused.status_code == 429 and "Too many messages" in text(refused)
    assert Message.objects.count() == per_client


def test_wrong_receipts_from_everywhere_do_not_lock_a_reporter_out(world, submit):
    _report, receipt = submit()
    address = url("follow_up", "duesseldorf")
    per_client = limits.LIMITS["receipt"][0]
    for n in range(30 * per_client):
        Client(REMOTE_ADDR=f"2001:db8:{n // per_client:x}::1").post(address, {"receipt": "x"})
    page = private(english(Client(REMOTE_ADDR="192.0.2.9")).post(address, {"receipt": receipt}))
    assert page.status_code == 200 and KNOWN_TEXT in text(page)


def test_one_ipv6_network_is_one_client(world, submit):
    address = url("follow_up", "duesseldorf")
    answers = [Client(REMOTE_ADDR=f"2001:db8:1:2::{n:x}").post(
        address, {"receipt": FAKE_RECEIPT}).status_code for n in range(12)]
    assert answers == [400] * limits.LIMITS["receipt"][0] + [429, 429]
    # The next /64 is another connection.
    assert Client(REMOTE_ADDR="2001:db8:1:3::1").post(
        address, {"receipt": FAKE_RECEIPT}).status_code == 400


def test_a_file_of_another_report_is_not_found(world, submit):
    mine, receipt = submit(files=[pdf("meins.pdf")])
    other, _other_receipt = submit(files=[pdf("fremd.pdf")])
    client = english()
    theirs = other.attachments.get()
    refused = private(client.post(url("follow_up_file", "duesseldorf", theirs.pk),
                                  {"receipt": receipt}))
    assert refused.status_code == 404
    assert b"fremd" not in refused.content and PDF not in refused.content
    own = private(client.post(url("follow_up_file", "duesseldorf", mine.attachments.get().pk),
                              {"receipt": receipt}))
    assert own.status_code == 200 and 'filename="meins.pdf"' in own["Content-Disposition"]
    # Without a receipt: the entry form again, not the file.
    bare = private(client.post(url("follow_up_file", "duesseldorf", theirs.pk), {}))
    assert bare.status_code == 400 and "Please enter your receipt code." in text(bare)


def test_a_receipt_opens_nothing_at_another_organisation(world, submit):
    report, receipt = submit(files=[pdf()])
    client = english()
    page = private(client.post(url("follow_up", "kassel"), {"receipt": receipt}))
    assert page.status_code == 400
    assert WRONG in text(page) and KNOWN_TEXT not in text(page)
    reply = private(client.post(url("follow_up_reply", "kassel"),
                                {"receipt": receipt, "text": "hallo"}))
    assert reply.status_code == 400 and WRONG in text(reply)
    file = private(client.post(url("follow_up_file", "kassel", report.attachments.get().pk),
                               {"receipt": receipt}))
    assert file.status_code == 400 and PDF not in file.content
    assert not Message.objects.exists()

