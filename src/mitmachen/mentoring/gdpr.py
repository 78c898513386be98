"""A person's mentoring applications in the GDPR export and erasure.

Applications are found by the account they were made with and by the contact's e-mail address
(most people apply on the public form without an account), both only within the contact's
organisation: the export and the erasure are made by that organisation's staff, and an
application to another organisation's programme is none of their business.

Erasure withdraws what is still running through the service (so a mentee left without her
mentor is matched again and the coordinator learns that a place is free), then anonymises as
the retention period does (mentoring/retention.py): the application's details, the pair's
meeting summaries and goals, the person's own private notes and feedback text. The partner's
private notes are the partner's own and stay. (Registered in core/gdpr.py before messaging's
eraser, which then also blanks what was ever e-mailed to the person's address.)
"""

from django.db.models import Q

from mitmachen.mentoring.models import (
    Application,
    Feedback,
    Goal,
    Meeting,
    Pairing,
    PrivateNote,
)


def _applications(contact):
    condition = Q()
    if contact.user_id:
        condition |= Q(user_id=contact.user_id)
    if contact.email:
        condition |= Q(email__iexact=contact.email)
    if not condition:
        return Application.objects.none()
    return (Application.objects.filter(condition, programme__organisation=contact.organisation)
            .select_related("programme").order_by("pk"))


def _date(value):
    return value.isoformat() if value else None


def _pairing(pairing: Pairing, role: str) -> dict:
    return {
        "status": pairing.status, "my_answer": getattr(pairing, f"{role}_answer"),
        "proposed_at": _date(pairing.created_at), "started_at": _date(pairing.started_at),
        "ended_at": _date(pairing.ended_at),
        "meetings": [{"held_on": _date(m.held_on), "kind": m.kind, "minutes": m.minutes,
                      "summary": m.summary, "logged_by": m.logged_by}
                     for m in Meeting.objects.filter(pairing=pairing).order_by("held_on", "pk")],
        "goals": [{"title": g.title, "status": g.status}
                  for g in Goal.objects.filter(pairing=pairing).order_by("pk")],
        # Only the person's own notes and feedback: the partner's are the partner's data.
        "my_private_notes": [{"text": n.text, "written_at": _date(n.created_at)} for n in
                             PrivateNote.objects.filter(pairing=pairing, author=role)
                             .order_by("pk")],
        "my_feedback": [{"rating": f.rating, "text": f.text} for f in
                        Feedback.objects.filter(pairing=pairing, author=role)],
    }


def export_part(contact) -> dict:
    items = []
    for a in _applications(contact):
        pairings = Pairing.objects.filter(**{a.role: a}).order_by("pk")
        items.append({
            "programme": a.programme.title, "role": a.role, "status": a.status,
            "applied_at": _date(a.created_at), "consent_at": _date(a.consent_at),
            "name": a.name, "email": a.email, "phone": a.phone, "gender": a.gender,
            "district": a.district, "fields": a.fields, "bodies": a.bodies,
            "activities": a.activities, "times": a.times, "languages": a.languages,
            "accessibility_needs": a.needs, "accessibility_offered": a.offers,
            "binding_wishes": a.requires, "hours_per_month": a.hours_per_month,
            "mentees_i_can_take": a.capacity if a.role == Application.Role.MENTOR else None,
            "goals": a.goals, "experience": a.experience,
            "other_commitments": a.other_commitments,
            "avoid": a.avoid,
            "coordinator_note": a.coordinator_note,
            "waiting_since": _date(a.waiting_since),
            "pairings": [_pairing(p, a.role) for p in pairings],
        })
    return {"mentoring_applications": items}


def erase_part(contact) -> None:
    from mitmachen.mentoring import retention, services

    applications = list(_applications(contact))
    if not applications:
        return
    ids = [a.pk for a in applications]
    for application in applications:
        if application.status in services.GONE:
            continue
        # The name goes first, so that the coordinator's notice of the withdrawal does not
        # carry it into a new e-mail.
        Application.objects.filter(pk=application.pk).update(name=retention.ERASED)
        application.refresh_from_db()
        services.application_withdraw(application=application, actor=None)
    pairings = Pairing.objects.filter(Q(mentee_id__in=ids) | Q(mentor_id__in=ids))
    # The partner's own notes are not the erased person's data: only theirs are deleted.
    own_notes = Q()
    for application in applications:
        own_notes |= Q(pairing__in=pairings.filter(**{application.role: application}),
                       author=application.role)
    retention.anonymise(ids, pairings=pairings, notes_of=own_notes, feedback_of=own_notes)
