from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from mitmachen.events.models import Event
from mitmachen.groups.models import Group
from mitmachen.organisations.models import Organisation, Place


def public_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(is_public=True).order_by("path")


@dataclass
class MitmachenPage:
    organisation: Organisation
    groups_by_kind: list[tuple[str, list[Group]]]
    founding_groups: list[Group]
    next_events: list[Event]
    places: list[Place]
    parent: Organisation | None
    children: list[Organisation]
    umbrellas: list[Organisation]
    members: list[Organisation]
    cooperations: list


def mitmachen_page(organisation: Organisation, *, events: int = 8) -> MitmachenPage:
    groups = list(
        Group.objects.filter(organisation=organisation, visibility=Group.Visibility.PUBLIC)
        .exclude(status=Group.Status.DISSOLVED)
        .prefetch_related("districts")
    )
    by_kind: dict[str, list[Group]] = {}
    for group in groups:
        if group.status != Group.Status.FOUNDING:
            by_kind.setdefault(group.get_kind_display(), []).append(group)
    # Events the organisation hosts, or co-hosts through a cooperation.
    next_events = list(
        Event.objects.filter(
            Q(organisation=organisation) | Q(cooperation__partners=organisation),
            visibility=Event.Visibility.PUBLIC,
            starts_at__gte=timezone.now(),
        )
        .exclude(status=Event.Status.CANCELLED)
        .select_related("place", "cooperation", "organisation")
        .distinct()
        .order_by("starts_at")[:events]
    )
    return MitmachenPage(
        organisation=organisation,
        groups_by_kind=list(by_kind.items()),
        founding_groups=[g for g in groups if g.status == Group.Status.FOUNDING],
        next_events=next_events,
        places=list(organisation.places.filter(is_public=True).select_related("district")),
        parent=organisation.parent if organisation.parent and organisation.parent.is_public
        else None,
        children=list(organisation.children.filter(is_public=True)),
        umbrellas=[link.umbrella for link in organisation.umbrella_links.filter(
            umbrella__is_public=True).select_related("umbrella")],
        # Member organisations are listed by name even when they have no public page.
        members=[link.member for link in organisation.member_links.select_related("member")],
        cooperations=list(organisation.cooperations.all()),
    )
