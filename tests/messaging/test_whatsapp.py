"""WhatsApp through the Cloud API, against a local HTTP server standing in for Meta's."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from mitmachen.messaging import mailings, outbox
from mitmachen.messaging.models import Mailing, Message
from mitmachen.people import services

pytestmark = pytest.mark.django_db
BASE = "http://testserver"
TOKEN = "EAAG-secret-token-do-not-log"


class _GraphAPI(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, dict(self.headers), json.loads(body)))
        status, answer = self.server.answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(answer).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def graph(settings):
    server = HTTPServer(("127.0.0.1", 0), _GraphAPI)
    server.received = []
    server.answer = (200, {"messaging_product": "whatsapp", "messages": [{"id": "wamid.1"}]})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WHATSAPP_API_URL = f"http://127.0.0.1:{server.server_port}/v21.0/"
    settings.WHATSAPP_PHONE_NUMBER_ID = "106540352242922"
    settings.WHATSAPP_TOKEN = TOKEN
    yield server
    server.shutdown()
    server.server_close()


def _whatsapp_mailing(world, *numbers):
    for index, number in enumerate(numbers):
        contact = services.contact_create(
            organisation=world.kassel, actor=None, status="member",
            data={"first_name": f"Aktiv{index}", "messenger_phone": number})
        services.consent_record(contact=contact, channel="whatsapp", purpose="distribution_list",
                                granted=True, source="staff", text_version="v1", actor=None)
    mailing = mailings.mailing_create(
        organisation=world.kassel, subject="Aktiventreffen", body="{{ anrede }} Dienstag 19 Uhr",
        purpose="distribution_list", kind="whatsapp", audience={"kind": "members"}, actor=None)
    mailings.mailing_send(mailing=mailing, actor=None, base_url=BASE)
    return mailing


def test_the_worker_sends_whatsapp_through_the_cloud_api(world, graph, login):
    mailing = _whatsapp_mailing(world, "+49 151 23456789")
    assert outbox.deliver() == 1
    path, headers, body = graph.received[-1]
    assert path == "/v21.0/106540352242922/messages"
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/json"
    assert body == {"messaging_product": "whatsapp", "to": "4915123456789", "type": "text",
                    "text": {"body": "Hallo Aktiv0, Dienstag 19 Uhr"}}
    assert Message.objects.get(mailing=mailing).status == "sent"
    assert Mailing.objects.get(pk=mailing.pk).status == "sent"
    # No phone links and no "all sent" button: the server did it.
    client = login("kassel_board")
    html = client.get(f"/staff/kassel/mailings/{mailing.pk}/").content.decode()
    assert "wa.me" not in html and "sent from your phone" not in html
    assert "sent from your phone" not in client.get(
        "/staff/kassel/mailings/new/").content.decode()


def test_refused_messages_are_retried_then_fail_without_leaking_the_token(world, graph, settings,
                                                                        caplog):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    graph.answer = (400, {"error": {"message": "Recipient +4915123456789 not allowed",
                                    "type": "OAuthException", "code": 131030}})
    mailing = _whatsapp_mailing(world, "+49 151 23456789")
    with caplog.at_level(logging.DEBUG):
        assert outbox.deliver() == 0
        message = Message.objects.get(mailing=mailing)
        assert message.status == "queued" and message.attempts == 1
        assert message.next_attempt_at > message.created_at  # backoff before the next try
        assert message.last_error == "WhatsApp API answered 400 (error 131030)"
        Message.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
        assert outbox.deliver() == 0
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 2
    assert len(graph.received) == 2
    logged = caplog.text + message.last_error
    assert TOKEN not in logged and "Dienstag" not in logged and "4915123456789" not in logged
    assert Mailing.objects.get(pk=mailing.pk).status == "sending"


def test_a_server_error_and_an_unreachable_api_are_retried(world, graph, settings):
    graph.answer = (503, {})
    mailing = _whatsapp_mailing(world, "+49 151 23456789")
    assert outbox.deliver() == 0
    message = Message.objects.get(mailing=mailing)
    assert message.status == "queued" and message.last_error == "WhatsApp API answered 503"
    settings.WHATSAPP_API_URL = "http://127.0.0.1:9/v21.0"  # nothing listens on the discard port
    Message.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    assert outbox.deliver() == 0
    message.refresh_from_db()
    assert message.attempts == 2 and message.last_error.startswith("WhatsApp API not reachable")
    assert TOKEN not in message.last_error


def test_with_the_cloud_api_whatsapp_is_not_marked_by_hand(world, graph, login):
    mailing = _whatsapp_mailing(world, "+49 151 23456789")
    with pytest.raises(Exception, match="verschickt der Server"):
        mailings.manual_done(mailing=mailing, channel="whatsapp", actor=None)
    login("kassel_board").post(f"/staff/kassel/mailings/{mailing.pk}/done/",
                               {"channel": "whatsapp"})
    assert Message.objects.get(mailing=mailing).status == "queued"
    assert not graph.received


def test_without_a_token_whatsapp_stays_on_the_phone(world, graph, settings):
    settings.WHATSAPP_TOKEN = ""
    mailing = _whatsapp_mailing(world, "+49 151 23456789")
    assert outbox.deliver() == 0 and not graph.received
    assert Message.objects.get(mailing=mailing).status == "queued"
    assert not outbox.more_due()
