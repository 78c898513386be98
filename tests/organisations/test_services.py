import pytest
from django.core.exceptions import ValidationError

from mitmachen.organisations import services as org
from mitmachen.organisations.models import Organisation, Place, UmbrellaMembership

pytestmark = pytest.mark.django_db


def test_tree_paths_give_ancestors_and_descendants(world):
    assert world.ortsverband.path == f"/{world.federal.pk}/{world.hessen.pk}/{world.kassel.pk}/" \
        f"{world.ortsverband.pk}/"
    assert list(world.ortsverband.ancestors()) == [world.federal, world.hessen, world.kassel]
    assert set(world.hessen.descendants()) == {world.kassel, world.ortsverband}


def test_a_child_must_sit_below_its_parent(world):
    with pytest.raises(ValidationError):
        org.organisation_create(name="Falsch", slug="falsch", kind="party_branch",
                                level=Organisation.Level.STATE, parent=world.kassel, actor=None)
    assert not Organisation.objects.filter(slug="falsch").exists()


def test_umbrella_members_are_linked_not_nested(world):
    assert world.member_org.parent is None
    assert UmbrellaMembership.objects.filter(umbrella=world.umbrella,
                                             member=world.member_org).exists()
    with pytest.raises(ValidationError):
        org.umbrella_member_add(umbrella=world.kassel, member=world.member_org, actor=None)
    with pytest.raises(ValidationError):
        org.umbrella_member_add(umbrella=world.umbrella, member=world.umbrella, actor=None)


def test_cooperation_of_two_organisations(world):
    coop = org.cooperation_create(name="Netzwerk", slug="netz",
                                  partners=[world.kassel, world.duesseldorf], actor=None)
    assert set(coop.partners.all()) == {world.kassel, world.duesseldorf}
    assert coop in world.kassel.cooperations.all()


@pytest.mark.parametrize("data", [
    {"name": ""},
    {"name": "x" * 201},
    {"name": "Büro\x00"},
    {"kind": "castle"},
    {"step_free": "maybe"},
])
def test_bad_place_data_changes_nothing(world, data):
    count = Place.objects.count()
    with pytest.raises(ValidationError):
        org.place_create(organisation=world.kassel, data={"name": "Neu", **data}, actor=None)
    with pytest.raises(ValidationError):
        org.place_update(place=world.kassel_office, data=data, actor=None)
    assert Place.objects.count() == count
    world.kassel_office.refresh_from_db()
    assert world.kassel_office.name == "Parteibüro"


def test_services_refuse_fields_they_do_not_edit(world):
    with pytest.raises(ValueError):
        org.place_update(place=world.kassel_office, data={"organisation": world.duesseldorf},
                         actor=None)
