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


def test_a_stop_request_hands_the_rest_of_the_claim_back(world, smtp_server):
    _queue(world, 5)
    outbox.stop_requested.set()
    try:
        assert outbox.deliver() == 0
    finally:
        outbox.stop_requested.clear()
    assert Message.objects.filter(status="queued", claimed_by="").count() == 5


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_never_send_twice(world, smtp_server):
    _queue(world, 300)
    threads = [threading.Thread(target=outbox.deliver, kwargs={"worker": f"w{n}", "batch": 20})
               for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connection.close()
    ids = smtp_server.message_ids()
    assert len(ids) == 300 and len(set(ids)) == 300
    assert Message.objects.filter(status="sent").count() == 300
