"""Letters as one printable PDF in DIN 5008 layout (form B), for window envelopes."""

from django.template.loader import render_to_string
from django.utils import timezone

from mitmachen.messaging.models import Mailing, Message


def letter_messages(mailing: Mailing, *, by_postcode: bool = False):
    letters = mailing.messages.filter(
        channel=Message.Channel.LETTER,
        status__in=[Message.Status.QUEUED, Message.Status.SENT]).select_related("contact")
    if by_postcode:
        return sorted(letters, key=lambda m: (m.to_address.splitlines()[-1:] or [""])[0])
    return list(letters.order_by("to_name", "id"))


def letters_pdf(mailing: Mailing, *, by_postcode: bool = False) -> bytes:
    """All of a mailing's letters in one PDF, one letter per page(s), then the recipient list."""
    from weasyprint import HTML

    letters = letter_messages(mailing, by_postcode=by_postcode)
    html = render_to_string("messaging/letters.html", {
        "mailing": mailing, "organisation": mailing.organisation, "letters": [
            {"message": m, "address": m.to_address.splitlines(),
             "paragraphs": [p for p in m.body_text.split("\n\n") if p.strip()]}
            for m in letters],
        "today": timezone.localdate(),
    })
    return HTML(string=html).write_pdf()
