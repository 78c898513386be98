"""Contact search over 1,000,000 contacts, their generation, and a 100,000-row CSV import.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mitmachen_bench python bench/contacts.py
    python bench/contacts.py            # SQLite in a temporary directory

Prints p50/p95 per search and, on PostgreSQL, the query plan of each.
"""

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MITMACHEN_VAR_DIR", tempfile.mkdtemp(prefix="mitmachen-bench-"))
os.environ.setdefault("MITMACHEN_HTTPS", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mitmachen.settings")
COUNT = int(os.environ.get("BENCH_CONTACTS", "1000000"))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))


from common import fresh_postgres_database, percentile  # noqa: E402


def ensure_database():
    fresh_postgres_database(os.environ.get("DATABASE_URL", ""))


ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from faker import Faker  # noqa: E402


def generate(organisation, districts):
    fake = Faker("de_DE")
    fake.seed_instance(1)
    firsts = list({fake.first_name() for _ in range(3000)})
    lasts = list({fake.last_name() for _ in range(3000)})
    rng = random.Random(1)
    district_ids = [d.pk for d in districts]
    columns = ("organisation_id", "first_name", "last_name", "pronouns", "gender",
               "quota_category", "street", "postcode", "city", "district_id", "email", "phone",
               "messenger_phone", "language", "notes", "status", "membership_number",
               "created_at", "updated_at")

    def rows():
        for n in range(COUNT):
            first, last = rng.choice(firsts), rng.choice(lasts)
            yield (organisation.pk, first, last, "", "", "", f"Straße {n % 200}", "34117",
                   "Kassel", rng.choice(district_ids),
                   f"{first}.{last}.{n}@example.org".lower(), f"+49561{n:07d}", "", "de", "",
                   "member" if n % 3 else "interested", "", "2026-01-01T00:00:00+00:00",
                   "2026-01-01T00:00:00+00:00")

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY people_contact ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
        # What autovacuum does on a live database: statistics and the visibility map.
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE people_contact")
    else:
        sql = (f"INSERT INTO people_contact ({', '.join(columns)}) VALUES "
               f"({', '.join(['%s'] * len(columns))})")
        batch = []
        with transaction.atomic(), connection.cursor() as cursor:
            for row in rows():
                batch.append(row)
                if len(batch) == 20000:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started, firsts, lasts


def search_bench(organisation, label, make_query, runs=60):
    from mitmachen.core.paging import page_of
    from mitmachen.people.selectors import LIST_FIELDS, search

    samples = []
    rng = random.Random(7)
    last_queryset = None
    for _ in range(runs):
        kwargs = make_query(rng)
        started = time.perf_counter()
        queryset = search(organisation, **kwargs)
        # What the list page does: rows and total, the cheaper way for this kind of search.
        page = page_of(queryset.only(*LIST_FIELDS), 1, selective=bool(kwargs.get("text")))
        samples.append((time.perf_counter() - started) * 1000)
        last_queryset = queryset
    print(f"  {label:<44} p50 {statistics.median(samples):7.2f} ms   "
          f"p95 {percentile(samples, 0.95):7.2f} ms   (n={runs}, last hit count "
          f"{page.paginator.count})")
    return last_queryset


def explain(queryset):
    if connection.vendor != "postgresql":
        return
    plan = queryset[:50].explain(analyze=True)
    for line in plan.splitlines()[:14]:
        print("      " + line)


def import_bench(organisation):
    path = Path(tempfile.mkdtemp()) / "import.csv"
    rng = random.Random(3)
    with path.open("w", encoding="cp1252", newline="") as handle:
        handle.write("Vorname;Nachname;E-Mail;Telefon;Straße;PLZ;Ort;Geburtstag;Status\n")
        for n in range(IMPORT_ROWS):
            handle.write(f"Jürgen{n};Müller{rng.randint(0, 999)};import{n}@example.org;"
                         f"0561 {9000000 + n};Weg {n % 90};34117;Kassel;"
                         f"{1 + n % 28:02d}.{1 + n % 12:02d}.{1950 + n % 50};Mitglied\n")
    code = (
        "import os, re, sys, time, django; django.setup();"
        "from mitmachen.organisations.models import Organisation;"
        "from mitmachen.people.imports import Importer;"
        f"org = Organisation.objects.get(pk={organisation.pk});"
        f"data = open({str(path)!r}, 'rb').read();"
        "t = time.perf_counter(); r = Importer(org).run(data, commit=True);"
        "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1);"
        "print(r.valid, round(time.perf_counter() - t, 2), int(hwm) // 1024)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=os.environ, check=True).stdout.split()
    created, seconds, peak = output[-3:]
    print(f"  CSV import of {IMPORT_ROWS} rows (cp1252, ';'): {created} created in {seconds} s, "
          f"peak memory {peak} MB (whole process)")


def main():
    call_command("migrate", verbosity=0)
    from mitmachen.organisations import services as org

    town = org.municipality_create(name="Kassel", slug="kassel", state="Hessen", actor=None)
    districts = [org.district_create(municipality=town, name=f"Stadtteil {n}", slug=f"st-{n}",
                                     actor=None) for n in range(23)]
    bench = org.organisation_create(name="Bench", slug="bench", kind="party_branch", level=3,
                                    municipality=town, actor=None)
    print(f"database: {connection.vendor}")
    seconds, firsts, lasts = generate(bench, districts)
    print(f"  generating {COUNT} contacts: {seconds:.1f} s")
    queryset = search_bench(bench, "name fragment (4 letters of a surname)",
                            lambda rng: {"text": rng.choice(lasts)[1:5]})
    explain(queryset)
    queryset = search_bench(bench, "e-mail fragment (… .12345@)",
                            lambda rng: {"text": f".{rng.randint(0, COUNT - 1)}@"})
    explain(queryset)
    queryset = search_bench(bench, "district filter",
                            lambda rng: {"district_id": rng.choice(districts).pk})
    explain(queryset)
    importing = org.organisation_create(name="Import", slug="import", kind="party_branch",
                                        level=3, actor=None)
    import_bench(importing)


if __name__ == "__main__":
    main()
