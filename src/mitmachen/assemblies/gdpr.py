"""A person's part in assemblies, in the GDPR export and erasure.

Erasure keeps what the organisation must keep as a record of its decisions (that a voting member
was invited, attended, spoke; votes) but no longer says who: the participant's name becomes a
placeholder and the address an invitation went to is blanked. Election results and approved
minutes are the organisation's statutory record (GDPR Art. 17(3)(b)) and keep candidates' names.
Secret ballots never held a name in the first place."""

from mitmachen.assemblies.models import Invitation, MotionSupporter, Participant
from mitmachen.events.models import new_nonce

ERASED = "–"


def export_part(contact) -> dict:
    participations = Participant.objects.filter(contact=contact).select_related(
        "assembly__event").prefetch_related("invitations", "attendance", "speaker_requests")
    return {"assemblies": [
        {"assembly": p.assembly.event.title, "date": p.assembly.event.starts_at.isoformat(),
         "as": p.kind, "quota_category": p.quota_category,
         "invitations": [{"kind": i.kind, "channel": i.channel, "address": i.address,
                          "sent_at": i.created_at.isoformat()} for i in p.invitations.all()],
         "attendance": [{"action": a.action, "at": a.at.isoformat()}
                        for a in p.attendance.all()],
         "speeches": [{"item": s.item.title, "kind": s.kind, "status": s.status}
                      for s in p.speaker_requests.select_related("item")],
         "motions_submitted": [[m.number, m.title]
                               for m in contact.motions.filter(assembly=p.assembly)],
         }
        for p in participations
    ]}


def erase_part(contact) -> None:
    participants = Participant.objects.filter(contact=contact)
    Invitation.objects.filter(participant__in=participants).update(address="")
    contact.motions.update(submitter_name=ERASED, submitter=None)
    MotionSupporter.objects.filter(contact=contact).delete()
    # A new nonce: the personal link, its QR code and live-view link stop working.
    for participant in participants:
        participant.name, participant.contact, participant.nonce = ERASED, None, new_nonce()
        participant.save(update_fields=["name", "contact", "nonce", "updated_at"])
