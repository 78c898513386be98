"""The outbox: one entry point for every message, and the worker loop that delivers them.

`message_queue()` writes a row inside the caller's transaction; nothing leaves the building
unless that transaction commits. `deliver()` claims due rows, sends them, and marks each one
sent as soon as the SMTP server (or the Signal or WhatsApp API) has accepted it.

Exactly once: a worker stopped with SIGTERM or Ctrl-C finishes the message in flight and hands
its other claimed rows back. A worker killed outright (SIGKILL) leaves its sent journal behind
(`journal.py`), and the next worker marks those messages sent before its claim; only a message
accepted in the microseconds before the journal write, or lost with a power cut, can go out
twice, with the same Message-ID (decision 0012).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import socket
import threading
import time
import urllib.request
from datetime import timedelta
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from mitmachen.messaging import journal, whatsapp
from mitmachen.messaging.models import Message

log = logging.getLogger("mitmachen.outbox")
stop_requested = threading.Event()


def new_message_id() -> str:
    return make_msgid(domain=settings.MESSAGE_ID_DOMAIN)


def message_queue(*, organisation, channel: str, to_address: str, body_text: str,
                  subject: str = "", body_html: str = "", to_name: str = "", contact=None,
                  mailing=None, attachments=(), headers=None, sensitive: bool = False,
                  kick: bool = True) -> Message:
    """Queue one message in the current transaction; it is delivered after the commit."""
    message = Message.objects.create(
        organisation=organisation, channel=channel, to_address=to_address, to_name=to_name,
        subject=subject, body_text=body_text, body_html=body_html, contact=contact,
        mailing=mailing, headers=headers or {}, sensitive=sensitive,
        message_id=new_message_id(),
        attachments=[{"filename": name, "content_type": content_type,
                      "b64": base64.b64encode(content).decode()}
                     for name, content, content_type in attachments],
    )
    if kick:
        transaction.on_commit(kick_soon)
    return message


KICK_GAP = 1.0  # seconds
_kick = {"quiet_after": 0.0, "deferred": False}  # this process's flushes on their way


def kick_soon() -> None:
    """A flush for the messages this process just committed. The first message after a quiet
    second is flushed at once; the rest of a burst (a registration rush) shares one flush at
    the end of that second instead of a task row each. That flush starts after every message
    committed within the second, so it sees them all."""
    from mitmachen.messaging.tasks import outbox_flush

    now = time.monotonic()
    if now >= _kick["quiet_after"] or not outbox_flush.get_backend().supports_defer:
        _kick.update(quiet_after=now + KICK_GAP, deferred=False)
        kick_worker()
    elif not _kick["deferred"]:
        _kick["deferred"] = True
        kick_worker(run_after=timezone.now() + timedelta(
            seconds=_kick["quiet_after"] - now + 0.05))


def kick_worker(run_after=None) -> None:
    from mitmachen.messaging.tasks import outbox_flush

    try:
        task = outbox_flush.using(run_after=run_after) if run_after else outbox_flush
        task.enqueue()
    except Exception:  # the rows are safe in the outbox; the next flush picks them up
        log.exception("could not enqueue the outbox flush")


def _due() -> Q:
    stale = timezone.now() - timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    return (Q(status=Message.Status.QUEUED, next_attempt_at__lte=timezone.now())
            | Q(status=Message.Status.SENDING, claimed_at__lt=stale))


def by_hand() -> list[str]:
    """Channels the worker leaves alone: letters are posted, and WhatsApp messages are sent from
    the organiser's phone unless the Cloud API is set up."""
    return [Message.Channel.LETTER] + ([] if whatsapp.configured()
                                       else [Message.Channel.WHATSAPP])


def claim(worker: str, limit: int) -> list[Message]:
    """Take up to `limit` due messages for this worker. Two workers never get the same row."""
    with transaction.atomic():
        queryset = Message.objects.filter(_due()).exclude(
            channel__in=by_hand()).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True)
        ids = list(queryset.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Message.objects.filter(id__in=ids).update(
            status=Message.Status.SENDING, claimed_at=timezone.now(), claimed_by=worker)
    return list(Message.objects.filter(id__in=ids, claimed_by=worker).order_by("id"))


def _email(message: Message, smtp) -> None:
    mail = EmailMultiAlternatives(
        subject=message.subject, body=message.body_text,
        # formataddr quotes the name: a name such as "<other@example.org> (" cannot redirect mail.
        to=[formataddr((message.to_name, message.to_address))],
        connection=smtp,
        headers={"Message-ID": message.message_id, **message.headers},
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments:
        mail.attach(attachment["filename"], base64.b64decode(attachment["b64"]),
                    attachment["content_type"])
    mail.send()


def _signal(message: Message) -> None:
    if not settings.SIGNAL_API_URL.startswith(("http://", "https://")) or \
            not settings.SIGNAL_NUMBER:
        raise RuntimeError("Signal is not configured (SIGNAL_API_URL, SIGNAL_NUMBER)")
    body = json.dumps({"message": message.body_text, "number": settings.SIGNAL_NUMBER,
                       "recipients": [message.to_address]}).encode()
    request = urllib.request.Request(  # noqa: S310 (an http(s) URL from the settings)
        f"{settings.SIGNAL_API_URL.rstrip('/')}/v2/send",
        data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 (configured URL)
        if response.status >= 300:
            raise RuntimeError(f"Signal API answered {response.status}")


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 240))


def _failed(message: Message, error: Exception) -> None:
    attempts = message.attempts + 1
    final = attempts >= settings.OUTBOX_MAX_ATTEMPTS
    Message.objects.filter(pk=message.pk, claimed_by=message.claimed_by).update(
        status=Message.Status.FAILED if final else Message.Status.QUEUED,
        attempts=attempts, next_attempt_at=timezone.now() + _backoff(attempts),
        last_error=str(error)[:500], claimed_by="", claimed_at=None)
    log.warning("message not delivered", extra={
        "message_pk": message.pk, "channel": message.channel, "attempt": attempts,
        "final": final, "error": type(error).__name__})


SENT_GROUP = 50  # "sent" is recorded for up to this many accepted messages at once


def _mark_sent(ids: list[int], worker: str,
               sent_journal: journal.Journal | None = None) -> None:
    if ids:
        Message.objects.filter(id__in=ids, claimed_by=worker).update(
            status=Message.Status.SENT, sent_at=timezone.now(), last_error="")
        # A set-password link or access data has no business staying in the database.
        Message.objects.filter(id__in=ids, sensitive=True).update(
            body_text="", body_html="", attachments=[])
        ids.clear()
        if sent_journal is not None:
            sent_journal.clear()


def _renew(worker: str, ids: list[int]) -> set[int]:
    """Extend the claim on rows still ours; returns them. A row another worker took over after
    our lease ran out is theirs now and must not be sent by us."""
    Message.objects.filter(id__in=ids, claimed_by=worker, status=Message.Status.SENDING).update(
        claimed_at=timezone.now())
    return set(Message.objects.filter(id__in=ids, claimed_by=worker,
                                      status=Message.Status.SENDING).values_list("id",
                                                                                 flat=True))


def _finish_mailings() -> None:
    """A mailing is sent once none of the copies the worker delivers wait (letters, and WhatsApp
    without the Cloud API, are posted or sent by hand and are marked on the mailing page)."""
    from mitmachen.messaging.models import Mailing

    waiting = Message.objects.filter(
        mailing=models.OuterRef("pk"),
        status__in=[Message.Status.QUEUED, Message.Status.SENDING]).exclude(
        channel__in=by_hand())
    Mailing.objects.filter(status=Mailing.Status.SENDING).exclude(
        models.Exists(waiting)).update(status=Mailing.Status.SENT)


def worker_name() -> str:
    raw = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    return raw if len(raw) <= 64 else hashlib.sha256(raw.encode()).hexdigest()[:64]


def deliver(*, worker: str | None = None, batch: int | None = None, once: bool = False,
            budget: float | None = None) -> int:
    """Deliver due messages until none are left (or one batch with `once`). Returns the count.

    Accepted messages are recorded as sent in groups (one UPDATE instead of fifty); the group is
    written before any new claim, on a stop and on every error, so a stopped worker loses
    nothing; a killed one leaves its sent journal to the next worker (decision 0012).
    """
    worker = worker or worker_name()
    batch = batch or settings.OUTBOX_BATCH
    deadline = time.monotonic() + budget if budget else None
    delivered = 0
    smtp = None
    accepted: list[int] = []
    recovered = 0
    sent_journal = journal.Journal(worker)
    try:
        while not stop_requested.is_set():
            _mark_sent(accepted, worker, sent_journal)
            if deadline and time.monotonic() > deadline:
                break
            # a killed worker's accepted messages are sent: never again
            recovered += journal.recover()
            messages = claim(worker, batch)
            if not messages:
                break
            owned = {m.id for m in messages}
            for index, message in enumerate(messages):
                if index and index % SENT_GROUP == 0:
                    _mark_sent(accepted, worker, sent_journal)
                    owned = _renew(worker, [m.id for m in messages[index:]])
                if message.id not in owned:
                    continue
                if stop_requested.is_set():
                    _mark_sent(accepted, worker, sent_journal)
                    # Hand the rest of the claim back at once instead of waiting for the lease.
                    Message.objects.filter(id__in=[m.id for m in messages[index:]],
                                           claimed_by=worker,
                                           status=Message.Status.SENDING).update(
                        status=Message.Status.QUEUED, claimed_by="", claimed_at=None)
                    break
                try:
                    if message.channel == Message.Channel.EMAIL:
                        if smtp is None:
                            smtp = get_connection()
                            smtp.open()
                        _email(message, smtp)
                    elif message.channel == Message.Channel.WHATSAPP:
                        whatsapp.send(message)
                    else:
                        _signal(message)
                except Exception as error:  # noqa: BLE001 (any failure is retried)
                    _mark_sent(accepted, worker, sent_journal)
                    if smtp is not None:
                        smtp.close()
                        smtp = None
                    _failed(message, error)
                    continue
                accepted.append(message.pk)
                sent_journal.add(message.pk)
                delivered += 1
            if once:
                break
    finally:
        _mark_sent(accepted, worker, sent_journal)
        sent_journal.close()
        if smtp is not None:
            smtp.close()
    if delivered or recovered:
        log.info("outbox delivered", extra={"count": delivered, "recovered": recovered,
                                            "worker": worker})
        _finish_mailings()
    _schedule_retry()
    return delivered


def more_due() -> bool:
    return Message.objects.filter(_due()).exclude(channel__in=by_hand()).exists()


def _schedule_retry() -> None:
    """Make sure a flush runs when the next retry is due, or when a dead worker's claim ends."""
    next_retry = (Message.objects.filter(status=Message.Status.QUEUED, attempts__gt=0)
                  .order_by("next_attempt_at").values_list("next_attempt_at", flat=True)
                  .first())
    oldest_claim = (Message.objects.filter(status=Message.Status.SENDING)
                    .order_by("claimed_at").values_list("claimed_at", flat=True).first())
    candidates = [t for t in (
        next_retry, oldest_claim + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1)
        if oldest_claim else None) if t is not None and t > timezone.now()]
    if candidates:
        kick_worker(run_after=min(candidates))


def retry(*, message: Message, actor) -> Message:
    """Staff send a failed message again."""
    from mitmachen.core.audit import audit_record
    from mitmachen.core.models import AuditEntry

    with transaction.atomic():
        Message.objects.filter(pk=message.pk, status=Message.Status.FAILED).update(
            status=Message.Status.QUEUED, next_attempt_at=timezone.now(), attempts=0,
            claimed_by="", claimed_at=None)
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=message,
                     organisation=message.organisation,
                     changes={"status": ["failed", "queued"]})
        transaction.on_commit(kick_worker)
    message.refresh_from_db()
    return message


def render_text(name: str, context: dict) -> str:
    """A plain-text template without HTML escaping ("Müller & Söhne" stays as it is)."""
    from django.template import Context
    from django.template.loader import get_template

    return get_template(name).template.render(Context(context, autoescape=False))


def email_from_templates(*, to: str, template: str, context: dict, language: str,
                         organisation=None, contact=None, sensitive: bool = False,
                         attachments=()) -> Message:
    """Render `<template>_subject.txt` and `<template>.txt` (and `.html` when it exists) in the
    recipient's language and queue the e-mail."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import render_to_string
    from django.utils.translation import override

    with override(language):
        subject = " ".join(render_text(f"{template}_subject.txt", context).split())
        text = render_text(f"{template}.txt", context)
        try:
            html = render_to_string(f"{template}.html", context)
        except TemplateDoesNotExist:
            html = ""
    return message_queue(organisation=organisation, contact=contact,
                         channel=Message.Channel.EMAIL, to_address=to, subject=subject,
                         body_text=text, body_html=html, sensitive=sensitive,
                         attachments=attachments)
