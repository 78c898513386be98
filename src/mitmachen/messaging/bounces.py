"""Bounces: e-mails the SMTP server accepted that came back later as undeliverable.

The worker only learns whether the server took a message; a mailbox that receives the bounce
mails tells the rest. `mitmachen bounces <mbox or Maildir>` reads it (`bounces_from_mailbox`)
and marks the matching outbox messages (`bounce_record`), so staff see them next to the
failures. Running it twice over the same mails changes nothing.
"""

from __future__ import annotations

import mailbox
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.messaging import dsn
from mitmachen.messaging.models import Message

MARKED, UNCHANGED, UNKNOWN, ERASED = "marked", "unchanged", "unknown", "erased"
CODE = re.compile(r"[45]\.\d{1,3}\.\d{1,3}|[45]\d\d")


class MailboxError(ValueError):
    """The path is not a mailbox we can read; nothing was changed."""


@dataclass(frozen=True)
class Found:
    key: str | int               # the mail's key in the mailbox (a name, or mbox's number)
    result: dsn.Bounce | dsn.Skip


def status_code(reason: str) -> str:
    """ "5.1.1" from "5.1.1 smtp; 550 …": what the audit log keeps (the rest names the address)."""
    first = reason.split(" ", 1)[0]
    return first if CODE.fullmatch(first) else ""


def bounce_record(*, message_id: str, reason: str, permanent: bool, actor=None) -> str:
    """Mark the e-mail with this Message-ID as bounced. Returns MARKED, UNCHANGED (the same
    bounce again, or a temporary one after a permanent one), UNKNOWN or ERASED."""
    reason = reason[:300]
    with transaction.atomic():
        # Locks the message only: two runs at once must not both record (and audit) a bounce.
        message = (Message.objects.select_for_update(of=("self",)).select_related("contact")
                   .filter(message_id=message_id, channel=Message.Channel.EMAIL).first())
        if message is None:
            return UNKNOWN
        if message.to_address == "[erased]" or (message.contact and message.contact.erased_at):
            # The reason quotes the address: after an erasure it must not come back.
            return ERASED
        if message.bounced_at and (
                (message.bounce_reason, message.bounce_permanent) == (reason, permanent)
                or (message.bounce_permanent and not permanent)):
            return UNCHANGED
        before = [status_code(message.bounce_reason) if message.bounced_at else None,
                  message.bounce_permanent]
        message.bounced_at = timezone.now()
        message.bounce_reason = reason
        message.bounce_permanent = permanent
        message.save(update_fields=["bounced_at", "bounce_reason", "bounce_permanent"])
        # A hard bounce is noted on the message only: Contact has no field for it, and the
        # address may still be right for another purpose; staff decide what to change.
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=message,
                     organisation=message.organisation,
                     changes={"bounce": [before[0], status_code(reason) or "bounced"],
                              "bounce_permanent": [before[1], permanent]})
    return MARKED


def open_mailbox(path) -> mailbox.Mailbox:
    """An mbox file or a Maildir directory; anything else is refused with a clear message."""
    path = Path(path)
    if path.is_dir():
        if not ((path / "cur").is_dir() and (path / "new").is_dir()):
            raise MailboxError(f"{path} is a directory but not a Maildir (no cur/ and new/)")
        return mailbox.Maildir(path, factory=None, create=False)
    if not path.is_file():
        raise MailboxError(f"{path} does not exist")
    with path.open("rb") as handle:
        start = handle.read(5)
    if start and start != b"From ":
        raise MailboxError(f"{path} is not an mbox file (it must start with a 'From ' line)")
    return mailbox.mbox(path, factory=None, create=False)


def read(box: mailbox.Mailbox) -> list[Found]:
    keys = sorted(box.keys())  # all numbers (mbox) or all names (Maildir)
    return [Found(key, dsn.parse(box.get_bytes(key))) for key in keys]


def bounces_from_mailbox(path) -> list[Found]:
    """Every mail in the mailbox, read as a bounce or skipped with the reason why."""
    box = open_mailbox(path)
    try:
        return read(box)
    finally:
        box.close()


def record_all(found: list[Found]) -> list[tuple[Found, str, str]]:
    """Record every bounce in one transaction: (mail, outcome, Message-ID it was matched by)."""
    outcomes = []
    with transaction.atomic():
        for item in found:
            if isinstance(item.result, dsn.Skip):
                continue
            outcome, matched = UNKNOWN, item.result.message_ids[0]
            for message_id in item.result.message_ids:
                outcome = bounce_record(message_id=message_id, reason=item.result.reason,
                                        permanent=item.result.permanent)
                if outcome != UNKNOWN:
                    matched = message_id
                    break
            outcomes.append((item, outcome, matched))
    return outcomes
