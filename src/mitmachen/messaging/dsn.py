"""Reading one bounce mail: which of our messages it is about, why, and whether for good.

Two shapes arrive in a bounce mailbox: RFC 3464 delivery status notifications
(multipart/report with a message/delivery-status part), and older plain-text bounces that quote
the original headers. Everything else there (out-of-office replies, delay warnings, spam) must
not mark anything, so `parse()` answers a `Skip` with the reason instead of guessing.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message as Mail
from email.parser import HeaderParser
from email.utils import parseaddr

MSGID = re.compile(r"<[^<>\s@]+@[^<>\s]+>")
QUOTED_MSGID = re.compile(r"^[\s>]*Message-ID:\s*(<[^<>\s@]+@[^<>\s]+>)",
                          re.IGNORECASE | re.MULTILINE)
# A failure's enhanced status code (RFC 3463), not part of an IP address or a version number.
# Success codes (2.x.x) are not looked for: a transcript quotes them before the failing reply.
STATUS = re.compile(r"(?<![\d.])([45])\.\d{1,3}\.\d{1,3}(?![\d.])")
# A basic SMTP reply at the start of a line ("    550 User unknown"), for servers without one.
REPLY = re.compile(r"^\s*([45])[0-5]\d[\s-]")
BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|delivery (status notification|failure|has failed)|"
    r"mail delivery (failed|failure|system)|failure notice|unzustellbar|nicht zustellbar|"
    r"unable to deliver", re.IGNORECASE)
DELAY_SUBJECT = re.compile(r"delay|warning|verzögert", re.IGNORECASE)


@dataclass(frozen=True)
class Bounce:
    message_ids: tuple[str, ...]  # candidates for the original, most reliable first
    reason: str                   # "5.1.1 smtp; 550 5.1.1 <…>: user unknown"
    permanent: bool               # a 5.x.x status: the address will not work again


@dataclass(frozen=True)
class Skip:
    why: str


def _clean(text: str, limit: int = 300) -> str:
    return " ".join(str(text).split())[:limit]


def _subject(mail: Mail) -> str:
    """The decoded subject: "Unzustellbar" and "verzögert" often arrive as =?utf-8?…?= words."""
    try:
        return str(make_header(decode_header(str(mail.get("Subject") or ""))))
    except (LookupError, ValueError, UnicodeDecodeError):
        return str(mail.get("Subject") or "")


def _ids_in(value: str | None) -> list[str]:
    return MSGID.findall(str(value or ""))


def _original_ids(mail: Mail) -> list[str]:
    """Message-IDs of the original: the returned message or its headers, then the quoted
    "Message-ID:" lines of a plain bounce, then what the bounce says it replies to."""
    found: list[str] = []
    for part in mail.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            for inner in part.get_payload() or []:
                found += _ids_in(inner.get("Message-ID"))
        elif kind == "text/rfc822-headers":
            headers = HeaderParser().parsestr(_text_of(part))
            found += _ids_in(headers.get("Message-ID"))
    found += QUOTED_MSGID.findall(_own_text(mail))
    found += _ids_in(mail.get("In-Reply-To"))
    found += list(reversed(_ids_in(mail.get("References"))))  # the newest reference first
    return list(dict.fromkeys(found))


def _text_of(part: Mail) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:  # a multipart or a message part: no text of its own
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    try:
        return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know: the codes are ASCII anyway
        return payload.decode("utf-8", errors="replace")


def _from_report(mail: Mail) -> tuple[str, bool] | Skip:
    """Reason and permanence from the first failed recipient of a delivery-status part."""
    for part in mail.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload() or []
        for block in blocks[1:]:  # the first block describes the report, not a recipient
            if (block.get("Action") or "").strip().lower() != "failed":
                continue
            status = _clean(block.get("Status") or "", 20)
            diagnostic = _clean(block.get("Diagnostic-Code") or "")
            reason = _clean(f"{status} {diagnostic}") or "failed"
            return reason, status.startswith("5")
        return Skip("a delay or success notice, not a bounce")
    return Skip("a delivery report without a delivery-status part")


def _looks_like_bounce(mail: Mail) -> bool:
    sender = parseaddr(str(mail.get("From") or ""))[1].split("@")[0].lower()
    return bool(sender in BOUNCE_SENDERS or mail.get("X-Failed-Recipients")
                or BOUNCE_SUBJECT.search(_subject(mail)))


def _own_text(mail: Mail) -> str:
    """The bounce's own text parts, not those of a returned original (its "4.5.24" is a date)."""
    if mail.get_content_type() == "message/rfc822":
        return ""
    if mail.is_multipart():
        return "\n".join(_own_text(part) for part in mail.get_payload())
    return _text_of(mail) if mail.get_content_type() == "text/plain" else ""


def _from_text(mail: Mail) -> tuple[str, bool] | Skip:
    """Reason from the first line of a plain bounce that carries a status code."""
    if DELAY_SUBJECT.search(_subject(mail)):
        return Skip("a delay warning, not a bounce")
    lines = _own_text(mail).splitlines()
    for pattern in (STATUS, REPLY):  # an enhanced code is the better witness; look for it first
        for line in lines:
            match = pattern.search(line)
            if not match:
                continue
            code, said = match.group(0).strip(), line.strip()
            reason = said if said.startswith(code) else f"{code} {said}"
            return _clean(reason), match.group(1) == "5"
    # No code at all: undeliverable, but nothing says it is for good.
    return "undeliverable (no status code in the bounce)", False


def parse(raw: bytes) -> Bounce | Skip:
    """One mail of the bounce mailbox. Strangers write there: a mail that trips the parser (an
    unknown charset, a broken structure) is skipped, not allowed to stop every later run."""
    try:
        return _parse(raw)
    except Exception as error:  # noqa: BLE001 (any mail must be skippable)
        return Skip(f"could not be read ({type(error).__name__})")


def _parse(raw: bytes) -> Bounce | Skip:
    mail = email.message_from_bytes(raw)
    if mail.get_content_type() == "multipart/report":
        if str(mail.get_param("report-type") or "").lower() != "delivery-status":
            return Skip("a report that is not about delivery (a read receipt?)")
        found = _from_report(mail)
    elif _looks_like_bounce(mail):
        found = _from_text(mail)
    else:
        return Skip("not a bounce (an ordinary or out-of-office mail)")
    if isinstance(found, Skip):
        return found
    ids = _original_ids(mail)
    if not ids:
        return Skip("no Message-ID of the original message found")
    return Bounce(message_ids=tuple(ids), reason=found[0], permanent=found[1])
