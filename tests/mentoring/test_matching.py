"""The mentoring matching engine: worked examples, and properties over random instances.

The rules are re-stated here independently of the module (`allowed`, `reference_score`): the
hypothesis test compares the engine with a brute force over all assignments on small instances,
and a MILP (scipy.optimize.milp, a different algorithm) on medium ones. No database.
"""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from mitmachen.mentoring import matching, scoring
from mitmachen.mentoring.matching import (
    CAPACITY_EXHAUSTED,
    NO_COMPATIBLE_MENTOR,
    MatchingError,
    greedy,
    match,
)
from mitmachen.mentoring.scoring import Person, explain, pair_matrices, score, violations

FLINTA = {"woman", "inter", "nonbinary", "trans", "agender"}
# (the mentee's attribute, the mentor's attribute, weight) as the decision states them
SET_WEIGHTS = [("fields", "fields", 30), ("bodies", "bodies", 15), ("activities", "activities", 15),
               ("times", "times", 15), ("accessibility", "offers", 5)]


def mentee(pid, **attrs):
    attrs.setdefault("languages", {"de"})
    return Person.mentee(pid, **attrs)


def mentor(pid, **attrs):
    attrs.setdefault("languages", {"de"})
    return Person.mentor(pid, **attrs)


# --- the rules, re-stated --------------------------------------------------------------------

def broken_rules(e: Person, r: Person, forbidden=frozenset()) -> list[str]:
    broken = []
    if r.id in e.excluded:
        broken.append("excluded_by_mentee")
    if e.id in r.excluded:
        broken.append("excluded_by_mentor")
    if (e.id, r.id) in forbidden:
        broken.append("forbidden")
    if not e.languages & r.languages:
        broken.append("no_common_language")
    if "mentor_woman" in e.requires and r.gender not in FLINTA:
        broken.append("mentor_woman")
    if "same_language" in e.requires and not e.languages <= r.languages:
        broken.append("same_language")
    if "step_free" in e.requires and "step_free" not in r.offers:
        broken.append("step_free")
    return broken


def allowed(e, r, forbidden=frozenset()) -> bool:
    return not broken_rules(e, r, forbidden)


def reference_score(e: Person, r: Person) -> int:
    total = 0
    for mine, theirs, weight in SET_WEIGHTS:
        wish = getattr(e, mine)
        if wish:
            total += weight * len(wish & getattr(r, theirs)) // len(wish)
    if e.district and e.district == r.district:
        total += 10
    if hours_fit(e, r):
        total += 10
    return total


def hours_fit(e: Person, r: Person) -> bool:
    """The mentee's wish against the mentor's hours per mentee (hours / places)."""
    return e.hours_per_month > 0 and e.hours_per_month <= r.hours_per_month / r.capacity


def fixed_is_valid(mentees, mentors, fixed, forbidden) -> bool:
    by_e = {e.id: e for e in mentees}
    by_r = {r.id: r for r in mentors}
    chosen, load = {}, {}
    for e_id, r_id in dict.fromkeys(fixed):  # the same pair twice counts once
        if e_id in chosen or not allowed(by_e[e_id], by_r[r_id], forbidden):
            return False
        chosen[e_id] = r_id
        load[r_id] = load.get(r_id, 0) + 1
        if load[r_id] > by_r[r_id].capacity:
            return False
    return True


def brute_force(mentees, mentors, fixed, forbidden) -> tuple[int, int]:
    """Best (matched, total score) over every assignment that keeps the fixed pairs."""
    by_r = {r.id: r for r in mentors}
    fixed = dict(fixed)
    places = {r.id: r.capacity for r in mentors}
    base = [0, 0]
    for e in mentees:
        if e.id in fixed:
            places[fixed[e.id]] -= 1
            base[0] += 1
            base[1] += reference_score(e, by_r[fixed[e.id]])
    free = [e for e in mentees if e.id not in fixed]
    options = [[(r.id, reference_score(e, r)) for r in mentors if allowed(e, r, forbidden)]
               for e in free]
    best = (0, 0)

    def walk(k, count, total):
        nonlocal best
        if k == len(free):
            best = max(best, (count, total))
            return
        walk(k + 1, count, total)
        for r_id, s in options[k]:
            if places[r_id]:
                places[r_id] -= 1
                walk(k + 1, count + 1, total + s)
                places[r_id] += 1

    walk(0, 0, 0)
    return base[0] + best[0], base[1] + best[1]


def check_result(result, mentees, mentors, fixed, forbidden, optimal=True):
    """Capacity, hard constraints, fixed pairs, scores, remaining places and the reasons."""
    by_e = {e.id: e for e in mentees}
    by_r = {r.id: r for r in mentors}
    load = {r.id: 0 for r in mentors}
    seen = set()
    for pair in result.pairs:
        e, r = by_e[pair.mentee_id], by_r[pair.mentor_id]
        assert pair.mentee_id not in seen
        seen.add(pair.mentee_id)
        assert allowed(e, r, forbidden), (pair, broken_rules(e, r, forbidden))
        assert pair.score == reference_score(e, r)
        assert pair.explanation == explain(e, r)
        load[r.id] += 1
    for r in mentors:
        assert load[r.id] <= r.capacity
        assert result.remaining[r.id] == r.capacity - load[r.id]
    for e_id, r_id in fixed:
        assert result.mentor_of(e_id) == r_id
    assert result.total_score == sum(p.score for p in result.pairs)
    assert {u.mentee_id for u in result.unmatched} == set(by_e) - seen
    for item in result.unmatched:
        e = by_e[item.mentee_id]
        compatible = [r for r in mentors if allowed(e, r, forbidden)]
        if compatible:
            assert item.reason == CAPACITY_EXHAUSTED
            assert item.compatible == len(compatible)
            # Matched as many as possible: every mentor this mentee could have had is full.
            assert all(result.remaining[r.id] == 0 for r in compatible)
        else:
            assert item.reason == NO_COMPATIBLE_MENTOR
            counts = {}
            for r in mentors:
                for rule in broken_rules(e, r, forbidden):
                    counts[rule] = counts.get(rule, 0) + 1
            assert dict(item.ruled_out) == counts
    if optimal:
        assert (result.matched, result.total_score) == brute_force(mentees, mentors, fixed,
                                                                   forbidden)


# --- worked examples -------------------------------------------------------------------------

def test_score_and_explanation_name_exactly_the_overlaps():
    e = mentee(1, fields={"housing", "climate", "transport", "education"}, bodies={"council"},
               activities={"events", "press"}, times={"weekday_evening", "weekend"},
               district="Bilk", hours_per_month=4, languages={"de", "tr"},
               accessibility={"step_free"})
    r = mentor(7, fields={"housing", "climate", "culture"}, bodies={"board"},
               activities={"press", "events", "speeches"}, times={"weekday_evening"},
               district="Bilk", hours_per_month=4, languages={"de", "en"},
               offers={"step_free"})
    assert explain(e, r) == [
        ("fields", ["climate", "housing"]),
        ("activities", ["events", "press"]),
        ("times", ["weekday_evening"]),
        ("district", "Bilk"),
        ("hours", (4, 4)),
        ("accessibility", ["step_free"]),
        ("languages", ["de"]),
    ]
    # fields 30*2//4 + bodies 0 + activities 15 + times 15*1//2 + district 10 + hours 10
    # + accessibility 5
    assert score(e, r) == 15 + 0 + 15 + 7 + 10 + 10 + 5 == 62


def test_score_without_overlap_or_with_everything():
    nothing = mentee(1, fields={"housing"}, district="Bilk", hours_per_month=10)
    other = mentor(2, fields={"culture"}, district="Rath", hours_per_month=8)
    assert score(nothing, other) == 0
    assert explain(nothing, other) == [("languages", ["de"])]
    full = {"fields": {"a"}, "bodies": {"b"}, "activities": {"c"}, "times": {"d"},
            "district": "X", "hours_per_month": 3}
    assert score(mentee(1, accessibility={"step_free"}, **full),
                 mentor(2, offers={"step_free"}, **full)) == scoring.MAX_SCORE == 100
    # A mentee who states nothing gets no points for it; no district is no match.
    assert score(mentee(1), mentor(2)) == 0
    assert score(mentee(1, district=None), mentor(2, district=None)) == 0


def test_hours_fit_the_mentors_hours_per_mentee_not_her_whole_month():
    # 6 hours for two mentees are 3 each: enough for a wish of 3; for three mentees, 2 each.
    e = mentee(1, hours_per_month=3)
    two, three = mentor(2, hours_per_month=6, capacity=2), mentor(3, hours_per_month=6,
                                                                  capacity=3)
    assert dict(explain(e, two))["hours"] == (3, 3)
    assert "hours" not in dict(explain(e, three))
    assert (score(e, two), score(e, three)) == (10, 0)
    assert pair_matrices([e], [two, three]).score[0].tolist() == [10, 0]
    # 7 hours for two mentees are 3.5 each: a wish of 3 fits, and the explanation says 3.
    assert dict(explain(e, mentor(4, hours_per_month=7, capacity=2)))["hours"] == (3, 3)


@pytest.mark.parametrize(("e", "r", "expected"), [
    (mentee(1, excluded={2}), mentor(2), ("excluded_by_mentee",)),
    (mentee(1), mentor(2, excluded={1}), ("excluded_by_mentor",)),
    (mentee(1, languages={"tr"}), mentor(2, languages={"de"}), ("no_common_language",)),
    (mentee(1, requires={"mentor_woman"}), mentor(2, gender="man"), ("mentor_woman",)),
    (mentee(1, requires={"mentor_woman"}), mentor(2, gender=""), ("mentor_woman",)),
    (mentee(1, requires={"mentor_woman"}), mentor(2, gender="woman"), ()),
    (mentee(1, requires={"mentor_woman"}), mentor(2, gender="nonbinary"), ()),
    (mentee(1, languages={"de", "tr"}, requires={"same_language"}), mentor(2), ("same_language",)),
    (mentee(1, languages={"de", "tr"}, requires={"same_language"}),
     mentor(2, languages={"tr", "de", "en"}), ()),
    (mentee(1, requires={"step_free"}), mentor(2), ("step_free",)),
    (mentee(1, requires={"step_free"}), mentor(2, offers={"step_free"}), ()),
    # Needs that are not required only add points.
    (mentee(1, accessibility={"step_free"}), mentor(2), ()),
    (mentee(1, languages={"tr"}, excluded={2}, requires={"mentor_woman"}),
     mentor(2, excluded={1}, gender="man"),
     ("excluded_by_mentee", "excluded_by_mentor", "no_common_language", "mentor_woman")),
])
def test_violations(e, r, expected):
    assert violations(e, r) == expected


@pytest.mark.parametrize(("attrs", "message"), [
    ({"fields": "housing"}, "fields must be a set"),
    ({"requires": {"mentor_man"}}, "unknown requirement"),
    ({"hours_per_month": -1}, "hours_per_month"),
    ({"hours_per_month": 1000}, "hours_per_month"),
    ({"excluded": {"7"}}, "excluded may only hold int"),
    ({"languages": {1}}, "languages may only hold str"),
])
def test_bad_profiles_are_refused(attrs, message):
    with pytest.raises(ValueError, match=message):
        Person.mentee(1, **attrs)


def test_bad_roles_and_capacities_are_refused():
    with pytest.raises(ValueError, match="role"):
        Person(1, "coach")
    with pytest.raises(ValueError, match="id"):
        Person(True, "mentee")
    with pytest.raises(ValueError, match="capacity must be at least 1"):
        mentor(1, capacity=0)
    with pytest.raises(ValueError, match="only mentees set requirements"):
        mentor(1, requires={"step_free"})
    with pytest.raises(MatchingError, match="Expected only mentors") as error:
        match([mentee(1)], [mentee(2)])
    assert error.value.code == "wrong_role"
    with pytest.raises(MatchingError, match="Two mentees have the id 1"):
        match([mentee(1), mentee(1)], [mentor(1)])
    assert Person.mentee(1, district="").district is None
    assert Person.mentee(1, fields=["a", "a"]).fields == frozenset({"a"})


def test_more_matches_beat_a_higher_score():
    # Alone, Ada fits Grete perfectly (100) and Hanna poorly; Bea can only go to Grete. The
    # highest score (100) would leave Bea without anyone: two pairs come first.
    grete = mentor(1, fields={"housing"}, bodies={"council"}, activities={"press"},
                   times={"weekend"}, district="Bilk", hours_per_month=8, offers={"step_free"})
    hanna = mentor(2, fields={"culture"}, gender="woman")
    ada = mentee(1, fields={"housing"}, bodies={"council"}, activities={"press"},
                 times={"weekend"}, district="Bilk", hours_per_month=8,
                 accessibility={"step_free"})
    bea = mentee(2, fields={"sports"}, excluded={2})
    assert score(ada, grete) == 100
    result = match([ada, bea], [grete, hanna])
    assert result.matched == 2
    assert result.mentor_of(1) == 2 and result.mentor_of(2) == 1
    assert result.total_score == score(ada, hanna) + score(bea, grete) == 0
    assert result.unmatched == ()
    assert dict(result.remaining) == {1: 0, 2: 0}


def test_greedy_can_be_worse():
    # The same situation: greedy takes the 100 first and leaves Bea unmatched.
    grete = mentor(1, fields={"housing"})
    hanna = mentor(2)
    ada, bea = mentee(1, fields={"housing"}), mentee(2, excluded={2})
    baseline = greedy([ada, bea], [grete, hanna])
    assert [(p.mentee_id, p.mentor_id) for p in baseline.pairs] == [(1, 1)]
    assert baseline.unmatched == (matching.Unmatched(2, CAPACITY_EXHAUSTED, (), 1),)
    assert match([ada, bea], [grete, hanna]).matched == 2


def test_among_equal_counts_the_score_decides_and_capacity_holds():
    mentors_ = [mentor(1, fields={"housing"}, capacity=2), mentor(2, fields={"climate"})]
    mentees_ = [mentee(1, fields={"climate"}), mentee(2, fields={"housing"}),
                mentee(3, fields={"housing"}), mentee(4, fields={"housing"})]
    result = match(mentees_, mentors_)
    assert result.matched == 3
    assert result.mentor_of(1) == 2
    assert {result.mentor_of(2), result.mentor_of(3), result.mentor_of(4)} == {1, None}
    assert result.total_score == 90
    assert result.unmatched == (matching.Unmatched(4, CAPACITY_EXHAUSTED, (), 2),)
    assert dict(result.remaining) == {1: 0, 2: 0}


def test_unmatched_reasons_count_the_constraints():
    mentors_ = [mentor(1, gender="man"), mentor(2, gender="woman", excluded={2}),
                mentor(3, gender="woman", languages={"en"})]
    mentees_ = [
        mentee(1, requires={"mentor_woman", "step_free"}),
        mentee(2, requires={"mentor_woman"}, excluded={3}),
        mentee(3, languages={"tr"}),
        mentee(4),
    ]
    result = match(mentees_, mentors_, forbidden=[(2, 1)])
    assert [p.mentee_id for p in result.pairs] == [4]
    assert result.unmatched == (
        matching.Unmatched(1, NO_COMPATIBLE_MENTOR, (
            ("no_common_language", 1), ("mentor_woman", 1), ("step_free", 3)), 0),
        matching.Unmatched(2, NO_COMPATIBLE_MENTOR, (
            ("excluded_by_mentee", 1), ("excluded_by_mentor", 1), ("forbidden", 1),
            ("no_common_language", 1), ("mentor_woman", 1)), 0),
        matching.Unmatched(3, NO_COMPATIBLE_MENTOR, (("no_common_language", 3),), 0),
    )
    nobody = match([mentee(1)], [])
    assert nobody.unmatched == (matching.Unmatched(1, NO_COMPATIBLE_MENTOR, (), 0),)
    empty = match([], [mentor(1, capacity=3)])
    assert empty.pairs == () and empty.unmatched == () and dict(empty.remaining) == {1: 3}


def test_fixed_pairs_are_kept_and_take_places():
    mentors_ = [mentor(1, fields={"housing"}), mentor(2, fields={"climate"})]
    mentees_ = [mentee(1, fields={"housing"}), mentee(2, fields={"housing"})]
    # Unforced, either mentee gets the housing mentor; fixing mentee 2 there decides it.
    result = match(mentees_, mentors_, fixed=[(2, 1), (2, 1)])
    assert result.mentor_of(2) == 1 and result.mentor_of(1) == 2
    # A fixed pair may even lower the total: the coordinator's decision stands.
    result = match(mentees_, mentors_, fixed=[(1, 2)])
    assert result.mentor_of(1) == 2 and result.mentor_of(2) == 1
    assert result.total_score == 30


@pytest.mark.parametrize(("fixed", "forbidden", "code"), [
    ([(9, 1)], [], "unknown_mentee"),
    ([(1, 9)], [], "unknown_mentor"),
    ([(1, 1), (1, 2)], [], "mentee_fixed_twice"),
    ([(1, 1)], [(1, 1)], "fixed_and_forbidden"),
    ([(3, 1)], [], "fixed_infeasible"),
    ([(1, 1), (2, 1)], [], "fixed_over_capacity"),
    ([(1,)], [], "bad_pair"),
    ([("1", 1)], [], "bad_pair"),
    ([], [(1, None)], "bad_pair"),
])
def test_invalid_fixed_pairs_are_refused(fixed, forbidden, code):
    mentees_ = [mentee(1), mentee(2), mentee(3, requires={"step_free"})]
    mentors_ = [mentor(1), mentor(2)]
    with pytest.raises(MatchingError) as error:
        match(mentees_, mentors_, fixed=fixed, forbidden=forbidden)
    assert error.value.code == code
    assert str(error.value) == error.value.msgid % error.value.params
    with pytest.raises(ValueError):
        greedy(mentees_, mentors_, fixed=fixed, forbidden=forbidden)


def test_infeasible_fixed_pair_names_the_constraints():
    with pytest.raises(MatchingError, match="breaks: no_common_language, step_free"):
        match([mentee(1, languages={"tr"}, requires={"step_free"})], [mentor(1)], fixed=[(1, 1)])


def test_forbidden_pairs_are_never_used_and_unknown_ones_ignored():
    mentees_ = [mentee(1, fields={"housing"})]
    mentors_ = [mentor(1, fields={"housing"}), mentor(2)]
    assert match(mentees_, mentors_).mentor_of(1) == 1
    result = match(mentees_, mentors_, forbidden=[(1, 1), (5, 5), (1, 99)])
    assert result.mentor_of(1) == 2


def test_order_of_input_does_not_matter():
    rng = random.Random(4)
    mentees_, mentors_ = random_instance(rng, 30, 12)
    first = match(mentees_, mentors_)
    rng.shuffle(mentees_)
    rng.shuffle(mentors_)
    assert match(mentees_, mentors_) == first


def test_more_places_than_mentees():
    mentees_ = [mentee(1, fields={"a"}), mentee(2, fields={"b"})]
    mentors_ = [mentor(1, fields={"a", "b"}, capacity=10**6), mentor(2, fields={"b"})]
    result = match(mentees_, mentors_)
    assert result.matched == 2 and result.total_score == 60
    assert result.remaining[1] + result.remaining[2] == 10**6 + 1 - 2


def test_large_vocabularies_use_more_than_one_mask_word():
    rng = random.Random(11)
    words = [f"topic{k}" for k in range(150)]
    mentees_ = [mentee(i, fields=set(rng.sample(words, 40)), languages=set(rng.sample(words, 3)))
                for i in range(1, 9)]
    mentors_ = [mentor(j, fields=set(rng.sample(words, 60)), languages=set(rng.sample(words, 50)))
                for j in range(1, 6)]
    matrices = pair_matrices(mentees_, mentors_)
    for i, e in enumerate(mentees_):
        for j, r in enumerate(mentors_):
            assert matrices.score[i, j] == reference_score(e, r)
            assert matrices.feasible[i, j] == (not violations(e, r))


# --- random instances ------------------------------------------------------------------------

GENDERS = ["woman", "man", "nonbinary", "", "trans"]
LANGS = ["de", "en", "tr"]


def sets(vocabulary):
    return st.frozensets(st.sampled_from(vocabulary), max_size=len(vocabulary))


def rarely(strategy):
    """Mostly empty, so that most pairs stay feasible and capacity is what binds."""
    return st.one_of(st.just(frozenset()), st.just(frozenset()), strategy)


@st.composite
def instances(draw, max_mentees=6, max_mentors=4):
    n = draw(st.integers(0, max_mentees))
    m = draw(st.integers(0, max_mentors))
    # Both sides number from 1, so a mix-up of mentee and mentor ids would show.
    mentor_ids, mentee_ids = list(range(1, m + 1)), list(range(1, n + 1))
    common = {
        "fields": sets(["housing", "climate", "culture", "budget"]),
        "bodies": sets(["council", "board", "committee"]),
        "activities": sets(["events", "press"]),
        "times": sets(["weekday_evening", "saturday", "online"]),
        "district": st.sampled_from([None, "Bilk", "Rath"]),
        "hours_per_month": st.integers(0, 8),
        # German for most, as in the seed's Kreisverband; any set (even none) now and then.
        "languages": st.one_of(st.just(frozenset({"de"})), sets(LANGS).map({"de"}.union),
                               sets(LANGS)),
        "gender": st.sampled_from(GENDERS),
    }

    def exclusions(ids):
        return rarely(st.frozensets(st.sampled_from(ids), max_size=2)) if ids \
            else st.just(frozenset())

    mentees_ = [draw(st.builds(
        Person.mentee, st.just(pid), accessibility=sets(["step_free", "quiet"]),
        requires=rarely(sets(sorted(scoring.REQUIREMENTS))), excluded=exclusions(mentor_ids),
        **common)) for pid in mentee_ids]
    mentors_ = [draw(st.builds(
        Person.mentor, st.just(pid), capacity=st.integers(1, 3),
        offers=sets(["step_free", "quiet"]), excluded=exclusions(mentee_ids),
        **common)) for pid in mentor_ids]
    if not (n and m):
        return mentees_, mentors_, [], []
    pairs = st.tuples(st.sampled_from(mentee_ids), st.sampled_from(mentor_ids))
    forbidden = draw(st.lists(pairs, max_size=3))
    fixed = draw(st.lists(pairs, max_size=2))
    return mentees_, mentors_, fixed, forbidden


@settings(max_examples=250, deadline=None)
@given(instances())
def test_matching_is_valid_and_optimal_by_brute_force(instance):
    mentees_, mentors_, fixed, forbidden = instance
    forbidden_set = set(forbidden)
    if not fixed_is_valid(mentees_, mentors_, fixed, forbidden_set):
        with pytest.raises(MatchingError):
            match(mentees_, mentors_, fixed=fixed, forbidden=forbidden)
        return
    result = match(mentees_, mentors_, fixed=fixed, forbidden=forbidden)
    check_result(result, mentees_, mentors_, fixed, forbidden_set)

    baseline = greedy(mentees_, mentors_, fixed=fixed, forbidden=forbidden)
    check_result(baseline, mentees_, mentors_, fixed, forbidden_set, optimal=False)
    assert (baseline.matched, baseline.total_score) <= (result.matched, result.total_score)


@settings(max_examples=100, deadline=None)
@given(instances(max_mentees=5, max_mentors=4))
def test_pair_rules_agree_pair_by_pair_and_all_at_once(instance):
    mentees_, mentors_, _, _ = instance
    matrices = pair_matrices(mentees_, mentors_)
    for i, e in enumerate(mentees_):
        for j, r in enumerate(mentors_):
            assert list(violations(e, r)) == broken_rules(e, r)
            assert matrices.feasible[i, j] == allowed(e, r)
            assert score(e, r) == matrices.score[i, j] == reference_score(e, r)
            items = dict(explain(e, r))
            for mine, theirs, _ in SET_WEIGHTS:
                assert items.get(mine, []) == sorted(getattr(e, mine) & getattr(r, theirs))
            assert items.get("languages", []) == sorted(e.languages & r.languages)
            assert items.get("district") == (e.district if e.district and
                                             e.district == r.district else None)
            assert ("hours" in items) == hours_fit(e, r)
            if "hours" in items:
                assert items["hours"] == (e.hours_per_month, r.hours_per_month // r.capacity)
            assert 0 <= score(e, r) <= 100


def test_the_brute_force_itself_on_a_known_case():
    # Guards the test oracle: two mentees, one place, scores 30 and 15.
    r = mentor(1, fields={"a", "b"})
    assert brute_force([mentee(1, fields={"a"}), mentee(2, fields={"a", "c"})], [r], [], set()) \
        == (1, 30)
    assert brute_force([mentee(1, fields={"a"}), mentee(2, fields={"a", "c"})], [r], [(2, 1)],
                       set()) == (1, 15)


# --- an independent solver on medium instances ---------------------------------------------

def random_instance(rng: random.Random, n: int, m: int):
    vocab = [f"f{k}" for k in range(8)]

    def pick(words, k):
        return set(rng.sample(words, rng.randint(0, k)))

    mentees_ = [Person.mentee(
        i, fields=pick(vocab, 3), bodies=pick(["council", "board", "committee"], 2),
        activities=pick(["events", "press", "speeches"], 2), times=pick(["a", "b", "c"], 2),
        district=rng.choice([None, "Bilk", "Rath", "Eller"]), hours_per_month=rng.randint(0, 8),
        languages=pick(LANGS, 2) or {"de"}, accessibility=pick(["step_free"], 1),
        requires=pick(sorted(scoring.REQUIREMENTS), 1) if rng.random() < 0.4 else set(),
        excluded={rng.randint(1, m)} if rng.random() < 0.1 else set()) for i in range(1, n + 1)]
    mentors_ = [Person.mentor(
        j, fields=pick(vocab, 5), bodies=pick(["council", "board", "committee"], 3),
        activities=pick(["events", "press", "speeches"], 3), times=pick(["a", "b", "c"], 3),
        district=rng.choice([None, "Bilk", "Rath", "Eller"]), hours_per_month=rng.randint(0, 10),
        languages=pick(LANGS, 3) or {"de"}, gender=rng.choice(GENDERS),
        capacity=rng.randint(1, 3), offers=pick(["step_free"], 1),
        excluded={rng.randint(1, n)} if rng.random() < 0.1 else set()) for j in range(1, m + 1)]
    return mentees_, mentors_


def milp_optimum(mentees_, mentors_, fixed, forbidden) -> tuple[int, int]:
    """The b-matching as an integer programme, solved by HiGHS through scipy.optimize.milp."""
    edges = [(i, j) for i, e in enumerate(mentees_) for j, r in enumerate(mentors_)
             if allowed(e, r, forbidden)]
    big = 100 * len(mentees_) + 1
    scores = np.array([reference_score(mentees_[i], mentors_[j]) for i, j in edges])
    a = np.zeros((len(mentees_) + len(mentors_), len(edges)))
    for k, (i, j) in enumerate(edges):
        a[i, k] = a[len(mentees_) + j, k] = 1
    upper = [1] * len(mentees_) + [r.capacity for r in mentors_]
    fixed_edges = {(i, j) for i, e in enumerate(mentees_) for j, r in enumerate(mentors_)
                   if (e.id, r.id) in set(fixed)}
    lower = [1 if edge in fixed_edges else 0 for edge in edges]
    solved = milp(-(big + scores), constraints=LinearConstraint(a, -np.inf, upper),
                  integrality=np.ones(len(edges)), bounds=Bounds(lower, 1))
    assert solved.success
    chosen = np.round(solved.x).astype(bool)
    assert round(-solved.fun) == big * chosen.sum() + scores[chosen].sum()
    return int(chosen.sum()), int(scores[chosen].sum())


@pytest.mark.parametrize(("seed", "n", "m"), [(1, 40, 15), (2, 40, 15), (3, 40, 15),
                                              (4, 25, 15), (5, 60, 12), (6, 40, 40)])
def test_equals_an_integer_programme_on_medium_instances(seed, n, m):
    rng = random.Random(seed)
    mentees_, mentors_ = random_instance(rng, n, m)
    forbidden = {(rng.randint(1, n), rng.randint(1, m)) for _ in range(10)}
    fixed = []
    for e in rng.sample(mentees_, 5):
        for r in mentors_:
            if fixed_is_valid(mentees_, mentors_, [*fixed, (e.id, r.id)], forbidden):
                fixed.append((e.id, r.id))
                break
    result = match(mentees_, mentors_, fixed=fixed, forbidden=forbidden)
    check_result(result, mentees_, mentors_, fixed, forbidden, optimal=False)
    assert (result.matched, result.total_score) == milp_optimum(mentees_, mentors_, fixed,
                                                                forbidden)
    baseline = greedy(mentees_, mentors_, fixed=fixed, forbidden=forbidden)
    check_result(baseline, mentees_, mentors_, fixed, forbidden, optimal=False)
    assert (baseline.matched, baseline.total_score) <= (result.matched, result.total_score)


def test_greedy_takes_the_highest_score_first():
    # Both mentees score 30 with mentor 1: the tie goes to mentee 1, and mentee 2 is left
    # with mentor 2 (score 0). The optimum swaps mentee 1 to mentor 2 (also 30).
    mentors_ = [mentor(1, fields={"a", "b"}), mentor(2, fields={"b"})]
    mentees_ = [mentee(1, fields={"b"}), mentee(2, fields={"a"})]
    baseline = greedy(mentees_, mentors_)
    assert [(p.mentee_id, p.mentor_id, p.score) for p in baseline.pairs] == [(1, 1, 30),
                                                                             (2, 2, 0)]
    best = match(mentees_, mentors_)
    assert [(p.mentee_id, p.mentor_id, p.score) for p in best.pairs] == [(1, 2, 30), (2, 1, 30)]
