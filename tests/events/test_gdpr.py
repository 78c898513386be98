import json

from mitmachen.core.models import AuditEntry
from mitmachen.events.models import Registration
from mitmachen.people import services as people
from mitmachen.people.gdpr import contact_erase


def test_export_and_erasure_reach_registrations(world, make_event, register):
    event = make_event(capacity=1)
    jorg = people.contact_create(organisation=world.kassel, actor=None, data={
        "first_name": "Jörg", "last_name": "Özdemir", "email": "joerg@example.org"})
    # registered on the public form before anyone linked him to his contact
    seat = register(event, "Jörg", email="joerg@example.org", last_name="Özdemir")
    waiting = register(event, "Ben")
    from mitmachen.core.gdpr import collect

    exported = collect(jorg)["event_registrations"]
    assert [r["status"] for r in exported] == [Registration.Status.CONFIRMED]
    contact_erase(contact=jorg, actor=world.users["kassel_board"])
    seat.refresh_from_db()
    waiting.refresh_from_db()
    assert seat.status == Registration.Status.CANCELLED
    assert (seat.first_name, seat.email, seat.answers) == ("–", "", {})
    assert waiting.status in (Registration.Status.OFFERED, Registration.Status.CONFIRMED)
    dump = json.dumps(list(AuditEntry.objects.values("object_repr", "changes")),
                      ensure_ascii=False)
    assert "Özdemir" not in dump and "joerg@example.org" not in dump
