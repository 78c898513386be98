"""Bounce processing: real bounce mails, built with the email package, in an mbox and a Maildir."""

import email
import email.header
import io
import mailbox
from email.message import Message as Mail
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from django.core.management import CommandError, call_command

from mitmachen.core.models import AuditEntry
from mitmachen.messaging import bounces, dsn, mailings, outbox
from mitmachen.messaging.models import Message
from mitmachen.people import services

pytestmark = pytest.mark.django_db
BASE = "http://testserver"


@pytest.fixture
def sent(world, smtp_server):
    """Two e-mails of a mailing, accepted by the SMTP server: {first name: (Message, raw mail)}."""
    for name in ("Erika", "Frieda"):
        contact = services.contact_create(organisation=world.kassel, actor=None, status="member",
                                          data={"first_name": name,
                                                "email": f"{name.lower()}@example.org"})
        services.consent_record(contact=contact, channel="email", purpose="invitations",
                                granted=True, source="staff", text_version="v1", actor=None)
    mailing = mailings.mailing_create(
        organisation=world.kassel, subject="Einladung", body="{{ anrede }} komm vorbei.",
        purpose="invitations", audience={"kind": "members"}, actor=None)
    mailings.mailing_send(mailing=mailing, actor=None, base_url=BASE)
    assert outbox.deliver() == 2
    by_id = dict(zip(smtp_server.message_ids(), smtp_server.messages, strict=True))
    return {m.contact.first_name: (m, by_id[m.message_id])
            for m in Message.objects.filter(mailing=mailing).select_related("contact")}


def delivery_report(original: bytes, *, status="5.1.1", action="failed",
                    diagnostic="smtp; 550 5.1.1 <erika@example.org>: Recipient address "
                               "rejected: User unknown in virtual mailbox table") -> bytes:
    """An RFC 3464 report as Postfix writes it: text, message/delivery-status, message/rfc822."""
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = "MAILER-DAEMON@mail.example.org (Mail Delivery System)"
    report["To"] = "noreply@kassel.example.org"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = "<20261121.dsn.1@mail.example.org>"
    report["Auto-Submitted"] = "auto-replied"
    report.attach(MIMEText("This is the mail system at host mail.example.org.\n\n"
                           "I'm sorry to have to inform you that your message could not\n"
                           "be delivered to one or more recipients.\n"))
    status_part = Mail()
    status_part["Content-Type"] = "message/delivery-status"
    per_message, per_recipient = Mail(), Mail()
    per_message["Reporting-MTA"] = "dns; mail.example.org"
    per_message["Arrival-Date"] = "Sat, 21 Nov 2026 08:00:00 +0100 (CET)"
    per_recipient["Final-Recipient"] = "rfc822; erika@example.org"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    per_recipient["Diagnostic-Code"] = diagnostic
    status_part.attach(per_message)
    status_part.attach(per_recipient)
    report.attach(status_part)
    report.attach(MIMEMessage(email.message_from_bytes(original)))
    return report.as_bytes()


def plain_bounce(original: bytes, *, reply="452 4.2.2 <frieda@example.org>: Mailbox full") \
        -> bytes:
    """An Exim-style bounce: one text part that quotes the original headers."""
    headers = original.split(b"\n\n", 1)[0].decode().replace("\r", "")
    mail = MIMEText(
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. The following address(es) failed:\n\n"
        "  frieda@example.org\n"
        "    host mx.example.org [192.0.2.10]\n"
        "    SMTP error from remote mail server after RCPT TO:<frieda@example.org>:\n"
        f"    {reply}\n\n"
        "------ This is a copy of the message's headers. ------\n\n"
        "Received: from relay (10.5.1.2) by mx.example.org\n" + headers + "\n")
    mail["From"] = "Mail Delivery System <Mailer-Daemon@mx.example.org>"
    mail["To"] = "noreply@kassel.example.org"
    mail["Subject"] = "Mail delivery failed: returning message to sender"
    mail["X-Failed-Recipients"] = "frieda@example.org"
    return mail.as_bytes()


def out_of_office(original_id: str) -> bytes:
    """An automatic reply that names our message in In-Reply-To: not a bounce."""
    mail = MIMEText("Ich bin bis Montag nicht im Büro.")
    mail["From"] = "Erika <erika@example.org>"
    mail["Subject"] = "Abwesenheitsnotiz: Einladung"
    mail["In-Reply-To"] = original_id
    mail["Auto-Submitted"] = "auto-replied"
    return mail.as_bytes()


def _fill(box, mails):
    for raw in mails:
        box.add(raw)
    box.flush()
    box.close()


def _run(*args) -> str:
    out = io.StringIO()
    call_command("bounces", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def _audit(message):
    return AuditEntry.objects.filter(object_type="messaging.message", object_id=str(message.pk))


def test_bounces_in_an_mbox_mark_the_right_messages(sent, tmp_path):
    erika, erika_raw = sent["Erika"]
    frieda, frieda_raw = sent["Frieda"]
    stranger = delivery_report(erika_raw.replace(erika.message_id.encode(),
                                                 b"<unknown.42@elsewhere.example>"))
    path = tmp_path / "bounces.mbox"
    _fill(mailbox.mbox(path), [delivery_report(erika_raw), plain_bounce(frieda_raw), stranger,
                               out_of_office(frieda.message_id)])

    report = _run(path)

    erika.refresh_from_db()
    frieda.refresh_from_db()
    assert erika.bounced_at and erika.bounce_permanent and erika.status == "sent"
    assert erika.bounce_reason.startswith("5.1.1 smtp; 550 5.1.1 <erika@example.org>")
    assert frieda.bounced_at and not frieda.bounce_permanent
    assert frieda.bounce_reason == "4.2.2 452 4.2.2 <frieda@example.org>: Mailbox full"
    assert "unknown Message-ID <unknown.42@elsewhere.example>, ignored" in report
    assert "skipped, not a bounce" in report  # the out-of-office reply marks nothing
    assert "4 mails: 2 marked as bounced, 0 already recorded, 1 unknown" in report
    (entry,) = _audit(erika).filter(action="update")
    assert entry.changes == {"bounce": [None, "5.1.1"], "bounce_permanent": [False, True]}
    assert entry.via == "cli" and "erika@" not in str(entry.changes)

    # The same mails again: nothing changes, not even the time.
    again = _run(path)
    assert "2 already recorded" in again and "0 marked" in again
    assert Message.objects.get(pk=erika.pk).bounced_at == erika.bounced_at
    assert _audit(erika).filter(action="update").count() == 1
    # Once recorded, --delete empties the mbox (under its lock).
    assert "2 already recorded" in _run(path, "--delete")
    assert len(mailbox.mbox(path)) == 0 and "0 mails" in _run(path)


def test_a_maildir_with_headers_only_reports_and_delete(sent, tmp_path):
    erika, erika_raw = sent["Erika"]
    frieda, _raw = sent["Frieda"]
    # A report that returns only the headers (text/rfc822-headers) ...
    headers_only = email.message_from_bytes(delivery_report(erika_raw))
    returned = headers_only.get_payload()[2]
    returned.set_payload(erika_raw.split(b"\r\n\r\n", 1)[0].decode() + "\n")
    returned.replace_header("Content-Type", "text/rfc822-headers")
    # ... and a plain bounce that only says which message it answers.
    referencing = MIMEText("Delivery to the following recipient failed permanently:\n\n"
                           "     frieda@example.org\n\n550 5.1.2 The domain does not exist.")
    referencing["From"] = "postmaster@example.org"
    referencing["Subject"] = "Delivery Status Notification (Failure)"
    referencing["References"] = f"<older@example.org> {frieda.message_id}"
    path = tmp_path / "Maildir"
    _fill(mailbox.Maildir(path), [headers_only.as_bytes(), referencing.as_bytes()])

    report = _run(path, "--delete")

    assert "2 mails: 2 marked as bounced" in report
    erika.refresh_from_db()
    frieda.refresh_from_db()
    assert erika.bounce_reason.startswith("5.1.1") and erika.bounce_permanent
    assert frieda.bounce_reason == "5.1.2 550 5.1.2 The domain does not exist."
    assert frieda.bounce_permanent
    assert len(mailbox.Maildir(path)) == 0  # recorded, then removed
    assert "0 mails" in _run(path)


def test_malformed_mailboxes_are_refused_and_change_nothing(sent, tmp_path):
    erika, erika_raw = sent["Erika"]
    not_mbox = tmp_path / "bounce.eml"
    not_mbox.write_bytes(delivery_report(erika_raw))  # one mail, not an mbox
    not_maildir = tmp_path / "folder"
    not_maildir.mkdir()
    for path, error in [(not_mbox, "is not an mbox file"), (not_maildir, "not a Maildir"),
                        (tmp_path / "missing", "does not exist")]:
        with pytest.raises(CommandError, match=error):
            _run(path)
    assert not Message.objects.filter(bounced_at__isnull=False).exists()
    assert not AuditEntry.objects.filter(object_type="messaging.message").exists()


def test_a_temporary_bounce_does_not_weaken_a_permanent_one(sent):
    erika, _raw = sent["Erika"]
    record = bounces.bounce_record
    assert record(message_id=erika.message_id, reason="4.2.2 full", permanent=False) == "marked"
    assert record(message_id=erika.message_id, reason="5.1.1 unknown", permanent=True) \
        == "marked"
    assert record(message_id=erika.message_id, reason="4.2.2 full", permanent=False) \
        == "unchanged"
    erika.refresh_from_db()
    assert erika.bounce_reason == "5.1.1 unknown" and erika.bounce_permanent
    assert record(message_id="<nope@example.org>", reason="5.1.1", permanent=True) == "unknown"


def test_bounces_after_an_erasure_are_ignored(sent):
    from mitmachen.people.gdpr import contact_erase

    erika, _raw = sent["Erika"]
    bounces.bounce_record(message_id=erika.message_id, reason="5.1.1 <erika@example.org>",
                          permanent=True)
    contact_erase(contact=erika.contact, actor=None)
    erika.refresh_from_db()
    assert erika.bounce_reason == ""  # it quoted the address
    assert bounces.bounce_record(message_id=erika.message_id, reason="5.1.1 <erika@example.org>",
                                 permanent=True) == "erased"


def test_delay_and_success_notices_mark_nothing(sent):
    erika, erika_raw = sent["Erika"]
    delayed = dsn.parse(delivery_report(erika_raw, action="delayed", status="4.4.1"))
    delivered = dsn.parse(delivery_report(erika_raw, action="delivered", status="2.0.0"))
    assert isinstance(delayed, dsn.Skip) and isinstance(delivered, dsn.Skip)
    found = dsn.parse(delivery_report(erika_raw))
    assert found.message_ids[0] == erika.message_id and found.permanent
    assert isinstance(dsn.parse(b"\x00\xff\r\n\r\n"), dsn.Skip)
    odd = plain_bounce(erika_raw).replace(b'charset="us-ascii"', b'charset="x-klingon"')\
        .replace(b'charset="utf-8"', b'charset="x-klingon"')
    assert b"x-klingon" in odd and dsn.parse(odd).reason.startswith("4.2.2")
    german = MIMEText("Ihre Nachricht konnte nicht zugestellt werden.\n\n550 5.1.1 unbekannt\n"
                      f"Message-ID: {erika.message_id}\n")
    german["From"] = "Exchange <exchange@example.org>"
    german["Subject"] = email.header.Header("Unzustellbar: Einladung für dich", "utf-8")
    assert b"=?utf-8?" in german.as_bytes()
    found = dsn.parse(german.as_bytes())
    assert found.message_ids == (erika.message_id,) and found.reason == "5.1.1 550 5.1.1 unbekannt"


def test_staff_see_bounces_next_to_failures(world, sent, login):
    erika, _raw = sent["Erika"]
    bounces.bounce_record(message_id=erika.message_id,
                          reason="5.1.1 smtp; 550 5.1.1 user unknown", permanent=True)
    client = login("kassel_board")
    html = client.get("/staff/kassel/mailings/").content.decode()
    assert 'id="bounces"' in html and "5.1.1 smtp; 550 5.1.1 user unknown" in html
    assert "erika@example.org" in html and erika.contact.get_absolute_url() in html
    detail = client.get(f"/staff/kassel/mailings/{erika.mailing_id}/").content.decode()
    assert "5.1.1 smtp; 550 5.1.1 user unknown" in detail
    assert "/staff/kassel/mailings/#bounces" in client.get("/dashboard/").content.decode()
    other = login("duesseldorf_board").get("/staff/duesseldorf/mailings/").content.decode()
    assert "user unknown" not in other
