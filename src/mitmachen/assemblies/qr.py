"""QR codes for check-in (in the invitation letter and on the member's phone)."""

import segno
from django.conf import settings

from mitmachen.assemblies.access import checkin_code
from mitmachen.assemblies.models import Participant


def checkin_url(participant: Participant) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("assemblies:checkin_code", args=[checkin_code(participant)])


def checkin_svg(participant: Participant, scale: int = 4) -> str:
    """An inline SVG (no XML declaration) of the check-in QR code."""
    return segno.make(checkin_url(participant), error="m").svg_inline(scale=scale,
                                                                     title=None)
