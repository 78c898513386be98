"""No secret ballot can be linked to its voter from the database, the audit log or the request log.

Thirty voters cast their ballots over HTTP in a known order (ten yes, then ten no, then ten
abstentions). After the close: no row that names a participant holds a choice, no row that
holds a choice names anyone or any time, no log line holds a choice, and neither the ballots'
keys nor the order the database keeps them in follows the order of casting (it did before the
close: the test checks that, so it can fail). The count verifies: casts = ballots = tally.
"""

import json
import logging

import pytest
from django.conf import settings
from django.db import connection, models

from mitmachen.assemblies import attendance, motions, services, votes
from mitmachen.assemblies.access import participant_token
from mitmachen.assemblies.models import Assembly, Ballot, Vote, VoteCast
from mitmachen.core.models import AuditEntry
from tests.assemblies.conftest import participant_client

pytestmark = pytest.mark.django_db
CHOICES = set(votes.CHOICES)
VOTERS = 30
CAST_ORDER = ["yes"] * 10 + ["no"] * 10 + ["abstain"] * 10


class Everything(logging.Handler):
    """Every log record of every logger, including those that do not propagate (django.*)."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def logs():
    handler = Everything()
    root = logging.getLogger()
    # Every logger that does not propagate to the root is configured by name in settings; they
    # keep their configured levels (what production writes), the root goes down to DEBUG.
    loggers = [root, *(logging.getLogger(name) for name in settings.LOGGING.get("loggers", {}))]
    level = root.level
    root.setLevel(logging.DEBUG)
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def hall(make_assembly):
    members = [(f"Person{n:02d}", "Muster", "flinta" if n % 2 else "open",
                f"p{n}@example.org", "") for n in range(VOTERS)]
    assembly = make_assembly(members=members)
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    voters = list(assembly.participants.order_by("name"))
    for participant in voters:
        attendance.check_in(participant=participant, actor=None)
    return assembly, voters


def physical_order(vote) -> list[str]:
    """The choices in the order the database stores the rows (insertion order until rows move)."""
    column = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT choice FROM assemblies_ballot WHERE vote_id = %s "  # noqa: S608
                       f"ORDER BY {column}", [vote.pk])
        return [_decoded(row[0]) for row in cursor.fetchall()]


def _decoded(value):
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def strings_in(value):
    """Every string anywhere in a JSON-like value (keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def test_a_secret_ballot_cannot_be_linked_to_its_voter(hall, logs):
    assembly, voters = hall
    motion = motions.motion_submit(assembly=assembly, title="Mietendeckel", text="Text",
                                   submitter=None, submitter_name="Vorstand", actor=None)
    motions.motion_admit(motion=motion, actor=None)
    vote = votes.vote_create(assembly=assembly, motion=motion, method=Vote.Method.SECRET,
                             actor=None)
    votes.vote_open(vote=vote, actor=None)
    audit_before = AuditEntry.objects.count()
    logs.clear()

    for participant, choice in zip(voters, CAST_ORDER, strict=True):
        client, base = participant_client(participant)
        response = client.post(f"{base}vote/{vote.pk}/", {"choice": choice})
        assert response.status_code == 302, response.content[:300]

    # A second press, on the page and through htmx, is refused without a 4xx (whose path
    # Django's request logger would write, personal link included).
    client, base = participant_client(voters[0])
    assert client.post(f"{base}vote/{vote.pk}/", {"choice": "no"}).status_code == 302
    assert client.post(f"{base}vote/{vote.pk}/", {"choice": "no"},
                       HTTP_HX_REQUEST="true").status_code == 200

    # While the box is open, the order of the rows still mirrors the order of casting: this is
    # what the shuffle at the close must undo.
    assert physical_order(vote) == CAST_ORDER
    ids_while_open = set(Ballot.objects.filter(vote=vote).values_list("id", flat=True))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT xmin::text FROM assemblies_votecast WHERE vote_id = %s",
                           [vote.pk])
            cast_transactions = {row[0] for row in cursor.fetchall()}

    vote = votes.vote_close(vote=vote, actor=None)

    # The count verifies.
    casts = VoteCast.objects.filter(vote=vote)
    ballots = Ballot.objects.filter(vote=vote)
    assert casts.count() == ballots.count() == vote.yes + vote.no + vote.abstain == VOTERS
    assert (vote.yes, vote.no, vote.abstain) == (10, 10, 10)
    close_row = AuditEntry.objects.filter(object_type="assemblies.vote",
                                          object_id=str(vote.pk)).order_by("-pk").first()
    assert close_row.changes["casts"] == close_row.changes["ballots"] == [None, VOTERS]

    # The casts say who voted, never what.
    assert set(casts.values_list("choice", flat=True)) == {""}
    assert set(casts.values_list("participant_id", flat=True)) == {p.pk for p in voters}

    # A ballot has nothing but its vote and its choice: no voter, no time, a random key.
    ballot_fields = {field.name for field in Ballot._meta.concrete_fields}
    assert ballot_fields == {"id", "vote", "election", "choice", "invalid"}
    assert isinstance(Ballot._meta.pk, models.UUIDField)

    # Every model that refers to the vote: whichever names a person holds no choice, whichever
    # holds a choice names no person and no time.
    people = {"assemblies.participant", "people.contact", settings.AUTH_USER_MODEL.lower()}
    for relation in Vote._meta.related_objects:
        model = relation.related_model
        rows = list(model.objects.filter(**{relation.field.name: vote}).values())
        names_someone = any(
            field.is_relation and field.related_model._meta.label_lower in people
            for field in model._meta.concrete_fields)
        holds_choice = any(value in CHOICES for row in rows for value in row.values())
        assert not (names_someone and holds_choice), model
        if holds_choice:
            assert not any(isinstance(field, models.DateTimeField | models.DateField)
                           for field in model._meta.concrete_fields), model

    # The ballot box was written anew: new keys, and neither the keys' order nor the stored
    # order follows the order of casting.
    ids_after = set(ballots.values_list("id", flat=True))
    assert not ids_after & ids_while_open
    assert list(ballots.order_by("id").values_list("choice", flat=True)) != CAST_ORDER
    assert physical_order(vote) != CAST_ORDER
    assert sorted(physical_order(vote)) == sorted(CAST_ORDER)
    if connection.vendor == "postgresql":
        # The inserting transaction: every ballot now comes from the close, none from a cast.
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT xmin::text FROM assemblies_ballot WHERE vote_id = %s",
                           [vote.pk])
            ballot_transactions = {row[0] for row in cursor.fetchall()}
        assert len(ballot_transactions) == 1 and not ballot_transactions & cast_transactions

    # The audit log: a cast row says "a ballot was cast" and by whom; no row holds a choice
    # as a value or any ballot's key.
    new_rows = list(AuditEntry.objects.order_by("pk")[audit_before:])
    cast_rows = [row for row in new_rows if row.object_repr == votes.BALLOT_CAST]
    assert len(cast_rows) == VOTERS
    for row in cast_rows:
        assert set(row.changes) == {"participant"}
    every_id = {str(i) for i in ids_while_open | ids_after}
    for row in new_rows:
        for text in [row.object_repr, row.object_id, *strings_in(row.changes)]:
            assert text not in CHOICES, row.changes
            assert text not in every_id

    # The request log (and any other log line written meanwhile): no choice, no token.
    tokens = {participant_token(p) for p in voters}
    request_lines = [r for r in logs if r.name == "mitmachen.request"]
    assert len(request_lines) >= VOTERS
    for record in logs:
        fields = {key: value for key, value in vars(record).items()
                  if key not in {"args", "msg", "exc_info"}}
        text = record.getMessage() + " " + " ".join(str(v) for v in fields.values())
        assert "choice" not in text
        for token in tokens:
            assert token not in text
        for value in fields.values():
            assert not (isinstance(value, str) and value in CHOICES)
    assert all(r.path == "/a/<str:token>/vote/<int:vote_pk>/" for r in request_lines
               if r.method == "POST")


def test_a_named_vote_is_named_and_not_shuffled(hall):
    """The contrast: an electronic named vote keeps each choice with its voter, by design."""
    assembly, voters = hall
    vote = votes.vote_create(assembly=assembly, subject="other", question="Pause?",
                             method=Vote.Method.ELECTRONIC, actor=None)
    votes.vote_open(vote=vote, actor=None)
    for participant, choice in zip(voters[:3], ["yes", "no", "abstain"], strict=True):
        votes.vote_cast(vote=vote, participant=participant, choice=choice)
    votes.vote_close(vote=vote, actor=None)
    assert list(VoteCast.objects.filter(vote=vote).order_by("pk").values_list(
        "choice", flat=True)) == ["yes", "no", "abstain"]
    assert not Ballot.objects.filter(vote=vote).exists()
