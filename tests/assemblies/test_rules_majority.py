"""Majority rules: the boundaries of each, and for any counts that `required` is the exact
threshold and the decision agrees with the rule computed in fractions."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mitmachen.assemblies.rules.majority import ABSOLUTE, SIMPLE, TWO_THIRDS, decide


def adopts(**kwargs) -> bool:
    return decide(**kwargs).adopted


# --- boundaries ---------------------------------------------------------------------------------

def test_simple_majority_more_yes_than_no_abstentions_do_not_count():
    assert adopts(yes=11, no=10, abstain=50, rule=SIMPLE)
    assert not adopts(yes=10, no=10, abstain=0, rule=SIMPLE)  # a tie rejects
    assert not adopts(yes=9, no=10, abstain=0, rule=SIMPLE)
    outcome = decide(yes=11, no=10, abstain=50, rule=SIMPLE)
    assert outcome.required == 11
    assert outcome.explanation == ("Adopted by simple majority: 11 yes against 10 no, "
                                   "abstentions not counted; 11 yes were needed.")


def test_absolute_majority_of_the_votes_cast_counts_abstentions():
    assert adopts(yes=6, no=2, abstain=3, rule=ABSOLUTE)  # 6 of 11
    assert not adopts(yes=5, no=2, abstain=3, rule=ABSOLUTE)  # 5 of 10 is only half
    assert not adopts(yes=11, no=10, abstain=50, rule=ABSOLUTE)  # simple, but not absolute
    assert decide(yes=5, no=2, abstain=3, rule=ABSOLUTE).required == 6
    assert decide(yes=6, no=2, abstain=3, rule=ABSOLUTE).required == 6


def test_absolute_majority_of_the_members():
    assert not adopts(yes=40, no=10, abstain=0, rule=ABSOLUTE, members=100)  # 40 of 100
    assert not adopts(yes=50, no=0, abstain=0, rule=ABSOLUTE, members=100)  # exactly half
    assert adopts(yes=51, no=0, abstain=0, rule=ABSOLUTE, members=100)
    outcome = decide(yes=40, no=10, abstain=0, rule=ABSOLUTE, members=101)
    assert outcome.required == 51
    assert outcome.explanation == ("Rejected: a majority of the members needs more than half "
                                   "of the 101 members (51 yes); there were 40 yes.")


def test_two_thirds_exactly_adopts_and_abstentions_do_not_count():
    assert adopts(yes=20, no=10, abstain=100, rule=TWO_THIRDS)  # exactly 2/3
    assert not adopts(yes=19, no=10, abstain=0, rule=TWO_THIRDS)
    assert adopts(yes=2, no=1, abstain=0, rule=TWO_THIRDS)
    assert decide(yes=19, no=10, abstain=0, rule=TWO_THIRDS).required == 20  # ceil(58/3)
    assert decide(yes=20, no=10, abstain=0, rule=TWO_THIRDS).required == 20


def test_two_thirds_in_integers_not_floats():
    # 2/3 of 3,000,000,000,000,000,001 yes and no votes; a float would round it.
    counted = 3 * 10**18 + 1
    needed = 2 * 10**18 + 1
    assert decide(yes=needed, no=counted - needed, abstain=0, rule=TWO_THIRDS).adopted
    assert not decide(yes=needed - 1, no=counted - needed + 1, abstain=0,
                      rule=TWO_THIRDS).adopted


@pytest.mark.parametrize("rule", [SIMPLE, ABSOLUTE, TWO_THIRDS])
def test_nothing_is_adopted_without_votes(rule):
    outcome = decide(yes=0, no=0, abstain=3, rule=rule)
    assert not outcome.adopted
    assert outcome.required >= 1


def test_unanimous_yes_adopts_under_every_rule():
    for rule in (SIMPLE, ABSOLUTE, TWO_THIRDS):
        assert adopts(yes=1, no=0, abstain=0, rule=rule)


def test_the_explanation_keeps_msgid_and_values_for_translation():
    explanation = decide(yes=3, no=5, abstain=1, rule=TWO_THIRDS).explanation
    assert explanation.msgid % explanation.params == explanation
    assert explanation.params["required"] == 6


@pytest.mark.parametrize("kwargs", [
    {"yes": -1, "no": 0, "abstain": 0, "rule": SIMPLE},
    {"yes": 0, "no": -1, "abstain": 0, "rule": SIMPLE},
    {"yes": 0, "no": 0, "abstain": -1, "rule": SIMPLE},
    {"yes": 1, "no": 0, "abstain": 0, "rule": ABSOLUTE, "members": -1},
    {"yes": 1.5, "no": 0, "abstain": 0, "rule": SIMPLE},
    {"yes": "3", "no": 0, "abstain": 0, "rule": SIMPLE},
    {"yes": True, "no": 0, "abstain": 0, "rule": SIMPLE},
    {"yes": 1, "no": 0, "abstain": 0, "rule": "consensus"},
    {"yes": 1, "no": 0, "abstain": 0, "rule": "simple\x00"},
    {"yes": 5, "no": 3, "abstain": 3, "rule": ABSOLUTE, "members": 10},  # more votes than members
])
def test_bad_counts_are_refused(kwargs):
    with pytest.raises(ValueError):
        decide(**kwargs)


# --- any counts ---------------------------------------------------------------------------------

COUNT = st.integers(0, 500)


def by_the_rule(yes, no, abstain, rule, members):
    """The rule as the statutes state it, in fractions."""
    if rule == SIMPLE:
        return yes > no
    if rule == ABSOLUTE:
        base = yes + no + abstain if members is None else members
        return yes > Fraction(base, 2)
    return yes + no > 0 and yes >= Fraction(2, 3) * (yes + no)


@settings(max_examples=1000)
@given(yes=COUNT, no=COUNT, abstain=COUNT, rule=st.sampled_from([SIMPLE, ABSOLUTE, TWO_THIRDS]),
       extra_members=st.none() | st.integers(0, 500))
def test_adopted_exactly_when_yes_reaches_required(yes, no, abstain, rule, extra_members):
    members = None if extra_members is None else yes + no + abstain + extra_members
    outcome = decide(yes=yes, no=no, abstain=abstain, rule=rule, members=members)
    assert outcome.adopted == (yes >= outcome.required)
    assert outcome.adopted == by_the_rule(yes, no, abstain, rule, members)
    assert outcome.explanation.startswith("Adopted" if outcome.adopted else "Rejected")

    # `required` is the least yes that adopts with the same votes cast: move votes between
    # yes and no and the threshold is exactly there.
    counted = yes + no
    required = outcome.required
    if 1 <= required <= counted:
        at = decide(yes=required, no=counted - required, abstain=abstain, rule=rule,
                    members=members)
        below = decide(yes=required - 1, no=counted - required + 1, abstain=abstain, rule=rule,
                       members=members)
        assert at.adopted and not below.adopted
        assert at.required == below.required == required
