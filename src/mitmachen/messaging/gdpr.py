"""A person's messages in the GDPR export and erasure."""

from mitmachen.messaging.models import Message


def export_part(contact) -> dict:
    return {"messages": [
        {"channel": m.channel, "subject": "" if m.sensitive else m.subject, "status": m.status,
         "created_at": m.created_at.isoformat(),
         "sent_at": m.sent_at.isoformat() if m.sent_at else None,
         "bounced_at": m.bounced_at.isoformat() if m.bounced_at else None,
         "bounce_reason": m.bounce_reason}
        for m in _messages(contact).order_by("created_at")]}


def _messages(contact):
    """Messages to the contact, and to their address in the organisation (event registrants
    who were no contact yet when they registered)."""
    from django.db.models import Q

    condition = Q(contact=contact)
    if contact.email:
        condition |= Q(organisation=contact.organisation, to_address__iexact=contact.email)
    return Message.objects.filter(condition)


def erase_part(contact) -> None:
    # The delivery record stays (that something was sent, and when); what it said and where to
    # does not. Queued messages to the person are not sent any more.
    messages = Message.objects.filter(pk__in=_messages(contact).values("pk"))
    messages.filter(status__in=[Message.Status.QUEUED, Message.Status.SENDING]).update(
        status=Message.Status.FAILED, last_error="recipient erased")
    messages.update(to_address="[erased]", to_name="", subject="", body_text="", body_html="",
                    attachments=[], headers={}, bounce_reason="")
