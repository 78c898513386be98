"""Real threads asking to speak while the chair presses "next", each on its own database
connection: the locks must keep every request listed once, one speaker at a time, and every
speaker called in the order the rules give for what was waiting at that moment.

The rows must be committed for the other threads to see them, hence transaction=True. On
PostgreSQL the assembly's and the item's row locks serialise the services; on SQLite the
IMMEDIATE write transactions do.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mitmachen.assemblies import attendance, services, speakers
from mitmachen.assemblies.models import Assembly, SpeakerRequest
from mitmachen.assemblies.rules import speakers as rules
from mitmachen.core.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)
K = SpeakerRequest.Kind
S = SpeakerRequest.Status
PEOPLE = 20  # well below PostgreSQL's 100 connections, which other test runs share
CHAIR_PRESSES = 8


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


@pytest.fixture
def hall(make_assembly):
    members = [(f"Person{n:02d}", "Test", "flinta" if n % 3 == 0 else "open", "", "")
               for n in range(PEOPLE)]
    assembly = make_assembly(members=members)
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    item = services.item_create(assembly=assembly, title="Aussprache", actor=None)
    services.item_call(assembly=assembly, item=item, actor=None)
    people = list(assembly.participants.order_by("pk"))
    for participant in people:
        attendance.check_in(participant=participant, actor=None)
    item.refresh_from_db()
    return item, people


def asking(item, participant, kind=K.REGULAR):
    return lambda: speakers.speaker_request(item=item, participant=participant, kind=kind)


def replay(item) -> int:
    """Walk the audit log in the order the locks let the writes through, keep the list as the
    rules see it, and check that every speaker called was the first of `order` then."""
    entries = AuditEntry.objects.filter(object_type="assemblies.speakerrequest").order_by("pk")
    rows = {r.pk: r for r in SpeakerRequest.objects.filter(item=item)}
    waiting: dict[int, rules.Request] = {}
    spoken: set[int] = set()
    last_category = None
    settings = rules.Rules(alternate=item.assembly.alternate,
                           first_time_first=item.assembly.first_time_first)
    calls = 0
    for entry in entries:
        row = rows[int(entry.object_id)]
        if entry.action == AuditEntry.Action.CREATE:
            assert entry.changes["first_time"] == (row.participant_id not in spoken)
            waiting[row.pk] = rules.Request(id=row.pk, category=row.category, kind=row.kind,
                                            first_time=row.participant_id not in spoken,
                                            seq=row.pk)
            continue
        old, new = entry.changes["status"]
        if new == S.SPEAKING:
            expected = rules.next_up(list(waiting.values()), rules=settings,
                                     last_category=last_category)
            assert expected is not None and expected.id == row.pk
            del waiting[row.pk]
            spoken.add(row.participant_id)
            last_category = row.category if row.kind == K.REGULAR else last_category
            waiting = {pk: r if rows[pk].participant_id != row.participant_id else
                       rules.Request(id=r.id, category=r.category, kind=r.kind,
                                     first_time=False, seq=r.seq)
                       for pk, r in waiting.items()}
            calls += 1
        elif new == S.WITHDRAWN:
            del waiting[row.pk]
        else:
            assert (old, new) == (S.SPEAKING, S.DONE)
    assert set(waiting) == {pk for pk, r in rows.items() if r.status == S.WAITING}
    return calls


def test_a_rush_of_requests_while_the_chair_calls(hall):
    item, people = hall
    # Each participant presses twice (an impatient thumb); the chair presses "next" meanwhile.
    jobs = [[asking(item, person), asking(item, person)] for person in people]
    jobs.append([lambda: speakers.speaker_next(item=item, actor=None)] * CHAIR_PRESSES)
    results, unexpected = in_parallel(jobs)

    assert unexpected == []
    rows = list(SpeakerRequest.objects.filter(item=item).order_by("pk"))
    for person, (first, second) in zip(people, results, strict=False):
        assert isinstance(first, SpeakerRequest)
        mine = [r for r in rows if r.participant_id == person.pk]
        assert sum(r.status == S.WAITING for r in mine) <= 1
        if isinstance(second, ValidationError):
            # Refused only because the first was still waiting: listed once.
            assert mine == [first]
        else:
            # Accepted only because the first had been called in between.
            assert len(mine) == 2 and mine[0].status in (S.SPEAKING, S.DONE)
    assert SpeakerRequest.objects.filter(item=item, status=S.SPEAKING).count() <= 1
    called = [r for r in results[-1] if r is not None]
    assert len({r.pk for r in called}) == len(called)  # nobody called twice

    # Whatever the interleaving, one more press leaves exactly one speaker.
    speakers.speaker_next(item=item, actor=None)
    assert SpeakerRequest.objects.filter(item=item, status=S.SPEAKING).count() == 1
    assert replay(item) == len(called) + 1


def test_one_thumb_pressing_ten_times_at_once_is_listed_once(hall):
    item, people = hall
    results, unexpected = in_parallel([[asking(item, people[0])] for _ in range(10)])

    assert unexpected == []
    listed = [r for own in results for r in own if isinstance(r, SpeakerRequest)]
    refused = [r for own in results for r in own if isinstance(r, ValidationError)]
    assert len(listed) == 1 and len(refused) == 9
    assert SpeakerRequest.objects.filter(item=item).count() == 1


def test_chairs_pressing_next_together_call_each_speaker_once(hall):
    item, people = hall
    for person in people[:6]:
        speakers.speaker_request(item=item, participant=person)
    results, unexpected = in_parallel(
        [[lambda: speakers.speaker_next(item=item, actor=None)] for _ in range(10)])

    assert unexpected == []
    called = [r for own in results for r in own if r is not None]
    assert len(called) == 6 and len({r.pk for r in called}) == 6
    # The presses after the sixth found nobody waiting: the first of them ended her speech.
    assert SpeakerRequest.objects.filter(item=item, status=S.DONE).count() == 6
    assert not SpeakerRequest.objects.filter(item=item, status=S.SPEAKING).exists()
    assert replay(item) == 6
