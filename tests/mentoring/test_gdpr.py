"""Applicants' details are deleted after the programme, as the application form promises, and a
person's mentoring is part of the GDPR export and erasure."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from mitmachen.core.gdpr import collect
from mitmachen.core.models import AuditEntry
from mitmachen.mentoring import access, retention, services
from mitmachen.mentoring.models import (
    Application,
    Feedback,
    Goal,
    MatchRun,
    Meeting,
    Pairing,
    PairRule,
    PrivateNote,
    Programme,
)
from mitmachen.messaging.models import Message
from mitmachen.people import services as people
from mitmachen.people.gdpr import contact_erase

from .conftest import programme_data

pytestmark = pytest.mark.django_db

A = Application.Status
P = Pairing.Status
ERASED = "—"

SUMMARY = "Über die Kita-Plätze in Bilk und Ada Musters Rede gesprochen."
MENTEE_NOTE = "Ada: Mir fällt das freie Reden noch schwer."
MENTOR_NOTE = "Kea: Ada braucht mehr Zutrauen."
FEEDBACK = "Kea hat mir sehr geholfen, danke!"
GOAL = "Ada hält eine Rede im Ausschuss für Wohnen"
RULE_REASON = "Ada und Kea kennen sich aus der Nachbarschaft"
AVOID = "Bitte nicht mit Petra Beispiel aus dem Vorstand"


def _started_days_ago(pairing, days):
    """The pair began `days` ago (moved back directly, as the demo data does: meetings cannot
    be dated before the pair started, and a pair accepted today cannot have met yesterday)."""
    Pairing.objects.filter(pk=pairing.pk).update(
        started_at=timezone.now() - timedelta(days=days))
    pairing.refresh_from_db()


def _accompanied_pair(programme, apply, coordinator, *, mentee_user=None):
    """Ada and Kea, a pair with everything a pair writes, which Ada ended before both gave
    their feedback (feedback is only given on an ended pair); and Uli waiting for a mentor.
    → (ada, kea, uli, pairing)"""
    ada = apply(programme, "mentee", "Ada Muster", user=mentee_user, phone="0211 777777",
                district="Bilk", experience="Schülerinnenvertretung",
                requires=["mentor_woman"], needs=["step_free"], avoid=AVOID)
    kea = apply(programme, "mentor", "Kea Mentorin",
                other_commitments="Ratsfrau, Kassiererin im Ortsverband")
    # Uli speaks only Turkish, Kea does not: nobody fits, Uli goes onto the waiting list.
    uli = apply(programme, "mentee", "Uli Wartend", languages=["tr"])
    services.rule_set(programme=programme, mentee=ada, mentor=kea, kind="fix",
                      reason=RULE_REASON, actor=coordinator)
    services.application_update(application=uli, actor=coordinator,
                                data={"coordinator_note": "Uli fragt nach Türkisch."})
    run = services.matching_run(programme=programme, actor=coordinator)
    (pairing,) = services.matching_send(run=run, actor=coordinator)
    services.proposal_answer(pairing=pairing, side="mentee", accept=True)
    services.proposal_answer(pairing=pairing, side="mentor", accept=True)
    _started_days_ago(pairing, 30)
    yesterday = timezone.localdate() - timedelta(days=1)
    services.meeting_log(pairing=pairing, side="mentee", held_on=yesterday, kind="meeting",
                         minutes=90, summary=SUMMARY)
    services.meeting_log(pairing=pairing, side="mentor", held_on=yesterday,
                         kind="accompanied", minutes=120, summary="")
    goal = services.goal_add(pairing=pairing, side="mentee", title=GOAL)
    services.goal_update(goal=goal, side="mentor", status="reached")
    services.note_add(pairing=pairing, side="mentee", text=MENTEE_NOTE)
    services.note_add(pairing=pairing, side="mentor", text=MENTOR_NOTE)
    # Ada ends it herself (she is done); Kea's place is free again, and Uli still fits nobody.
    services.pairing_end(pairing=pairing, side="mentee")
    services.feedback_submit(pairing=pairing, side="mentee", rating=5, text=FEEDBACK)
    services.feedback_submit(pairing=pairing, side="mentor", rating=4, text="")
    for application in (ada, kea, uli):
        application.refresh_from_db()
    assert (ada.status, kea.status, uli.status) == (A.FINISHED, A.APPLIED, A.WAITING)
    assert ada.avoid == AVOID
    pairing.refresh_from_db()
    assert pairing.status == P.ENDED
    return ada, kea, uli, pairing


def _audit_dump() -> str:
    return json.dumps(list(AuditEntry.objects.values("object_repr", "changes")),
                      ensure_ascii=False)


PERSONAL = ["Ada Muster", "Kea Mentorin", "Uli Wartend", "ada.muster@example.org",
            "kea.mentorin@example.org", "uli.wartend@example.org"]


# --- retention -------------------------------------------------------------------------------

def test_nothing_is_deleted_until_90_days_after_the_cohort(programme, apply, coordinator):
    ada, _kea, _uli, pairing = _accompanied_pair(programme, apply, coordinator)
    for today in (programme.cohort_ends, programme.cohort_ends + timedelta(days=90)):
        assert retention.purge(today=today)["programmes"] == 0
    ada.refresh_from_db()
    assert ada.name == "Ada Muster" and ada.email == "ada.muster@example.org"
    assert ada.avoid == AVOID
    assert Meeting.objects.get(pairing=pairing, minutes=90).summary == SUMMARY
    assert PrivateNote.objects.filter(pairing=pairing).count() == 2
    programme.refresh_from_db()
    assert programme.status == Programme.Status.OPEN


def test_after_the_programme_applicants_are_anonymised_and_the_figures_stay(
        programme, apply, coordinator, world, login):
    member = world.users["duesseldorf_member"]
    ada, kea, uli, pairing = _accompanied_pair(programme, apply, coordinator,
                                               mentee_user=member)
    old_token = access.personal_token(ada)
    run = MatchRun.objects.get(programme=programme)
    assert run.result["pairs"][0]["explanation"]
    entries_before = AuditEntry.objects.count()

    done = retention.purge(today=programme.cohort_ends + timedelta(days=91))

    assert done == {"programmes": 1, "applications": 3, "meetings": 1, "notes": 2,
                    "feedback": 1}
    for application in (ada, kea, uli):
        application.refresh_from_db()
        assert application.name == ERASED
        assert (application.email, application.phone, application.district,
                application.gender, application.goals, application.experience,
                application.other_commitments, application.avoid,
                application.coordinator_note) == ("",) * 9
        assert (application.fields, application.bodies, application.activities,
                application.times, application.languages, application.needs,
                application.offers, application.requires) == ([],) * 8
        assert application.user is None
        assert application.status == A.FINISHED
    # What the programme's statistics need stays.
    assert (ada.role, ada.hours_per_month, kea.role, kea.hours_per_month, kea.capacity) == (
        "mentee", 4, "mentor", 8, 1)
    assert ada.consent_at is not None and uli.waiting_since is not None
    pairing.refresh_from_db()
    assert pairing.status == P.ENDED and pairing.score > 0 and pairing.explanation == []
    meetings = Meeting.objects.filter(pairing=pairing)
    assert sorted(meetings.values_list("minutes", "kind", "summary")) == [
        (90, "meeting", ""), (120, "accompanied", "")]
    assert not PrivateNote.objects.exists()
    assert sorted(Feedback.objects.values_list("author", "rating", "text")) == [
        ("mentee", 5, ""), ("mentor", 4, "")]
    assert list(Goal.objects.values_list("title", "status")) == [(ERASED, "reached")]
    assert PairRule.objects.get().reason == ""
    run.refresh_from_db()
    assert run.result["pairs"][0]["explanation"] == [] and run.total_score > 0
    assert run.matched == 1 and run.unmatched == 1
    programme.refresh_from_db()
    assert programme.status == Programme.Status.FINISHED
    assert not member.mentoring_applications.exists()

    # The personal links stop working.
    with pytest.raises(ValidationError):
        access.application_by_token(old_token)
    client = login(None)
    assert client.get(reverse("mentoring:personal", args=[old_token])).status_code == 404

    # Audited once, with counts and no content; no name is left in the audit log.
    new = AuditEntry.objects.order_by("id")[entries_before:]
    (purged,) = [e for e in new if e.object_type == "mentoring.programme"]
    assert purged.action == AuditEntry.Action.DELETE and purged.actor_label == "system"
    assert purged.changes["applications"] == [None, 3]
    assert purged.changes["status"] == ["open", "finished"]
    dump = _audit_dump()
    for text in [*PERSONAL, SUMMARY, MENTEE_NOTE, GOAL, RULE_REASON, FEEDBACK, AVOID]:
        assert text not in dump, text

    # The coordinator's pages still work, with nobody's name on them.
    staff = login("duesseldorf_mentoring")
    slug = world.duesseldorf.slug
    for name in ("programme_detail", "matching", "pairs", "pairs_print"):
        response = staff.get(reverse(f"mentoring:{name}", args=[slug, programme.pk]))
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "Ada Muster" not in html and "Kea Mentorin" not in html and SUMMARY not in html


def test_the_purge_ends_a_pair_still_running_and_an_open_proposal(
        make_programme, apply, coordinator):
    programme = make_programme()
    ada = apply(programme, "mentee", "Ada Muster")
    kea = apply(programme, "mentor", "Kea Mentorin")
    eva = apply(programme, "mentee", "Eva Vorschlag")
    bea = apply(programme, "mentor", "Bea Mentorin")
    services.rule_set(programme=programme, mentee=ada, mentor=kea, kind="fix", reason="",
                      actor=coordinator)
    services.rule_set(programme=programme, mentee=eva, mentor=bea, kind="fix", reason="",
                      actor=coordinator)
    run = services.matching_run(programme=programme, actor=coordinator)
    pairs = {p.mentee_id: p for p in services.matching_send(run=run, actor=coordinator)}
    running, proposed = pairs[ada.pk], pairs[eva.pk]
    services.proposal_answer(pairing=running, side="mentee", accept=True)
    services.proposal_answer(pairing=running, side="mentor", accept=True)
    _started_days_ago(running, 30)
    services.meeting_log(pairing=running, side="mentor", held_on=timezone.localdate(),
                         kind="call", minutes=30, summary=SUMMARY)
    entries_before = AuditEntry.objects.count()

    done = retention.purge(today=programme.cohort_ends + timedelta(days=91))

    assert (done["programmes"], done["applications"], done["meetings"]) == (1, 4, 1)
    for pairing, status in ((running, P.ENDED), (proposed, P.DECLINED)):
        pairing.refresh_from_db()
        assert pairing.status == status and pairing.ended_at is not None
    assert set(programme.applications.values_list("status", flat=True)) == {A.FINISHED}
    (purged,) = [e for e in AuditEntry.objects.order_by("id")[entries_before:]
                 if e.object_type == "mentoring.programme"]
    assert purged.changes["pairs_ended"] == [None, 1]
    assert purged.changes["proposals_declined"] == [None, 1]
    assert purged.changes["applications_finished"] == [None, 4]


def test_purging_twice_changes_and_audits_nothing_more(programme, apply, coordinator):
    _accompanied_pair(programme, apply, coordinator)
    later = programme.cohort_ends + timedelta(days=200)
    assert retention.purge(today=later)["programmes"] == 1
    entries = AuditEntry.objects.count()
    snapshot = list(Application.objects.order_by("pk").values())

    assert retention.purge(today=later) == dict.fromkeys(
        ("programmes", "applications", "meetings", "notes", "feedback"), 0)
    assert retention.purge(today=later + timedelta(days=400))["programmes"] == 0
    assert AuditEntry.objects.count() == entries
    assert list(Application.objects.order_by("pk").values()) == snapshot


def test_a_finished_programme_is_purged_90_days_after_it_was_finished(
        make_programme, apply, coordinator):
    programme = make_programme()
    ada = apply(programme, "mentee", "Ada Muster")
    services.programme_set_status(programme=programme, status="running", actor=coordinator)
    services.programme_set_status(programme=programme, status="finished", actor=coordinator)
    programme.refresh_from_db()
    today = timezone.localdate()
    assert programme.cohort_ends > today + timedelta(days=200)  # the cohort itself is far off
    assert retention.ended_on(programme) == today

    assert retention.purge(today=today + timedelta(days=90))["programmes"] == 0
    ada.refresh_from_db()
    assert ada.name == "Ada Muster"
    assert retention.purge(today=today + timedelta(days=91))["applications"] == 1
    ada.refresh_from_db()
    assert ada.name == ERASED


def test_a_finished_programme_reopened_waits_for_its_cohort(make_programme, apply,
                                                            coordinator):
    programme = make_programme(status=Programme.Status.FINISHED)
    services.programme_set_status(programme=programme, status="running", actor=coordinator)
    programme.refresh_from_db()
    assert retention.ended_on(programme) == programme.cohort_ends
    assert retention.purge(today=timezone.localdate() + timedelta(days=91))["programmes"] == 0


def test_only_the_programmes_that_are_due(make_programme, apply, coordinator):
    over = make_programme()
    later = make_programme(cohort_starts=timezone.localdate() + timedelta(days=400),
                           cohort_ends=timezone.localdate() + timedelta(days=700))
    apply(over, "mentee", "Ada Muster")
    still = apply(later, "mentee", "Ada Muster")
    done = retention.purge(today=over.cohort_ends + timedelta(days=91))
    assert (done["programmes"], done["applications"]) == (1, 1)
    still.refresh_from_db()
    later.refresh_from_db()
    assert still.name == "Ada Muster" and still.email == "ada.muster@example.org"
    assert later.status == Programme.Status.OPEN


def test_the_tick_command_purges_what_is_due(programme, apply, coordinator):
    ada, _kea, _uli, _pairing = _accompanied_pair(programme, apply, coordinator)
    today = timezone.localdate()
    # The cohort ended 91 days ago (dates moved back directly: the service would refuse
    # windows in the past, and they do not matter here).
    Programme.objects.filter(pk=programme.pk).update(
        cohort_starts=today - timedelta(days=400), cohort_ends=today - timedelta(days=91))
    out = StringIO()
    call_command("mentoring_tick", stdout=out)
    assert "programmes purged: 1, applications anonymised: 3" in out.getvalue()
    ada.refresh_from_db()
    assert ada.name == ERASED
    out = StringIO()
    call_command("mentoring_tick", stdout=out)
    assert "programmes purged: 0, applications anonymised: 0" in out.getvalue()


# --- GDPR ------------------------------------------------------------------------------------

@pytest.fixture
def kea_contact(world):
    """Kea as a contact of Düsseldorf, with the member's account."""
    contact = people.contact_create(organisation=world.duesseldorf, actor=None, data={
        "first_name": "Kea", "last_name": "Mentorin", "email": "kea@example.org"})
    contact.user = world.users["duesseldorf_member"]
    contact.save()
    return contact


def _kea_everywhere(world, make_programme, apply, coordinator):
    """Kea as a mentor (applied with her account and her work address) of two mentees: Ada,
    an active pair, and Dora, a pair that has ended and where both gave their feedback
    (feedback is only given on an ended pair); as a mentee in another programme (on the
    public form, with her private address); and in Kassel's programme (none of Düsseldorf's
    business). Kea's places are taken; Bea has a free place. → (ada, kea, bea, kea_mentee,
    kea_kassel, pairing, ended): `pairing` is Ada's with Kea, `ended` Dora's."""
    first = make_programme()
    ada = apply(first, "mentee", "Ada Muster")
    dora = apply(first, "mentee", "Dora Fertig")
    kea = apply(first, "mentor", "Kea Mentorin", email="kea.arbeit@example.org",
                user=world.users["duesseldorf_member"], capacity=2, avoid=AVOID)
    run = services.matching_run(programme=first, actor=coordinator)
    pairs = {p.mentee_id: p for p in services.matching_send(run=run, actor=coordinator)}
    pairing, ended = pairs[ada.pk], pairs[dora.pk]
    for pair in (pairing, ended):
        services.proposal_answer(pairing=pair, side="mentee", accept=True)
        services.proposal_answer(pairing=pair, side="mentor", accept=True)
        _started_days_ago(pair, 30)
    services.meeting_log(pairing=pairing, side="mentor", held_on=timezone.localdate(),
                         kind="call", minutes=30, summary=SUMMARY)
    services.goal_add(pairing=pairing, side="mentee", title=GOAL)
    services.note_add(pairing=pairing, side="mentor", text=MENTOR_NOTE)
    services.note_add(pairing=pairing, side="mentee", text=MENTEE_NOTE)
    # Dora is done: she ends it herself, then both give their feedback.
    services.pairing_end(pairing=ended, side="mentee")
    services.feedback_submit(pairing=ended, side="mentor", rating=4, text="Kea: gern wieder")
    services.feedback_submit(pairing=ended, side="mentee", rating=5, text=FEEDBACK)
    kea.refresh_from_db()
    assert kea.status == A.MATCHED  # still Ada's mentor
    bea = apply(first, "mentor", "Bea Mentorin")
    second = make_programme()
    kea_mentee = apply(second, "mentee", "Kea Mentorin", email="KEA@example.org")
    kassel = services.programme_create(organisation=world.kassel, actor=None,
                                       data=programme_data(slug="kassel-mentoring"))
    services.programme_set_status(programme=kassel, status="open", actor=None)
    kea_kassel = apply(kassel, "mentee", "Kea Mentorin", email="kea@example.org")
    return ada, kea, bea, kea_mentee, kea_kassel, pairing, ended


def test_the_export_holds_her_applications_of_this_organisation(
        world, make_programme, apply, coordinator, kea_contact):
    ada, kea, _bea, kea_mentee, kea_kassel, pairing, ended = _kea_everywhere(
        world, make_programme, apply, coordinator)
    exported = collect(kea_contact)["mentoring_applications"]
    by_role = {item["role"]: item for item in exported}
    assert len(exported) == 2 and set(by_role) == {"mentor", "mentee"}
    mentor = by_role["mentor"]
    assert (mentor["name"], mentor["email"], mentor["status"]) == (
        "Kea Mentorin", "kea.arbeit@example.org", A.MATCHED)
    assert mentor["fields"] == ["housing", "equality", "budget"]
    assert mentor["hours_per_month"] == 8 and mentor["mentees_i_can_take"] == 2
    assert mentor["avoid"] == AVOID
    # Both her pairs: Ada's (running) and Dora's (ended).
    assert len(mentor["pairings"]) == 2
    pair, done = sorted(mentor["pairings"], key=lambda p: p["status"] != P.ACTIVE)
    assert pair["status"] == P.ACTIVE and pair["my_answer"] == "accepted"
    assert pair["started_at"] and pair["ended_at"] is None
    assert [m["summary"] for m in pair["meetings"]] == [SUMMARY]
    assert [g["title"] for g in pair["goals"]] == [GOAL]
    # Her own notes and feedback, never her partner's.
    assert [n["text"] for n in pair["my_private_notes"]] == [MENTOR_NOTE]
    assert pair["my_feedback"] == []
    assert done["status"] == P.ENDED and done["ended_at"]
    assert done["my_feedback"] == [{"rating": 4, "text": "Kea: gern wieder"}]
    assert done["meetings"] == [] and done["my_private_notes"] == []
    assert MENTEE_NOTE not in json.dumps(exported, ensure_ascii=False)
    assert FEEDBACK not in json.dumps(exported, ensure_ascii=False)
    assert by_role["mentee"]["email"] == "KEA@example.org"
    assert by_role["mentee"]["avoid"] == ""
    assert by_role["mentee"]["pairings"] == []
    # Nothing of Ada's application, nothing from Kassel.
    assert "ada.muster@example.org" not in json.dumps(exported, ensure_ascii=False)
    json.dumps(collect(kea_contact))  # the whole export stays JSON


def test_a_contact_without_address_or_account_exports_no_mentoring(world, programme, apply):
    apply(programme, "mentee", "Ada Muster")
    nobody = people.contact_create(organisation=world.duesseldorf, actor=None,
                                   data={"first_name": "Nobody"})
    assert collect(nobody)["mentoring_applications"] == []


def test_erasure_withdraws_anonymises_and_rematches_her_mentee(
        world, make_programme, apply, coordinator, kea_contact):
    ada, kea, bea, kea_mentee, kea_kassel, pairing, ended = _kea_everywhere(
        world, make_programme, apply, coordinator)
    old_tokens = [access.personal_token(kea), access.personal_token(kea_mentee)]
    before = Message.objects.count()

    contact_erase(contact=kea_contact, actor=world.users["duesseldorf_admin"])

    for application, status in ((kea, A.WITHDRAWN), (kea_mentee, A.WITHDRAWN)):
        application.refresh_from_db()
        assert application.status == status
        assert (application.name, application.email, application.phone,
                application.avoid) == (ERASED, "", "", "")
        assert application.fields == [] and application.languages == []
        assert application.user is None
    for token in old_tokens:
        with pytest.raises(ValidationError):
            access.application_by_token(token)
    # The pair has ended; Ada is matched again at once, with Bea.
    pairing.refresh_from_db()
    assert pairing.status == P.ENDED and pairing.explanation == []
    ada.refresh_from_db()
    assert ada.name == "Ada Muster" and ada.status == A.PROPOSED
    assert Pairing.objects.get(mentee=ada, status=P.PROPOSED).mentor_id == bea.pk
    # Her note and feedback text go; Ada's note and Dora's feedback stay, and the shared
    # texts are gone.
    assert list(PrivateNote.objects.values_list("author", "text")) == [("mentee", MENTEE_NOTE)]
    assert sorted(Feedback.objects.filter(pairing=ended).values_list(
        "author", "rating", "text")) == [("mentee", 5, FEEDBACK), ("mentor", 4, "")]
    assert not Feedback.objects.exclude(pairing=ended).exists()
    ended.refresh_from_db()
    assert ended.status == P.ENDED and ended.explanation == []
    assert list(Meeting.objects.values_list("summary", "minutes")) == [("", 30)]
    assert list(Goal.objects.values_list("title", flat=True)) == [ERASED]
    # Kassel's application is not Düsseldorf's to erase.
    kea_kassel.refresh_from_db()
    assert kea_kassel.name == "Kea Mentorin" and kea_kassel.email == "kea@example.org"
    # Ada and the coordinator were told; the coordinator's notice does not name Kea.
    new = Message.objects.order_by("pk")[before:]
    to_ada = [m for m in new if m.to_address == "ada.muster@example.org"]
    assert to_ada
    notices = [m for m in new if m.to_address == coordinator.email]
    assert notices and all("Kea" not in m.body_text for m in notices)
    assert all("Kea" not in m.body_text for m in new)
    dump = _audit_dump()
    for text in ["Kea Mentorin", "kea.arbeit@example.org", "kea@example.org", SUMMARY,
                 MENTOR_NOTE, AVOID]:
        assert text not in dump, text


def test_erasure_of_finished_applications_needs_no_withdrawal(
        world, programme, apply, coordinator, kea_contact):
    kea = apply(programme, "mentee", "Kea Mentorin", email="kea@example.org")
    services.application_withdraw(application=kea)
    before = Message.objects.count()
    contact_erase(contact=kea_contact, actor=world.users["duesseldorf_admin"])
    kea.refresh_from_db()
    assert (kea.name, kea.email, kea.status) == (ERASED, "", A.WITHDRAWN)
    # Withdrawn before: nobody is told again.
    assert Message.objects.count() == before
