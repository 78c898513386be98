"""Test settings: the real settings module, read with a test environment."""

import os

os.environ.setdefault("MITMACHEN_HTTPS", "false")
os.environ.setdefault("MITMACHEN_MANIFEST_STATIC", "false")
os.environ["EMAIL_URL"] = "locmem://"

from mitmachen.settings import *  # noqa: E402, F403

# Argon2 with a small cost: the same algorithm as production, without a second per login.
PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
