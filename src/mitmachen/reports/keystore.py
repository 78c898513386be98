"""Shredding keys, one per report, kept outside the database (decision 0020).

A database backup holds every report only encrypted under a key derived from its shredding key;
deleting the file here is what makes an expired report unreadable in every copy. Back this
directory up separately (or not at all), never together with the database.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings

from mitmachen.reports.crypto import KEY_SIZE, random_key

_NAME = re.compile(r"^[0-9a-f]{32}$")


def _dir() -> Path:
    path = Path(settings.REPORTS_KEY_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode applies only to a folder it creates (and the umask narrows it): one made by
    # hand or by a deployment tool may be readable by others. Only the server's user, always.
    if path.stat().st_mode & 0o777 != 0o700:
        path.chmod(0o700)
    return path


def _path(name: str) -> Path:
    if not _NAME.match(name):
        raise ValueError("bad key name")
    return _dir() / f"{name}.key"


def create(name: str) -> bytes:
    key = random_key()
    fd = os.open(_path(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def read(name: str) -> bytes | None:
    try:
        data = _path(name).read_bytes()
    except FileNotFoundError:
        return None
    return data if len(data) == KEY_SIZE else None


def destroy(name: str) -> None:
    path = _path(name)
    try:
        # Overwrite first, as a best effort: on a plain file system that replaces the bytes in
        # place. Copy-on-write file systems (btrfs, ZFS), SSDs (wear levelling) and snapshots
        # may keep the old blocks anyway; what decides there is that this folder is never
        # backed up or snapshotted together with the database (see the module docstring).
        with open(path, "r+b") as handle:
            handle.write(b"\0" * KEY_SIZE)
            handle.flush()
            os.fsync(handle.fileno())
        path.unlink()
    except FileNotFoundError:
        pass


def names(older_than: float = 0) -> set[str]:
    """Key names; with `older_than` (seconds) only files at least that old."""
    import time

    limit = time.time() - older_than
    return {p.stem for p in _dir().glob("*.key")
            if _NAME.match(p.stem) and p.stat().st_mtime <= limit}
