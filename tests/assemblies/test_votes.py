"""Yes/no/abstain votes: creating, opening, casting on the phones (one vote each, present voters
only), counts entered by the chair, closing with the majority rule, the motion's outcome, the
resolutions register, the discharge of the board, and the pages of the chair and the phone."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from mitmachen.assemblies import attendance, motions, services, votes
from mitmachen.assemblies.models import (
    Assembly,
    Ballot,
    Election,
    Motion,
    Resolution,
    Vote,
    VoteCast,
)
from mitmachen.core.models import AuditEntry
from mitmachen.people.models import Contact
from tests.assemblies.conftest import participant_client, voter

pytestmark = pytest.mark.django_db
M = Vote.Method
NAMES = ["Rosa", "Clara", "Emma", "Karl", "August", "Paul"]


def phone(participant):
    """The participant's phone, set to English (pages follow the language cookie, not the
    browser's Accept-Language)."""
    client, base = participant_client(participant)
    client.cookies["django_language"] = "en"
    return client, base


def in_session(assembly, present=NAMES):
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    for name in present:
        attendance.check_in(participant=voter(assembly, name), actor=None)
    assembly.refresh_from_db()
    return assembly


def admitted_motion(assembly, title="Mietendeckel jetzt"):
    motion = motions.motion_submit(assembly=assembly, title=title, text="Wir fordern ihn.",
                                   submitter=None, submitter_name="Kreisvorstand", actor=None)
    return motions.motion_admit(motion=motion, actor=None)


def open_vote(assembly, method=M.SECRET, majority="simple", **fields):
    if "motion" not in fields and "subject" not in fields:
        fields["motion"] = admitted_motion(assembly)
    vote = votes.vote_create(assembly=assembly, method=method, majority=majority, actor=None,
                             **fields)
    return votes.vote_open(vote=vote, actor=None)


def cast_all(vote, assembly, choices: dict):
    for name, choice in choices.items():
        votes.vote_cast(vote=vote, participant=voter(assembly, name), choice=choice)


@pytest.fixture
def session(assembly):
    return in_session(assembly)


@pytest.fixture
def chair(assembly, kassel_member):
    Contact.objects.filter(pk=voter(assembly, "Rosa").contact_id).update(user=kassel_member)
    services.assembly_update(assembly=assembly, data={"chair": kassel_member}, actor=None)
    return kassel_member


# --- majorities through the services ---------------------------------------------------------

@pytest.mark.parametrize("majority, choices, adopted", [
    ("simple", {"Rosa": "yes", "Clara": "yes", "Karl": "no", "Paul": "abstain"}, True),
    ("simple", {"Rosa": "yes", "Karl": "no", "Paul": "abstain", "Emma": "abstain"}, False),
    ("absolute", {"Rosa": "yes", "Clara": "yes", "Karl": "no", "Paul": "abstain"}, False),
    ("absolute", {"Rosa": "yes", "Clara": "yes", "Emma": "yes", "Karl": "no"}, True),
    ("two_thirds", {"Rosa": "yes", "Clara": "yes", "Karl": "no", "Paul": "abstain"}, True),
    ("two_thirds", {"Rosa": "yes", "Clara": "yes", "Karl": "no", "Paul": "no"}, False),
])
@pytest.mark.parametrize("method", [M.SECRET, M.ELECTRONIC])
def test_majority_outcomes(session, method, majority, choices, adopted):
    vote = open_vote(session, method=method, majority=majority)
    cast_all(vote, session, choices)
    vote = votes.vote_close(vote=vote, actor=None)
    counted = [list(choices.values()).count(c) for c in ("yes", "no", "abstain")]
    assert [vote.yes, vote.no, vote.abstain] == counted
    assert vote.adopted is adopted and vote.status == Vote.Status.CLOSED
    vote.motion.refresh_from_db()
    assert vote.motion.status == (Motion.Status.ADOPTED if adopted else Motion.Status.REJECTED)
    with translation.override("en"):
        assert votes.explanation(vote).startswith("Adopted" if adopted else "Rejected")


def test_a_named_vote_keeps_each_choice(session):
    vote = open_vote(session, method=M.ELECTRONIC)
    cast_all(vote, session, {"Rosa": "yes", "Karl": "no"})
    assert dict(VoteCast.objects.filter(vote=vote).values_list(
        "participant__name", "choice")) == {"Rosa Roth": "yes", "Karl Lieb": "no"}
    assert not Ballot.objects.exists()


# --- one vote each, present voters only -------------------------------------------------------

def test_one_vote_each(session):
    vote = open_vote(session)
    rosa = voter(session, "Rosa")
    votes.vote_cast(vote=vote, participant=rosa, choice="yes")
    with translation.override("en"), pytest.raises(ValidationError, match="already voted"):
        votes.vote_cast(vote=vote, participant=rosa, choice="no")
    assert (vote.casts.count(), vote.ballots.count()) == (1, 1)
    assert list(Ballot.objects.values_list("choice", flat=True)) == ["yes"]


def test_who_may_not_vote(assembly):
    in_session(assembly, present=["Rosa", "Karl"])
    guest = services.guest_add(assembly=assembly, name="Gast Gustav", actor=None)
    attendance.check_in(participant=guest, actor=None)
    vote = open_vote(assembly)
    with translation.override("en"):
        with pytest.raises(ValidationError, match="not checked in"):
            votes.vote_cast(vote=vote, participant=voter(assembly, "Paul"), choice="yes")
        with pytest.raises(ValidationError, match="Guests do not vote"):
            votes.vote_cast(vote=vote, participant=guest, choice="yes")
        attendance.check_out(participant=voter(assembly, "Karl"), actor=None)
        with pytest.raises(ValidationError, match="not checked in"):
            votes.vote_cast(vote=vote, participant=voter(assembly, "Karl"), choice="yes")
    assert not VoteCast.objects.exists() and not Ballot.objects.exists()
    assert vote.eligible_at_open == 2


@pytest.mark.parametrize("choice", ["", "YES", "ja", None, 1, True, ["yes"], "yes\x00"])
def test_a_bad_choice_is_refused(session, choice):
    vote = open_vote(session)
    with translation.override("en"), pytest.raises(ValidationError, match="yes, no or abstain"):
        votes.vote_cast(vote=vote, participant=voter(session, "Rosa"), choice=choice)
    assert not VoteCast.objects.exists()


def test_a_vote_takes_ballots_only_while_open(session):
    vote = votes.vote_create(assembly=session, method=M.SECRET, actor=None,
                             motion=admitted_motion(session))
    rosa = voter(session, "Rosa")
    with translation.override("en"), pytest.raises(ValidationError, match="not open"):
        votes.vote_cast(vote=vote, participant=rosa, choice="yes")
    votes.vote_open(vote=vote, actor=None)
    votes.vote_cast(vote=vote, participant=rosa, choice="yes")
    votes.vote_close(vote=vote, actor=None)
    with translation.override("en"), pytest.raises(ValidationError, match="not open"):
        votes.vote_cast(vote=vote, participant=voter(session, "Karl"), choice="no")
    assert vote.casts.count() == 1


def test_a_hall_vote_takes_no_phone_ballots(session):
    vote = open_vote(session, method=M.CARDS)
    with translation.override("en"), pytest.raises(ValidationError, match="counted in the hall"):
        votes.vote_cast(vote=vote, participant=voter(session, "Rosa"), choice="yes")


def test_a_participant_of_another_assembly_cannot_vote(session, make_assembly, world):
    other = in_session(make_assembly(organisation=world.duesseldorf, members=[
        ("Dora", "Düssel", "flinta", "dora@example.org", "")]), present=["Dora"])
    vote = open_vote(session)
    with translation.override("en"), pytest.raises(ValidationError, match="not a participant"):
        votes.vote_cast(vote=vote, participant=voter(other, "Dora"), choice="yes")


# --- creating and opening ---------------------------------------------------------------------

def test_vote_create_refuses_bad_input(session, make_assembly, world):
    submitted = motions.motion_submit(assembly=session, title="Neu", text="Text",
                                      submitter=None, submitter_name="X", actor=None)
    other = make_assembly(organisation=world.duesseldorf, members=[])
    foreign = admitted_motion(other)
    cases = [
        ({"motion": submitted, "method": M.OPEN}, "only an admitted motion"),
        ({"motion": foreign, "method": M.OPEN}, "motion of this assembly"),
        ({"subject": "motion", "method": M.OPEN}, "motion of this assembly"),
        ({"subject": "other", "question": "", "method": M.OPEN}, "cannot be empty"),
        ({"subject": "other", "question": "Pause?", "method": "raffle"}, "how the vote"),
        ({"subject": "other", "question": "Pause?", "method": M.OPEN, "majority": "most"},
         "majority required"),
        ({"subject": "other", "question": "x" * 501, "method": M.OPEN}, "At most 500"),
        ({"subject": "other", "question": "Pause\x00?", "method": M.OPEN}, "Null characters"),
        ({"subject": "weather", "question": "Sonne?", "method": M.OPEN}, "what the vote"),
        ({"subject": "other", "question": "Pause?", "method": M.OPEN,
          "motion": admitted_motion(session, "Zweiter")}, "Only a vote on a motion"),
    ]
    for fields, message in cases:
        with translation.override("en"), pytest.raises(ValidationError, match=message):
            votes.vote_create(assembly=session, actor=None, **fields)
    assert not Vote.objects.exists()


def test_a_motion_has_one_vote_under_way(session):
    motion = admitted_motion(session)
    votes.vote_create(assembly=session, motion=motion, method=M.OPEN, actor=None)
    with translation.override("en"), pytest.raises(ValidationError, match="already has a vote"):
        votes.vote_create(assembly=session, motion=motion, method=M.OPEN, actor=None)


def test_the_question_defaults_to_the_motion_or_the_discharge(session):
    with translation.override("en"):
        on_motion = votes.vote_create(assembly=session, motion=admitted_motion(session),
                                      method=M.OPEN, actor=None)
        discharge = votes.vote_create(assembly=session, subject="discharge", method=M.OPEN,
                                      actor=None)
    assert on_motion.question == "Motion A1: Mietendeckel jetzt"
    assert discharge.question == "Discharge of the board"


def test_votes_are_taken_in_session_only(assembly):
    vote = votes.vote_create(assembly=assembly, subject="other", question="Pause?",
                             method=M.OPEN, actor=None)
    with translation.override("en"), pytest.raises(ValidationError, match="in session"):
        votes.vote_open(vote=vote, actor=None)
    vote.refresh_from_db()
    assert vote.status == Vote.Status.PREPARED


def test_one_phone_vote_or_election_at_a_time(session):
    first = open_vote(session, method=M.SECRET)
    second = votes.vote_create(assembly=session, method=M.ELECTRONIC, actor=None,
                               motion=admitted_motion(session, "Zweiter"))
    with translation.override("en"), pytest.raises(ValidationError, match="Another vote"):
        votes.vote_open(vote=second, actor=None)
    # A show of hands can run alongside.
    hands = votes.vote_create(assembly=session, subject="other", question="Pause?",
                              method=M.OPEN, actor=None)
    assert votes.vote_open(vote=hands, actor=None).status == Vote.Status.OPEN
    votes.vote_close(vote=first, actor=None)
    assert votes.vote_open(vote=second, actor=None).status == Vote.Status.OPEN
    votes.vote_close(vote=second, actor=None)
    Election.objects.create(assembly=session, title="Vorstand", seats=2,
                            status=Election.Status.VOTING, method=Election.Method.SECRET)
    third = votes.vote_create(assembly=session, method=M.SECRET, actor=None,
                              motion=admitted_motion(session, "Dritter"))
    with translation.override("en"), pytest.raises(ValidationError, match="Another vote"):
        votes.vote_open(vote=third, actor=None)


def test_opening_records_the_present_voters_and_twice_is_refused(assembly):
    in_session(assembly, present=["Rosa", "Clara", "Karl"])
    vote = open_vote(assembly)
    assert vote.eligible_at_open == 3 and vote.opened_at is not None
    with translation.override("en"), pytest.raises(ValidationError, match="already been opened"):
        votes.vote_open(vote=vote, actor=None)


def test_only_a_prepared_vote_is_deleted(session):
    vote = votes.vote_create(assembly=session, subject="other", question="Pause?",
                             method=M.OPEN, actor=None)
    votes.vote_delete(vote=vote, actor=None)
    assert not Vote.objects.exists()
    vote = open_vote(session, method=M.OPEN)
    with translation.override("en"), pytest.raises(ValidationError, match="not been opened"):
        votes.vote_delete(vote=vote, actor=None)


# --- counts entered by the chair ---------------------------------------------------------------

def test_card_counts_cannot_exceed_the_present_voters(assembly):
    in_session(assembly, present=["Rosa", "Clara", "Karl", "Paul"])
    vote = open_vote(assembly, method=M.CARDS)
    with translation.override("en"), pytest.raises(ValidationError,
                                                   match="only 4 voters were present"):
        votes.vote_count_enter(vote=vote, yes=3, no=1, abstain=1, actor=None)
    vote.refresh_from_db()
    assert (vote.yes, vote.no, vote.abstain) == (0, 0, 0)
    votes.vote_count_enter(vote=vote, yes=3, no=1, abstain=0, actor=None)
    vote = votes.vote_close(vote=vote, actor=None)
    assert vote.adopted is True and (vote.yes, vote.no, vote.abstain) == (3, 1, 0)


@pytest.mark.parametrize("counts, message", [
    ({"yes": -1, "no": 0, "abstain": 0}, "between 0 and"),
    ({"yes": "3", "no": 0, "abstain": 0}, "whole number"),
    ({"yes": True, "no": 0, "abstain": 0}, "whole number"),
    ({"yes": 1.5, "no": 0, "abstain": 0}, "whole number"),
    ({"yes": None, "no": 0, "abstain": 0}, "whole number"),
    ({"yes": 10**7, "no": 0, "abstain": 0}, "between 0 and"),
])
def test_bad_counts_are_refused(session, counts, message):
    vote = open_vote(session, method=M.OPEN)
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        votes.vote_count_enter(vote=vote, actor=None, **counts)
    vote.refresh_from_db()
    assert (vote.yes, vote.no, vote.abstain) == (0, 0, 0)


def test_counts_are_entered_for_hall_votes_while_open_only(session):
    phones = open_vote(session, method=M.SECRET)
    with translation.override("en"), pytest.raises(ValidationError, match="phones count"):
        votes.vote_count_enter(vote=phones, yes=1, no=0, abstain=0, actor=None)
    votes.vote_close(vote=phones, actor=None)
    prepared = votes.vote_create(assembly=session, subject="other", question="Pause?",
                                 method=M.OPEN, actor=None)
    with translation.override("en"), pytest.raises(ValidationError, match="while the vote"):
        votes.vote_count_enter(vote=prepared, yes=1, no=0, abstain=0, actor=None)
    votes.vote_open(vote=prepared, actor=None)
    with translation.override("en"), pytest.raises(ValidationError, match="Enter the counts"):
        votes.vote_close(vote=prepared, actor=None)


# --- resolutions register ---------------------------------------------------------------------

def test_an_adopted_motion_enters_the_register(session, make_assembly, world):
    vote = open_vote(session, method=M.SECRET)
    cast_all(vote, session, {"Rosa": "yes", "Clara": "yes", "Emma": "yes", "Karl": "no",
                             "Paul": "abstain"})
    with translation.override("en"):
        votes.vote_close(vote=vote, actor=None)
    resolution = Resolution.objects.get()
    year = timezone.localdate().year
    assert resolution.number == f"{year}/01"
    assert (resolution.organisation, resolution.assembly, resolution.vote) == (
        world.kassel, session, vote)
    assert resolution.title == "A1 Mietendeckel jetzt"
    assert resolution.text == "Wir fordern ihn."
    assert resolution.result == "adopted: 3 yes, 1 no, 1 abstentions (simple majority)"
    assert resolution.decided_on == timezone.localdate()
    # The next decision of the organisation that year, in another assembly, is number 2;
    # another organisation counts from 1.
    second = in_session(make_assembly(organisation=world.kassel, title="Zweite", members=[]))
    hands = open_vote(second, method=M.OPEN)
    votes.vote_count_enter(vote=hands, yes=1, no=4, abstain=0, actor=None)
    with translation.override("en"):
        votes.vote_close(vote=hands, actor=None)
    assert Resolution.objects.get(vote=hands).number == f"{year}/02"
    assert Resolution.objects.get(vote=hands).result == \
        "rejected: 1 yes, 4 no, 0 abstentions (simple majority)"
    duesseldorf = in_session(make_assembly(organisation=world.duesseldorf, members=[
        ("Dora", "Düssel", "flinta", "dora@example.org", "")]), present=["Dora"])
    elsewhere = open_vote(duesseldorf, method=M.OPEN)
    votes.vote_count_enter(vote=elsewhere, yes=1, no=0, abstain=0, actor=None)
    votes.vote_close(vote=elsewhere, actor=None)
    assert Resolution.objects.get(vote=elsewhere).number == f"{year}/01"


def test_the_register_continues_after_numbers_of_earlier_years(session, world):
    year = timezone.localdate().year
    for number in (f"{year - 1}/07", f"{year}/09"):
        Resolution.objects.create(organisation=world.kassel, number=number, title="Alt",
                                  text="Alt", decided_on=date(year - 1, 5, 1), result="-")
    vote = open_vote(session, method=M.OPEN)
    votes.vote_count_enter(vote=vote, yes=4, no=0, abstain=0, actor=None)
    votes.vote_close(vote=vote, actor=None)
    assert Resolution.objects.get(vote=vote).number == f"{year}/10"


def test_a_free_question_makes_no_resolution(session):
    vote = open_vote(session, method=M.OPEN, subject="other", question="Pause von 10 Minuten?")
    votes.vote_count_enter(vote=vote, yes=4, no=1, abstain=0, actor=None)
    assert votes.vote_close(vote=vote, actor=None).adopted is True
    assert not Resolution.objects.exists()


def test_a_register_number_with_a_non_ascii_digit_is_skipped(session, world):
    # "²".isdigit() is True but int("²") raises: such a number (typed in by hand) is not ours.
    year = timezone.localdate().year
    Resolution.objects.create(organisation=world.kassel, number=f"{year}/²", title="Alt",
                              text="Alt", decided_on=date(year, 1, 2), result="-")
    vote = open_vote(session, method=M.OPEN)
    votes.vote_count_enter(vote=vote, yes=4, no=0, abstain=0, actor=None)
    votes.vote_close(vote=vote, actor=None)
    assert Resolution.objects.get(vote=vote).number == f"{year}/01"


# --- a motion that left the vote -----------------------------------------------------------------

@pytest.mark.parametrize("method", [M.SECRET, M.OPEN])
@pytest.mark.parametrize("status", [Motion.Status.WITHDRAWN, Motion.Status.REFERRED])
def test_a_motion_no_longer_admitted_closes_with_no_decision(session, method, status):
    vote = open_vote(session, method=method)
    if method == M.SECRET:
        cast_all(vote, session, {"Rosa": "yes", "Clara": "yes", "Karl": "no"})
    else:
        votes.vote_count_enter(vote=vote, yes=2, no=1, abstain=0, actor=None)
    # The services refuse this while the vote is open (test_motions); a row changed by hand.
    Motion.objects.filter(pk=vote.motion_id).update(status=status)
    vote = votes.vote_close(vote=vote, actor=None)
    assert vote.status == Vote.Status.CLOSED and vote.adopted is None
    assert (vote.yes, vote.no, vote.abstain) == (2, 1, 0)
    assert Motion.objects.get(pk=vote.motion_id).status == status
    assert not Resolution.objects.exists()
    with translation.override("en"):
        assert votes.explanation(vote).startswith("No decision")
    entry = AuditEntry.objects.filter(object_id=str(vote.pk), changes__has_key="no_decision")
    assert entry.exists()
    # The phones are free again for the next vote.
    assert votes.vote_open(vote=votes.vote_create(
        assembly=session, subject="other", question="Pause?", method=M.SECRET, actor=None),
        actor=None).status == Vote.Status.OPEN


# --- presence is read again under the assembly's lock ---------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL: SQLite's IMMEDIATE writes admit no check-out "
                           "during a cast")
@pytest.mark.parametrize("method", [M.SECRET, M.ELECTRONIC])
def test_a_check_out_committed_during_a_cast_refuses_the_vote(session, monkeypatch, method):
    vote = open_vote(session, method=method)
    paul = voter(session, "Paul")
    check_voter = votes._check_voter
    problems = []

    def leave():
        try:
            attendance.check_out(participant=paul, actor=None)
        except Exception as exc:  # asserted on below
            problems.append(exc)
        finally:
            connection.close()

    def check_then_leave(vote_, voter_):
        check_voter(vote_, voter_)  # Paul is present when the cast reads it ...
        door = threading.Thread(target=leave)  # ... and leaves, committed, before it ends
        door.start()
        door.join(timeout=30)
        assert not door.is_alive() and not problems, problems

    monkeypatch.setattr(votes, "_check_voter", check_then_leave)
    with translation.override("en"), pytest.raises(ValidationError, match="not checked in"):
        votes.vote_cast(vote=vote, participant=paul, choice="yes")
    monkeypatch.undo()
    assert not VoteCast.objects.filter(vote=vote).exists() and not Ballot.objects.exists()
    paul.refresh_from_db()
    assert paul.present is False
    # Everybody present still votes.
    votes.vote_cast(vote=vote, participant=voter(session, "Rosa"), choice="yes")
    assert VoteCast.objects.filter(vote=vote).count() == 1


# --- discharge of the board -------------------------------------------------------------------

@pytest.fixture
def board_voter(session, world):
    """Karl is on the board: his contact belongs to the kassel_board account."""
    karl = voter(session, "Karl")
    Contact.objects.filter(pk=karl.contact_id).update(user=world.users["kassel_board"])
    return karl


def test_the_board_does_not_vote_on_its_discharge(session, board_voter):
    vote = open_vote(session, method=M.SECRET, subject="discharge")
    assert vote.eligible_at_open == 5
    with translation.override("en"), pytest.raises(ValidationError, match="do not vote on their"):
        votes.vote_cast(vote=vote, participant=board_voter, choice="yes")
    assert not VoteCast.objects.exists()
    cast_all(vote, session, {"Rosa": "yes", "Clara": "yes", "Paul": "no"})
    with translation.override("en"):
        vote = votes.vote_close(vote=vote, actor=None)
    assert vote.adopted is True
    resolution = Resolution.objects.get()
    assert (resolution.title, resolution.vote) == ("Discharge of the board", vote)


def test_board_members_vote_on_motions(session, board_voter):
    vote = open_vote(session, method=M.SECRET)
    votes.vote_cast(vote=vote, participant=board_voter, choice="yes")
    assert vote.casts.count() == 1


def test_a_board_role_elsewhere_does_not_exclude(session, world):
    paul = voter(session, "Paul")
    Contact.objects.filter(pk=paul.contact_id).update(user=world.users["duesseldorf_board"])
    vote = open_vote(session, method=M.SECRET, subject="discharge")
    votes.vote_cast(vote=vote, participant=paul, choice="yes")
    assert vote.eligible_at_open == 6


def test_a_rejected_discharge_makes_no_resolution(session, board_voter):
    vote = open_vote(session, method=M.CARDS, subject="discharge")
    assert vote.eligible_at_open == 5
    with translation.override("en"), pytest.raises(ValidationError, match="only 5 voters"):
        votes.vote_count_enter(vote=vote, yes=3, no=3, abstain=0, actor=None)
    votes.vote_count_enter(vote=vote, yes=2, no=3, abstain=0, actor=None)
    assert votes.vote_close(vote=vote, actor=None).adopted is False
    assert not Resolution.objects.exists()


# --- record: audit and live version -------------------------------------------------------------

def test_every_step_is_audited_and_bumps_the_live_version(session):
    def version():  # the row, not the cache: on_commit does not run inside a test's transaction
        return Assembly.objects.values_list("live_version", flat=True).get(pk=session.pk)

    start = version()
    vote = open_vote(session, method=M.ELECTRONIC)
    after_open = version()
    votes.vote_cast(vote=vote, participant=voter(session, "Rosa"), choice="yes")
    after_cast = version()
    votes.vote_close(vote=vote, actor=None)
    assert start < after_open < after_cast < version()
    rows = AuditEntry.objects.filter(object_type="assemblies.vote", object_id=str(vote.pk))
    changes = [row.changes for row in rows.order_by("pk")]
    assert changes[0]["method"] == [None, "electronic"]
    assert changes[1]["status"] == ["prepared", "open"]
    assert changes[2]["choice"] == [None, "yes"]
    assert changes[3]["status"] == ["open", "closed"] and changes[3]["casts"] == [None, 1]
    assert all(row.organisation == session.organisation for row in rows)


# --- the chair's pages -------------------------------------------------------------------------

def staff_url(assembly, tail=""):
    return f"/staff/{assembly.organisation.slug}/assemblies/{assembly.pk}/motions/{tail}"


def test_the_chair_runs_a_vote_through_the_page(session, chair, login):
    client = login(None)
    client.force_login(chair)
    motion = admitted_motion(session)
    response = client.post(staff_url(session, "votes/"), {
        "subject": "motion", "motion": motion.pk, "question": "", "method": "cards",
        "majority": "simple"})
    assert response.status_code == 302
    vote = Vote.objects.get()
    client.post(staff_url(session, f"votes/{vote.pk}/"), {"action": "open"})
    response = client.post(staff_url(session, f"votes/{vote.pk}/"), {
        "action": "count_close", "yes": "4", "no": "1", "abstain": "1"})
    assert response.status_code == 302
    vote.refresh_from_db()
    assert (vote.status, vote.adopted, vote.yes) == ("closed", True, 4)
    client.cookies["django_language"] = "en"
    page = client.get(staff_url(session)).content.decode()
    assert "Adopted by simple majority: 4 yes against 1 no" in page
    assert Resolution.objects.get().number in page


def test_the_page_says_when_counts_exceed_the_present(session, login):
    client = login("kassel_board")
    client.cookies["django_language"] = "en"
    vote = open_vote(session, method=M.OPEN)
    response = client.post(staff_url(session, f"votes/{vote.pk}/"), {
        "action": "count_close", "yes": "7", "no": "0", "abstain": "0"}, follow=True)
    vote.refresh_from_db()
    assert (vote.status, vote.yes) == ("open", 0)
    assert "only 6 voters were present when the vote opened" in response.content.decode()


@pytest.mark.parametrize("data", [
    {"action": "count", "yes": "-1", "no": "0", "abstain": "0"},
    {"action": "count", "yes": "drei", "no": "0", "abstain": "0"},
    {"action": "count", "yes": "1\x00", "no": "0", "abstain": "0"},
    {"action": "count"},
    {"action": "explode"},
    {},
])
def test_bad_vote_actions_change_nothing(session, login, data):
    client = login("kassel_board")
    vote = open_vote(session, method=M.OPEN)
    before = AuditEntry.objects.count()
    response = client.post(staff_url(session, f"votes/{vote.pk}/"), data)
    assert response.status_code == 302
    vote.refresh_from_db()
    assert (vote.status, vote.yes, vote.no, vote.abstain) == ("open", 0, 0, 0)
    assert AuditEntry.objects.count() == before


def test_a_bad_vote_form_changes_nothing(session, login):
    client = login("kassel_board")
    for data in ({"subject": "motion", "method": "open", "majority": "simple"},
                 {"subject": "other", "question": "x\x00", "method": "open",
                  "majority": "simple"},
                 {"subject": "other", "question": "Pause?", "method": "dice",
                  "majority": "simple"}):
        assert client.post(staff_url(session, "votes/"), data).status_code == 400
    assert not Vote.objects.exists()


@pytest.mark.parametrize("persona, status", [
    ("kassel_events", 403), ("kassel_treasurer", 403), ("duesseldorf_board", 404)])
def test_who_may_not_run_votes(session, login, persona, status):
    vote = open_vote(session, method=M.SECRET)
    client = login(persona)
    assert client.post(staff_url(session, f"votes/{vote.pk}/"),
                       {"action": "close"}).status_code == status
    assert client.post(staff_url(session, "votes/"), {
        "subject": "other", "question": "Pause?", "method": "open",
        "majority": "simple"}).status_code == status
    assert client.get(staff_url(session, f"votes/{vote.pk}/tally/")).status_code == status
    vote.refresh_from_db()
    assert vote.status == "open" and Vote.objects.count() == 1


def test_another_assemblys_vote_is_not_found(session, make_assembly, login, world):
    other = in_session(make_assembly(organisation=world.kassel, title="Zweite", members=[]),
                       present=[])
    foreign = open_vote(other, method=M.OPEN)
    client = login("kassel_board")
    assert client.post(staff_url(session, f"votes/{foreign.pk}/"),
                       {"action": "close"}).status_code == 404
    assert client.get(staff_url(session, f"votes/{foreign.pk}/tally/")).status_code == 404


def test_the_tally_is_polled_cheaply(session, login):
    client = login("kassel_board")
    vote = open_vote(session, method=M.SECRET)
    votes.vote_cast(vote=vote, participant=voter(session, "Rosa"), choice="no")
    session.refresh_from_db()
    url = staff_url(session, f"votes/{vote.pk}/tally/")
    response = client.get(url, {"v": "0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "1" in response.content.decode() and "6" in response.content.decode()
    assert client.get(url, {"v": str(session.live_version)}).status_code == 204


# --- the phone ----------------------------------------------------------------------------------

def test_a_voter_votes_on_the_phone(session):
    vote = open_vote(session, method=M.SECRET)
    client, base = phone(voter(session, "Rosa"))
    page = client.get(f"{base}voting/").content.decode()
    assert vote.question in page and 'value="yes"' in page
    response = client.post(f"{base}vote/{vote.pk}/", {"choice": "yes"}, follow=True)
    page = response.content.decode()
    assert "Your vote was counted." in page and 'value="yes"' not in page
    assert Ballot.objects.get().choice == "yes"
    again = client.post(f"{base}vote/{vote.pk}/", {"choice": "no"},
                        follow=True)
    assert "already voted" in again.content.decode()
    assert Ballot.objects.count() == 1


def test_the_phone_panel_through_htmx(session):
    vote = open_vote(session, method=M.ELECTRONIC)
    client, base = phone(voter(session, "Karl"))
    response = client.post(f"{base}vote/{vote.pk}/", {"choice": "abstain"},
                           HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="voting-panel"' in page and "<html" not in page
    assert "Your vote was counted." in page
    session.refresh_from_db()
    assert client.get(f"{base}voting/", {"v": str(session.live_version)},
                      HTTP_HX_REQUEST="true").status_code == 204
    assert client.get(f"{base}voting/", {"v": "0"}, HTTP_HX_REQUEST="true").status_code == 200


def test_the_phone_says_not_checked_in(assembly):
    in_session(assembly, present=["Rosa"])
    vote = open_vote(assembly, method=M.SECRET)
    client, base = phone(voter(assembly, "Paul"))
    page = client.get(f"{base}voting/").content.decode()
    assert "You are not checked in" in page and 'value="yes"' not in page
    response = client.post(f"{base}vote/{vote.pk}/", {"choice": "yes"}, follow=True)
    assert "not checked in" in response.content.decode()
    # Through htmx the refusal is swapped into the panel (htmx swaps no 4xx response).
    response = client.post(f"{base}vote/{vote.pk}/", {"choice": "yes"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in page and "not checked in" in page
    assert not VoteCast.objects.exists()


def test_the_phone_refuses_guests_and_bad_choices(session):
    guest = services.guest_add(assembly=session, name="Gast Gustav", actor=None)
    attendance.check_in(participant=guest, actor=None)
    vote = open_vote(session, method=M.SECRET)
    client, base = phone(guest)
    page = client.get(f"{base}voting/").content.decode()
    assert "guests do not vote" in page
    response = client.post(f"{base}vote/{vote.pk}/", {"choice": "yes"}, follow=True)
    assert "Guests do not vote" in response.content.decode()
    client, base = phone(voter(session, "Rosa"))
    for data in ({"choice": "vielleicht"}, {"choice": "yes\x00"}, {}):
        response = client.post(f"{base}vote/{vote.pk}/", data,
                               follow=True)
        assert "Choose yes, no or abstain" in response.content.decode()
    assert not VoteCast.objects.exists()


def test_a_token_cannot_reach_another_assemblys_vote(session, make_assembly, world):
    other = in_session(make_assembly(organisation=world.duesseldorf, members=[
        ("Dora", "Düssel", "flinta", "dora@example.org", "")]), present=["Dora"])
    foreign = open_vote(other, method=M.SECRET)
    client, base = phone(voter(session, "Rosa"))
    assert client.post(f"{base}vote/{foreign.pk}/", {"choice": "yes"}).status_code == 404
    assert not VoteCast.objects.exists()
    assert client.get(base.replace("-", "-x", 1) + "voting/").status_code == 404
    assert client.post(base.replace("-", "-x", 1) + f"vote/{foreign.pk}/",
                       {"choice": "yes"}).status_code == 404


def test_the_phone_shows_a_hall_vote_without_buttons(session):
    open_vote(session, method=M.OPEN)
    client, base = phone(voter(session, "Rosa"))
    page = client.get(f"{base}voting/").content.decode()
    assert "taken in the hall" in page and 'value="yes"' not in page
