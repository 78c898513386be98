"""A member's part in assemblies: in their export, and anonymised by erasure."""

from mitmachen.assemblies import attendance, invitations, services
from mitmachen.assemblies.models import Invitation, Participant
from mitmachen.core.gdpr import collect
from mitmachen.people.gdpr import contact_erase
from tests.assemblies.conftest import voter


def _invited(assembly):
    services.item_create(assembly=assembly, title="Bericht", actor=None)
    invitations.invitation_send(assembly=assembly, actor=None)


def test_export_lists_invitations_and_attendance(assembly):
    _invited(assembly)
    rosa = voter(assembly, "Rosa")
    attendance.check_in(participant=rosa, actor=None)
    data = collect(rosa.contact)["assemblies"]
    assert data[0]["assembly"] == "Kreismitgliederversammlung"
    assert data[0]["invitations"][0]["address"] == "rosa@example.org"
    assert data[0]["attendance"][0]["action"] == "arrived"


def test_erasure_keeps_the_record_but_not_the_person(assembly):
    _invited(assembly)
    rosa = voter(assembly, "Rosa")
    contact = rosa.contact
    contact_erase(contact=contact, actor=None)
    erased = Participant.objects.get(pk=rosa.pk)
    assert erased.contact is None and "Rosa" not in erased.name
    invitation = Invitation.objects.get(participant=erased)
    assert invitation.address == "" and invitation.content_sha256  # proof that one was sent
    assert assembly.participants.filter(kind="voter").count() == 6


def test_erasure_ends_the_personal_link(assembly, client):
    from mitmachen.assemblies.access import participant_token

    rosa = voter(assembly, "Rosa")
    token = participant_token(rosa)
    assert client.get(f"/a/{token}/").status_code == 200
    contact_erase(contact=rosa.contact, actor=None)
    assert client.get(f"/a/{token}/").status_code == 404
