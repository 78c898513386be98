"""Writes for organisations, their links, geography and places."""

from __future__ import annotations

from django.db import transaction

from mitmachen.core.updates import create_audited, delete_audited, update_audited
from mitmachen.organisations.models import (
    Cooperation,
    CooperationPartner,
    District,
    Municipality,
    Organisation,
    Place,
    UmbrellaMembership,
)

PROFILE_FIELDS = [
    "name", "short_name", "tagline", "about", "how_to_join", "contact_email", "contact_phone",
    "website", "is_public",
]
PLACE_FIELDS = [
    "name", "kind", "operator", "street", "postcode", "city", "district", "step_free",
    "accessible_toilet", "accessibility_notes", "is_public",
]


def organisation_create(
    *, name: str, slug: str, kind: str, level: int, actor, parent: Organisation | None = None,
    **profile,
) -> Organisation:
    organisation = Organisation(name=name, slug=slug, kind=kind, level=level, parent=parent,
                                **profile)
    with transaction.atomic():
        # The path holds the new primary key, so it is set once the row exists.
        organisation.path = "/pending/"
        create_audited(instance=organisation, actor=actor)
        prefix = parent.path if parent else "/"
        organisation.path = f"{prefix}{organisation.pk}/"
        Organisation.objects.filter(pk=organisation.pk).update(path=organisation.path)
    return organisation


def organisation_update(*, organisation: Organisation, data: dict, actor) -> dict:
    with transaction.atomic():
        return update_audited(instance=organisation, data=data, fields=PROFILE_FIELDS,
                              actor=actor)


def umbrella_member_add(
    *, umbrella: Organisation, member: Organisation, actor, since=None
) -> UmbrellaMembership:
    with transaction.atomic():
        link = UmbrellaMembership(umbrella=umbrella, member=member, since=since)
        return create_audited(instance=link, actor=actor)


def cooperation_create(
    *, name: str, slug: str, partners: list[Organisation], actor, description: str = ""
) -> Cooperation:
    with transaction.atomic():
        cooperation = create_audited(
            instance=Cooperation(name=name, slug=slug, description=description), actor=actor
        )
        for organisation in partners:
            create_audited(instance=CooperationPartner(cooperation=cooperation,
                                                       organisation=organisation), actor=actor)
    return cooperation


def municipality_create(*, name: str, slug: str, state: str, actor) -> Municipality:
    with transaction.atomic():
        return create_audited(instance=Municipality(name=name, slug=slug, state=state),
                              actor=actor)


def district_create(*, municipality: Municipality, name: str, slug: str, actor,
                    number: int | None = None) -> District:
    with transaction.atomic():
        return create_audited(
            instance=District(municipality=municipality, name=name, slug=slug, number=number),
            actor=actor,
        )


def place_create(*, organisation: Organisation, data: dict, actor) -> Place:
    unknown = set(data) - set(PLACE_FIELDS)
    if unknown:
        raise ValueError(f"fields not editable here: {sorted(unknown)}")
    with transaction.atomic():
        return create_audited(instance=Place(organisation=organisation, **data), actor=actor)


def place_update(*, place: Place, data: dict, actor) -> dict:
    with transaction.atomic():
        return update_audited(instance=place, data=data, fields=PLACE_FIELDS, actor=actor)


def place_delete(*, place: Place, actor) -> None:
    with transaction.atomic():
        delete_audited(instance=place, actor=actor)
