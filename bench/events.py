"""Events figures: a registration rush over real HTTP, and the public calendar at 10,000 events.

    python bench/events.py                      # SQLite file under $MITMACHEN_VAR_DIR/bench
    DATABASE_URL=postgres://…/mitmachen_bench python bench/events.py

The rush starts gunicorn (several processes, threads in each) on the benchmark database, lets
200 clients post 2,000 registrations for 500 seats through the public form, and then checks in
the database that nothing was overbooked, lost or taken out of order. The calendar is measured
in-process with the Django test client, like bench/run.py.
"""

import http.client
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MITMACHEN_VAR_DIR", tempfile.mkdtemp(prefix="mitmachen-bench-"))
os.environ.setdefault("MITMACHEN_HTTPS", "false")
os.environ.setdefault("MITMACHEN_MANIFEST_STATIC", "false")
os.environ.setdefault("EMAIL_URL", "locmem://")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mitmachen.settings")
SQLITE_FILE = Path(os.environ["MITMACHEN_VAR_DIR"]) / "bench" / "events.sqlite3"
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_FILE}"
SEATS = int(os.environ.get("BENCH_SEATS", "500"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "200"))
PER_CLIENT = int(os.environ.get("BENCH_PER_CLIENT", "10"))
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "4"))
WEB_THREADS = int(os.environ.get("BENCH_WEB_THREADS", "4"))
CALENDAR_EVENTS = int(os.environ.get("BENCH_CALENDAR_EVENTS", "10000"))
RUNS = int(os.environ.get("BENCH_RUNS", "200"))
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


from common import free_port, fresh_postgres_database, percentile  # noqa: E402


def ensure_database():
    if not fresh_postgres_database(os.environ["DATABASE_URL"]):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)


ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

# --- registration rush -----------------------------------------------------------------------

def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "MITMACHEN_DEBUG": "false",
           # every client posts from 127.0.0.1: the per-address limit would stop the rush
           "MITMACHEN_EVENT_REGISTRATION_LIMIT": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "mitmachen.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(WEB_WORKERS),
         "--worker-class", "gthread", "--threads", str(WEB_THREADS), "--keep-alive", "30",
         "--backlog", "2048", "--log-level", "warning"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/events/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the web server did not start")


def rush_setup():
    from mitmachen.events import services
    from mitmachen.events.models import Event
    from mitmachen.organisations import services as org

    organisation = org.organisation_create(name="Rush", slug="rush", kind="party_branch",
                                           level=3, actor=None)
    start = timezone.now() + timedelta(days=30)
    event = services.event_create(
        organisation=organisation, title="Sommerfest", kind=Event.Kind.FESTIVAL,
        starts_at=start, ends_at=start + timedelta(hours=5), capacity=SEATS,
        registration=Event.Registration.OPEN, actor=None)
    return organisation, event


class RushClient(threading.Thread):
    """One person's browser: fetches the form once, then posts its registrations in order."""

    def __init__(self, number, port, path, start_gate):
        super().__init__()
        self.number, self.port, self.path, self.start_gate = number, port, path, start_gate
        self.outcomes = []  # (status, error text) per post, in the order sent
        self.finished_at = None

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request("GET", self.path)
        response = conn.getresponse()
        html = response.read().decode()
        cookie = response.headers.get("Set-Cookie", "")
        csrf_cookie = re.search(r"csrftoken=([^;]+)", cookie).group(1)
        token = CSRF_FIELD.search(html).group(1)
        self.start_gate.wait()
        for k in range(PER_CLIENT):
            body = urllib.parse.urlencode({
                "csrfmiddlewaretoken": token, "first_name": f"Client{self.number}",
                "last_name": f"Nummer{k}", "email": f"c{self.number}-{k}@example.org",
                "privacy": "on", "website": ""})
            try:
                conn.request("POST", self.path, body=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={csrf_cookie}"})
                response = conn.getresponse()
                text = response.read()
                error = "" if response.status in (302, 303) else text[:300].decode(errors="replace")
                self.outcomes.append((response.status, error))
            except OSError as exc:  # counted as an error; the check below finds what was kept
                self.outcomes.append((0, repr(exc)))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        self.finished_at = time.perf_counter()
        conn.close()


def cpu_seconds(pids) -> float:
    """User + system time the processes have used so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def busy_processes(server) -> dict:
    """The web server's workers and, on PostgreSQL, the database's server processes."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    pids = {"web": [server.pid, *map(int, children)], "database": []}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                           " AND pid <> pg_backend_pid()")
            pids["database"] = [row[0] for row in cursor.fetchall()]
    return pids


def rush():
    from mitmachen.events.models import Event, Registration

    organisation, event = rush_setup()
    port = free_port()
    server = start_server(port)
    path = f"/o/{organisation.slug}/events/{event.pk}/register/"
    try:
        gate = threading.Barrier(CLIENTS + 1)
        clients = [RushClient(n, port, path, gate) for n in range(CLIENTS)]
        for client in clients:
            client.start()
        gate.wait()  # every client holds its form: from here on only registrations are timed
        started = time.perf_counter()
        pids = busy_processes(server)  # the database connections exist after the GETs
        cpu_before = {part: cpu_seconds(p) for part, p in pids.items()}
        client_before = sum(os.times()[:2])
        for client in clients:
            client.join()
        seconds = max(c.finished_at for c in clients) - started
        cpu = {part: cpu_seconds(p) - cpu_before[part] for part, p in pids.items()}
        cpu["clients"] = sum(os.times()[:2]) - client_before
    finally:
        server.terminate()
        server.wait(timeout=30)

    total = CLIENTS * PER_CLIENT
    errors = [(c.number, status, text) for c in clients for status, text in c.outcomes
              if status not in (302, 303)]
    rows = list(Registration.objects.filter(event=event).order_by("pk")
                .values_list("pk", "email", "status"))
    queue = list(Registration.objects.filter(event=event, status=Registration.Status.WAITING)
                 .order_by("waiting_since", "pk").values_list("pk", flat=True))
    by_email = {email: (pk, status) for pk, email, status in rows}
    lost = sum(1 for c in range(CLIENTS) for k in range(PER_CLIENT)
               if f"c{c}-{k}@example.org" not in by_email)
    statuses = [status for _pk, _email, status in rows]
    confirmed = statuses.count(Registration.Status.CONFIRMED)
    waiting = statuses.count(Registration.Status.WAITING)
    # Arrival order: the first SEATS keys hold the seats, every later one waits, and each
    # client's registrations got keys in the order it sent them.
    in_order = statuses == ([Registration.Status.CONFIRMED] * min(SEATS, total)
                            + [Registration.Status.WAITING] * max(total - SEATS, 0)) \
        and queue == sorted(queue)
    clients_in_order = all(
        [by_email[f"c{c}-{k}@example.org"][0] for k in range(PER_CLIENT)
         if f"c{c}-{k}@example.org" in by_email] == sorted(
            by_email[f"c{c}-{k}@example.org"][0] for k in range(PER_CLIENT)
            if f"c{c}-{k}@example.org" in by_email)
        for c in range(CLIENTS))
    seats_taken = Event.objects.get(pk=event.pk).seats_taken
    print(f"  registration rush over HTTP (gunicorn, {WEB_WORKERS} processes × {WEB_THREADS} "
          f"threads): {total:,} POSTs by {CLIENTS} clients in {seconds:.2f} s = "
          f"{total / seconds:,.0f} registrations/s")
    print(f"    {len(rows):,} rows, {confirmed} confirmed, {waiting:,} waiting, seats_taken "
          f"{seats_taken}, {len(errors)} HTTP errors, {lost} lost, arrival order "
          f"{'kept' if in_order and clients_in_order else 'BROKEN'}")
    print("    CPU per registration: " + ", ".join(
        f"{part} {seconds * 1000 / total:.1f} ms" for part, seconds in cpu.items()
        if seconds) + f" (this machine has {os.cpu_count()} cores)")
    for number, status, text in errors[:5]:
        print(f"    client {number}: HTTP {status} {text[:200]!r}")
    assert not errors and not lost and len(rows) == total, "registrations failed or were lost"
    assert confirmed == seats_taken == min(SEATS, total), "seat count wrong"
    assert waiting == max(total - SEATS, 0) and in_order and clients_in_order, "order broken"


# --- public calendar -------------------------------------------------------------------------

TOPICS = ["Klima", "Mieten", "Gesundheit", "Bildung", "Verkehr", "Frieden", "Arbeit",
          "Partizipation"]


def calendar_data():
    """CALENDAR_EVENTS events over two years from today, of a state association with four
    district branches and two more organisations, with topics, places and districts."""
    from mitmachen.events.models import Event, Kind, Topic, Visibility
    from mitmachen.organisations import services as org
    from mitmachen.organisations.models import Place

    town = org.municipality_create(name="Kassel", slug="kassel", state="Hessen", actor=None)
    districts = [org.district_create(municipality=town, name=f"Stadtteil {n}", slug=f"st-{n}",
                                     actor=None) for n in range(23)]
    land = org.organisation_create(name="Landesverband", slug="land", kind="party_branch",
                                   level=2, actor=None)
    organisations = [land] + [
        org.organisation_create(name=f"Kreisverband {n}", slug=f"kreis-{n}", kind="party_branch",
                                level=3, parent=land, municipality=town, actor=None)
        for n in range(4)] + [
        org.organisation_create(name="Stiftung", slug="stiftung", kind="foundation", level=2,
                                actor=None),
        org.organisation_create(name="Kreisgruppe", slug="kreisgruppe", kind="umbrella",
                                level=3, actor=None)]
    places, topics = {}, {}
    for organisation in organisations:
        places[organisation.pk] = [
            org.place_create(organisation=organisation, actor=None, data={
                "name": f"Ort {n}", "kind": Place.Kind.VENUE, "city": "Kassel",
                "district": districts[(organisation.pk * 5 + n) % len(districts)]})
            for n in range(5)]
        topics[organisation.pk] = Topic.objects.bulk_create(
            [Topic(organisation=organisation, name=name, slug=name.lower()) for name in TOPICS])
    rng = random.Random(5)
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    kinds = [k for k in Kind.values if k != Kind.OTHER]
    events = []
    for n in range(CALENDAR_EVENTS):
        organisation = organisations[n % len(organisations)]
        starts = today + timedelta(days=1 + 729 * n / CALENDAR_EVENTS,
                                   hours=rng.choice([10, 14, 18, 19]))
        online = rng.random() < 0.25
        events.append(Event(
            organisation=organisation, title=f"{rng.choice(TOPICS)}treffen {n}",
            kind=rng.choice(kinds), starts_at=starts, ends_at=starts + timedelta(hours=2),
            is_online=online, place=None if online else rng.choice(places[organisation.pk]),
            visibility=Visibility.MEMBERS if n % 10 == 9 else Visibility.PUBLIC))
    events = Event.objects.bulk_create(events, batch_size=2000)
    links = []
    for event in events:
        for topic in rng.sample(topics[event.organisation_id], rng.choice([1, 2])):
            links.append(Event.topics.through(event_id=event.pk, topic_id=topic.pk))
    Event.topics.through.objects.bulk_create(links, batch_size=5000)
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return land, districts


def calendar_bench():
    started = time.perf_counter()
    land, districts = calendar_data()
    print(f"  creating {CALENDAR_EVENTS:,} calendar events: {time.perf_counter() - started:.1f} s")
    district = districts[3].pk
    frm = (timezone.localdate() + timedelta(days=60)).isoformat()
    until = (timezone.localdate() + timedelta(days=400)).isoformat()
    pages = {
        "all": [("/events/", "page 1"), ("/events/?page=20", "page 20"),
                ("/events/?topic=klima", "topic"), ("/events/?topic=klima&page=20",
                                                    "topic, page 20"),
                (f"/events/?district={district}&where=onsite", "district, on site"),
                ("/events/?where=online&kind=meeting", "online, kind"),
                ("/events/?q=Mieten", "title search")],
        "organisation": [("/o/land/events/", "page 1"), ("/o/land/events/?page=20", "page 20"),
                         (f"/o/land/events/?topic=mieten&date_from={frm}&date_to={until}",
                          "topic, dates"),
                         (f"/o/land/events/?topic=mieten&date_from={frm}&date_to={until}"
                          "&page=5", "topic, dates, page 5")],
    }
    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for kind, urls in pages.items():
        for url, label in urls:
            response = client.get(url)  # warm-up
            assert response.status_code == 200, (url, response.status_code)
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            queries = len(captured)  # now: the next request empties the connection's log
            samples, cpu = [], []
            for _ in range(RUNS):
                started, cpu_started = time.perf_counter(), time.process_time()
                client.get(url)
                samples.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
            counts.setdefault(kind, {})[label] = queries
            shown = url if len(url) <= 44 else url[:41] + "…"
            # CPU time of this process: what the page costs, whatever else the machine does
            print(f"  GET {shown:<45} p50 {statistics.median(samples):6.1f} ms   "
                  f"p95 {percentile(samples, 0.95):6.1f} ms   CPU p50 "
                  f"{statistics.median(cpu):5.1f} ms   {queries:2d} queries ({label})")
    print(f"    (n={RUNS} each, anonymous, test client in this process)")
    for kind, by_label in counts.items():
        usual = statistics.mode(by_label.values())
        other = ", ".join(f"{label}: {n}" for label, n in by_label.items() if n != usual)
        print(f"    SQL queries per page ({kind} calendar): {usual}"
              + (f" (differs: {other})" if other else " for every page and filter"))
        # a later page or a filter must never add queries per event shown
        for label, n in by_label.items():
            if ", page " in label:
                assert n == by_label.get(label.rsplit(", page ", 1)[0], by_label["page 1"]), label
        assert by_label["page 20"] == by_label["page 1"], f"{kind}: page 20"
    return counts


def main():
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"database: {connection.vendor}")
    if CLIENTS:
        rush()
    if CALENDAR_EVENTS:
        calendar_bench()


if __name__ == "__main__":
    main()
