"""The sent journal: which messages the server accepted, written down the moment it did.

The database records "sent" in groups of up to fifty (one UPDATE instead of fifty). A worker
killed outright (SIGKILL) before writing a group would have those messages sent again once its
claim runs out. So each acceptance is also appended to a small file of the worker's own: a
write without fsync, which the kernel keeps when the process dies. The worker holds a lock on
its file while it lives; any worker on the same host that finds an unlocked journal (its owner
is gone) marks those messages sent before it claims anything. What remains is the moment
between the server's "250 OK" and the write, and a power loss (decision 0012).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone


def _directory() -> Path:
    # One directory per database: ids in a journal mean nothing to another database (the
    # benchmark's, a test run's) that shares this var directory.
    database = settings.DATABASES["default"]
    key = hashlib.sha256(f"{database.get('HOST')}:{database.get('PORT')}:"
                         f"{database['NAME']}".encode()).hexdigest()[:12]
    directory = Path(settings.VAR_DIR) / "outbox" / key
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class Journal:
    def __init__(self, worker: str):
        # A name of its own per delivery run (a leftover of the same worker name is someone
        # else's to recover), locked before it gets the name recover() looks for.
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", worker)[:80] + "-" + uuid.uuid4().hex
        directory = _directory()
        pending = directory / f"{name}.tmp"
        self.file = open(pending, "ab", buffering=0)  # noqa: SIM115 (open while delivering)
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.file.close()
            raise
        self.path = directory / f"{name}.sent"
        os.replace(pending, self.path)

    def add(self, message_id: int) -> None:
        self.file.write(b"%d\n" % message_id)

    def clear(self) -> None:
        """The database has recorded the group: the journal starts over."""
        self.file.truncate(0)

    def close(self) -> None:
        self.path.unlink(missing_ok=True)
        self.file.close()


def recover() -> int:
    """Mark sent what dead workers' journals list; returns how many messages that were."""
    from mitmachen.messaging.models import Message

    recovered = 0
    for path in _directory().glob("*.sent"):
        try:
            handle = open(path, "rb")  # noqa: SIM115 (closed below, lock released with it)
        except FileNotFoundError:
            continue  # its worker finished meanwhile
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its worker is alive
            try:
                if os.fstat(handle.fileno()).st_ino != os.stat(path).st_ino:
                    continue  # replaced meanwhile: not the file we locked
            except FileNotFoundError:
                continue
            ids = [int(line) for line in handle.read().split() if line.isascii() and line.isdigit()]
            if ids:
                recovered += Message.objects.filter(id__in=ids).exclude(
                    status=Message.Status.SENT).update(
                    status=Message.Status.SENT, sent_at=timezone.now(), claimed_by="",
                    claimed_at=None, last_error="")
                # As after any delivery: no set-password link or access data stays stored.
                Message.objects.filter(id__in=ids, sensitive=True).update(
                    body_text="", body_html="", attachments=[])
            path.unlink(missing_ok=True)
    return recovered
