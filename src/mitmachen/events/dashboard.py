from datetime import timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mitmachen.core.dashboard import Item
from mitmachen.core.roles import Role
from mitmachen.events.models import Event, Registration


def _per_event(organisation, **lookup):
    return Registration.objects.filter(event__organisation=organisation, **lookup).values(
        "event_id", "event__title").annotate(n=Count("pk")).order_by("event__starts_at")


def items(user, organisation, roles):
    if not roles & {Role.BOARD, Role.EVENT_ORGANISER}:
        return []
    now = timezone.now()
    found = []

    def detail(event_id, part):
        return reverse("events:staff_detail", args=[organisation.slug, event_id]) + part

    for row in _per_event(organisation, status=Registration.Status.PENDING,
                          event__starts_at__gte=now):
        text = ngettext("%(title)s: %(n)d registration awaits approval",
                        "%(title)s: %(n)d registrations await approval", row["n"])
        found.append(Item(text % {"title": row["event__title"], "n": row["n"]},
                          url=detail(row["event_id"], "#pending")))
    # An offer nobody accepts in time moves the seat on; a call may still save it.
    for row in _per_event(organisation, status=Registration.Status.OFFERED,
                          offer_expires_at__gt=now,
                          offer_expires_at__lte=now + timedelta(hours=24)):
        text = ngettext("%(title)s: %(n)d seat offer expires within 24 hours",
                        "%(title)s: %(n)d seat offers expire within 24 hours", row["n"])
        found.append(Item(text % {"title": row["event__title"], "n": row["n"]},
                          url=detail(row["event_id"], "#offered")))

    unsettled = Event.objects.filter(
        organisation=organisation, starts_at__gte=now, starts_at__lte=now + timedelta(weeks=8)
    ).filter(
        Q(status=Event.Status.TENTATIVE) | Q(place__isnull=True, is_online=False)
    ).exclude(status=Event.Status.CANCELLED)
    for event in unsettled:
        when = formats.date_format(timezone.localtime(event.starts_at), "SHORT_DATE_FORMAT")
        if event.status == Event.Status.TENTATIVE:
            text = _("%(date)s %(title)s: not yet confirmed")
        else:
            text = _("%(date)s %(title)s: no venue yet")
        found.append(Item(text % {"date": when, "title": event.title}, level="warning",
                          url=reverse("events:staff_edit", args=[organisation.slug, event.pk])))
    return found
