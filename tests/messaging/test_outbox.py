import email
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from mitmachen.messaging import outbox
from mitmachen.messaging.models import Message

pytestmark = pytest.mark.django_db


def _queue(world, n=1, **extra):
    with transaction.atomic():
        return [outbox.message_queue(organisation=world.kassel, channel="email",
                                     to_address=f"p{i}@example.org", subject=f"Hallo {i}",
                                     body_text=f"Text {i}", kick=False, **extra)
                for i in range(n)]


def test_a_rolled_back_transaction_sends_nothing(world, smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.message_queue(organisation=world.kassel, channel="email",
                             to_address="p@example.org", subject="x", body_text="x")
        raise RuntimeError("the business change failed")
    assert not Message.objects.exists()
    assert outbox.deliver() == 0 and smtp_server.messages == []


def test_a_queued_message_is_delivered_once_with_its_message_id(world, smtp_server):
    (message,) = _queue(world, body_html="<p>Text</p>",
                        attachments=[("termin.ics", b"BEGIN:VCALENDAR", "text/calendar")],
                        headers={"List-Unsubscribe": "<https://example.org/u/1>"})
    assert outbox.deliver() == 1
    assert outbox.deliver() == 0
    message.refresh_from_db()
    assert message.status == "sent" and message.sent_at
    parsed = email.message_from_bytes(smtp_server.messages[0])
    assert parsed["Message-ID"] == message.message_id
    assert parsed["List-Unsubscribe"] == "<https://example.org/u/1>"
    types = [part.get_content_type() for part in parsed.walk()]
    assert {"text/plain", "text/html", "text/calendar"} <= set(types)


def test_failures_are_retried_with_backoff_then_marked_failed(world, smtp_server, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    (message,) = _queue(world)
    smtp_server.refuse = True
    outbox.deliver()
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 1 and message.last_error
    assert message.next_attempt_at > timezone.now()
    assert outbox.deliver() == 0  # not due yet
    for _ in range(2):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        outbox.deliver()
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 3
    smtp_server.refuse = False
    outbox.retry(message=message, actor=world.users["kassel_admin"])
    outbox.deliver()
    message.refresh_from_db()
    assert message.status == "sent" and len(smtp_server.messages) == 1


def test_an_abandoned_claim_is_taken_over_after_the_lease(world, smtp_server, settings):
    (message,) = _queue(world)
    Message.objects.filter(pk=message.pk).update(status="sending", claimed_by="dead",
                                                 claimed_at=timezone.now())
    assert outbox.deliver() == 0  # another worker may still be sending it
    Message.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))
    assert outbox.deliver() == 1


def test_a_stop_request_hands_the_rest_of_the_claim_back(world, smtp_server, monkeypatch):
    _queue(world, 5)
    send = outbox._email

    def send_then_stop(message, smtp):
        send(message, smtp)
        outbox.stop_requested.set()  # SIGTERM arrives while the first message is out

    monkeypatch.setattr(outbox, "_email", send_then_stop)
    try:
        assert outbox.deliver() == 1
    finally:
        outbox.stop_requested.clear()
    assert Message.objects.filter(status="sent").count() == 1
    assert Message.objects.filter(status="queued", claimed_by="").count() == 4
    assert len(smtp_server.messages) == 1


def test_rows_taken_over_by_another_worker_are_not_sent_again(world, smtp_server,
                                                              monkeypatch):
    _queue(world, 4)
    monkeypatch.setattr(outbox, "SENT_GROUP", 1)  # renew the claim before every message
    send = outbox._email

    def send_then_lose_the_claim(message, smtp):
        send(message, smtp)
        # Our lease ran out (a slow server); worker B took over the rest of the batch.
        Message.objects.filter(status="sending").exclude(pk=message.pk).update(
            claimed_by="B")

    monkeypatch.setattr(outbox, "_email", send_then_lose_the_claim)
    assert outbox.deliver(worker="A") == 1
    assert len(smtp_server.messages) == 1
    assert Message.objects.filter(claimed_by="B", status="sending").count() == 3


def test_a_name_cannot_redirect_the_mail(world, smtp_server):
    (message,) = _queue(world)
    Message.objects.filter(pk=message.pk).update(to_name="<victim@elsewhere.org> (",
                                                 to_address="p0@example.org")
    outbox.deliver()
    received = email.message_from_bytes(smtp_server.messages[0])
    assert "p0@example.org" in received["To"]
    assert smtp_server.rcpt == [["p0@example.org"]]


def test_sensitive_bodies_are_not_kept_after_sending(world, smtp_server):
    (message,) = _queue(world, sensitive=True)
    outbox.deliver()
    message.refresh_from_db()
    assert message.status == "sent" and message.body_text == ""
    assert b"Text 0" in smtp_server.messages[0]


def test_worker_names_fit_the_column():
    import socket
    from unittest import mock

    with mock.patch.object(socket, "gethostname", return_value="h" * 120):
        assert len(outbox.worker_name()) <= 64


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_never_send_twice(world, smtp_server):
    _queue(world, 300)
    def worker(name):
        try:
            outbox.deliver(worker=name, batch=20)
        finally:
            connection.close()  # each thread has its own connection; leave none open

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connection.close()
    ids = smtp_server.message_ids()
    assert len(ids) == 300 and len(set(ids)) == 300
    assert Message.objects.filter(status="sent").count() == 300
