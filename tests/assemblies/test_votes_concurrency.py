"""Real threads casting at the same moment, each on its own database connection (PostgreSQL).

Fifty threads: each pair of threads casts for the same participant at once, twice over, so
every one of fifty voters is cast for twice concurrently. Every vote must be counted once, the
second refused with the service's message; and a close racing with casts must count exactly the
ballots it let in. The rows must be committed for other threads to see them, hence
transaction=True. SQLite runs one writer at a time anyway (IMMEDIATE transactions); the race
that matters is PostgreSQL's.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from mitmachen.assemblies import attendance, motions, services, votes
from mitmachen.assemblies.models import Assembly, Ballot, Vote, VoteCast

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]
THREADS = 50
VOTERS = 50


def in_parallel(jobs_per_thread):
    """Run each thread's jobs in order, every thread released at once per round. Returns the
    results per thread and every exception that is not the service's own ValidationError."""
    rounds = max(len(jobs) for jobs in jobs_per_thread)
    barrier = threading.Barrier(len(jobs_per_thread))
    results = [[] for _ in jobs_per_thread]
    unexpected = []

    def run(index, jobs):
        try:
            with translation.override("en"):
                for number in range(rounds):
                    barrier.wait()
                    if number >= len(jobs):
                        continue
                    try:
                        results[index].append(jobs[number]())
                    except ValidationError as exc:
                        results[index].append(exc)
        except Exception as exc:  # collected and asserted on below
            unexpected.append(exc)
            barrier.abort()
        finally:
            connection.close()  # each thread has its own connection; leave none open

    threads = [threading.Thread(target=run, args=(n, jobs))
               for n, jobs in enumerate(jobs_per_thread)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, unexpected


@pytest.fixture
def hall(make_assembly):
    members = [(f"Person{n:02d}", "Muster", "open", f"p{n}@example.org", "")
               for n in range(VOTERS)]
    assembly = make_assembly(members=members)
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    voters = list(assembly.participants.order_by("name"))
    for participant in voters:
        attendance.check_in(participant=participant, actor=None)
    motion = motions.motion_submit(assembly=assembly, title="Mietendeckel", text="Text",
                                   submitter=None, submitter_name="Vorstand", actor=None)
    motions.motion_admit(motion=motion, actor=None)
    return assembly, voters, motion


def casting(vote, participant, choice):
    return lambda: votes.vote_cast(vote=vote, participant=participant, choice=choice)


@pytest.mark.parametrize("method", [Vote.Method.SECRET, Vote.Method.ELECTRONIC])
def test_fifty_threads_each_voter_twice_every_vote_counted_once(hall, method):
    assembly, voters, motion = hall
    vote = votes.vote_create(assembly=assembly, motion=motion, method=method, actor=None)
    votes.vote_open(vote=vote, actor=None)
    choice = {p.pk: ("yes", "no", "abstain")[n % 3] for n, p in enumerate(voters)}
    half = VOTERS // 2
    # Threads 2k and 2k+1 cast for voter k in round one and for voter half+k in round two,
    # each time with a different choice, so a double count would also show in the tally.
    jobs = []
    for thread in range(THREADS):
        k = thread // 2
        first, second = voters[k], voters[half + k]
        flip = thread % 2
        jobs.append([casting(vote, first, choice[first.pk] if not flip else "abstain"),
                     casting(vote, second, choice[second.pk] if not flip else "abstain")])
    results, unexpected = in_parallel(jobs)
    assert not unexpected, unexpected
    outcomes = [r for thread in results for r in thread]
    counted = [r for r in outcomes if isinstance(r, VoteCast)]
    refused = [r for r in outcomes if isinstance(r, ValidationError)]
    assert len(counted) == VOTERS and len(refused) == VOTERS
    assert all("already voted" in " ".join(r.messages) for r in refused)
    assert VoteCast.objects.filter(vote=vote).count() == VOTERS
    assert sorted(VoteCast.objects.filter(vote=vote).values_list("participant_id", flat=True)) \
        == sorted(p.pk for p in voters)
    vote = votes.vote_close(vote=vote, actor=None)
    ballots = Ballot.objects.filter(vote=vote).count()
    assert vote.yes + vote.no + vote.abstain == VOTERS
    # Which thread won each race decided the choice: the voter's own or "abstain".
    wanted = list(choice.values())
    assert vote.yes <= wanted.count("yes") and vote.no <= wanted.count("no")
    if method == Vote.Method.SECRET:
        assert ballots == VOTERS
    else:
        assert ballots == 0
        named = list(VoteCast.objects.filter(vote=vote).values_list("choice", flat=True))
        assert (named.count("yes"), named.count("no"), named.count("abstain")) == (
            vote.yes, vote.no, vote.abstain)


def test_a_close_racing_with_casts_counts_exactly_what_it_let_in(hall):
    assembly, voters, motion = hall
    vote = votes.vote_create(assembly=assembly, motion=motion, method=Vote.Method.SECRET,
                             actor=None)
    votes.vote_open(vote=vote, actor=None)
    jobs = [[casting(vote, p, "yes")] for p in voters[:THREADS - 1]]
    jobs.append([lambda: votes.vote_close(vote=vote, actor=None)])
    results, unexpected = in_parallel(jobs)
    assert not unexpected, unexpected
    counted = sum(1 for thread in results[:-1] if isinstance(thread[0], VoteCast))
    refused = [thread[0] for thread in results[:-1] if isinstance(thread[0], ValidationError)]
    assert all("not open" in " ".join(r.messages) for r in refused)
    assert counted + len(refused) == THREADS - 1
    vote.refresh_from_db()
    assert vote.status == Vote.Status.CLOSED
    assert vote.yes == counted == VoteCast.objects.filter(vote=vote).count() == \
        Ballot.objects.filter(vote=vote).count()
