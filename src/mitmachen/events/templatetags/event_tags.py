"""Tags for the event lists: the same output as the `public_when`, `public_status` and
`public_venue` includes, built in Python because a calendar page shows fifty events and an
include per line cost more than the database does."""

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from mitmachen.events.models import Event

register = template.Library()
LONG = "D, j. F Y, H:i"
SHOWN = {Event.Status.TENTATIVE, Event.Status.CANCELLED, Event.Status.POSTPONED}


def _iso(moment) -> str:
    return timezone.localtime(moment).isoformat()


@register.simple_tag
def event_when(event: Event) -> str:
    starts = timezone.localtime(event.starts_at)
    text = format_html('<time datetime="{}">{}</time>', _iso(starts),
                       formats.date_format(starts, LONG))
    if event.ends_at:
        ends = timezone.localtime(event.ends_at)
        shown = formats.time_format(ends, "H:i") if ends.date() == starts.date() \
            else formats.date_format(ends, LONG)
        text += format_html(' – <time datetime="{}">{}</time>', _iso(ends), shown)
    return text


@register.simple_tag
def event_status(event: Event) -> str:
    if event.status not in SHOWN:
        return ""
    return format_html('<span class="badge warn">{}</span>', event.get_status_display())


@register.simple_tag
def event_venue(event: Event) -> str:
    parts = []
    if event.place_id:
        place = event.place
        parts.append(f"{place.name}, {place.address}" if place.address and place.is_public
                     else place.name)
    if event.venue_note:
        parts.append(event.venue_note)
    if event.is_online:
        parts.append(_("Online"))
    return format_html("{}", " · ".join(parts) or _("Venue to be announced"))
