"""A burst of messages shares its flushes: one at once, one at the end of the second."""

from unittest import mock

from mitmachen.messaging import outbox


def test_a_burst_makes_two_flush_tasks_per_second(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    clock = iter([100.0, 100.1, 100.2, 100.9, 101.05, 101.5])
    with mock.patch.object(outbox.time, "monotonic", lambda: next(clock)), \
            mock.patch.object(outbox, "kick_worker") as kick, \
            mock.patch.dict(outbox._kick, {"quiet_after": 0.0, "deferred": False}):
        for _ in range(6):
            outbox.kick_soon()
    calls = [c.kwargs.get("run_after") for c in kick.call_args_list]
    # 100.0 at once; 100.1 defers one flush to ~101.05; 100.2 and 100.9 share it;
    # 101.05 opens a new second (at once), 101.5 defers again.
    assert [c is None for c in calls] == [True, False, True, False]


def test_a_dead_workers_journal_is_recovered_and_sensitive_bodies_go(world, settings, tmp_path):
    from django.utils import timezone

    from mitmachen.messaging import journal
    from mitmachen.messaging.models import Message

    settings.VAR_DIR = tmp_path
    message = Message.objects.create(
        organisation=world.kassel, channel="email", to_address="a@example.org",
        subject="Zugang", body_text="geheimer Link", sensitive=True, message_id="<j@x>",
        status=Message.Status.SENDING, claimed_by="dead", claimed_at=timezone.now())
    dead = journal.Journal("dead")
    dead.add(message.pk)
    alive = journal.Journal("dead")  # the same worker name again: a file of its own
    assert journal.recover() == 0  # both are locked: their workers live
    dead.file.close()  # the process died: its lock is gone, the file stays
    assert journal.recover() == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.body_text == ""
    assert not dead.path.exists() and alive.path.exists()
    alive.close()
