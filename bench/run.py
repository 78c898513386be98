"""Benchmarks: `make bench`. Prints figures; never part of the test suite.

Each benchmark uses a fresh database under a temporary directory (SQLite by default, or
DATABASE_URL), loads the demo data and measures with the Django test client, so the numbers
cover the whole request path except the network.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MITMACHEN_VAR_DIR", tempfile.mkdtemp(prefix="mitmachen-bench-"))
os.environ.setdefault("MITMACHEN_HTTPS", "false")
os.environ.setdefault("MITMACHEN_MANIFEST_STATIC", "false")
os.environ.setdefault("EMAIL_URL", "locmem://")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mitmachen.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def timed(label, func, runs=200):
    func()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p50 = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{label:<58} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   (n={runs})")


def main():
    setup_test_environment()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}")
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("demo", quiet_logins=True, force=True, stdout=quiet)
    print(f"{'migrate + demo data':<58} {time.perf_counter() - start:7.2f} s")

    from mitmachen.core.models import User
    from mitmachen.core.permissions import can
    from mitmachen.core.roles import Perm
    from mitmachen.organisations.models import Organisation

    anonymous = Client()
    timed("GET /o/die-linke-kassel/ (Mitmachen page, anonymous)",
          lambda: anonymous.get("/o/die-linke-kassel/"))
    timed("GET /o/paritaet-weimar/ (umbrella, 35 members)",
          lambda: anonymous.get("/o/paritaet-weimar/"))
    timed("GET /api/v1/places?organisation_id=… (32 centres)",
          lambda: anonymous.get(f"/api/v1/places?organisation_id="
                                f"{Organisation.objects.get(slug='spd-kassel').pk}"))
    board = Client()
    board.force_login(User.objects.get(email="vorstand.kassel@example.org"))
    timed("GET /dashboard/ (Kassel board)", lambda: board.get("/dashboard/"))
    user = User.objects.get(email="landesvorstand.hessen@example.org")
    kassel = Organisation.objects.get(slug="die-linke-kassel")
    can(user, Perm.ORGANISATION_CHANGE, kassel)
    start = time.perf_counter()
    for _ in range(100_000):
        can(user, Perm.ORGANISATION_CHANGE, kassel)
    per_call = (time.perf_counter() - start) / 100_000 * 1e6
    print(f"{'permission check (cached per request)':<58} {per_call:7.2f} µs per call")


if __name__ == "__main__":
    main()
