"""A secret election: no field anywhere links a voter to a ballot, counting shuffles the ballot
box, audit rows hold no choice, and the number of ballots verifies the tally."""

import json
import threading

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.utils import translation

from mitmachen.assemblies import ballot_box, elections
from mitmachen.assemblies.models import Ballot, Election, Participant, VoteCast
from mitmachen.core.models import AuditEntry

from .conftest import voter
from .test_elections import cast, english, in_session, make_election, nominate

pytestmark = pytest.mark.django_db


def test_no_field_links_a_ballot_to_a_voter_or_a_time():
    for field in Ballot._meta.get_fields():
        if field.is_relation:
            # Only the question it answers: a vote or an election, never a person or a cast.
            assert field.related_model in {apps.get_model("assemblies", "Vote"), Election}, field
        assert not isinstance(field, models.DateTimeField | models.DateField), field
        assert not isinstance(field, models.AutoField | models.BigAutoField), field
    assert isinstance(Ballot._meta.pk, models.UUIDField)
    # Nothing points at a ballot either (a reverse relation would be a link).
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model is Ballot:
                pytest.fail(f"{model.__name__}.{field.name} points at a ballot")
    # Whoever voted has no choice of their own for an election: it lives only in the ballot.
    cast_fields = {f.name for f in VoteCast._meta.get_fields()}
    assert cast_fields == {"id", "vote", "election", "participant", "choice"}


def secret_election(assembly):
    election = make_election(assembly, seats=1, reserved="none")
    people = nominate(election, voter(assembly, "Rosa"), voter(assembly, "Karl"),
                      voter(assembly, "Paul"))
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    return election, people


def physical_order(election) -> list:
    """The ballots' choices in the order the database stores them."""
    column = "rowid" if connection.vendor == "sqlite" else "ctid"
    with connection.cursor() as cursor:
        # Table and column are constants, not input.
        cursor.execute(f"SELECT choice FROM {Ballot._meta.db_table} WHERE election_id = %s "  # noqa: S608
                       f"ORDER BY {column}", [election.pk])
        return [json.loads(row[0]) if isinstance(row[0], str) else row[0]
                for row in cursor.fetchall()]


def test_counting_writes_the_ballot_box_anew_in_random_order(assembly, monkeypatch):
    election, people = secret_election(assembly)
    order = [("Rosa", "Rosa"), ("Clara", "Karl"), ("Emma", "Paul"), ("Karl", None),
             ("August", "Rosa")]
    for name, choice in order:
        if choice:
            cast(election, voter(assembly, name), people[choice])
        else:
            cast(election, voter(assembly, name), abstain=True)
    cast_order = [[people[c].pk] if c else [] for _, c in order]
    assert physical_order(election) == cast_order  # while voting, rows keep their order
    keys_before = set(Ballot.objects.values_list("pk", flat=True))
    read = [b.choice for b in Ballot.objects.filter(election=election)]  # as counting reads

    class Reverse:
        def shuffle(self, rows):
            rows.reverse()

    # A shuffle whose result we know, to see that it decides the order written.
    monkeypatch.setattr(ballot_box.secrets, "SystemRandom", Reverse)
    counted = elections.election_count(election=election, actor=None)
    assert physical_order(counted) == read[::-1]
    keys_after = set(Ballot.objects.values_list("pk", flat=True))
    assert len(keys_after) == 5 and not keys_before & keys_after
    assert counted.result["tally"]["ok"] is True
    assert (counted.ballots_cast, counted.ballots_abstain) == (5, 1)
    assert {c.name: c.votes for c in counted.candidates.all()} == {
        "Rosa Roth": 2, "Karl Lieb": 1, "Paul Sänger": 1}


def test_the_real_shuffle_keeps_every_ballot(assembly):
    election, people = secret_election(assembly)
    for name, choice in [("Rosa", "Rosa"), ("Clara", "Karl"), ("Emma", "Karl")]:
        cast(election, voter(assembly, name), people[choice])
    before = sorted(map(json.dumps, Ballot.objects.values_list("choice", flat=True)))
    elections.election_count(election=election, actor=None)
    assert sorted(map(json.dumps, Ballot.objects.values_list("choice", flat=True))) == before


def test_audit_rows_hold_who_voted_but_never_what(assembly):
    election, people = secret_election(assembly)
    rosa, clara = voter(assembly, "Rosa"), voter(assembly, "Clara")
    first = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    cast(election, rosa, people["Paul"])
    cast(election, clara, abstain=True)
    rows = list(AuditEntry.objects.filter(pk__gt=first).order_by("pk"))
    assert [(r.object_repr, r.changes, r.actor) for r in rows] == [
        (elections.BALLOT_CAST, {"participant": [None, rosa.pk]}, None),
        (elections.BALLOT_CAST, {"participant": [None, clara.pk]}, None)]
    elections.election_count(election=election, actor=None)
    counted = AuditEntry.objects.filter(object_type="assemblies.election").latest("pk")
    assert "choice" not in json.dumps(counted.changes)


def test_the_tally_check_refuses_a_box_that_does_not_add_up(assembly):
    election, people = secret_election(assembly)
    cast(election, voter(assembly, "Rosa"), people["Rosa"])
    cast(election, voter(assembly, "Karl"), people["Karl"])
    # A ballot slipped into the box without a voter (only possible behind the services' back).
    Ballot.objects.create(election=election, choice=[people["Karl"].pk])
    with translation.override("en"), pytest.raises(ValidationError,
                                                   match="3 ballots for 2 voters"):
        elections.election_count(election=election, actor=None)
    election.refresh_from_db()
    assert election.status == Election.Status.VOTING and election.result == {}
    assert Ballot.objects.filter(election=election).count() == 3


def test_the_page_shows_the_tally_but_no_ballot_and_no_voter(assembly, login):
    election, people = secret_election(assembly)
    cast(election, voter(assembly, "Rosa"), people["Paul"])
    cast(election, voter(assembly, "Clara"), people["Karl"])
    elections.election_count(election=election, actor=None)
    page = english(login("kassel_board")).get(
        f"/staff/kassel/assemblies/{assembly.pk}/elections/{election.pk}/").content.decode()
    assert "2 ballots = 2 voters who voted" in page
    assert "Clara Zeller" not in page  # voted, not a candidate: the page does not say who voted
    for ballot in Ballot.objects.all():
        assert str(ballot.pk) not in page


def test_a_voter_cannot_vote_twice_even_through_the_database(assembly):
    election, people = secret_election(assembly)
    rosa = voter(assembly, "Rosa")
    cast(election, rosa, people["Rosa"])
    with pytest.raises(IntegrityError), transaction.atomic():
        VoteCast.objects.create(election=election, participant=rosa)
    assert VoteCast.objects.filter(election=election).count() == 1
    assert Participant.objects.filter(pk=rosa.pk).exists()


# --- under concurrency (PostgreSQL: SQLite runs one writer at a time) --------------------------

RACERS = 20


def race(jobs):
    """Every job in its own thread and connection, released at once. Returns each job's result
    or ValidationError, and any other exception."""
    barrier = threading.Barrier(len(jobs))
    results, unexpected = [None] * len(jobs), []

    def run(index, job):
        try:
            with translation.override("en"):
                barrier.wait()
                try:
                    results[index] = job()
                except ValidationError as exc:
                    results[index] = exc
        except Exception as exc:  # asserted on by the caller
            unexpected.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, unexpected


@pytest.fixture
def crowd(make_assembly):
    members = [(f"P{n:02d}", "Muster", "flinta" if n % 2 else "open", f"p{n}@example.org", "")
               for n in range(RACERS)]
    assembly = make_assembly(members=members)
    election = make_election(assembly, seats=2, reserved="odd")
    people = nominate(election, ("Ada Frau", "flinta"), ("Bodo Mann", "open"))
    in_session(assembly)
    elections.election_open(election=election, actor=None)
    return election, list(assembly.participants.order_by("pk")), people


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_each_voter_twice_at_once_is_counted_once(crowd):
    election, voters, people = crowd
    ada, bodo = people["Ada"], people["Bodo"]
    jobs = []
    for participant in voters:
        # The same voter from two phones at once, with different choices.
        jobs.append(lambda p=participant: cast(election, p, ada))
        jobs.append(lambda p=participant: cast(election, p, bodo))
    results, unexpected = race(jobs)
    assert not unexpected, unexpected
    counted = [r for r in results if isinstance(r, VoteCast)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(counted) == len(refused) == RACERS
    assert all("already voted" in " ".join(r.messages) for r in refused)
    done = elections.election_count(election=election, actor=None)
    assert done.result["tally"] == {"ballots": RACERS, "voters": RACERS, "ok": True,
                                    "method": "secret", "invalid": 0, "abstain": 0}
    assert sum(c.votes for c in done.candidates.all()) == RACERS


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_a_count_racing_with_ballots_counts_exactly_those_it_let_in(crowd):
    election, voters, people = crowd
    jobs = [lambda p=participant: cast(election, p, people["Ada"]) for participant in voters]
    jobs.append(lambda: elections.election_count(election=election, actor=None))
    results, unexpected = race(jobs)
    assert not unexpected, unexpected
    counted = sum(isinstance(r, VoteCast) for r in results[:-1])
    refused = [r for r in results[:-1] if isinstance(r, ValidationError)]
    assert all("not open" in " ".join(r.messages) for r in refused)
    assert counted + len(refused) == RACERS
    election.refresh_from_db()
    assert election.status == Election.Status.COUNTED
    assert election.ballots_cast == counted == VoteCast.objects.filter(
        election=election).count() == Ballot.objects.filter(election=election).count()
    assert election.candidates.get(name="Ada Frau").votes == counted


# --- at rest after the count (ballot_box) ------------------------------------------------------

def test_shuffle_takes_one_vote_or_one_election(assembly):
    election, _people = secret_election(assembly)
    with pytest.raises(TypeError):
        ballot_box.shuffle()
    with pytest.raises(TypeError):
        ballot_box.shuffle(vote=apps.get_model("assemblies", "Vote")(), election=election)


def test_only_a_committed_count_clears_the_files(assembly, django_capture_on_commit_callbacks):
    election, people = secret_election(assembly)
    cast(election, voter(assembly, "Rosa"), people["Rosa"])
    Ballot.objects.create(election=election, choice=[people["Karl"].pk])  # does not add up
    with django_capture_on_commit_callbacks() as failed, pytest.raises(ValidationError):
        elections.election_count(election=election, actor=None)
    assert ballot_box.harden not in failed  # rolled back: the box stays as it was
    Ballot.objects.filter(choice=[people["Karl"].pk]).delete()
    with django_capture_on_commit_callbacks() as done:
        elections.election_count(election=election, actor=None)
    assert done.count(ballot_box.harden) == 1


class FailingConnection:
    """A database connection whose clean-up statement fails, as without the right to VACUUM."""

    vendor = "postgresql"
    closed = False

    def is_in_memory_db(self):
        return False

    def copy(self):
        return self

    def cursor(self):
        raise OperationalError("permission denied")

    def close(self):
        self.closed = True


def test_a_failed_clean_up_is_a_warning_not_an_error(monkeypatch, caplog):
    failing = FailingConnection()
    monkeypatch.setattr(ballot_box, "connection", failing)
    with caplog.at_level("WARNING", logger="mitmachen.assemblies.ballot_box"):
        ballot_box.harden()  # does not raise: the count has been committed already
    assert "permission denied" in caplog.text and failing.closed


def sqlite_files() -> bytes:
    name = connection.settings_dict["NAME"]
    data = b""
    for suffix in ("", "-wal"):
        try:
            with open(f"{name}{suffix}", "rb") as file:
                data += file.read()
        except FileNotFoundError:
            pass
    return data


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's files")
def test_after_a_count_the_sqlite_files_hold_no_ballot_as_cast(assembly):
    # The test database is a file (tests/settings.py). The count turns secure_delete on for
    # itself, so it is off here to show the count does not rely on the connection's settings.
    assert not connection.is_in_memory_db()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete = OFF")
    election, people = secret_election(assembly)
    for name, choice in [("Rosa", "Rosa"), ("Clara", "Karl"), ("Emma", "Paul")]:
        cast(election, voter(assembly, name), people[choice])
    as_cast = {ballot.hex for ballot in Ballot.objects.values_list("pk", flat=True)}
    files = sqlite_files()
    assert all(key.encode() in files for key in as_cast)  # committed: in the log or the file
    elections.election_count(election=election, actor=None)
    after = {ballot.hex for ballot in Ballot.objects.values_list("pk", flat=True)}
    files = sqlite_files()
    assert not [key for key in as_cast if key.encode() in files]
    assert all(key.encode() in files for key in after)  # the right files were read
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1


def pageinspect_or_skip():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pageinspect'")
        if not superuser or cursor.fetchone() is None:
            pytest.skip("needs pageinspect and a superuser to read the table's pages")
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")


def tuples_on_disk() -> bytes:
    """Every tuple the ballot table's pages still point at, dead ones included."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(string_agg(t_data, ''::bytea), ''::bytea) FROM generate_series("
            "0, (pg_relation_size(%s::regclass) / 8192)::int - 1) AS n, "
            "heap_page_items(get_raw_page(%s, n))", [Ballot._meta.db_table] * 2)
        return bytes(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_after_a_count_vacuum_has_removed_the_ballots_as_cast(assembly):
    pageinspect_or_skip()
    election, people = secret_election(assembly)
    for name, choice in [("Rosa", "Rosa"), ("Clara", "Karl"), ("Emma", "Paul")]:
        cast(election, voter(assembly, name), people[choice])
    as_cast = set(Ballot.objects.values_list("pk", flat=True))
    assert all(key.bytes in tuples_on_disk() for key in as_cast)
    elections.election_count(election=election, actor=None)
    after = set(Ballot.objects.values_list("pk", flat=True))
    tuples = tuples_on_disk()
    # Without the VACUUM the deleted rows would still be there, dead but readable.
    assert not [key for key in as_cast if key.bytes in tuples]
    assert all(key.bytes in tuples for key in after)
