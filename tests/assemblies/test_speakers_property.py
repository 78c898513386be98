"""Random sessions driven through the services, with the database: whatever participants ask,
withdraw and the chair pins or calls, each speaker called honours the rules.

The expectations are kept by the test itself (who spoke, the last regular category, the last
side of the debate), not read back from the rows the services maintain, so a service that
stored a wrong category or first-time flag fails here. Each example runs in a transaction that
is rolled back, so examples do not see each other's rows.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mitmachen.assemblies import attendance, services, speakers
from mitmachen.assemblies.models import Assembly, SpeakerRequest

pytestmark = pytest.mark.django_db
K = SpeakerRequest.Kind
S = SpeakerRequest.Status
PEOPLE = 7  # the six members of the fixture and a guest without a quota category

# Asking and calling are most of a session; withdrawing, pinning and ending are rarer.
operations = st.lists(st.tuples(
    st.sampled_from(["ask"] * 5 + ["next"] * 3 + ["withdraw", "pin", "end"]),
    st.integers(0, 20),
    st.sampled_from([K.REGULAR] * 5 + [K.POINT_OF_ORDER, K.PRO, K.CONTRA]),
), min_size=10, max_size=40)


@pytest.fixture
def hall(make_assembly):
    """An assembly in session with everyone checked in. Built once for all examples: each
    example works on an item of its own inside a transaction it rolls back."""
    assembly = make_assembly()
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    services.guest_add(assembly=assembly, name="Gast", actor=None)
    people = list(assembly.participants.order_by("pk"))
    for participant in people:
        attendance.check_in(participant=participant, actor=None)
    assembly.refresh_from_db()
    return assembly, people


def _item(assembly, alternate: bool, first_time_first: bool):
    assembly.refresh_from_db()  # the last example's settings were rolled back
    services.assembly_update(assembly=assembly, actor=None, data={
        "alternate": alternate, "first_time_first": first_time_first})
    item = services.item_create(assembly=assembly, title="Aussprache", actor=None)
    services.item_call(assembly=assembly, item=item, actor=None)
    item.refresh_from_db()
    return item


def _category(participant) -> str:
    return participant.quota_category or "open"


def _check_called(called, waiting, state, rules_on):
    """The invariants for one call of "next", given what was waiting just before it."""
    points = [r for r in waiting if r.kind == K.POINT_OF_ORDER]
    if points:
        # Points of order never wait behind anything, and among them the first asked goes.
        assert called.pk == min(r.pk for r in points)
        return
    pinned = [r for r in waiting if r.pinned is not None]
    if pinned:
        assert called.pk == min(pinned, key=lambda r: (r.pinned, r.pk)).pk
        return
    debate = [r for r in waiting if r.kind in (K.PRO, K.CONTRA)]
    if debate:
        sides = {r.kind for r in debate}
        side = called.kind
        if len(sides) == 2:
            expected = K.CONTRA if state["last_side"] == K.PRO else K.PRO
            assert side == expected
        assert called.pk == min(r.pk for r in debate if r.kind == side)
        return
    assert called.kind == K.REGULAR
    alternate, first_time_first = rules_on
    category = called.category
    categories = {r.category for r in waiting}
    if alternate and len(categories) == 2:
        # Both categories waiting: the turn goes to the one that did not speak last.
        expected = "open" if state["last_category"] == "flinta" else "flinta"
        assert category == expected
    same = [r for r in waiting if r.category == category] if alternate else list(waiting)
    first_timers = [r for r in same if r.participant_id not in state["spoken"]]
    pool = same
    if first_time_first and first_timers:
        # A first-time speaker never waits behind a repeat speaker of the same category...
        assert called.participant_id not in state["spoken"]
        pool = first_timers
    # ...and within the same class the order is the order of asking (nobody is skipped).
    assert called.pk == min(r.pk for r in pool)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations, alternate=st.booleans(), first_time_first=st.booleans())
def test_called_speakers_honour_the_rules(hall, ops, alternate, first_time_first):
    assembly, people = hall
    with transaction.atomic():
        item = _item(assembly, alternate, first_time_first)
        state = {"spoken": set(), "last_category": None, "last_side": None}
        calls = 0
        for op in ops:
            waiting = list(item.speakers.filter(status=S.WAITING).order_by("pk"))
            if op[0] == "ask":
                person, kind = people[op[1] % PEOPLE], op[2]
                try:
                    request = speakers.speaker_request(item=item, participant=person, kind=kind)
                except ValidationError:
                    # Refused only as a second waiting request of the same kind.
                    assert any(r.participant_id == person.pk and r.kind == kind
                               for r in waiting)
                else:
                    assert request.category == _category(person)
                    assert request.first_time == (person.pk not in state["spoken"])
            elif op[0] in ("withdraw", "pin") and waiting:
                target = waiting[op[1] % len(waiting)]
                if op[0] == "withdraw":
                    speakers.speaker_withdraw(request=target, participant=target.participant)
                elif target.kind != K.POINT_OF_ORDER and target.pinned is None:
                    speakers.speaker_pin(request=target, actor=None, reason="Berichterstattung")
            elif op[0] == "next":
                ordered = speakers.queue(item)
                # Every waiting request appears in the order exactly once.
                assert sorted(r.pk for r in ordered) == [r.pk for r in waiting]
                called = speakers.speaker_next(item=item, actor=None)
                calls += 1
                if not waiting:
                    assert called is None
                    continue
                assert called.pk == ordered[0].pk
                _check_called(called, waiting, state, (alternate, first_time_first))
                state["spoken"].add(called.participant_id)
                if called.kind == K.REGULAR:
                    state["last_category"] = called.category
                elif called.kind in (K.PRO, K.CONTRA):
                    state["last_side"] = called.kind
            elif op[0] == "end" and item.speakers.filter(status=S.SPEAKING).exists():
                speakers.speaker_end(item=item, actor=None)
            assert item.speakers.filter(status=S.SPEAKING).count() <= 1
            # The stored first-time flags agree with who has spoken.
            for request in item.speakers.filter(status=S.WAITING):
                assert request.first_time == (request.participant_id not in state["spoken"])
        transaction.set_rollback(True)
