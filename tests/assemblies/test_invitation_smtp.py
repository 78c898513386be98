"""An invitation travels through the outbox worker's delivery to a real SMTP server (aiosmtpd),
arrives with the member's personal link, and the hash on record matches what arrived."""

import email
import hashlib
from email import policy

from mitmachen.assemblies import invitations, services
from mitmachen.assemblies.access import participant_token
from mitmachen.assemblies.models import Invitation
from mitmachen.messaging import outbox
from mitmachen.messaging.models import Message
from tests.assemblies.conftest import voter
from tests.messaging import conftest as messaging

smtp_server = messaging.smtp_server  # a real SMTP server in this process


def received(server) -> dict[str, tuple[str, str, str]]:
    """Recipient address -> (subject, text part, HTML part) of every accepted message."""
    found = {}
    for raw, recipients in zip(server.messages, server.rcpt, strict=True):
        parsed = email.message_from_bytes(raw, policy=policy.default)
        text = parsed.get_body(preferencelist=("plain",)).get_content()
        html = parsed.get_body(preferencelist=("html",)).get_content()
        for recipient in recipients:
            found[recipient.lower()] = (str(parsed["Subject"]), text, html)
    return found


def test_invitation_reaches_the_smtp_server_with_link_and_matching_hash(assembly, smtp_server):
    services.item_create(assembly=assembly, title="Eröffnung & Begrüßung", actor=None,
                         minutes_estimate=10)
    invitations.invitation_send(assembly=assembly, actor=None)

    assert outbox.deliver() == 5  # the letter is posted by hand, not by the worker
    mails = received(smtp_server)
    assert set(mails) == {"rosa@example.org", "clara@example.org", "karl@example.org",
                          "august@example.org", "paul@example.org"}

    rosa = voter(assembly, "Rosa")
    subject, text, html = mails["rosa@example.org"]
    link = f"/a/{participant_token(rosa)}/"
    assert link in text and link in html
    assert "Eröffnung & Begrüßung" in text and "Eröffnung &amp; Begrüßung" in html
    for other in ("Clara", "Karl", "August", "Paul"):
        assert participant_token(voter(assembly, other)) not in text

    proof = Invitation.objects.select_related("message").get(participant=rosa)
    arrived = f"{subject}\n\n{text.replace(chr(13) + chr(10), chr(10))}".encode()
    assert hashlib.sha256(arrived).hexdigest() == proof.content_sha256
    assert proof.message.status == Message.Status.SENT and proof.message.sent_at
    # the personal link is a key: the outbox keeps that it was sent, not what it said
    assert proof.message.body_text == "" and proof.message.body_html == ""
    assert invitations.proof(assembly).by_email == 5

    assert outbox.deliver() == 0  # nothing goes out twice
    assert len(smtp_server.messages) == 5
