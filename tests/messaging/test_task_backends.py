"""The worker delivers the outbox through either task backend: the database (default) and RQ on
Redis (REDIS_URL). Each runs as its own process against the test database."""

import os
import socket
import subprocess
import sys
import textwrap

import pytest
from django.db import connection

from tests.conftest import CI
from tests.messaging.test_worker_crash import _database_url

pytestmark = pytest.mark.django_db(transaction=True)
QUEUE = textwrap.dedent("""
    import os, django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mitmachen.settings")
    django.setup()
    from django.db import transaction
    from mitmachen.organisations.models import Organisation
    from mitmachen.messaging.outbox import message_queue
    with transaction.atomic():
        message_queue(organisation=Organisation.objects.get(slug="kassel"), channel="email",
                      to_address="p@example.org", subject="Über Redis", body_text="Hallo")
""")


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), 2).close()
        return True
    except OSError:
        return False


def _env(port, **extra):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL=_database_url(), EMAIL_URL=f"smtp://127.0.0.1:{port}",
               MITMACHEN_HTTPS="false", LOG_LEVEL="WARNING", **extra)
    return env


def _run(args, env):
    result = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_the_worker_delivers_through_the_task_backend(world, smtp_server, backend):
    extra = {}
    if backend == "redis":
        if not _redis_reachable():
            if CI:
                pytest.fail("Redis at 127.0.0.1:6379 is required on CI")
            pytest.skip("Redis not reachable at 127.0.0.1:6379")
        # A database number of its own per test database, so parallel runs do not meet.
        number = sum(connection.settings_dict["NAME"].encode()) % 15 + 1
        extra["REDIS_URL"] = f"redis://127.0.0.1:6379/{number}"
    env = _env(smtp_server.port, **extra)
    _run(["-c", QUEUE], env)
    assert smtp_server.messages == []  # queued, not sent: the worker sends
    _run(["-m", "mitmachen", "worker", "--burst"], env)
    assert len(smtp_server.messages) == 1
    assert "=?utf-8?q?=C3=9Cber_Redis?=" in smtp_server.messages[0].decode() or \
        "Über Redis" in smtp_server.messages[0].decode()
