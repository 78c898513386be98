"""The door team's phones at the same moment: real threads, each on its own database connection,
check the same and different members in and out. The locks (PostgreSQL row locks, SQLite's
IMMEDIATE transactions) must keep every member's log alternating and their flag in step with it:
never two arrivals in a row for one person, never a count that the log does not explain.

The rows must be committed for the other threads to see them, hence transaction=True.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mitmachen.assemblies import attendance
from mitmachen.assemblies.models import AttendanceEntry, Participant
from mitmachen.assemblies.selectors import quorum

pytestmark = pytest.mark.django_db(transaction=True)
A = AttendanceEntry.Action
THREADS = 8  # 2 × 8 connections: well below PostgreSQL's 100, which other test runs share


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


def checking_in(participant):
    return lambda: attendance.check_in(participant=participant, actor=None)


def checking_out(participant):
    return lambda: attendance.check_out(participant=participant, actor=None)


def assert_log_alternates(participant) -> list[str]:
    participant.refresh_from_db()
    actions = list(AttendanceEntry.objects.filter(participant=participant).order_by(
        "at", "pk").values_list("action", flat=True))
    assert actions == [A.ARRIVED if n % 2 == 0 else A.LEFT for n in range(len(actions))], \
        participant.name
    assert participant.present == (bool(actions) and actions[-1] == A.ARRIVED)
    return actions


def test_the_same_member_at_every_phone_and_everyone_at_once(world, assembly):
    rosa = assembly.participants.get(name__startswith="Rosa")
    others = list(assembly.participants.exclude(pk=rosa.pk).order_by("pk"))
    # N threads all check in Rosa; N threads each check in the others, in a rotating order.
    same = [[checking_in(rosa)] for _ in range(THREADS)]
    different = [[checking_in(others[(t + k) % len(others)]) for k in range(len(others))]
                 for t in range(THREADS)]
    results, unexpected = in_parallel(same + different)

    assert unexpected == []
    winners = [r for own in results[:THREADS] for r in own if isinstance(r, Participant)]
    assert len(winners) == 1  # one phone checked Rosa in; every other one was told she is in
    refused = [r for own in results[:THREADS] for r in own if isinstance(r, ValidationError)]
    assert len(refused) == THREADS - 1
    for person in [rosa, *others]:
        assert assert_log_alternates(person) == [A.ARRIVED]
    assert quorum(assembly).present == 6


def test_arrivals_and_departures_racing_keep_each_log_alternating(world, assembly):
    people = list(assembly.participants.order_by("pk")[:3])
    # Half the phones check people in, the other half check them out, over and over.
    jobs = [[(checking_in if t % 2 == 0 else checking_out)(people[(t // 2 + k) % len(people)])
             for k in range(6)] for t in range(2 * THREADS)]
    results, unexpected = in_parallel(jobs)

    assert unexpected == []
    successes = sum(isinstance(r, Participant) for own in results for r in own)
    total_rows = sum(len(assert_log_alternates(person)) for person in people)
    assert successes == total_rows  # every success wrote exactly one row, no refusal wrote one
    assert quorum(assembly).present == sum(
        Participant.objects.filter(pk__in=[p.pk for p in people], present=True)
        .values_list("present", flat=True))
