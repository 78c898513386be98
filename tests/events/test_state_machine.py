"""Property: whatever people and staff do in whatever order, no event or ticket category is
overbooked, the seat counters match the registrations, no free seat is left while someone who
fits waits, the waiting list moves up oldest first, and no registration is lost.

The machine drives the real services on one event; each example runs in a savepoint that is
rolled back, so examples do not see each other's rows.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
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

from mitmachen.events import registrations as regs
from mitmachen.events import services
from mitmachen.events.models import Event, Registration, TicketCategory

S = Registration.Status
SEAT = set(Registration.HOLDS_SEAT)
# Where each status may go next; cancelled, expired and declined are final.
ALLOWED = {
    S.PENDING: {S.CONFIRMED, S.WAITING, S.DECLINED, S.CANCELLED},
    S.CONFIRMED: {S.CANCELLED},
    S.WAITING: {S.OFFERED, S.CONFIRMED, S.CANCELLED},
    S.OFFERED: {S.CONFIRMED, S.EXPIRED, S.CANCELLED},
    S.CANCELLED: set(), S.EXPIRED: set(), S.DECLINED: set(),
}


class RegistrationMachine(RuleBasedStateMachine):
    organisation = None  # set by the test: the world's Kassel

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.event = None
        self.categories = []
        self.created = []  # pks in the order the service returned them
        self.before = {}  # pk → (status, category_id) after the previous step
        self.counter = 0

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- set-up ------------------------------------------------------------------------------

    @initialize(capacity=st.integers(2, 4), approval=st.booleans(),
                offer_hours=st.sampled_from([0, 1, 48]),
                categories=st.one_of(st.just(()), st.tuples(
                    st.one_of(st.none(), st.integers(1, 3)), st.integers(1, 3))))
    def make_event(self, capacity, approval, offer_hours, categories):
        start = timezone.now() + timedelta(days=30)
        self.event = services.event_create(
            organisation=self.organisation, title="Netzwerktreffen",
            kind=Event.Kind.NETWORK_MEETING, starts_at=start, ends_at=start + timedelta(hours=2),
            registration=Event.Registration.OPEN, capacity=capacity,
            approval_required=approval, offer_hours=offer_hours, actor=None)
        self.categories = [
            services.category_add(event=self.event, name=f"Ticket {n}", capacity=seats,
                                  actor=None)
            for n, seats in enumerate(categories)]

    # --- helpers -----------------------------------------------------------------------------

    def _with_status(self, *statuses) -> list[Registration]:
        return list(Registration.objects.filter(event=self.event, status__in=statuses)
                    .order_by("pk"))

    def _cancelled(self) -> bool:
        return Event.objects.get(pk=self.event.pk).status == Event.Status.CANCELLED

    # --- what people and staff do ------------------------------------------------------------

    @rule(data=st.data(), by_phone=st.booleans())
    def register(self, data, by_phone):
        self.counter += 1
        category = data.draw(st.sampled_from(self.categories)) if self.categories else None
        source = Registration.Source.PHONE if by_phone else Registration.Source.ONLINE
        try:
            registration = regs.registration_create(
                event=self.event, first_name=f"Person {self.counter}",
                email=f"p{self.counter}@example.org", category=category,
                privacy_accepted=True, source=source)
        except ValidationError:
            assert self._cancelled(), "only a cancelled event refuses a well-formed registration"
            return
        assert registration.status in (S.CONFIRMED, S.WAITING, S.PENDING)
        if registration.status == S.PENDING:
            assert self.event.approval_required and not by_phone
        self.created.append(registration.pk)

    @precondition(lambda self: self._with_status(*Registration.ACTIVE))
    @rule(data=st.data())
    def cancel(self, data):
        active = self._with_status(*Registration.ACTIVE)
        registration = data.draw(st.sampled_from(active))
        result = regs.registration_cancel(registration=registration)
        assert result.status == S.CANCELLED

    @precondition(lambda self: self._with_status(S.OFFERED))
    @rule(data=st.data())
    def accept_offer(self, data):
        offered = self._with_status(S.OFFERED)
        registration = data.draw(st.sampled_from(offered))
        if self._cancelled():
            with pytest.raises(ValidationError):  # nobody is confirmed for a cancelled event
                regs.offer_accept(registration=registration)
            return
        assert regs.offer_accept(registration=registration).status == S.CONFIRMED

    @rule()
    def expire_offers(self):
        offered = self._with_status(S.OFFERED)
        latest = max((r.offer_expires_at for r in offered), default=None)
        if latest is None:
            assert regs.offers_expire(now=timezone.now() + timedelta(days=3)) == 0
            return
        assert latest <= self.event.starts_at
        # past every deadline, yet before the start: the next people get their offers
        assert regs.offers_expire(now=latest + timedelta(seconds=1)) == len(offered)

    @precondition(lambda self: self._with_status(S.PENDING))
    @rule(data=st.data(), approve=st.booleans())
    def decide(self, data, approve):
        pending = self._with_status(S.PENDING)
        registration = data.draw(st.sampled_from(pending))
        if approve and self._cancelled():
            with pytest.raises(ValidationError):
                regs.registration_decide(registration=registration, approve=True, actor=None)
            return
        decided = regs.registration_decide(registration=registration, approve=approve,
                                           actor=None)
        assert decided.status in ((S.CONFIRMED, S.WAITING) if approve else (S.DECLINED,))

    @rule(capacity=st.integers(0, 8))
    def change_capacity(self, capacity):
        event = Event.objects.get(pk=self.event.pk)
        try:
            services.event_update(event=event, data={"capacity": capacity}, actor=None)
        except ValidationError:
            assert capacity < event.seats_taken
            assert Event.objects.get(pk=event.pk).capacity == event.capacity
            return
        assert capacity >= event.seats_taken
        assert Event.objects.get(pk=event.pk).capacity == capacity

    @precondition(lambda self: not self._cancelled())
    @rule(dice=st.integers(0, 9))
    def cancel_event(self, dice):
        if dice:  # rarely: after it nothing moves any more
            return
        services.event_status_change(event=self.event, to_status=Event.Status.CANCELLED,
                                     actor=None, reason="Raum weg")

    # --- what must always hold ---------------------------------------------------------------

    @invariant()
    def seats_and_waiting_list(self):
        if self.event is None:
            return
        event = Event.objects.get(pk=self.event.pk)
        rows = {pk: (status, category_id) for pk, status, category_id in
                Registration.objects.filter(event=event)
                .values_list("pk", "status", "category_id")}

        # nobody lost, nobody in an undefined state, no forbidden step
        assert sorted(rows) == sorted(self.created)
        for pk, (status, category_id) in rows.items():
            assert status in Registration.Status.values
            if pk in self.before:
                was = self.before[pk][0]
                assert status == was or status in ALLOWED[was], (pk, was, status)
                assert category_id == self.before[pk][1]

        # counters match the rows and stay within capacity
        holding = [c for s, c in rows.values() if s in SEAT]
        assert event.seats_taken == len(holding)
        if event.capacity is not None:
            assert len(holding) <= event.capacity
        free = {}
        for category in TicketCategory.objects.filter(event=event):
            taken = sum(1 for c in holding if c == category.pk)
            assert category.seats_taken == taken, category.name
            if category.capacity is not None:
                assert taken <= category.capacity, category.name
            free[category.pk] = category.capacity is None or taken < category.capacity
        event_free = event.capacity is None or event.seats_taken < event.capacity

        waiting = sorted(pk for pk, (s, _c) in rows.items() if s == S.WAITING)
        if event.status != Event.Status.CANCELLED:
            # no free seat while someone who fits it waits
            for pk in waiting:
                category_id = rows[pk][1]
                assert not (event_free and free.get(category_id, True)), (
                    f"registration {pk} waits next to a free seat")

        # promotions go oldest first: nobody older of the same ticket was passed over
        promoted = [pk for pk, (s, _c) in rows.items()
                    if pk in self.before and self.before[pk][0] == S.WAITING and s in SEAT]
        # the waiting list's order: when each joined it (a late e-mail confirmation or
        # approval queues behind those already waiting), then arrival
        joined = dict(Registration.objects.filter(event=event).values_list("pk", "waiting_since"))
        for pk in promoted:
            passed_over = [w for w in waiting if (joined[w], w) < (joined[pk], pk)
                           and rows[w][1] == rows[pk][1]]
            assert not passed_over, f"{pk} was promoted before {passed_over}"

        for registration in Registration.objects.filter(event=event, status=S.OFFERED):
            assert registration.offer_expires_at is not None
            assert registration.offer_expires_at <= event.starts_at
        self.before = rows


@pytest.mark.django_db(transaction=False)
def test_no_overbooking_and_no_lost_registration(world):
    RegistrationMachine.organisation = world.kassel
    run_state_machine_as_test(
        RegistrationMachine,
        settings=settings(max_examples=60, stateful_step_count=30, deadline=None),
    )
