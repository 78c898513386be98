"""Through the services and the database: whatever the candidates, the ballots and the quota
rules, a counted election never gives a reserved place to an open candidate under fallback
"vacant", keeps the minimum share, and its tally adds up."""

from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mitmachen.assemblies import elections
from mitmachen.assemblies.models import Ballot, Election, Participant, VoteCast

from .test_elections import in_session

pytestmark = pytest.mark.django_db

candidates_st = st.lists(st.sampled_from(["flinta", "open"]), min_size=1, max_size=8)


@st.composite
def cases(draw):
    categories = draw(candidates_st)
    seats = draw(st.integers(1, 6))
    per_ballot = draw(st.none() | st.integers(1, seats))
    limit = per_ballot or seats
    # Six voters: each names up to `limit` candidates, or abstains.
    ballots = [draw(st.lists(st.integers(0, len(categories) - 1), max_size=limit, unique=True))
               for _ in range(6)]
    return {
        "categories": categories, "seats": seats, "per_ballot": per_ballot,
        "reserved": draw(st.sampled_from(["none", "odd", "even"])),
        "min_share": draw(st.sampled_from([0, 33, 40, 50, 67, 100])),
        "fallback": draw(st.sampled_from(["vacant", "open"])),
        "min_votes": draw(st.integers(1, 3)), "ballots": ballots,
    }


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(case=cases())
def test_a_counted_election_keeps_the_quota(assembly, case):
    with transaction.atomic():
        _run(assembly, case)
        transaction.set_rollback(True)  # each example starts from the same assembly


def _run(assembly, case):
    assembly.refresh_from_db()  # the previous example's session was rolled back
    in_session(assembly)
    election = elections.election_create(
        assembly=assembly, actor=None, title="Liste", kind="list", seats=case["seats"],
        reserved=case["reserved"], min_share=case["min_share"], fallback=case["fallback"],
        method="secret", votes_per_ballot=case["per_ballot"], min_votes=case["min_votes"])
    candidates = [elections.candidate_add(election=election, name=f"C{n}", category=category,
                                          actor=None)
                  for n, category in enumerate(case["categories"])]
    elections.election_open(election=election, actor=None)
    voters = Participant.objects.filter(assembly=assembly, kind="voter").order_by("pk")
    expected = {c.pk: 0 for c in candidates}
    for participant, picks in zip(voters, case["ballots"], strict=True):
        ids = [candidates[i].pk for i in picks]
        elections.ballot_cast(election=election, participant=participant, candidate_ids=ids,
                              abstain=not ids)
        for pk in ids:
            expected[pk] += 1
    counted = elections.election_count(election=election, actor=None)
    assert counted.status == Election.Status.COUNTED

    category = {c.pk: c.category for c in candidates}
    places = counted.result["places"]
    filled = [p for p in places if p["candidate"]]
    elected = [p["candidate"]["id"] for p in filled]
    # The tally: one ballot per voter, every vote counted once.
    assert Ballot.objects.filter(election=counted).count() == 6 == \
        VoteCast.objects.filter(election=counted).count()
    assert counted.result["tally"]["ok"] is True
    assert {c.pk: c.votes for c in counted.candidates.all()} == expected
    # The places: nobody twice, no more than the seats, enough votes each, stored on the rows.
    assert len(places) == case["seats"] and len(set(elected)) == len(elected)
    assert all(expected[pk] >= case["min_votes"] for pk in elected)
    assert {c.pk: c.place for c in counted.candidates.all() if c.place} == {
        p["candidate"]["id"]: p["number"] for p in filled}
    for place in places:
        reserved = (case["reserved"] == "odd" and place["number"] % 2 == 1) or (
            case["reserved"] == "even" and place["number"] % 2 == 0)
        assert place["reserved"] is reserved
    women = sum(category[pk] == "flinta" for pk in elected)
    if case["fallback"] == "vacant":
        # The guarantee: a reserved place holds a woman/FLINTA* or stays free, and the share
        # holds among the filled places.
        for place in filled:
            if place["reserved"]:
                assert category[place["candidate"]["id"]] == "flinta", place
        if filled:
            assert Fraction(women, len(filled)) >= Fraction(case["min_share"], 100)
        assert counted.result["quota_met"] is True
    else:
        # A reserved place goes to open only when released, and only when no electable woman
        # was left over.
        left_women = [pk for pk, votes in expected.items() if category[pk] == "flinta"
                      and votes >= case["min_votes"] and pk not in elected]
        for place in filled:
            if place["reserved"] and category[place["candidate"]["id"]] == "open":
                assert place["released"] and not left_women, place
