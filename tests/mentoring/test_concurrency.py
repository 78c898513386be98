"""Real threads sending matchings, answering proposals and withdrawing at the same moment, each
on its own database connection: the programme lock (PostgreSQL) must keep every mentor within
the places she offered and every mentee in at most one open pair.

PostgreSQL only: on SQLite every write transaction runs alone anyway (IMMEDIATE), so there is
no interleaving to test. The rows must be committed for the other threads to see them, hence
transaction=True.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mitmachen.core import services as core
from mitmachen.core.roles import Role
from mitmachen.mentoring import services
from mitmachen.mentoring.models import Application, Pairing

from .conftest import mentee_data, mentor_data

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks are tested on PostgreSQL (DATABASE_URL)"),
]
P = Pairing.Status
OPEN = [P.PROPOSED, P.ACTIVE]


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


def populate(programme, mentees, capacities):
    for n in range(mentees):
        services.application_submit(programme=programme, role="mentee",
                                    data=mentee_data(f"Mentee {n}"), consent=True)
    for n, capacity in enumerate(capacities):
        services.application_submit(programme=programme, role="mentor",
                                    data=mentor_data(f"Mentor {n}", capacity=capacity),
                                    consent=True)


def assert_within_capacity(programme):
    for mentor in Application.objects.filter(programme=programme, role="mentor"):
        assert Pairing.objects.filter(mentor=mentor, status__in=OPEN).count() <= \
            mentor.capacity, mentor
        if mentor.status == Application.Status.WITHDRAWN:
            assert not Pairing.objects.filter(mentor=mentor, status__in=OPEN).exists()
    for mentee in Application.objects.filter(programme=programme, role="mentee"):
        assert Pairing.objects.filter(mentee=mentee, status__in=OPEN).count() <= 1, mentee


def test_two_coordinators_sending_the_same_matching_send_it_once(programme, coordinator, world):
    populate(programme, mentees=8, capacities=[2, 2, 1])
    run = services.matching_run(programme=programme, actor=coordinator)
    other = core.user_create(email="zweite.koordinatorin@example.org", name="Zweite",
                             password="correct horse battery staple")
    core.role_grant(user=other, organisation=world.duesseldorf,
                    role=Role.MENTORING_COORDINATOR, actor=None)
    results, unexpected = in_parallel(
        [[lambda who=who: services.matching_send(run=run, actor=who)]
         for who in (coordinator, other) for _ in range(3)])
    assert unexpected == []
    sent = [r for own in results for r in own if isinstance(r, list)]
    assert len(sent) == 1 and len(sent[0]) == 5
    assert Pairing.objects.filter(programme=programme).count() == 5
    assert_within_capacity(programme)


def test_coordinators_running_and_sending_at_once_never_overfill(programme, coordinator):
    populate(programme, mentees=10, capacities=[2, 1, 3])

    def run_and_send():
        run = services.matching_run(programme=programme, actor=coordinator)
        return services.matching_send(run=run, actor=coordinator)

    results, unexpected = in_parallel([[run_and_send, run_and_send] for _ in range(6)])
    assert unexpected == []
    assert any(isinstance(r, list) and r for own in results for r in own)
    assert Pairing.objects.filter(programme=programme, status=P.PROPOSED).count() == 6
    assert_within_capacity(programme)


def test_many_answers_and_withdrawals_at_once_never_overfill(programme, coordinator):
    # More places than mentees, so that every decline rematches into a free place at once:
    # the rematches race each other for the same places.
    populate(programme, mentees=10, capacities=[3, 3, 2, 2, 2])
    run = services.matching_run(programme=programme, actor=coordinator)
    proposals = services.matching_send(run=run, actor=coordinator)
    assert len(proposals) == 10
    jobs = []
    for n, pairing in enumerate(proposals):
        accept = n % 3 != 0
        jobs.append([lambda p=pairing, a=accept: services.proposal_answer(
            pairing=p, side="mentee", accept=a)])
        jobs.append([lambda p=pairing: services.proposal_answer(pairing=p, side="mentor",
                                                                 accept=True)])
    late = services.application_submit(programme=programme, role="mentee",
                                       data=mentee_data("Spaete Mentee"), consent=True)[0]
    jobs.append([lambda: services.rematch(application=late)])
    mentor = proposals[1].mentor
    jobs.append([lambda: services.application_withdraw(application=mentor)])
    results, unexpected = in_parallel(jobs)
    assert unexpected == []
    assert_within_capacity(programme)
    # Every mentee who declined got a new proposal or waits; none is lost.
    for pairing in proposals[::3]:
        mentee = Application.objects.get(pk=pairing.mentee_id)
        assert mentee.status in (Application.Status.PROPOSED, Application.Status.WAITING)


def test_answers_and_a_new_matching_sent_at_once_never_overfill(programme, coordinator):
    populate(programme, mentees=6, capacities=[2, 2])
    first = services.matching_send(
        run=services.matching_run(programme=programme, actor=coordinator), actor=coordinator)
    for n in range(4):
        services.application_submit(programme=programme, role="mentee",
                                    data=mentee_data(f"Zweite Runde {n}"), consent=True)
    services.application_submit(programme=programme, role="mentor",
                                data=mentor_data("Neue Mentorin", capacity=2), consent=True)
    second = services.matching_run(programme=programme, actor=coordinator)
    jobs = [[lambda p=p: services.proposal_answer(pairing=p, side="mentor", accept=False)]
            for p in first]
    jobs.append([lambda: services.matching_send(run=second, actor=coordinator)])
    results, unexpected = in_parallel(jobs)
    assert unexpected == []
    assert_within_capacity(programme)
