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
