"""Stopping or killing the worker in the middle of a 10,000-mail mailing and starting it again
delivers every mail exactly once (a real SMTP server counts the Message-IDs)."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from mitmachen.messaging.models import Message
from mitmachen.messaging.outbox import new_message_id

pytestmark = pytest.mark.django_db(transaction=True)
COUNT = 10_000


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}")


def _worker(port: int, var_dir) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items()
           if key not in {"DJANGO_SETTINGS_MODULE"}}
    # A short lease, so that a killed worker's claim runs out within the test.
    env.update(DATABASE_URL=_database_url(), EMAIL_URL=f"smtp://127.0.0.1:{port}",
               MITMACHEN_HTTPS="false", LOG_LEVEL="WARNING", OUTBOX_BATCH="100",
               OUTBOX_LEASE_SECONDS="3", MITMACHEN_VAR_DIR=str(var_dir))
    return subprocess.Popen([sys.executable, "-m", "mitmachen", "outbox", "--idle", "0.2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL],
                         ids=["term", "ctrl-c", "kill"])
def test_stopping_and_restarting_the_worker_delivers_every_mail_exactly_once(
        world, smtp_server, stop, tmp_path):
    now = timezone.now()
    Message.objects.bulk_create([
        Message(organisation=world.kassel, channel="email", to_address=f"p{n}@example.org",
                subject=f"Einladung {n}", body_text=f"Hallo {n}", message_id=new_message_id(),
                next_attempt_at=now)
        for n in range(COUNT)], batch_size=2000)
    expected = set(Message.objects.values_list("message_id", flat=True))

    first = _worker(smtp_server.port, tmp_path)
    _wait_for(lambda: len(smtp_server.messages) >= 1500, 120, "the worker delivered nothing")
    first.send_signal(stop)
    first.wait(timeout=60)
    delivered_before_restart = len(smtp_server.messages)
    assert delivered_before_restart < COUNT, "the worker finished before it could be stopped"

    second = _worker(smtp_server.port, tmp_path)
    try:
        _wait_for(lambda: len(smtp_server.messages) >= COUNT, 300, "not every mail arrived")
        time.sleep(0.5)  # anything extra would arrive now
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    counts = Counter(smtp_server.message_ids())
    assert set(counts) == expected
    assert max(counts.values()) == 1, [mid for mid, n in counts.items() if n > 1][:5]
    assert Message.objects.filter(status="sent").count() == COUNT
