"""Elections through the services and the pages: creating and validating, candidates, secret
electronic voting end to end, paper results, counting with the quota rules, run-offs, and who
may use which page."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from mitmachen.assemblies import elections, services
from mitmachen.assemblies.models import (
    AgendaItem,
    Assembly,
    Ballot,
    Candidate,
    Election,
    Participant,
    Vote,
    VoteCast,
)
from mitmachen.core.models import AuditEntry

from .conftest import participant_client, voter

pytestmark = pytest.mark.django_db

BOARD = {"title": "Vorstand", "kind": "board", "seats": 2, "reserved": "odd", "min_share": 0,
         "fallback": "vacant", "method": "secret"}


def make_election(assembly, **fields) -> Election:
    return elections.election_create(assembly=assembly, actor=None, **{**BOARD, **fields})


def in_session(assembly: Assembly, *, present=True) -> Assembly:
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    assembly.refresh_from_db()
    if present:
        assembly.participants.filter(kind=Participant.Kind.VOTER).update(present=True)
    return assembly


def nominate(election, *rows) -> dict[str, Candidate]:
    """rows: (name, category) for people not on the list, or a Participant."""
    out = {}
    for row in rows:
        if isinstance(row, Participant):
            candidate = elections.candidate_add(election=election, participant=row, actor=None)
        else:
            candidate = elections.candidate_add(election=election, name=row[0],
                                                category=row[1], actor=None)
        out[candidate.name.split()[0]] = candidate
    return out


def cast(election, participant, *candidates, abstain=False):
    return elections.ballot_cast(election=election, participant=participant,
                                 candidate_ids=[c.pk for c in candidates], abstain=abstain)


def english(client):
    """Pages follow the language cookie (core.language), not the browser's Accept-Language."""
    client.cookies["django_language"] = "en"
    return client


def place_names(election) -> list:
    election.refresh_from_db()
    return [p["candidate"]["name"].split()[0] if p["candidate"] else None
            for p in election.result["places"]]


# --- creating and validating ----------------------------------------------------------------

def test_create_records_the_settings_and_audits(assembly):
    item = services.item_create(assembly=assembly, title="Wahlen", actor=None,
                                kind=AgendaItem.Kind.ELECTION)
    election = make_election(assembly, item=item, votes_per_ballot=1, min_votes=2,
                             min_share=50)
    assert (election.status, election.seats, election.min_share, election.item) == (
        Election.Status.NOMINATING, 2, 50, item)
    entry = AuditEntry.objects.get(object_type="assemblies.election", object_id=str(election.pk))
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.organisation == assembly.organisation


@pytest.mark.parametrize("field, value", [
    ("seats", 0), ("seats", 201), ("seats", "3"), ("seats", True), ("seats", None),
    ("min_share", -1), ("min_share", 101), ("min_share", 0.5),
    ("title", ""), ("title", "   "), ("title", "Vor\x00stand"), ("title", "x" * 201),
    ("title", 42), ("kind", "council"), ("reserved", "all"), ("fallback", "lot"),
    ("method", "show_of_hands"), ("votes_per_ballot", 0), ("votes_per_ballot", 3),
    ("min_votes", 0), ("min_votes", "1"),
])
def test_create_refuses_bad_input_and_changes_nothing(assembly, field, value):
    with pytest.raises(ValidationError) as caught:
        make_election(assembly, **{field: value})
    assert field in caught.value.message_dict
    assert not Election.objects.exists()


def test_create_refuses_another_assemblys_item_and_a_closed_assembly(assembly, make_assembly,
                                                                     world):
    other = make_assembly(organisation=world.duesseldorf, members=[])
    foreign = services.item_create(assembly=other, title="Wahlen", actor=None)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        make_election(assembly, item=foreign)
    assert caught.value.message_dict["item"] == ["Choose an item of this assembly."]
    in_session(assembly)
    services.status_change(assembly=assembly, status=Assembly.Status.CLOSED, actor=None)
    with pytest.raises(ValidationError):
        make_election(assembly)
    assert not Election.objects.exists()


def test_update_while_nominating_only(assembly):
    election = make_election(assembly)
    nominate(election, voter(assembly, "Rosa"))
    elections.election_update(election=election, data={"seats": 3, "min_share": 50},
                              actor=None)
    election.refresh_from_db()
    assert (election.seats, election.min_share) == (3, 50)
    with pytest.raises(ValidationError):
        elections.election_update(election=election, data={"seats": 0}, actor=None)
    election.refresh_from_db()
    assert election.seats == 3
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    with pytest.raises(ValidationError):
        elections.election_update(election=election, data={"seats": 2}, actor=None)
    election.refresh_from_db()
    assert election.seats == 3


# --- candidates --------------------------------------------------------------------------------

def test_candidates_take_the_participants_category_and_stand_once(assembly):
    election = make_election(assembly)
    rosa = voter(assembly, "Rosa")
    candidate = elections.candidate_add(election=election, participant=rosa, category="open",
                                        actor=None)
    # The list of participants decides; the chair cannot re-file someone for the quota.
    assert (candidate.name, candidate.category, candidate.nominated) == ("Rosa Roth", "flinta", 1)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        elections.candidate_add(election=election, participant=rosa, actor=None)
    assert caught.value.message_dict["participant"] == ["Rosa Roth is already a candidate."]
    outsider = elections.candidate_add(election=election, name="  Ilse Gast ", category="flinta",
                                       actor=None)
    assert (outsider.name, outsider.participant, outsider.nominated) == ("Ilse Gast", None, 2)
    elections.candidate_withdraw(candidate=candidate, actor=None)
    again = elections.candidate_add(election=election, participant=rosa, actor=None)
    assert again.nominated == 3
    assert election.candidates.filter(withdrawn=False).count() == 2


@pytest.mark.parametrize("name, category", [
    ("", "flinta"), ("Ilse", ""), ("Ilse", "woman"), ("Il\x00se", "open"), ("x" * 201, "open"),
    (None, "open"), (["Ilse"], "open"),
])
def test_candidate_bad_input_changes_nothing(assembly, name, category):
    election = make_election(assembly)
    with pytest.raises(ValidationError):
        elections.candidate_add(election=election, name=name, category=category, actor=None)
    assert not Candidate.objects.exists()


def test_candidate_of_another_assembly_is_refused(assembly, make_assembly, world):
    other = make_assembly(organisation=world.duesseldorf,
                          members=[("Dora", "Dahl", "flinta", "dora@example.org", "")])
    election = make_election(assembly)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        elections.candidate_add(election=election, participant=other.participants.get(),
                                actor=None)
    assert caught.value.message_dict["participant"] == ["Choose a participant of this assembly."]
    assert not Candidate.objects.exists()


def test_guest_without_category_needs_one(assembly):
    guest = services.guest_add(assembly=assembly, name="Gustav Gast", actor=None)
    election = make_election(assembly)
    with pytest.raises(ValidationError):
        elections.candidate_add(election=election, participant=guest, actor=None)
    candidate = elections.candidate_add(election=election, participant=guest, category="open",
                                        actor=None)
    assert candidate.category == "open"


def test_candidates_cannot_change_once_voting_opened(assembly):
    election = make_election(assembly)
    people = nominate(election, voter(assembly, "Rosa"), voter(assembly, "Karl"))
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    with pytest.raises(ValidationError):
        elections.candidate_add(election=election, name="Spät", category="open", actor=None)
    with pytest.raises(ValidationError):
        elections.candidate_withdraw(candidate=people["Rosa"], actor=None)
    assert election.candidates.filter(withdrawn=False).count() == 2


# --- opening -----------------------------------------------------------------------------------

def test_open_needs_a_session_candidates_and_present_voters(assembly):
    election = make_election(assembly)
    with translation.override("en"):
        with pytest.raises(ValidationError, match="in session"):
            elections.election_open(election=election, actor=None)
        in_session(assembly, present=False)
        with pytest.raises(ValidationError, match="at least one candidate"):
            elections.election_open(election=election, actor=None)
        nominate(election, voter(assembly, "Rosa"))
        with pytest.raises(ValidationError, match="No voting member"):
            elections.election_open(election=election, actor=None)
        assembly.participants.filter(name__in=["Rosa Roth", "Karl Lieb"]).update(present=True)
        services.guest_add(assembly=assembly, name="Gast", actor=None)
        assembly.participants.filter(kind="guest").update(present=True)
        opened = elections.election_open(election=election, actor=None)
        assert (opened.status, opened.eligible_at_open) == (Election.Status.VOTING, 2)
        with pytest.raises(ValidationError, match="already been opened"):
            elections.election_open(election=election, actor=None)


def test_one_electronic_vote_or_election_at_a_time(assembly):
    in_session(assembly)
    first, second = make_election(assembly), make_election(assembly, title="Kasse")
    paper = make_election(assembly, title="Revision", method="paper")
    for election in (first, second, paper):
        nominate(election, voter(assembly, "Rosa"))
    elections.election_open(election=first, actor=None)
    with translation.override("en"), pytest.raises(ValidationError, match="Another vote"):
        elections.election_open(election=second, actor=None)
    # Paper ballots go round the hall: they do not compete for the phones.
    elections.election_open(election=paper, actor=None)
    elections.election_count(election=first, actor=None)
    Vote.objects.create(assembly=assembly, question="Entlastung", method=Vote.Method.SECRET,
                        status=Vote.Status.OPEN)
    with pytest.raises(ValidationError):
        elections.election_open(election=second, actor=None)
    second.refresh_from_db()
    assert second.status == Election.Status.NOMINATING


# --- voting ------------------------------------------------------------------------------------

def test_one_ballot_each_within_the_limits(assembly):
    election = make_election(assembly, seats=2, votes_per_ballot=1)
    people = nominate(election, voter(assembly, "Rosa"), voter(assembly, "Karl"),
                      ("Ilse Gast", "flinta"))
    other = make_election(assembly, title="Kasse", method="paper")
    foreign = nominate(other, voter(assembly, "Paul"))["Paul"]
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    rosa, karl = voter(assembly, "Rosa"), voter(assembly, "Karl")
    with translation.override("en"):
        with pytest.raises(ValidationError, match="at most 1"):
            cast(election, rosa, people["Rosa"], people["Karl"])
        with pytest.raises(ValidationError, match="at most once"):
            elections.ballot_cast(election=election, participant=rosa,
                                  candidate_ids=[people["Rosa"].pk, people["Rosa"].pk])
        with pytest.raises(ValidationError, match="candidates of this election"):
            cast(election, rosa, foreign)
        with pytest.raises(ValidationError, match="candidates of this election"):
            elections.ballot_cast(election=election, participant=rosa, candidate_ids=["1"])
        with pytest.raises(ValidationError, match="Either abstain"):
            cast(election, rosa, people["Karl"], abstain=True)
        assert not Ballot.objects.exists() and not VoteCast.objects.exists()
        cast(election, rosa, people["Ilse"])
        with pytest.raises(ValidationError, match="already voted"):
            cast(election, rosa, people["Karl"])
        cast(election, karl, abstain=True)
    assert VoteCast.objects.filter(election=election).count() == 2
    assert sorted(map(str, Ballot.objects.values_list("choice", flat=True))) == sorted(
        ["[]", str([people["Ilse"].pk])])
    assert elections.ballots_cast_now(election) == 2


def test_only_present_voters_of_this_assembly_vote(assembly, make_assembly, world):
    election = make_election(assembly)
    rosa_candidate = nominate(election, voter(assembly, "Rosa"))["Rosa"]
    in_session(assembly, present=False)
    assembly.participants.filter(name="Clara Zeller").update(present=True)
    elections.election_open(election=election, actor=None)
    guest = services.guest_add(assembly=assembly, name="Gast", actor=None)
    Participant.objects.filter(pk=guest.pk).update(present=True)
    other = make_assembly(organisation=world.duesseldorf,
                          members=[("Dora", "Dahl", "flinta", "dora@example.org", "")])
    stranger = other.participants.get()
    Participant.objects.filter(pk=stranger.pk).update(present=True)
    with translation.override("en"):
        with pytest.raises(ValidationError, match="not checked in"):
            cast(election, voter(assembly, "Rosa"), rosa_candidate)
        with pytest.raises(ValidationError, match="Guests do not vote"):
            cast(election, Participant.objects.get(pk=guest.pk), rosa_candidate)
        with pytest.raises(ValidationError, match="not a participant of this assembly"):
            cast(election, stranger, rosa_candidate)
    assert not VoteCast.objects.exists() and not Ballot.objects.exists()
    cast(election, voter(assembly, "Clara"), rosa_candidate)
    elections.election_count(election=election, actor=None)
    with translation.override("en"), pytest.raises(ValidationError, match="not open"):
        cast(election, voter(assembly, "Clara"), rosa_candidate)


def test_ballots_are_refused_before_opening_and_on_paper(assembly):
    election = make_election(assembly)
    paper = make_election(assembly, title="Kasse", method="paper")
    rosa = nominate(election, voter(assembly, "Rosa"))["Rosa"]
    paper_rosa = nominate(paper, voter(assembly, "Rosa"))["Rosa"]
    in_session(assembly)
    with pytest.raises(ValidationError):
        cast(election, voter(assembly, "Karl"), rosa)
    elections.election_open(election=paper, actor=None)
    with pytest.raises(ValidationError):
        cast(paper, voter(assembly, "Karl"), paper_rosa)
    assert not VoteCast.objects.exists()


def test_open_for_lists_the_secret_elections_of_a_voter(assembly):
    election = make_election(assembly)
    rosa = nominate(election, voter(assembly, "Rosa"))["Rosa"]
    paper = make_election(assembly, title="Kasse", method="paper")
    nominate(paper, voter(assembly, "Karl"))
    in_session(assembly)
    karl = voter(assembly, "Karl")
    assert elections.open_for(karl) == []
    elections.election_open(election=election, actor=None)
    elections.election_open(election=paper, actor=None)
    assert [(e.pk, e.voted) for e in elections.open_for(karl)] == [(election.pk, False)]
    cast(election, karl, rosa)
    assert [(e.pk, e.voted) for e in elections.open_for(karl)] == [(election.pk, True)]
    guest = services.guest_add(assembly=assembly, name="Gast", actor=None)
    assert elections.open_for(guest) == []


# --- end to end: Düsseldorf's list -------------------------------------------------------------

DUESSELDORF = [(f"V{n:02d}", "Wähler", "flinta" if n % 2 else "open",
                f"v{n}@example.org", "") for n in range(1, 11)]
# name, category, votes: open candidates lead the vote, the quota decides the places.
LIST = [("Otto", "open", 9), ("Olga", "flinta", 5), ("Oskar", "open", 8),
        ("Frieda", "flinta", 4), ("Olaf", "open", 7), ("Fatma", "flinta", 3),
        ("Ole", "open", 6), ("Fenja", "flinta", 1), ("Orhan", "open", 2)]


def ballots_for(votes: dict[str, int], n_voters: int, per_ballot: int) -> list[list[str]]:
    """Split vote counts into ballots (each names a candidate at most once)."""
    ballots: list[list[str]] = [[] for _ in range(n_voters)]
    for name, count in sorted(votes.items(), key=lambda kv: -kv[1]):
        for ballot in sorted(ballots, key=len)[:count]:
            ballot.append(name)
    assert all(len(b) <= per_ballot for b in ballots)
    return ballots


def test_duesseldorf_list_election_end_to_end(make_assembly, world):
    """Seed 004: six places, odd places for women/FLINTA*, at least half; nine candidates."""
    assembly = make_assembly(organisation=world.duesseldorf, members=DUESSELDORF,
                             title="Mitgliederversammlung Kommunalwahl")
    election = make_election(assembly, title="Liste Stadtrat", kind="list", seats=6,
                             reserved="odd", min_share=50)
    people = nominate(election, *[(name, category) for name, category, _ in LIST])
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    voters = list(assembly.participants.filter(kind="voter").order_by("pk"))
    ballots = ballots_for({name: votes for name, _, votes in LIST}, len(voters), 6)
    for participant, names in zip(voters, ballots, strict=True):
        cast(election, participant, *[people[name] for name in names])
    counted = elections.election_count(election=election, actor=None)
    assert counted.status == Election.Status.COUNTED
    assert place_names(counted) == ["Olga", "Otto", "Frieda", "Oskar", "Fatma", "Olaf"]
    result = counted.result
    assert [p["reserved"] for p in result["places"]] == [True, False] * 3
    assert result["quota_met"] is True and result["ties"] == []
    assert result["tally"] == {"ballots": 10, "voters": 10, "ok": True, "method": "secret",
                               "invalid": 0, "abstain": 0}
    by_name = {c.name: c for c in counted.candidates.all()}
    assert {n: (c.votes, c.place) for n, c in by_name.items()} == {
        "Otto": (9, 2), "Olga": (5, 1), "Oskar": (8, 4), "Frieda": (4, 3), "Olaf": (7, 6),
        "Fatma": (3, 5), "Ole": (6, None), "Fenja": (1, None), "Orhan": (2, None)}
    # Counting twice is refused and changes nothing.
    with pytest.raises(ValidationError):
        elections.election_count(election=counted, actor=None)
    assert Ballot.objects.filter(election=election).count() == 10


# --- the board of two with one reserved place and no woman standing ---------------------------

@pytest.mark.parametrize("fallback, expected, released", [
    ("vacant", [None, "Karl"], [False, False]),
    ("open", ["Karl", "August"], [True, False]),
])
def test_board_of_two_without_a_woman_candidate(assembly, fallback, expected, released):
    election = make_election(assembly, fallback=fallback)
    people = nominate(election, voter(assembly, "Karl"), voter(assembly, "August"))
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    for name in ("Rosa", "Clara", "Karl"):
        cast(election, voter(assembly, name), people["Karl"], people["August"])
    cast(election, voter(assembly, "Paul"), people["Karl"])
    counted = elections.election_count(election=election, actor=None)
    assert place_names(counted) == expected
    assert [p["released"] for p in counted.result["places"]] == released
    assert counted.result["quota_met"] is (fallback == "vacant")
    with translation.override("en"):
        notes = elections.result_notes(counted)
    assert len(notes) == 1 and "Place 1 is reserved for women/FLINTA*" in notes[0]
    assert ("stays free" in notes[0]) is (fallback == "vacant")
    with translation.override("de"):
        assert elections.result_notes(counted)[0]  # translated or not, never empty


# --- paper ballots ----------------------------------------------------------------------------

def paper_election(assembly, **fields):
    election = make_election(assembly, method="paper", **fields)
    people = nominate(election, voter(assembly, "Rosa"), voter(assembly, "Karl"),
                      voter(assembly, "Clara"))
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    return election, people


def test_paper_results_are_entered_and_counted(assembly):
    election, people = paper_election(assembly, min_votes=2)
    with pytest.raises(ValidationError):
        elections.election_count(election=election, actor=None)  # nothing entered yet
    votes = {people["Rosa"].pk: 4, people["Karl"].pk: 5, people["Clara"].pk: 1}
    elections.paper_result_enter(election=election, votes=votes, ballots_cast=6, invalid=1,
                                 abstain=0, actor=None)
    # A recount replaces the count.
    votes[people["Clara"].pk], votes[people["Rosa"].pk] = 2, 3
    elections.paper_result_enter(election=election, votes=votes, ballots_cast=6, invalid=0,
                                 abstain=1, actor=None)
    counted = elections.election_count(election=election, actor=None)
    assert place_names(counted) == ["Rosa", "Karl"]
    assert (counted.ballots_cast, counted.ballots_invalid, counted.ballots_abstain) == (6, 0, 1)
    assert counted.result["tally"]["voters"] is None
    assert {c.name: c.votes for c in counted.candidates.all()} == {
        "Rosa Roth": 3, "Karl Lieb": 5, "Clara Zeller": 2}
    assert not Ballot.objects.exists()  # paper ballots stay paper
    with pytest.raises(ValidationError):
        elections.paper_result_enter(election=election, votes=votes, ballots_cast=6, invalid=0,
                                     abstain=0, actor=None)


def test_paper_result_validation_changes_nothing(assembly, make_assembly, world):
    election, people = paper_election(assembly)
    other = make_election(assembly, title="Kasse")
    foreign = nominate(other, voter(assembly, "Paul"))["Paul"]
    rosa, karl = people["Rosa"].pk, people["Karl"].pk
    bad = [
        ({rosa: 3}, 7, 0, 0, "more than the 6 voting members"),  # 6 present at opening
        ({rosa: 5}, 6, 1, 1, "more votes"),  # only 4 ballots name candidates
        ({rosa: 4, karl: 4, people["Clara"].pk: 1}, 4, 0, 0, "add up"),  # 2 per ballot
        ({rosa: -1}, 3, 0, 0, "number from 0"),
        ({rosa: 1}, 3, 2, 2, "more than the ballots cast"),
        ({foreign.pk: 1}, 3, 0, 0, "candidates of this election"),
        ({str(rosa): 1}, 3, 0, 0, "candidates of this election"),
        ({rosa: "1"}, 3, 0, 0, "whole number"),
        ([rosa], 3, 0, 0, "candidates of this election"),
        ({rosa: 1}, True, 0, 0, "whole number"),
    ]
    with translation.override("en"):
        for votes, cast_, invalid, abstain, message in bad:
            with pytest.raises(ValidationError, match=message):
                elections.paper_result_enter(election=election, votes=votes,
                                             ballots_cast=cast_, invalid=invalid,
                                             abstain=abstain, actor=None)
    election.refresh_from_db()
    assert (election.ballots_cast, election.result) == (0, {})
    assert not Candidate.objects.filter(votes__gt=0).exists()
    # Someone who arrived after the ballots went round may have voted: the larger count holds.
    Participant.objects.filter(kind="voter").update(present=False)
    services.guest_add(assembly=assembly, name="Gast", actor=None)
    elections.paper_result_enter(election=election, votes={rosa: 6}, ballots_cast=6, invalid=0,
                                 abstain=0, actor=None)


def test_paper_entry_is_refused_for_secret_elections(assembly):
    election = make_election(assembly)
    rosa = nominate(election, voter(assembly, "Rosa"))["Rosa"]
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    with pytest.raises(ValidationError):
        elections.paper_result_enter(election=election, votes={rosa.pk: 1}, ballots_cast=1,
                                     invalid=0, abstain=0, actor=None)


# --- ties and new ballots ----------------------------------------------------------------------

def test_ties_across_the_cut_are_reported_and_can_go_to_a_runoff(assembly):
    election = make_election(assembly, reserved="none", seats=1)
    people = nominate(election, voter(assembly, "Karl"), voter(assembly, "Paul"),
                      voter(assembly, "August"))
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    for name, choice in [("Rosa", "Karl"), ("Clara", "Karl"), ("Emma", "Paul"),
                         ("Karl", "Paul"), ("Paul", "August")]:
        cast(election, voter(assembly, name), people[choice])
    counted = elections.election_count(election=election, actor=None)
    assert place_names(counted) == ["Karl"]  # nominated first
    assert [[p["name"] for p in group] for group in counted.result["ties"]] == [
        ["Karl Lieb", "Paul Sänger"]]
    with translation.override("en"), pytest.raises(ValidationError, match="No place is free"):
        elections.election_runoff(election=counted, actor=None)
    runoff = elections.election_runoff(election=counted, actor=None, ties=True)
    assert (runoff.seats, runoff.status, runoff.kind) == (1, "nominating", "board")
    assert sorted(runoff.candidates.values_list("name", flat=True)) == ["Karl Lieb",
                                                                        "Paul Sänger"]
    assert runoff.result["runoff_of"] == {"election": counted.pk, "title": "Vorstand",
                                          "places": [1]}
    with pytest.raises(ValidationError):
        elections.election_runoff(election=counted, actor=None, ties=True)  # exists already
    elections.election_open(election=runoff, actor=None)
    cast(runoff, voter(assembly, "Emma"), runoff.candidates.get(name="Paul Sänger"))
    done = elections.election_count(election=runoff, actor=None)
    assert place_names(done) == ["Paul"]
    assert done.result["runoff_of"]["election"] == counted.pk


def test_new_ballot_for_the_free_places_keeps_them_reserved(assembly):
    election = make_election(assembly, seats=3, reserved="odd", min_share=0)
    people = nominate(election, voter(assembly, "Rosa"), voter(assembly, "Karl"),
                      voter(assembly, "August"))
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    for name in ("Rosa", "Clara", "Emma"):
        cast(election, voter(assembly, name), people["Rosa"], people["Karl"],
             people["August"])
    cast(election, voter(assembly, "Karl"), people["Rosa"], people["Karl"])
    counted = elections.election_count(election=election, actor=None)
    assert place_names(counted) == ["Rosa", "Karl", None]  # place 3: no second woman
    with pytest.raises(ValidationError):
        elections.election_runoff(election=counted, actor=None, ties=True)  # no ties
    runoff = elections.election_runoff(election=counted, actor=None)
    assert (runoff.seats, runoff.reserved, runoff.min_share) == (1, "odd", 0)
    assert list(runoff.candidates.values_list("name", "nominated")) == [("August Bebber", 1)]
    # The chair adds the woman who now stands; she takes the reserved place.
    clara = elections.candidate_add(election=runoff, participant=voter(assembly, "Clara"),
                                    actor=None)
    elections.election_open(election=runoff, actor=None)
    cast(runoff, voter(assembly, "Rosa"), runoff.candidates.get(name="August Bebber"))
    cast(runoff, voter(assembly, "Emma"), clara)
    assert place_names(elections.election_count(election=runoff, actor=None)) == ["Clara"]


def test_runoff_quota_for_places_that_do_not_alternate(assembly):
    election = make_election(assembly, seats=4, reserved="odd", min_share=50)
    open_places = [{"number": 1, "reserved": True, "candidate": None},
                   {"number": 3, "reserved": True, "candidate": None}]
    kept = [{"number": 2, "reserved": False, "candidate": {"category": "open"}}]
    # Both free places are reserved: every place of the new ballot goes to women/FLINTA*.
    assert elections._runoff_quota(election, open_places, kept) == ("none", 100)
    # One free unreserved place, but the list lacks women for its share of half.
    kept = [{"number": n, "reserved": n % 2 == 1,
             "candidate": {"category": "open" if n != 1 else "flinta"}} for n in (1, 2, 3)]
    assert elections._runoff_quota(
        election, [{"number": 4, "reserved": False, "candidate": None}], kept) == ("none", 100)


def board_with_place_two_free(assembly) -> Election:
    """A counted board election of two places that filled only place 1 (one candidate)."""
    election = make_election(assembly, seats=2, reserved="odd")
    rosa = nominate(election, voter(assembly, "Rosa"))["Rosa"]
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    cast(election, voter(assembly, "Karl"), rosa)
    counted = elections.election_count(election=election, actor=None)
    assert place_names(counted) == ["Rosa", None]
    return counted


def counted_runoff(assembly, runoff, name, *, abstain=False) -> Election:
    """Nominate `name` for the new ballot, let Emma vote for them (or abstain), and count it."""
    person = elections.candidate_add(election=runoff, participant=voter(assembly, name),
                                     actor=None)
    elections.election_open(election=runoff, actor=None)
    if abstain:
        cast(runoff, voter(assembly, "Emma"), abstain=True)
    else:
        cast(runoff, voter(assembly, "Emma"), person)
    return elections.election_count(election=runoff, actor=None)


def test_a_place_filled_by_a_new_ballot_gets_no_second_one(assembly):
    counted = board_with_place_two_free(assembly)
    first = elections.election_runoff(election=counted, actor=None)
    assert first.result["runoff_of"]["places"] == [2]
    assert place_names(counted_runoff(assembly, first, "Karl")) == ["Karl"]
    audits = AuditEntry.objects.count()
    # The original still shows place 2 free, but the counted new ballot has filled it.
    with translation.override("en"), pytest.raises(
            ValidationError, match="A new ballot for these places exists already"):
        elections.election_runoff(election=counted, actor=None)
    assert Election.objects.filter(assembly=assembly).count() == 2
    assert AuditEntry.objects.count() == audits


def test_a_new_ballot_waiting_or_open_also_blocks_a_second(assembly):
    counted = board_with_place_two_free(assembly)
    first = elections.election_runoff(election=counted, actor=None)
    with pytest.raises(ValidationError):
        elections.election_runoff(election=counted, actor=None)  # in nominations
    elections.candidate_add(election=first, participant=voter(assembly, "Paul"), actor=None)
    elections.election_open(election=first, actor=None)
    with pytest.raises(ValidationError):
        elections.election_runoff(election=counted, actor=None)  # voting
    assert Election.objects.filter(assembly=assembly).count() == 2


def test_what_a_new_ballot_leaves_free_goes_to_a_new_ballot_from_it(assembly):
    counted = board_with_place_two_free(assembly)
    first = counted_runoff(assembly, elections.election_runoff(election=counted, actor=None),
                           "Paul", abstain=True)
    assert place_names(first) == [None]  # Paul had no vote: place 2 is still free
    # Its place 1 (the list's place 2) goes to a new ballot from it, once.
    second = elections.election_runoff(election=first, actor=None)
    assert second.result["runoff_of"] == {"election": first.pk, "title": first.title,
                                          "places": [1]}
    with pytest.raises(ValidationError):
        elections.election_runoff(election=first, actor=None)
    with pytest.raises(ValidationError):
        elections.election_runoff(election=counted, actor=None)
    assert place_names(counted_runoff(assembly, second, "Karl")) == ["Karl"]
    assert Election.objects.filter(assembly=assembly).count() == 3


def test_new_ballots_for_different_places_may_stand_side_by_side(assembly):
    election = make_election(assembly, seats=3, reserved="odd")
    people = nominate(election, voter(assembly, "Rosa"), voter(assembly, "Karl"),
                      voter(assembly, "Paul"))
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    for name, choice in [("Rosa", ["Rosa", "Karl"]), ("Clara", ["Karl", "Paul"]),
                         ("Emma", ["Paul"])]:
        cast(election, voter(assembly, name), *(people[c] for c in choice))
    counted = elections.election_count(election=election, actor=None)
    # Place 2: Karl and Paul have equal votes; place 3 is reserved and no woman is left.
    assert place_names(counted) == ["Rosa", "Karl", None]
    ties = elections.election_runoff(election=counted, actor=None, ties=True)
    free = elections.election_runoff(election=counted, actor=None)
    assert (ties.result["runoff_of"]["places"], free.result["runoff_of"]["places"]) == ([2], [3])
    for kind in (True, False):
        with pytest.raises(ValidationError):
            elections.election_runoff(election=counted, actor=None, ties=kind)
    assert Election.objects.filter(assembly=assembly).count() == 3


def test_runoff_needs_a_counted_election(assembly):
    election = make_election(assembly)
    with pytest.raises(ValidationError):
        elections.election_runoff(election=election, actor=None)
    assert Election.objects.count() == 1


# --- pages --------------------------------------------------------------------------------------

def staff_urls(assembly, election):
    base = f"/staff/{assembly.organisation.slug}/assemblies/{assembly.pk}/elections/"
    return [base, f"{base}{election.pk}/", f"{base}{election.pk}/edit/",
            f"{base}{election.pk}/status/", f"{base}{election.pk}/print/"]


@pytest.mark.parametrize("persona, status", [
    ("kassel_board", 200), ("hessen_board", 200), ("kassel_events", 403),
    ("kassel_admin", 403), ("duesseldorf_board", 404), ("duesseldorf_member", 404),
])
def test_who_may_open_the_staff_pages(assembly, login, persona, status):
    election = make_election(assembly)
    client = login(persona)
    for url in staff_urls(assembly, election):
        assert client.get(url).status_code == status, url


def test_anonymous_is_sent_to_log_in_and_the_chair_may_run_it(assembly, login, world):
    election = make_election(assembly)
    for url in staff_urls(assembly, election):
        response = login(None).get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    services.assembly_update(assembly=assembly, data={"chair": world.users["kassel_events"]},
                             actor=None)
    client = login("kassel_events")
    for url in staff_urls(assembly, election):
        assert client.get(url).status_code == 200, url
    response = client.post(f"{staff_urls(assembly, election)[1]}candidates/", {
        "participant": voter(assembly, "Rosa").pk, "name": "", "category": ""})
    assert response.status_code == 302
    assert election.candidates.get().name == "Rosa Roth"


def test_another_organisations_election_is_not_found(assembly, make_assembly, login, world):
    other = make_assembly(organisation=world.duesseldorf, members=[])
    foreign = make_election(other)
    client = login("kassel_board")
    base = f"/staff/kassel/assemblies/{assembly.pk}/elections/"
    assert client.get(f"{base}{foreign.pk}/").status_code == 404
    assert client.post(f"{base}{foreign.pk}/open/").status_code == 404
    assert client.post(f"{base}{foreign.pk}/count/").status_code == 404


def test_the_chairs_pages_run_an_election(assembly, login):
    client = english(login("kassel_board"))
    base = f"/staff/kassel/assemblies/{assembly.pk}/elections/"
    form = {"title": "Vorstand", "kind": "board", "seats": "2", "reserved": "odd",
            "min_share": "50", "fallback": "vacant", "votes_per_ballot": "", "min_votes": "1",
            "method": "secret", "item": ""}
    bad = client.post(base, {**form, "seats": "0", "title": "V\x00"})
    assert bad.status_code == 200 and not Election.objects.exists()
    response = client.post(base, form)
    election = Election.objects.get()
    assert response["Location"] == f"{base}{election.pk}/"
    one = f"{base}{election.pk}/"
    for who in ("Rosa", "Karl", "August"):
        client.post(f"{one}candidates/", {"participant": voter(assembly, who).pk})
    client.post(f"{one}candidates/", {"name": "Ilse Gast", "category": ""})  # refused
    assert election.candidates.count() == 3
    august = election.candidates.get(name="August Bebber")
    client.post(f"{one}candidates/{august.pk}/withdraw/")
    assert client.get(f"{one}open/").status_code == 405
    client.post(f"{one}open/")
    assert Election.objects.get().status == "nominating"  # not in session
    in_session(assembly)
    client.post(f"{one}open/")
    assert Election.objects.get().status == "voting"
    rosa = election.candidates.get(name="Rosa Roth")
    for name in ("Rosa", "Clara", "Karl"):
        cast(election, voter(assembly, name), rosa)
    status = client.get(f"{one}status/")
    assert "Ballots cast: 3 of 6 voting members present" in status.content.decode()
    assert 'hx-trigger="every 3s"' in status.content.decode()
    client.post(f"{one}count/")
    page = client.get(one).content.decode()
    assert "3 ballots = 3 voters who voted" in page
    assert "The result meets the quota rules." in page
    assert "New ballot for the free place" in page
    printed = client.get(f"{one}print/").content.decode()
    assert "Rosa Roth" in printed and "Election result" in printed
    client.post(f"{one}runoff/")
    runoff = Election.objects.exclude(pk=election.pk).get()
    assert runoff.seats == 1 and runoff.result["runoff_of"]["places"] == [2]


def test_paper_form_on_the_page(assembly, login):
    election, people = paper_election(assembly)
    client = english(login("kassel_board"))
    one = f"/staff/kassel/assemblies/{assembly.pk}/elections/{election.pk}/"
    fields = {f"votes_{c.pk}": "0" for c in people.values()}
    response = client.post(f"{one}paper/", {**fields, "ballots_cast": "9", "invalid": "0",
                                            "abstain": "0"})
    assert response.status_code == 200
    assert "more than the 6 voting members present" in response.content.decode()
    fields[f"votes_{people['Clara'].pk}"] = "4"
    response = client.post(f"{one}paper/", {**fields, "ballots_cast": "5", "invalid": "1",
                                            "abstain": "0"})
    assert response.status_code == 302
    client.post(f"{one}count/")
    assert place_names(election) == ["Clara", None]


# --- the phone ---------------------------------------------------------------------------------

def test_the_phone_casts_a_ballot_once(assembly):
    election = make_election(assembly, votes_per_ballot=1)
    people = nominate(election, voter(assembly, "Rosa"), voter(assembly, "Karl"))
    in_session(assembly)
    client, base = participant_client(voter(assembly, "Emma"))
    english(client)
    url = f"{base}elections/{election.pk}/"
    page = client.get(url).content.decode()
    assert "Voting has not been opened yet." in page
    elections.election_open(election=election, actor=None)
    page = client.get(url).content.decode()
    assert "Choose one candidate" in page and "Rosa Roth" in page
    response = client.post(url, {"candidates": [people["Rosa"].pk, people["Karl"].pk]})
    assert "Choose at most 1 candidate." in response.content.decode()
    response = client.post(url, {})
    assert "Choose candidates, or tick" in response.content.decode()
    assert not VoteCast.objects.exists()
    response = client.post(url, {"candidates": [people["Rosa"].pk]})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Your ballot was counted." in page and "<form method=\"post\" action=\"/a/" not in page
    client.post(url, {"abstain": "on"})
    assert VoteCast.objects.filter(election=election).count() == 1
    assert Ballot.objects.get().choice == [people["Rosa"].pk]


def test_the_phone_of_a_guest_or_an_absent_member_shows_why(assembly):
    election = make_election(assembly)
    rosa = nominate(election, voter(assembly, "Rosa"))["Rosa"]
    in_session(assembly, present=False)
    Participant.objects.filter(name="Karl Lieb").update(present=True)
    elections.election_open(election=election, actor=None)
    client, base = participant_client(voter(assembly, "Rosa"))
    english(client)
    page = client.get(f"{base}elections/{election.pk}/")
    assert "You are not checked in." in page.content.decode()
    client.post(f"{base}elections/{election.pk}/", {"candidates": [rosa.pk]})
    guest = services.guest_add(assembly=assembly, name="Gast", actor=None)
    client, base = participant_client(guest)
    english(client)
    page = client.get(f"{base}elections/{election.pk}/")
    assert "Guests do not vote." in page.content.decode()
    assert not VoteCast.objects.exists()


def test_the_phone_answers_404_to_wrong_links(assembly, make_assembly, world):
    election = make_election(assembly)
    other = make_assembly(organisation=world.duesseldorf,
                          members=[("Dora", "Dahl", "flinta", "dora@example.org", "")])
    client, base = participant_client(other.participants.get())
    assert client.get(f"{base}elections/{election.pk}/").status_code == 404
    rosa = voter(assembly, "Rosa")
    assert client.get(f"/a/{rosa.pk}-{'0' * 32}/elections/{election.pk}/").status_code == 404
    assert client.get(f"/a/x/elections/{election.pk}/").status_code == 404


def test_the_assembly_closes_only_after_the_count_and_then_nothing_changes(assembly):
    election = make_election(assembly)
    rosa = nominate(election, voter(assembly, "Rosa"))["Rosa"]
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    cast(election, voter(assembly, "Karl"), rosa)
    with translation.override("en"), pytest.raises(ValidationError, match="still open"):
        services.status_change(assembly=assembly, status=Assembly.Status.CLOSED, actor=None)
    assembly.refresh_from_db()
    assert assembly.status == Assembly.Status.IN_SESSION
    counted = elections.election_count(election=election, actor=None)
    assert place_names(counted) == ["Rosa", None]
    services.status_change(assembly=assembly, status=Assembly.Status.CLOSED, actor=None)
    with translation.override("en"), pytest.raises(ValidationError, match="not open"):
        cast(election, voter(assembly, "Paul"), rosa)
    with translation.override("en"), pytest.raises(ValidationError, match="assembly is closed"):
        elections.election_runoff(election=counted, actor=None)
    assert Election.objects.count() == 1 and VoteCast.objects.count() == 1
