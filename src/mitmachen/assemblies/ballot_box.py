"""The ballot box of a secret vote or election at its count (docs/decisions/0016-secret-ballots.md).

While voting is open, the database's own bookkeeping still hints at who cast which ballot: the
order rows are stored in, and on PostgreSQL the inserting transaction that a ballot shares with
its VoteCast. Counting therefore writes every ballot anew, in random order with new keys, and
deletes the old rows, in the counting transaction. Once that transaction has committed, what the
deletion left in the database files is cleared as far as the database allows: on SQLite the
deleted rows are zeroed (secure_delete) and the write-ahead log that still holds the casts'
pages is checkpointed and truncated; on PostgreSQL `VACUUM` removes the dead rows.
"""

import logging
import secrets

from django.db import DatabaseError, connection, transaction

from mitmachen.assemblies.models import Ballot, Election, Vote

logger = logging.getLogger(__name__)

TABLE = Ballot._meta.db_table


def shuffle(*, vote: Vote | None = None, election: Election | None = None) -> list[tuple]:
    """Shuffle the box of one secret vote or election (exactly one of them) inside the counting
    transaction, and return its ballots as (choice, invalid) in the new random order.

    Call it with the vote's or election's row locked, so that no ballot arrives meanwhile. The
    clean-up of the database files is registered for after the commit: a count that fails
    later and rolls back leaves the box as it was and cleans nothing."""
    if (vote is None) == (election is None):
        raise TypeError("shuffle() takes a vote or an election")
    question = {"vote": vote} if vote is not None else {"election": election}
    rows = list(Ballot.objects.filter(**question).values_list("choice", "invalid"))
    secrets.SystemRandom().shuffle(rows)
    if connection.vendor == "sqlite":
        # Zero the deleted rows in their pages, whatever the connection was opened with (the
        # settings turn it on as well; it stays on for this connection, which does no harm).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    Ballot.objects.filter(**question).delete()
    Ballot.objects.bulk_create([Ballot(**question, choice=choice, invalid=invalid)
                                for choice, invalid in rows], batch_size=500)
    transaction.on_commit(harden, robust=True)
    return rows


def harden() -> None:
    """After a count's commit: clear what the deleted ballots left in the database files.

    It runs on a connection of its own in autocommit mode, since VACUUM cannot run inside a
    transaction block and a checkpoint waits for open transactions. The count has been
    committed by then; a failure here only leaves the files as they were, so it is logged as a
    warning and never reaches the chair."""
    if connection.vendor not in {"sqlite", "postgresql"}:
        return
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return  # no file: nothing stays at rest, and another connection would not see it
    own = connection.copy()
    try:
        with own.cursor() as cursor:
            if own.vendor == "postgresql":
                cursor.execute(f"VACUUM {own.ops.quote_name(TABLE)}")
            else:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy, _frames, _done = cursor.fetchone()
                if busy:
                    # The log keeps the pages as the casts wrote them until it is overwritten
                    # or truncated by a later checkpoint like this one.
                    logger.warning("The write-ahead log could not be truncated after a secret "
                                   "count: a reader held it.")
    except DatabaseError as exc:
        logger.warning("Clearing the ballot box's deleted rows after a count failed: %s", exc)
    finally:
        own.close()
