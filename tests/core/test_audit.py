import pytest
from django.core.exceptions import ValidationError

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.organisations import services as org

pytestmark = pytest.mark.django_db


def test_every_change_writes_an_audit_row_in_its_transaction(world):
    actor = world.users["kassel_board"]
    before = AuditEntry.objects.count()
    org.organisation_update(organisation=world.kassel, data={"tagline": "Neu"}, actor=actor)
    entry = AuditEntry.objects.first()
    assert AuditEntry.objects.count() == before + 1
    assert entry.action == AuditEntry.Action.UPDATE
    assert entry.actor == actor and entry.actor_label == actor.email
    assert entry.organisation == world.kassel
    assert entry.object_type == "organisations.organisation"
    assert entry.object_id == str(world.kassel.pk)
    assert entry.changes == {"tagline": ["", "Neu"]}


def test_a_change_that_fails_validation_writes_nothing(world):
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        org.organisation_update(organisation=world.kassel, data={"name": ""},
                                actor=world.users["kassel_board"])
    assert AuditEntry.objects.count() == before
    world.kassel.refresh_from_db()
    assert world.kassel.name == "Kassel"


def test_saving_without_change_writes_no_row(world):
    before = AuditEntry.objects.count()
    org.organisation_update(organisation=world.kassel, data={"name": "Kassel"}, actor=None)
    assert AuditEntry.objects.count() == before


def test_audit_entries_cannot_be_edited_or_deleted(world):
    entry = audit_record(actor=None, action=AuditEntry.Action.VIEW, object_repr="x")
    entry.object_repr = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="changed")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == "x"


def test_staff_read_of_the_team_list_is_logged(world, login):
    client = login("kassel_board")
    client.get("/staff/kassel/team/")
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW).first()
    assert entry.actor == world.users["kassel_board"]
    assert entry.organisation == world.kassel
    assert entry.via == "web"


def test_login_and_failed_login_are_logged(world, client):
    from tests.conftest import PASSWORD

    client.post("/accounts/login/", {"username": "kassel_board@example.org", "password": "nope"})
    assert AuditEntry.objects.filter(action="login_failed",
                                     object_repr="kassel_board@example.org").exists()
    client.post("/accounts/login/", {"username": "kassel_board@example.org",
                                     "password": PASSWORD})
    assert AuditEntry.objects.filter(action="login", actor=world.users["kassel_board"]).exists()
