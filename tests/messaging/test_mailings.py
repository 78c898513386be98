import email
import io
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone
from pypdf import PdfReader

from mitmachen.messaging import letters, mailings, outbox
from mitmachen.messaging.models import Mailing, Message
from mitmachen.people import selectors, services

pytestmark = pytest.mark.django_db
BASE = "http://testserver"


def _member(world, name, **data):
    return services.contact_create(organisation=world.kassel, actor=None, status="member",
                                   data={"first_name": name, **data})


def _consent(contact, channel, granted=True, purpose="invitations"):
    services.consent_record(contact=contact, channel=channel, purpose=purpose, granted=granted,
                            source="staff", text_version="v1", actor=None)


@pytest.fixture
def people(world):
    with_email = _member(world, "Erika", email="erika@example.org", street="Weg 1",
                         postcode="34117", city="Kassel")
    _consent(with_email, "email")
    post_only = _member(world, "Paul", street="Holländische Str. 5", postcode="34127",
                        city="Kassel")
    withdrawn = _member(world, "Wanda", email="wanda@example.org", street="Weg 3",
                        postcode="34119", city="Kassel")
    _consent(withdrawn, "email")
    _consent(withdrawn, "email", granted=False)
    nowhere = _member(world, "Niemand")
    return {"email": with_email, "post": post_only, "withdrawn": withdrawn, "none": nowhere}


def _mailing(world, **extra):
    return mailings.mailing_create(
        organisation=world.kassel, subject="Einladung zur Kreismitgliederversammlung",
        body="{{ anrede }}\n\nwir laden dich ein.\n\nSolidarische Grüße", purpose="invitations",
        audience={"kind": "members"}, actor=world.users["kassel_board"], **extra)


def test_channel_follows_consent_and_address(world, people):
    plan = mailings.plan(_mailing(world))
    assert plan.email == [people["email"]]
    # No e-mail consent (or withdrawn), but an address: a letter.
    assert set(plan.letter) == {people["post"], people["withdrawn"]}
    assert plan.unreachable == [people["none"]]


def test_members_who_refused_post_get_no_letter(world, people):
    _consent(people["post"], "post", granted=False)
    assert people["post"] in mailings.plan(_mailing(world)).unreachable


def test_sending_a_mailing_emails_and_prints_letters(world, people, smtp_server):
    mailing = _mailing(world)
    mailings.mailing_send(mailing=mailing, actor=world.users["kassel_board"], base_url=BASE)
    assert Mailing.objects.get(pk=mailing.pk).status == "sending"
    assert outbox.deliver() == 1
    # Every e-mail is out: the mailing is sent (its letters are marked when posted).
    assert Mailing.objects.get(pk=mailing.pk).status == "sent"
    received = email.message_from_bytes(smtp_server.messages[0])
    assert received["To"].endswith("<erika@example.org>")
    assert "Hallo Erika," in received.get_payload(0).get_payload(decode=True).decode()
    # The member who withdrew e-mail consent gets no e-mail, but a letter.
    assert not Message.objects.filter(contact=people["withdrawn"], channel="email").exists()
    in_letters = {m.contact for m in letters.letter_messages(mailing)}
    assert in_letters == {people["post"], people["withdrawn"]}
    pdf = PdfReader(io.BytesIO(letters.letters_pdf(mailing, by_postcode=True)))
    assert len(pdf.pages) == 3  # two letters and the list of recipients
    first = pdf.pages[0].extract_text()
    assert "Wanda" in first and "34119 Kassel" in first and "Einladung" in first
    assert "Paul" in pdf.pages[1].extract_text() and "Paul" in pdf.pages[2].extract_text()
    by_postcode = [m.contact for m in letters.letter_messages(mailing, by_postcode=True)]
    assert by_postcode == [people["withdrawn"], people["post"]]  # 34119 before 34127
    assert mailings.manual_done(mailing=mailing, channel="letter",
                                actor=world.users["kassel_board"]) == 2
    assert Mailing.objects.get(pk=mailing.pk).status == "sent"


def test_newsletters_carry_an_unsubscribe_link_that_works(world, smtp_server, client):
    reader = _member(world, "Nora", email="nora@example.org")
    _consent(reader, "email", purpose="newsletter")
    mailing = mailings.mailing_create(
        organisation=world.kassel, subject="Newsletter", body="{{ anrede }} Neues.",
        purpose="newsletter", audience={"kind": "members"}, actor=None)
    mailings.mailing_send(mailing=mailing, actor=None, base_url=BASE)
    outbox.deliver()
    received = email.message_from_bytes(smtp_server.messages[0])
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = "".join(received["List-Unsubscribe"].split()).strip("<>")
    assert url in received.get_payload(0).get_payload(decode=True).decode()
    path = url.removeprefix(BASE)
    client.get(path)
    assert reader in selectors.reachable(world.kassel, "email", "newsletter")  # GET: nothing
    client.post(path, "List-Unsubscribe=One-Click",
                content_type="application/x-www-form-urlencoded")
    assert reader not in selectors.reachable(world.kassel, "email", "newsletter")
    assert client.post("/u/forged-token/").status_code == 400


def test_bad_templates_and_audiences_are_refused(world):
    from django.core.exceptions import ValidationError

    for extra in [{"body": "{% load static %}"}, {"body": "{{ vorname"}, {"subject": ""},
                  {"body": "{{ password }}"}, {"body": '{% include "base.html" %}'},
                  {"body": "a\x00b"}, {"audience": {"kind": "everyone"}},
                  {"audience": {"kind": "contacts", "query": "status=bogus"}},
                  {"purpose": "spam"}]:
        data = {"organisation": world.kassel, "subject": "S", "body": "B",
                "purpose": "invitations", "audience": {"kind": "members"}, "actor": None,
                **extra}
        with pytest.raises(ValidationError):
            mailings.mailing_create(**data)
    assert not Mailing.objects.exists()


def test_another_organisations_group_is_not_an_audience(world):
    from mitmachen.groups.services import group_create, group_member_add

    other = group_create(organisation=world.duesseldorf, name="Fremd", kind="plenum",
                         audience="open", actor=None)
    stranger = services.contact_create(organisation=world.duesseldorf, actor=None,
                                       data={"first_name": "F", "email": "f@example.org"})
    group_member_add(group=other, contact=stranger, actor=None)
    mailing = mailings.mailing_create(
        organisation=world.kassel, subject="S", body="B", purpose="invitations",
        audience={"kind": "group", "group_id": other.pk}, actor=None)
    assert mailings.plan(mailing).total == 0 and not mailings.plan(mailing).unreachable


def test_scheduled_mailings_wait_for_their_time(world, people):
    mailing = _mailing(world)
    later = timezone.now() + timedelta(hours=2)
    mailings.mailing_send(mailing=mailing, actor=None, base_url=BASE, when=later)
    assert Mailing.objects.get(pk=mailing.pk).status == "scheduled"
    assert mailings.send_scheduled() == 0 and not Message.objects.exists()
    Mailing.objects.filter(pk=mailing.pk).update(scheduled_for=timezone.now())
    assert mailings.send_scheduled() == 1 and Message.objects.count() == 3


def test_pages_compose_preview_test_send_and_send(world, people, login, smtp_server,
                                                  django_capture_on_commit_callbacks):
    client = login("kassel_board")
    response = client.post("/staff/kassel/mailings/new/", {
        "audience": "members", "purpose": "invitations", "kind": "email_or_letter",
        "subject": "Einladung", "body": "{{ anrede }} komm vorbei."})
    mailing = Mailing.objects.get()
    assert response.url == f"/staff/kassel/mailings/{mailing.pk}/"
    html = client.get(response.url + f"?preview={people['post'].pk}").content.decode()
    assert "Paul," in html and "komm vorbei" in html and "Niemand" in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/kassel/mailings/{mailing.pk}/test/",
                    {"contact": people["post"].pk})
    assert "[Test]" in email.message_from_bytes(smtp_server.messages[0])["Subject"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/kassel/mailings/{mailing.pk}/send/", {"when": ""})
    assert Message.objects.filter(mailing=mailing).count() == 3
    html = client.get(f"/staff/kassel/mailings/{mailing.pk}/").content.decode()
    assert "<progress" in html
    pdf = client.get(f"/staff/kassel/mailings/{mailing.pk}/letters.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    again = client.post(f"/staff/kassel/mailings/{mailing.pk}/send/", {"when": ""})
    assert again.status_code == 302 and Message.objects.filter(mailing=mailing).count() == 3


@pytest.mark.parametrize("persona,status", [("kassel_treasurer", 403), ("duesseldorf_board", 404),
                                            (None, 302), ("kassel_events", 200)])
def test_who_may_use_the_mailing_pages(world, login, persona, status):
    mailing = _mailing(world)
    for url in ["/staff/kassel/mailings/", f"/staff/kassel/mailings/{mailing.pk}/"]:
        assert login(persona).get(url).status_code == status
    response = login(persona).post(f"/staff/kassel/mailings/{mailing.pk}/send/", {"when": ""})
    assert Mailing.objects.get(pk=mailing.pk).status == (
        "draft" if persona != "kassel_events" else "sent")
    assert response.status_code == {"kassel_treasurer": 403, "duesseldorf_board": 404,
                                    None: 302, "kassel_events": 302}[persona]


class _SignalAPI(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body)))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_signal_messages_go_to_the_signal_cli_rest_api(world, settings):
    server = HTTPServer(("127.0.0.1", 0), _SignalAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SIGNAL_API_URL = f"http://127.0.0.1:{server.server_port}"
    settings.SIGNAL_NUMBER = "+4915100000000"
    activist = _member(world, "Aktiv", messenger_phone="+49 151 23456789")
    _consent(activist, "signal", purpose="distribution_list")
    _member(world, "Ohne", messenger_phone="+49 151 23456780")  # no messenger consent
    try:
        mailing = mailings.mailing_create(
            organisation=world.kassel, subject="Aktiventreffen", body="Dienstag 19 Uhr",
            purpose="distribution_list", kind="signal", audience={"kind": "members"},
            actor=None)
        mailings.mailing_send(mailing=mailing, actor=None, base_url=BASE)
        assert outbox.deliver() == 1
    finally:
        server.shutdown()
    path, body = _SignalAPI.received[-1]
    assert path == "/v2/send" and body["number"] == "+4915100000000"
    assert body["recipients"] == ["+4915123456789"] and "Dienstag" in body["message"]


def test_whatsapp_is_prepared_for_the_phone(world, login):
    activist = _member(world, "Aktiv", messenger_phone="+49 151 23456789")
    _consent(activist, "whatsapp", purpose="distribution_list")
    mailing = mailings.mailing_create(
        organisation=world.kassel, subject="Aktiventreffen", body="Dienstag 19 Uhr",
        purpose="distribution_list", kind="whatsapp", audience={"kind": "members"}, actor=None)
    mailings.mailing_send(mailing=mailing, actor=None, base_url=BASE)
    assert outbox.deliver() == 0  # sent by hand, not by the worker
    client = login("kassel_board")
    html = client.get(f"/staff/kassel/mailings/{mailing.pk}/").content.decode()
    assert "https://wa.me/4915123456789?text=Dienstag%2019%20Uhr" in html
    assert Message.objects.get(mailing=mailing).status == "queued"
    client.post(f"/staff/kassel/mailings/{mailing.pk}/done/", {"channel": "whatsapp"})
    assert Message.objects.get(mailing=mailing).status == "sent"
    assert Mailing.objects.get(pk=mailing.pk).status == "sent"


def test_the_dashboard_shows_failures_and_letters_to_print(world, people, login):
    mailing = _mailing(world)
    mailings.mailing_send(mailing=mailing, actor=None, base_url=BASE)
    Message.objects.filter(channel="email").update(status="failed", last_error="550 unknown")
    html = login("kassel_board").get("/dashboard/").content.decode()
    assert "/staff/kassel/mailings/#failures" in html
    assert html.count("/staff/kassel/mailings/") >= 2
    assert "/staff/kassel/mailings/" not in login("kassel_treasurer").get(
        "/dashboard/").content.decode()


def test_distribution_lists_follow_consent_and_are_logged(world, login):
    from mitmachen.core.models import AuditEntry
    from mitmachen.groups.services import group_create, group_member_add

    aktiv = _member(world, "Aktiv", messenger_phone="+49 151 23456789")
    _consent(aktiv, "signal", purpose="distribution_list")
    ohne = _member(world, "Ohne", messenger_phone="+49 151 23456780")
    _consent(ohne, "signal", purpose="invitations")  # another purpose: not on the list
    weg = _member(world, "Weg", messenger_phone="+49 151 23456781")
    _consent(weg, "signal", purpose="distribution_list")
    _consent(weg, "signal", purpose="distribution_list", granted=False)
    plenum = group_create(organisation=world.kassel, name="Plenum", kind="plenum",
                          audience="open", actor=None)
    group_member_add(group=plenum, contact=aktiv, actor=None)
    client = login("kassel_groups")
    html = client.get("/staff/kassel/lists/?channel=signal").content.decode()
    assert "Aktiv" in html and "+49 1512 3456789" in html
    assert "Ohne" not in html and "Weg" not in html
    assert "Aktiv" not in client.get("/staff/kassel/lists/?channel=whatsapp").content.decode()
    csv_text = client.get(f"/staff/kassel/lists/?channel=signal&group={plenum.pk}&format=csv"
                          ).content.decode("utf-8-sig")
    assert "+4915123456789" in csv_text
    reads = AuditEntry.objects.filter(action="view", object_repr__startswith="distribution")
    assert reads.count() == 3
    assert login("kassel_treasurer").get("/staff/kassel/lists/").status_code == 403
    assert login("duesseldorf_board").get("/staff/kassel/lists/").status_code == 404


def test_erasure_removes_what_was_sent_to_the_person(world, people):
    from mitmachen.core import gdpr
    from mitmachen.people.gdpr import contact_erase, export_part  # noqa: F401

    mailing = _mailing(world)
    mailings.mailing_send(mailing=mailing, actor=None, base_url=BASE)
    erika = people["email"]
    assert gdpr.collect(erika)["messages"][0]["subject"].startswith("Einladung")
    contact_erase(contact=erika, actor=None)
    message = Message.objects.get(contact=erika)
    assert message.to_address == "[erased]" and message.body_text == ""
    assert message.status == "failed"  # a queued copy is not sent any more
    assert outbox.deliver() == 0


@pytest.mark.parametrize("persona,status", [("kassel_treasurer", 403), ("duesseldorf_board", 404),
                                            (None, 302)])
def test_who_may_not_use_the_mailing_actions(world, people, login, persona, status):
    mailing = _mailing(world)
    mailings.mailing_send(mailing=mailing, actor=None, base_url=BASE)
    failed = Message.objects.filter(channel="email").first()
    Message.objects.filter(pk=failed.pk).update(status="failed")
    client = login(persona)
    requests = [
        ("post", f"/staff/kassel/mailings/{mailing.pk}/test/", {"contact": people["post"].pk}),
        ("get", f"/staff/kassel/mailings/{mailing.pk}/letters.pdf", None),
        ("post", f"/staff/kassel/mailings/{mailing.pk}/done/", {"channel": "letter"}),
        ("post", f"/staff/kassel/messages/{failed.pk}/retry/", {}),
        ("get", "/staff/kassel/lists/", None),
    ]
    for method, url, data in requests:
        response = getattr(client, method)(url, data) if data is not None else \
            getattr(client, method)(url)
        assert response.status_code == status, url
    assert Message.objects.get(pk=failed.pk).status == "failed"
    assert not Message.objects.filter(channel="letter", status="sent").exists()
    assert not Message.objects.filter(subject__startswith="[Test]").exists()


@pytest.mark.parametrize("bad", [{"subject": ""}, {"body": ""}, {"subject": "x" * 301},
                                 {"body": "{{ passwort }}"}, {"purpose": "spam"},
                                 {"audience": "group"}, {"kind": "telegram"},
                                 {"body": "a\x00b"}])
def test_bad_mailing_forms_change_nothing(world, login, bad):
    data = {"audience": "members", "purpose": "invitations", "kind": "email_or_letter",
            "subject": "Einladung", "body": "{{ anrede }} Text", **bad}
    response = login("kassel_board").post("/staff/kassel/mailings/new/", data)
    assert response.status_code == 200 and b'role="alert"' in response.content
    assert not Mailing.objects.exists()


def test_scheduling_in_the_past_is_refused(world, people, login):
    mailing = _mailing(world)
    response = login("kassel_board").post(f"/staff/kassel/mailings/{mailing.pk}/send/",
                                          {"when": "2020-01-01T10:00"})
    assert response.status_code == 302
    assert Mailing.objects.get(pk=mailing.pk).status == "draft"
    assert not Message.objects.exists()


def test_only_email_copies_carry_the_unsubscribe_link(world):
    reader = _member(world, "Lea", street="Weg 9", postcode="34117", city="Kassel")
    _consent(reader, "post", purpose="newsletter")
    mailing = mailings.mailing_create(
        organisation=world.kassel, subject="Newsletter", body="Neues.", purpose="newsletter",
        audience={"kind": "members"}, actor=None)
    mailings.mailing_send(mailing=mailing, actor=None, base_url=BASE)
    letter = Message.objects.get(mailing=mailing)
    assert letter.channel == "letter" and "/u/" not in letter.body_text


def test_scheduled_mailings_survive_a_runner_that_was_faster(world, people, monkeypatch):
    mailing = _mailing(world)
    mailings.mailing_send(mailing=mailing, actor=None, base_url=BASE,
                          when=timezone.now() + timedelta(hours=1))
    Mailing.objects.filter(pk=mailing.pk).update(scheduled_for=timezone.now())
    broken = _mailing(world)
    mailings.mailing_send(mailing=broken, actor=None, base_url=BASE,
                          when=timezone.now() + timedelta(hours=1))
    Mailing.objects.filter(pk=broken.pk).update(
        scheduled_for=timezone.now(), audience={"kind": "contacts", "query": "status=bogus"})
    assert mailings.send_scheduled() == 1  # the broken one is skipped, not fatal
    assert mailings.send_scheduled() == 0  # and the sent one is not sent again
    assert Message.objects.filter(mailing=mailing).count() == 3
