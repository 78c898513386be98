from datetime import timedelta

from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from mitmachen.core.dashboard import Item
from mitmachen.core.roles import Role
from mitmachen.events.models import Event


def items(user, organisation, roles):
    if not roles & {Role.BOARD, Role.EVENT_ORGANISER}:
        return []
    now = timezone.now()
    unsettled = Event.objects.filter(
        organisation=organisation, starts_at__gte=now, starts_at__lte=now + timedelta(weeks=8)
    ).filter(
        Q(status=Event.Status.TENTATIVE) | Q(place__isnull=True, is_online=False)
    ).exclude(status=Event.Status.CANCELLED)
    found = []
    for event in unsettled:
        when = formats.date_format(timezone.localtime(event.starts_at), "SHORT_DATE_FORMAT")
        if event.status == Event.Status.TENTATIVE:
            text = _("%(date)s %(title)s: not yet confirmed")
        else:
            text = _("%(date)s %(title)s: no venue yet")
        found.append(Item(text % {"date": when, "title": event.title}, level="warning"))
    return found
