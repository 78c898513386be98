"""Test settings: the real settings module, read with a test environment."""

import os
from pathlib import Path

os.environ.setdefault("MITMACHEN_HTTPS", "false")
os.environ.setdefault("MITMACHEN_MANIFEST_STATIC", "false")
os.environ["EMAIL_URL"] = "locmem://"

from mitmachen.settings import *  # noqa: E402, F403
from mitmachen.settings import DATABASES  # noqa: E402

# Argon2 with a small cost: the same algorithm as production, without a second per login.
PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# A file, not memory, so that a worker started by a test as its own process sees the same
# database (tests/messaging). pytest-django adds a suffix per xdist worker.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    import tempfile

    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) /
                                                f"mitmachen-test-{os.getpid()}.sqlite3")}
else:
    # One test database per run, so that two runs at the same time (a developer's and CI's,
    # or parallel sessions) never drop each other's database.
    DATABASES["default"]["TEST"] = {"NAME": f"test_mitmachen_{os.getpid()}"}

# Each run keeps the reporting channel's shredding keys in its own temporary folder.
import tempfile as _tempfile  # noqa: E402

REPORTS_KEY_DIR = Path(_tempfile.mkdtemp(prefix="mitmachen-report-keys-"))
# Officers' passphrases with the cheapest Argon2id cost libsodium names: tests unlock often.
REPORTS_ARGON2 = "interactive"
