"""Election results with reserved places and a minimum share: worked examples, and properties
over any candidates, places and rules (compared with a brute force on small instances)."""

from fractions import Fraction
from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mitmachen.assemblies.rules import quota
from mitmachen.assemblies.rules.quota import (
    EVEN,
    NONE,
    ODD,
    RELEASE,
    VACANT,
    Allocation,
    Candidate,
    Note,
    QuotaRules,
    allocate,
    is_reserved,
    rank_key,
)
from mitmachen.assemblies.rules.speakers import FLINTA, OPEN, category_of

HALF = Fraction(1, 2)


def names(allocation: Allocation, people: dict) -> list:
    return [people[p.candidate_id] if p.candidate_id is not None else None
            for p in allocation.places]


def field(*rows):
    """Candidates from (name, category, votes) in nomination order; ids 1, 2, ..."""
    candidates = [Candidate(id=i, category=cat, votes=votes, nominated=i)
                  for i, (_, cat, votes) in enumerate(rows, start=1)]
    return candidates, {i: name for i, (name, _, _) in enumerate(rows, start=1)}


# --- worked examples ----------------------------------------------------------------------------

def test_duesseldorf_list_odd_places_for_women_and_at_least_half():
    """Seed 004: a municipal list, odd places for women/FLINTA*, at least 50/50."""
    candidates, people = field(("Dirk", OPEN, 45), ("Anna", FLINTA, 40), ("Emil", OPEN, 30),
                               ("Berta", FLINTA, 25), ("Fritz", OPEN, 20),
                               ("Clara", FLINTA, 12), ("Gerd", OPEN, 5))
    result = allocate(candidates, seats=6, rules=QuotaRules(reserved=ODD, min_share=HALF))
    assert names(result, people) == ["Anna", "Dirk", "Berta", "Emil", "Clara", "Fritz"]
    assert [p.reserved for p in result.places] == [True, False] * 3
    assert result.quota_met
    assert result.notes == () and result.ties == ()


def test_duesseldorf_list_women_may_take_even_places_too():
    candidates, people = field(("Anna", FLINTA, 50), ("Berta", FLINTA, 40), ("Dirk", OPEN, 30),
                               ("Clara", FLINTA, 20))
    result = allocate(candidates, seats=4, rules=QuotaRules(reserved=ODD, min_share=HALF))
    assert names(result, people) == ["Anna", "Berta", "Clara", "Dirk"]
    assert result.quota_met


def test_duesseldorf_list_with_too_few_women_leaves_odd_places_free():
    candidates, people = field(("Dirk", OPEN, 45), ("Anna", FLINTA, 40), ("Emil", OPEN, 30),
                               ("Fritz", OPEN, 20))
    result = allocate(candidates, seats=4, rules=QuotaRules(reserved=ODD, min_share=HALF))
    # Reserved place 3 stays free, as no woman is left; Anna alone would hold a third of three
    # filled places, so Emil's place 4 is freed as well: Anna and Dirk are half and half.
    assert names(result, people) == ["Anna", "Dirk", None, None]
    assert result.quota_met
    assert [(n.msgid, n.params["number"]) for n in result.notes] == [
        (quota.RESERVED_VACANT, 3), (quota.SHARE_VACANT, 4)]


def test_board_of_two_with_one_reserved_place_and_no_woman_stays_free():
    candidates, people = field(("Dirk", OPEN, 30), ("Emil", OPEN, 20), ("Fritz", OPEN, 10))
    result = allocate(candidates, seats=2, rules=QuotaRules(reserved=ODD, fallback=VACANT))
    assert names(result, people) == [None, "Dirk"]
    assert result.places[0] == quota.Place(1, reserved=True, candidate_id=None)
    assert result.quota_met
    assert result.notes == (
        "Place 1 is reserved for women/FLINTA* and no woman/FLINTA* candidate with enough "
        "votes is left: it stays free.",)


def test_board_of_two_with_one_reserved_place_and_no_woman_goes_to_open():
    candidates, people = field(("Dirk", OPEN, 30), ("Emil", OPEN, 20), ("Fritz", OPEN, 10))
    result = allocate(candidates, seats=2, rules=QuotaRules(reserved=ODD, fallback=RELEASE))
    assert names(result, people) == ["Dirk", "Emil"]
    assert result.places[0] == quota.Place(1, reserved=True, candidate_id=1, released=True)
    assert not result.places[1].released
    assert not result.quota_met
    assert [n.msgid for n in result.notes] == [quota.RESERVED_RELEASED]


def test_even_places_reserved():
    candidates, people = field(("Dirk", OPEN, 30), ("Anna", FLINTA, 20), ("Emil", OPEN, 25))
    result = allocate(candidates, seats=3, rules=QuotaRules(reserved=EVEN))
    assert names(result, people) == ["Dirk", "Anna", "Emil"]
    assert [p.reserved for p in result.places] == [False, True, False]


def test_minimum_share_gives_the_lowest_open_place_to_the_best_woman_left():
    candidates, people = field(("A", OPEN, 50), ("B", OPEN, 40), ("C", OPEN, 30),
                               ("Fa", FLINTA, 20), ("Fb", FLINTA, 10))
    result = allocate(candidates, seats=4, rules=QuotaRules(min_share=HALF))
    # Places keep their order: the replaced place 3 gets Fb.
    assert names(result, people) == ["A", "B", "Fb", "Fa"]
    assert result.quota_met
    assert [(n.msgid, n.params) for n in result.notes] == [
        (quota.SHARE_REPLACED, {"number": 3, "share": "50 %"})]


def test_minimum_share_without_women_left_frees_places_or_falls_short():
    candidates, people = field(("A", OPEN, 50), ("B", OPEN, 40), ("C", OPEN, 30),
                               ("Fa", FLINTA, 20))
    vacant = allocate(candidates, seats=4, rules=QuotaRules(min_share=HALF))
    assert names(vacant, people) == ["A", None, None, "Fa"]
    assert vacant.quota_met
    short = allocate(candidates, seats=4, rules=QuotaRules(min_share=HALF, fallback=RELEASE))
    assert names(short, people) == ["A", "B", "C", "Fa"]
    assert not short.quota_met
    assert short.notes == ("No woman/FLINTA* candidate with enough votes is left: "
                           "women/FLINTA* hold less than 50 % of the filled places.",)


def test_share_that_is_not_a_whole_per_cent_is_shown_as_a_fraction():
    candidates, _ = field(("A", OPEN, 5), ("B", OPEN, 4), ("F", FLINTA, 1))
    result = allocate(candidates, seats=2, rules=QuotaRules(min_share=Fraction(1, 3)))
    assert result.notes[0].params["share"] == "1/3"


def test_too_few_votes_is_not_elected():
    candidates, people = field(("A", OPEN, 5), ("F", FLINTA, 2), ("B", OPEN, 4))
    result = allocate(candidates, seats=3, rules=QuotaRules(reserved=ODD, min_votes=3))
    assert names(result, people) == [None, "A", None]
    assert [(n.msgid, n.params["number"]) for n in result.notes] == [
        (quota.RESERVED_VACANT, 1), (quota.RESERVED_VACANT, 3)]
    nobody = allocate(candidates, seats=2, rules=QuotaRules(min_votes=10))
    assert names(nobody, people) == [None, None]
    assert [n.msgid for n in nobody.notes] == [quota.NOBODY_LEFT] * 2


def test_no_places_and_no_candidates():
    assert allocate([], seats=0, rules=QuotaRules()) == Allocation((), (), True, ())
    empty = allocate([], seats=1, rules=QuotaRules(reserved=ODD, min_share=HALF))
    assert empty.places == (quota.Place(1, True, None),) and empty.quota_met


def test_equal_votes_decided_by_nomination_are_reported_as_ties():
    candidates, _ = field(("A", OPEN, 20), ("B", OPEN, 10), ("C", FLINTA, 10), ("D", OPEN, 10))
    result = allocate(candidates, seats=2, rules=QuotaRules())
    assert [p.candidate_id for p in result.places] == [1, 2]
    assert result.ties == ((2, 3, 4),)


def test_a_woman_on_a_reserved_place_ties_with_no_open_candidate():
    candidates, _ = field(("F", FLINTA, 10), ("O", OPEN, 10))
    assert allocate(candidates, seats=1, rules=QuotaRules(reserved=ODD)).ties == ()
    assert allocate(candidates, seats=1, rules=QuotaRules()).ties == ((1, 2),)


def test_all_elected_is_no_tie():
    candidates, _ = field(("A", OPEN, 10), ("B", OPEN, 10))
    assert allocate(candidates, seats=2, rules=QuotaRules()).ties == ()


def test_notes_keep_msgid_and_values_for_translation():
    note = Note(quota.NOBODY_LEFT, number=7)
    assert note == "Place 7 stays free: no candidate with enough votes is left."
    assert (note.msgid, note.params) == (quota.NOBODY_LEFT, {"number": 7})
    assert isinstance(note, str)


def test_allocate_does_not_change_its_input():
    candidates, _ = field(("A", OPEN, 10), ("F", FLINTA, 5))
    before = list(candidates)
    allocate(candidates, seats=2, rules=QuotaRules(reserved=ODD, min_share=HALF))
    assert candidates == before


@pytest.mark.parametrize(("candidates", "seats", "rules", "message"), [
    ([], -1, QuotaRules(), "number of places"),
    ([], True, QuotaRules(), "number of places"),
    ([], "2", QuotaRules(), "number of places"),
    ([], 2, QuotaRules(reserved="all"), "reserved places"),
    ([], 2, QuotaRules(fallback="lot"), "fallback"),
    ([], 2, QuotaRules(min_share=0.5), "minimum share"),
    ([], 2, QuotaRules(min_share=Fraction(3, 2)), "minimum share"),
    ([], 2, QuotaRules(min_share=Fraction(-1, 2)), "minimum share"),
    ([], 2, QuotaRules(min_votes=-1), "minimum of votes"),
    ([Candidate(1, OPEN, -3, 1)], 2, QuotaRules(), "invalid votes"),
    ([Candidate(1, OPEN, 2.5, 1)], 2, QuotaRules(), "invalid votes"),
    ([Candidate(1, OPEN, 2, None)], 2, QuotaRules(), "nomination order"),
    ([Candidate(1, "men\x00", 2, 1)], 2, QuotaRules(), "Unknown quota category"),
    ([Candidate(1, OPEN, 2, 1), Candidate(1, FLINTA, 3, 2)], 2, QuotaRules(), "stands twice"),
])
def test_bad_input_is_refused(candidates, seats, rules, message):
    with pytest.raises(ValueError, match=message):
        allocate(candidates, seats=seats, rules=rules)


# --- any candidates, places and rules -----------------------------------------------------------

SHARES = st.sampled_from([Fraction(0), Fraction(1, 3), Fraction(2, 5), HALF, Fraction(2, 3),
                          Fraction(1)]) | st.fractions(min_value=0, max_value=1,
                                                       max_denominator=12)
RULES = st.builds(QuotaRules, reserved=st.sampled_from([NONE, ODD, EVEN]), min_share=SHARES,
                  fallback=st.sampled_from([VACANT, RELEASE]), min_votes=st.integers(0, 3))


@st.composite
def candidates(draw, max_size=10):
    rows = draw(st.lists(st.tuples(st.sampled_from([FLINTA, OPEN, ""]), st.integers(0, 6),
                                   st.integers(0, 20)), max_size=max_size))
    return [Candidate(id=i, category=cat, votes=votes, nominated=nom)
            for i, (cat, votes, nom) in enumerate(rows, start=100)]


def is_woman(candidate):
    return category_of(candidate.category) == FLINTA


@settings(max_examples=500, deadline=None)
@given(field=candidates(), seats=st.integers(0, 12), rules=RULES)
def test_an_election_result_never_violates_the_rules(field, seats, rules):
    result = allocate(field, seats=seats, rules=rules)
    by_id = {c.id: c for c in field}
    electable = {c.id for c in field if c.votes >= rules.min_votes}
    elected = [p.candidate_id for p in result.places if p.candidate_id is not None]
    left_out = [by_id[i] for i in electable - set(elected)]
    women_left = [c for c in left_out if is_woman(c)]

    assert [p.number for p in result.places] == list(range(1, seats + 1))
    assert all(p.reserved == is_reserved(p.number, rules.reserved) for p in result.places)
    assert len(elected) == len(set(elected))  # nobody elected twice
    assert set(elected) <= electable  # everyone elected has at least min_votes

    women = sum(is_woman(by_id[i]) for i in elected)
    share_holds = not elected or Fraction(women, len(elected)) >= rules.min_share
    open_on_reserved = [p for p in result.places if p.reserved and p.candidate_id is not None
                        and not is_woman(by_id[p.candidate_id])]
    if rules.fallback == VACANT:
        assert not open_on_reserved
        assert share_holds
        assert result.quota_met
        assert not any(p.released for p in result.places)
    else:
        # Open on a reserved place only when released, and only when no woman was left.
        assert all(p.released for p in open_on_reserved)
        assert all(p in open_on_reserved for p in result.places if p.released)
        if open_on_reserved:
            assert not women_left
        if not share_holds:
            assert not women_left
        assert result.quota_met == (share_holds and not open_on_reserved)

    freed_for_share = {n.params["number"] for n in result.notes if n.msgid == quota.SHARE_VACANT}
    for place in result.places:
        if place.candidate_id is not None:
            continue
        # Every free place is explained.
        assert any(n.params.get("number") == place.number for n in result.notes)
        if place.reserved:
            assert not women_left
            if rules.fallback == RELEASE:
                assert not left_out
        elif not freed_for_share:
            # Greedy: no electable candidate left out while an unreserved place stays free...
            assert not left_out
        else:
            # ...unless places were freed for the minimum share, which only happens when no
            # woman is left to take them.
            assert rules.fallback == VACANT and rules.min_share > 0 and not women_left

    for group in result.ties:
        assert len(group) >= 2 and len({by_id[i].votes for i in group}) == 1
        assert set(group) & set(elected) and set(group) - set(elected)


def lexicographic_best(field, seats, rules, value):
    """The best vector of values on places 1..seats over all assignments that keep the
    reserved-place rule: a reserved place holds a woman, stays free, or (fallback "open") holds
    an open candidate when every electable woman is on an earlier place."""
    electable = [c for c in field if c.votes >= rules.min_votes]
    women = {c.id for c in electable if is_woman(c)}
    best = None
    for assignment in set(permutations(electable + [None] * seats, seats)):
        feasible = True
        for number, candidate in enumerate(assignment, start=1):
            if candidate is None or is_woman(candidate) or not is_reserved(number,
                                                                          rules.reserved):
                continue
            earlier = {c.id for c in assignment[:number - 1] if c is not None}
            if rules.fallback == VACANT or not women <= earlier:
                feasible = False
                break
        if feasible:
            vector = tuple(value(c) for c in assignment)
            best = vector if best is None or vector > best else best
    return best


@settings(max_examples=300, deadline=None)
@given(field=candidates(max_size=7), seats=st.integers(0, 4),
       rules=st.builds(QuotaRules, reserved=st.sampled_from([NONE, ODD, EVEN]),
                       fallback=st.sampled_from([VACANT, RELEASE]),
                       min_votes=st.integers(0, 3)))
def test_the_result_is_the_best_by_votes_on_places_one_two_three(field, seats, rules):
    result = allocate(field, seats=seats, rules=rules)
    by_id = {c.id: c for c in field}
    got = [by_id[p.candidate_id] if p.candidate_id is not None else None
           for p in result.places]

    # The ranking (votes, ties by nomination order) is maximised place by place.
    position = {c.id: i for i, c in enumerate(sorted(field, key=rank_key))}

    def by_rank(c):
        return -position[c.id] if c is not None else -len(field) - 1

    assert tuple(map(by_rank, got)) == lexicographic_best(field, seats, rules, by_rank)

    # By votes alone it is the best too, as long as no electable candidates have equal votes
    # (with equal votes across categories, nomination order decides; see `ties`).
    votes = [c.votes for c in field if c.votes >= rules.min_votes]
    if len(votes) == len(set(votes)):
        def by_votes(c):
            return c.votes if c is not None else -1

        assert tuple(map(by_votes, got)) == lexicographic_best(field, seats, rules, by_votes)


def test_equal_votes_among_the_elected_are_a_tie_on_an_ordered_list():
    people = [Candidate(1, "flinta", 9, 1), Candidate(2, "open", 7, 2),
              Candidate(3, "open", 7, 3), Candidate(4, "flinta", 5, 4)]
    board = allocate(people, seats=4, rules=QuotaRules(reserved="odd"))
    listing = allocate(people, seats=4, rules=QuotaRules(reserved="odd", ordered=True))
    assert board.places == listing.places  # the same places either way
    assert board.ties == ()  # a board: both are elected, the order does not matter
    assert listing.ties == ((2, 3),)  # a list: nomination order put 2 above 3
