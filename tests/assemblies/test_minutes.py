"""Minutes: the draft tells the record; the minute-taker edits; the PDF carries the appendices."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from pypdf import PdfReader

from mitmachen.assemblies import minutes, services
from mitmachen.assemblies.models import (
    AgendaItem,
    AttendanceEntry,
    Candidate,
    ChairAction,
    Election,
    Invitation,
    Minutes,
    Motion,
    Resolution,
    SpeakerRequest,
    Vote,
)
from mitmachen.assemblies.rules import quota
from mitmachen.core.models import AuditEntry
from tests.assemblies.conftest import voter


def _record(assembly, world):
    """A small session written straight into the record (the services have their own tests)."""
    now = timezone.now()
    board = world.users["kassel_board"]
    services.assembly_update(assembly=assembly, actor=None, data={"chair": board})
    item = services.item_create(assembly=assembly, title="Wahl des Vorstands", actor=None,
                                kind=AgendaItem.Kind.ELECTION, notes="Die Wahl leitet Paul.")
    rosa, karl = voter(assembly, "Rosa"), voter(assembly, "Karl")
    for participant in (rosa, karl, voter(assembly, "Clara")):
        AttendanceEntry.objects.create(participant=participant, action="arrived",
                                       at=now - timedelta(minutes=30))
        participant.present = True
        participant.save()
    SpeakerRequest.objects.create(item=item, participant=rosa, category="flinta",
                                  status="done", requested_at=now, started_at=now,
                                  ended_at=now)
    SpeakerRequest.objects.create(item=item, participant=karl, kind="point_of_order",
                                  category="open", status="done", requested_at=now,
                                  started_at=now + timedelta(seconds=1), ended_at=now)
    ChairAction.objects.create(item=item, action="pin", reason="Rednerin mit Kind",
                               at=now)
    motion = Motion.objects.create(assembly=assembly, item=item, number="A1",
                                   title="Mietendeckel jetzt", text="Wir fordern …",
                                   submitter_name="Rosa Roth", status="adopted",
                                   recommendation="adopt")
    vote = Vote.objects.create(assembly=assembly, item=item, motion=motion,
                               question="Antrag A1 annehmen?", method="cards", yes=20, no=3,
                               abstain=1, status="closed", adopted=True)
    Resolution.objects.create(organisation=assembly.organisation, assembly=assembly, vote=vote,
                              number="2026/01", title="Mietendeckel jetzt", text="…",
                              decided_on=now.date(), result="angenommen")
    election = Election.objects.create(assembly=assembly, item=item, title="Sprecher*innen",
                                       seats=2, reserved="odd", status="counted",
                                       ballots_cast=3, result={
                                           "places": [{"number": 1, "reserved": True,
                                                       "candidate_id": None},
                                                      {"number": 2, "reserved": False,
                                                       "candidate_id": 1}],
                                           "notes": [{"msgid": quota.RESERVED_VACANT,
                                                      "params": {"number": 1}}],
                                           "quota_met": True})
    Candidate.objects.create(election=election, name="Karl Lieb", category="open", votes=3,
                             place=2)
    Invitation.objects.create(participant=rosa, kind="invitation", channel="email",
                              address="rosa@example.org", content_sha256="ab" * 32,
                              created_at=now - timedelta(days=25))
    assembly.invited_at = now - timedelta(days=25)
    assembly.save()
    return item


def test_draft_tells_the_record(assembly, world):
    _record(assembly, world)
    record = minutes.minutes_generate(assembly=assembly, actor=world.users["kassel_board"])
    text = record.text
    assert "Kreismitgliederversammlung" in text
    assert "1 per E-Mail" in text or "1 by e-mail" in text
    assert "Rosa Roth" in text and "Karl Lieb" in text
    assert "Rednerin mit Kind" in text  # the chair's reason
    assert "A1" in text and "20" in text
    assert "2026/01" in text
    assert "Platz 1 bleibt frei" in text  # the vacant reserved place, with its reason
    assert "Die Wahl leitet Paul." in text
    assert AuditEntry.objects.filter(object_type="assemblies.minutes",
                                     action=AuditEntry.Action.CREATE).exists()


def test_quorate_since_counts_arrivals_and_departures(assembly):
    now = timezone.now()
    a, b = voter(assembly, "Rosa"), voter(assembly, "Karl")
    AttendanceEntry.objects.create(participant=a, action="arrived", at=now)
    AttendanceEntry.objects.create(participant=a, action="left", at=now + timedelta(minutes=1))
    AttendanceEntry.objects.create(participant=b, action="arrived",
                                   at=now + timedelta(minutes=2))
    assert minutes.quorate_since(assembly, 2) is None
    assert minutes.quorate_since(assembly, 1) == now


def test_regenerating_needs_confirmation_and_approved_minutes_are_final(assembly, world):
    actor = world.users["kassel_board"]
    record = minutes.minutes_generate(assembly=assembly, actor=actor)
    minutes.minutes_update(minutes=record, text="Eigener Text", actor=actor)
    with pytest.raises(ValidationError):
        minutes.minutes_generate(assembly=assembly, actor=actor)
    assert Minutes.objects.get(pk=record.pk).text == "Eigener Text"
    minutes.minutes_generate(assembly=assembly, actor=actor, replace=True)
    assert Minutes.objects.get(pk=record.pk).text != "Eigener Text"
    with pytest.raises(ValidationError):  # the record is not final while in preparation
        minutes.minutes_approve(minutes=record, actor=actor)
    services.status_change(assembly=assembly, status="in_session", actor=actor)
    services.status_change(assembly=assembly, status="closed", actor=actor)
    minutes.minutes_approve(minutes=record, actor=actor)
    for call in (lambda: minutes.minutes_update(minutes=record, text="x", actor=actor),
                 lambda: minutes.minutes_generate(assembly=assembly, actor=actor, replace=True),
                 lambda: minutes.minutes_approve(minutes=record, actor=actor)):
        with pytest.raises(ValidationError):
            call()


@pytest.mark.parametrize("text", ["", "   ", "a\x00b", "x" * (minutes.MAX_CHARS + 1)])
def test_bad_text_changes_nothing(assembly, world, text):
    record = minutes.minutes_generate(assembly=assembly, actor=None)
    before = record.text
    with pytest.raises(ValidationError):
        minutes.minutes_update(minutes=record, text=text, actor=world.users["kassel_board"])
    assert Minutes.objects.get(pk=record.pk).text == before


def test_pdf_has_minutes_and_appendices(assembly, world):
    _record(assembly, world)
    record = minutes.minutes_generate(assembly=assembly, actor=None)
    pdf = PdfReader(io.BytesIO(minutes.minutes_pdf(record)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "Wahl des Vorstands" in text
    assert "Anwesenheitsliste" in text or "attendance list" in text
    assert "ab" * 8 in text.replace("\n", "")  # the content hash of the proof
    assert "Emma Ihrig" in text  # every participant is on the attendance list


def test_pages_for_minute_taker_and_who_may_not(assembly, world, login):
    url = f"/staff/kassel/assemblies/{assembly.pk}/minutes/"
    taker = world.users["kassel_groups"]  # no assembly permission of their own
    assert login("kassel_groups").get(url).status_code == 403
    services.assembly_update(assembly=assembly, actor=None, data={"minute_taker": taker})
    client = login("kassel_groups")
    assert client.get(url).status_code == 200
    assert client.post(url + "generate/").status_code == 302
    record = Minutes.objects.get(assembly=assembly)
    response = client.post(url, {"text": "## Beginn\nDie Versammlung beginnt."})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.text.startswith("## Beginn") and record.edited_by == taker
    pdf = client.get(f"/staff/kassel/assemblies/{assembly.pk}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert login("duesseldorf_board").get(url).status_code == 404
    assert login("kassel_events").get(url).status_code == 403
    assert login(None).get(url).status_code == 302
    assert login("kassel_events").post(url + "approve/").status_code == 403
    record.refresh_from_db()
    assert record.approved_at is None
