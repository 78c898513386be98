"""Real threads registering and cancelling at the same moment, each on its own database
connection: on PostgreSQL the event's row lock, on SQLite the IMMEDIATE write transactions must
keep every seat counted once and the waiting list in order of arrival.

The rows must be committed for the other threads to see them, hence transaction=True.
"""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from mitmachen.core.models import AuditEntry
from mitmachen.events import registrations as regs
from mitmachen.events import services
from mitmachen.events.models import Event, Registration, TicketCategory

pytestmark = pytest.mark.django_db(transaction=True)
S = Registration.Status
THREADS = 20  # well below PostgreSQL's 100 connections, which other test runs share


def in_parallel(jobs_per_thread):
    """Run each thread's jobs in order, all threads released at once. Returns the results per
    thread and every exception that is not the service's own ValidationError."""
    barrier = threading.Barrier(len(jobs_per_thread))
    results = [[] for _ in jobs_per_thread]
    unexpected = []

    def run(index, jobs):
        try:
            barrier.wait()
            for job in jobs:
                try:
                    results[index].append(job())
                except ValidationError as exc:
                    results[index].append(exc)
        except Exception as exc:  # collected and asserted on below
            unexpected.append(exc)
        finally:
            connection.close()  # each thread has its own connection; leave none open

    threads = [threading.Thread(target=run, args=(n, jobs))
               for n, jobs in enumerate(jobs_per_thread)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, unexpected


def new_event(world, capacity=20, **fields):
    start = timezone.now() + timedelta(days=7)
    return services.event_create(
        organisation=world.kassel, title="Sommerfest", kind=Event.Kind.FESTIVAL,
        starts_at=start, ends_at=start + timedelta(hours=4),
        registration=Event.Registration.OPEN, capacity=capacity, actor=None, **fields)


def registering(event, n, category=None):
    return lambda: regs.registration_create(
        event=event, first_name=f"Person {n}", email=f"p{n}@example.org", category=category,
        privacy_accepted=True)


def assert_counters_match(event):
    event.refresh_from_db()
    holding = event.registrations.filter(status__in=Registration.HOLDS_SEAT)
    assert event.seats_taken == holding.count()
    for category in TicketCategory.objects.filter(event=event):
        assert category.seats_taken == holding.filter(category=category).count()


def assert_each_thread_in_order(results):
    """A thread's registrations got ascending keys: its own order of sending was kept."""
    for own in results:
        pks = [r.pk for r in own if isinstance(r, Registration)]
        assert pks == sorted(pks)


def test_a_rush_fills_exactly_the_seats_and_queues_the_rest_in_order(world):
    event = new_event(world, capacity=20)
    jobs = [[registering(event, t * 3 + k) for k in range(3)] for t in range(THREADS)]
    results, unexpected = in_parallel(jobs)

    assert unexpected == []
    assert all(isinstance(r, Registration) for own in results for r in own)
    rows = list(event.registrations.order_by("pk").values_list("pk", "status"))
    assert len(rows) == 60
    # The lock is taken before the insert, so key order is arrival order: the first twenty
    # to arrive hold the seats, everyone after them waits.
    assert [status for _pk, status in rows] == [S.CONFIRMED] * 20 + [S.WAITING] * 40
    assert_counters_match(event)
    assert event.seats_taken == 20
    assert_each_thread_in_order(results)
    waiting = list(event.registrations.filter(status=S.WAITING).order_by("pk"))
    assert waiting == sorted(waiting, key=lambda r: (r.waiting_since, r.pk))
    assert [regs.waiting_position(r) for r in waiting] == list(range(1, 41))


def test_a_rush_respects_each_ticket_category(world):
    event = new_event(world, capacity=20)
    reduced = services.category_add(event=event, name="ermäßigt", capacity=8, actor=None)
    normal = services.category_add(event=event, name="normal", actor=None)
    jobs = [[registering(event, t * 3 + k, reduced if (t + k) % 2 else normal)
             for k in range(3)] for t in range(THREADS)]
    results, unexpected = in_parallel(jobs)

    assert unexpected == []
    rows = list(event.registrations.order_by("pk").values_list("category_id", "status"))
    assert len(rows) == 60
    # Replaying the arrivals in key order must give exactly the statuses the threads got.
    taken = {reduced.pk: 0, normal.pk: 0}
    limit = {reduced.pk: 8, normal.pk: None}
    for category_id, status in rows:
        fits = sum(taken.values()) < 20 and (limit[category_id] is None
                                             or taken[category_id] < limit[category_id])
        assert status == (S.CONFIRMED if fits else S.WAITING)
        taken[category_id] += fits
    # How many reduced seats go depends on the interleaving (normal ones may fill the event
    # first); the replay above checks each decision, this the limits.
    assert taken[reduced.pk] <= 8 and sum(taken.values()) == 20
    assert_counters_match(event)
    assert_each_thread_in_order(results)


@pytest.mark.parametrize("offer_hours", [0, 48])
def test_cancels_and_registrations_at_once_lose_no_seat(world, offer_hours):
    event = new_event(world, capacity=20, offer_hours=offer_hours)
    first = [registering(event, n)() for n in range(40)]
    confirmed, waiting = first[:20], first[20:]
    assert {r.status for r in confirmed} == {S.CONFIRMED}

    def cancelling(registration):
        return lambda: regs.registration_cancel(registration=registration)

    leaving = confirmed[:10] + waiting[2:7]  # ten seats freed, five leave the waiting list
    jobs = [[cancelling(r)] for r in leaving]
    jobs += [[registering(event, 100 + t * 4 + k) for k in range(4)] for t in range(5)]
    results, unexpected = in_parallel(jobs)

    assert unexpected == []
    cancelled = event.registrations.filter(status=S.CANCELLED)
    assert set(cancelled.values_list("pk", flat=True)) == {r.pk for r in leaving}
    promoted_status = S.CONFIRMED if offer_hours == 0 else S.OFFERED
    holding = list(event.registrations.filter(status__in=Registration.HOLDS_SEAT)
                   .order_by("pk").values_list("pk", "status"))
    assert len(holding) == 20  # every freed seat went to someone waiting
    still_waiting = list(event.registrations.filter(status=S.WAITING)
                         .values_list("pk", flat=True))
    promoted = [pk for pk, status in holding if pk not in {r.pk for r in confirmed}]
    # the ten who moved up are the oldest who were still waiting; nobody jumped the queue
    assert len(promoted) == 10
    assert max(promoted) < min(still_waiting)
    assert {status for pk, status in holding if pk in promoted} == {promoted_status}
    assert len(still_waiting) == 60 - 15 - 20
    assert event.registrations.count() == 60
    assert_counters_match(event)
    assert_each_thread_in_order(results)


def test_approvals_at_once_queue_in_the_order_they_are_served(world):
    event = new_event(world, capacity=5, approval_required=True)
    pending = [registering(event, n)() for n in range(40)]
    assert {r.status for r in pending} == {S.PENDING}

    def approving(registration):
        return lambda: regs.registration_decide(registration=registration, approve=True,
                                                actor=None)

    results, unexpected = in_parallel([[approving(r) for r in pending[t::THREADS]]
                                       for t in range(THREADS)])

    assert unexpected == []
    assert all(isinstance(r, Registration) for own in results for r in own)
    # Each approval writes its audit row while it holds the event's lock: their keys are the
    # order in which the approvals were served.
    served = [int(pk) for pk in AuditEntry.objects.filter(
        object_type="events.registration", object_id__in=[str(r.pk) for r in pending],
        action=AuditEntry.Action.UPDATE).order_by("pk").values_list("object_id", flat=True)]
    assert sorted(served) == sorted(r.pk for r in pending)
    statuses = dict(event.registrations.values_list("pk", "status"))
    assert [statuses[pk] for pk in served] == [S.CONFIRMED] * 5 + [S.WAITING] * 35
    queue = list(event.registrations.filter(status=S.WAITING).order_by("waiting_since", "pk")
                 .values_list("pk", flat=True))
    assert queue == served[5:], "the waiting list must follow the order of service"
    assert_counters_match(event)
