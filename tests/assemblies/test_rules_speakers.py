"""The quota speakers' list: example tests for each rule, and a state machine that asks, withdraws,
pins and calls speakers in any order and checks every rule for each speaker called."""

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from mitmachen.assemblies.rules.speakers import (
    CONTRA,
    FLINTA,
    OPEN,
    POINT_OF_ORDER,
    PRO,
    REGULAR,
    Request,
    Rules,
    category_of,
    next_up,
    order,
)

ON = Rules()
OFF = Rules(alternate=False, first_time_first=False)


def req(id, category=OPEN, kind=REGULAR, first_time=True, seq=None, pinned=None):
    return Request(id=id, category=category, kind=kind, first_time=first_time,
                   seq=id if seq is None else seq, pinned=pinned)


def ids(requests):
    return [r.id for r in requests]


# --- points of order, pins, debate --------------------------------------------------------------

def test_points_of_order_go_first_in_the_order_asked():
    waiting = [req(1, FLINTA), req(2, kind=PRO), req(3, kind=POINT_OF_ORDER),
               req(4, pinned=1), req(5, FLINTA, kind=POINT_OF_ORDER)]
    assert ids(order(waiting, rules=ON, last_category=None)) == [3, 5, 4, 2, 1]


def test_a_pinned_point_of_order_stays_with_the_points_of_order():
    waiting = [req(1, kind=POINT_OF_ORDER), req(2, kind=POINT_OF_ORDER, pinned=0), req(3, pinned=5)]
    assert ids(order(waiting, rules=ON, last_category=None)) == [1, 2, 3]


def test_pinned_requests_go_by_pin_then_order_asked_before_debate_and_list():
    waiting = [req(1, FLINTA), req(2, kind=CONTRA), req(3, pinned=2), req(4, FLINTA, pinned=1),
               req(5, kind=PRO, pinned=2), req(6, first_time=False, pinned=0)]
    assert ids(order(waiting, rules=ON, last_category=None)) == [6, 4, 3, 5, 2, 1]


def test_pro_and_contra_alternate_starting_with_pro():
    waiting = [req(1, kind=CONTRA), req(2, kind=CONTRA), req(3, kind=PRO), req(4, kind=PRO)]
    assert ids(order(waiting, rules=ON, last_category=None)) == [3, 1, 4, 2]


def test_pro_and_contra_start_opposite_the_last_side():
    waiting = [req(1, kind=CONTRA), req(2, kind=PRO), req(3, kind=CONTRA)]
    assert ids(order(waiting, rules=ON, last_category=None, last_debate_side=PRO)) == [1, 2, 3]
    assert ids(order(waiting, rules=ON, last_category=None, last_debate_side=CONTRA)) == [2, 1, 3]


def test_when_one_side_is_empty_the_other_continues_before_the_list():
    waiting = [req(1, FLINTA), req(2, kind=CONTRA), req(3, kind=CONTRA), req(4, kind=CONTRA)]
    assert ids(order(waiting, rules=ON, last_category=None, last_debate_side=CONTRA)) == [
        2, 3, 4, 1]


def test_the_debate_ignores_the_quota_category():
    waiting = [req(1, FLINTA, kind=PRO), req(2, OPEN, kind=PRO), req(3, FLINTA, kind=PRO)]
    assert ids(order(waiting, rules=ON, last_category=FLINTA)) == [1, 2, 3]


# --- the regular list ---------------------------------------------------------------------------

def test_regular_list_alternates_starting_with_flinta():
    waiting = [req(1, OPEN), req(2, OPEN), req(3, FLINTA), req(4, OPEN), req(5, FLINTA)]
    assert ids(order(waiting, rules=ON, last_category=None)) == [3, 1, 5, 2, 4]
    assert ids(order(waiting, rules=ON, last_category=OPEN)) == [3, 1, 5, 2, 4]


def test_after_a_flinta_speaker_an_open_one_goes_first():
    waiting = [req(1, OPEN), req(2, FLINTA), req(3, OPEN)]
    assert ids(order(waiting, rules=ON, last_category=FLINTA)) == [1, 2, 3]


def test_an_empty_category_counts_as_open():
    waiting = [req(1, ""), req(2, FLINTA), req(3, "")]
    assert ids(order(waiting, rules=ON, last_category="")) == [2, 1, 3]
    assert ids(order(waiting, rules=ON, last_category=FLINTA)) == [1, 2, 3]
    assert category_of("") == category_of(None) == OPEN


def test_when_no_woman_waits_the_open_speakers_continue():
    waiting = [req(1), req(2), req(3)]
    assert ids(order(waiting, rules=ON, last_category=OPEN)) == [1, 2, 3]


def test_a_woman_who_asks_later_goes_next():
    """Seed 004: the list does not stop when no woman is waiting, and the next woman speaks as
    soon as she asks."""
    waiting = [req(1), req(2), req(3)]
    first = next_up(waiting, rules=ON, last_category=None)
    assert first.id == 1
    waiting.remove(first)
    # Open 1 spoke; now a woman asks, after open 2 and 3.
    waiting.append(req(4, FLINTA))
    assert ids(order(waiting, rules=ON, last_category=OPEN)) == [4, 2, 3]


def test_a_second_woman_waits_for_one_open_speaker():
    waiting = [req(2), req(3), req(4, FLINTA), req(5, FLINTA)]
    assert ids(order(waiting, rules=ON, last_category=FLINTA)) == [2, 4, 3, 5]


def test_first_time_speakers_come_first_within_their_category():
    waiting = [req(1, OPEN, first_time=False), req(2, FLINTA, first_time=False),
               req(3, OPEN), req(4, FLINTA)]
    assert ids(order(waiting, rules=ON, last_category=None)) == [4, 3, 2, 1]


def test_first_time_first_off_keeps_the_order_asked():
    rules = Rules(alternate=True, first_time_first=False)
    waiting = [req(1, OPEN, first_time=False), req(2, FLINTA, first_time=False),
               req(3, OPEN), req(4, FLINTA)]
    assert ids(order(waiting, rules=rules, last_category=None)) == [2, 1, 4, 3]


def test_alternate_off_is_one_queue_with_first_time_speakers_first():
    rules = Rules(alternate=False, first_time_first=True)
    waiting = [req(1, OPEN), req(2, OPEN, first_time=False), req(3, OPEN), req(4, FLINTA)]
    assert ids(order(waiting, rules=rules, last_category=OPEN)) == [1, 3, 4, 2]


def test_all_rules_off_is_the_order_asked():
    waiting = [req(3, FLINTA, seq=30), req(1, OPEN, first_time=False, seq=10),
               req(2, OPEN, seq=20), req(4, OPEN, seq=20)]
    assert ids(order(waiting, rules=OFF, last_category=FLINTA)) == [1, 2, 4, 3]


def test_nobody_waiting():
    assert order([], rules=ON, last_category=None) == []
    assert next_up([], rules=ON, last_category=FLINTA, last_debate_side=PRO) is None


def test_order_does_not_change_its_input():
    waiting = [req(2, FLINTA), req(1)]
    before = list(waiting)
    order(waiting, rules=ON, last_category=None)
    assert waiting == before


@pytest.mark.parametrize(("waiting", "kwargs", "message"), [
    ([req(1, kind="rant")], {}, "Unknown kind"),
    ([req(1, "men")], {}, "Unknown quota category"),
    ([req(1), req(1, FLINTA)], {}, "waiting twice"),
    ([req(1)], {"last_category": "x\x00"}, "Unknown quota category"),
    ([req(1)], {"last_debate_side": REGULAR}, "Unknown debate side"),
])
def test_bad_input_is_refused(waiting, kwargs, message):
    kwargs = {"last_category": None, **kwargs}
    with pytest.raises(ValueError, match=message):
        order(waiting, rules=ON, **kwargs)


# --- any sequence of requests -------------------------------------------------------------------

PEOPLE = 6
KIND = st.sampled_from([REGULAR, REGULAR, REGULAR, POINT_OF_ORDER, PRO, CONTRA])


class SpeakersList(RuleBasedStateMachine):
    """People ask, withdraw, are pinned, and the first of `order` speaks; after each speaker the
    rules are checked against what was waiting just before."""

    def __init__(self):
        super().__init__()
        self.waiting: dict[int, dict] = {}
        self.spoken: set[int] = set()
        self.last_category = None
        self.last_side = None
        self.counter = 0

    @initialize(rules=st.builds(Rules, alternate=st.booleans(), first_time_first=st.booleans()),
                categories=st.lists(st.sampled_from([FLINTA, OPEN, ""]),
                                    min_size=PEOPLE, max_size=PEOPLE))
    def setup(self, rules, categories):
        self.rules = rules
        self.categories = categories

    def requests(self) -> list[Request]:
        return [Request(id=rid, category=self.categories[w["person"]], kind=w["kind"],
                        first_time=w["person"] not in self.spoken, seq=w["seq"],
                        pinned=w["pinned"])
                for rid, w in self.waiting.items()]

    def order(self) -> list[Request]:
        return order(self.requests(), rules=self.rules, last_category=self.last_category,
                     last_debate_side=self.last_side)

    @rule(person=st.integers(0, PEOPLE - 1), kind=KIND)
    def ask(self, person, kind):
        # As the database allows: one waiting request of a kind per person.
        if any(w["person"] == person and w["kind"] == kind for w in self.waiting.values()):
            return
        self.counter += 1
        self.waiting[self.counter] = {"person": person, "kind": kind, "seq": self.counter,
                                      "pinned": None}

    @precondition(lambda self: self.waiting)
    @rule(data=st.data())
    def withdraw(self, data):
        del self.waiting[data.draw(st.sampled_from(sorted(self.waiting)))]

    @precondition(lambda self: self.waiting)
    @rule(data=st.data(), pin=st.integers(0, 3))
    def pin(self, data, pin):
        self.waiting[data.draw(st.sampled_from(sorted(self.waiting)))]["pinned"] = pin

    @precondition(lambda self: self.waiting)
    @rule()
    def call_next(self):
        waiting = self.requests()
        chosen = self.order()[0]
        self.check(chosen, waiting)
        self.spoken.add(self.waiting.pop(chosen.id)["person"])
        if chosen.kind == REGULAR:
            self.last_category = category_of(chosen.category)
        elif chosen.kind in (PRO, CONTRA):
            self.last_side = chosen.kind

    @invariant()
    def every_waiting_request_appears_once(self):
        waiting = self.requests()
        ordered = self.order()
        assert sorted(ids(ordered)) == sorted(ids(waiting))
        assert next_up(waiting, rules=self.rules, last_category=self.last_category,
                       last_debate_side=self.last_side) == (ordered[0] if ordered else None)

    def check(self, chosen: Request, waiting: list[Request]):
        points = [r for r in waiting if r.kind == POINT_OF_ORDER]
        pinned = [r for r in waiting if r.kind != POINT_OF_ORDER and r.pinned is not None]
        debate = [r for r in waiting if r.kind in (PRO, CONTRA) and r.pinned is None]
        regular = [r for r in waiting if r.kind == REGULAR and r.pinned is None]
        if points:
            # Points of order never wait behind anything.
            assert chosen == min(points, key=lambda r: (r.seq, r.id))
            return
        if pinned:
            assert chosen == min(pinned, key=lambda r: (r.pinned, r.seq, r.id))
            return
        if debate:
            sides = {r.kind for r in debate}
            if len(sides) == 2:
                assert chosen.kind == (CONTRA if self.last_side == PRO else PRO)
            same_side = [r for r in debate if r.kind == chosen.kind]
            assert chosen == min(same_side, key=lambda r: (r.seq, r.id))
            return
        assert chosen in regular
        category = category_of(chosen.category)
        categories = {category_of(r.category) for r in regular}
        if self.rules.alternate and len(categories) == 2:
            assert category != self.last_category
            if self.last_category is None:
                assert category == FLINTA
        # Who competes with the chosen one: her category, or everyone without alternation.
        rivals = [r for r in regular
                  if not self.rules.alternate or category_of(r.category) == category]
        if self.rules.first_time_first and not chosen.first_time:
            # First-time speakers never wait behind a repeat speaker.
            assert not any(r.first_time for r in rivals)
        if self.rules.first_time_first:
            rivals = [r for r in rivals if r.first_time == chosen.first_time]
        # Fairness: within its class the list is first come, first served.
        assert chosen == min(rivals, key=lambda r: (r.seq, r.id))


def test_speakers_list_honours_the_rules_for_any_sequence():
    run_state_machine_as_test(
        SpeakersList, settings=settings(max_examples=300, stateful_step_count=60,
                                        deadline=None))
