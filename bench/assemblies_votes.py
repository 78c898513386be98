"""Assemblies figure: 500 present voters vote electronically (secret ballot) over real HTTP.

    python bench/assemblies_votes.py                      # SQLite file under $MITMACHEN_VAR_DIR
    DATABASE_URL=postgres://…/mitmachen_bench python bench/assemblies_votes.py

Sets up an assembly in session with BENCH_VOTERS members, all checked in, and an open secret
vote; starts gunicorn (several processes, threads in each) on the benchmark database; every
voter's phone first opens its voting page (for the CSRF cookie), then all phones press their
button at once. Afterwards the vote is closed through the service (which shuffles the ballot
box) and the database is checked: every voter counted, each once, casts = ballots = voters =
tally, and the tally is the sum of the choices sent. The goal is under 30 s.
"""

import http.client
import os
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
SQLITE_FILE = Path(os.environ["MITMACHEN_VAR_DIR"]) / "bench" / "assemblies_votes.sqlite3"
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_FILE}"
VOTERS = int(os.environ.get("BENCH_VOTERS", "500"))
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "4"))
WEB_THREADS = int(os.environ.get("BENCH_WEB_THREADS", "4"))
GOAL_SECONDS = 30
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHOICES = ("yes", "no", "abstain")


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
from django.utils import timezone  # noqa: E402


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "MITMACHEN_DEBUG": "false"}
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


def setup():
    """An assembly in session, VOTERS members checked in, an open secret vote on a motion."""
    from mitmachen.assemblies import attendance, motions, services, votes
    from mitmachen.assemblies.access import participant_token
    from mitmachen.assemblies.models import Assembly, Vote
    from mitmachen.events import services as events
    from mitmachen.events.models import Event
    from mitmachen.organisations import services as org
    from mitmachen.people.models import Contact

    organisation = org.organisation_create(name="Kreisverband", slug="kv", kind="party_branch",
                                           level=3, actor=None)
    Contact.objects.bulk_create(
        [Contact(organisation=organisation, first_name=f"Vorname{n}", last_name=f"Name{n}",
                 email=f"p{n}@example.org", status=Contact.Status.MEMBER)
         for n in range(VOTERS)], batch_size=1000)
    start = timezone.now() + timedelta(days=30)
    event = events.event_create(organisation=organisation, title="Kreismitgliederversammlung",
                                kind=Event.Kind.ASSEMBLY, starts_at=start,
                                ends_at=start + timedelta(hours=3), actor=None)
    assembly = services.assembly_create(event=event, actor=None,
                                        reference_date=timezone.localdate())
    services.voters_build(assembly=assembly, actor=None)
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    voters = list(assembly.participants.order_by("pk"))
    for participant in voters:
        attendance.check_in(participant=participant, actor=None)
    motion = motions.motion_submit(assembly=assembly, title="Mietendeckel für Kassel",
                                   text="Die Versammlung fordert einen Mietendeckel.",
                                   submitter=None, submitter_name="Kreisvorstand", actor=None)
    motions.motion_admit(motion=motion, actor=None)
    vote = votes.vote_create(assembly=assembly, motion=motion, method=Vote.Method.SECRET,
                             actor=None)
    vote = votes.vote_open(vote=vote, actor=None)
    return vote, [(p.pk, participant_token(p)) for p in voters]


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
        connection.close()
    return pids


class Phone(threading.Thread):
    """One voter's phone: opens the voting page, waits for the signal, presses one button."""

    def __init__(self, number, port, token, vote_pk, gate):
        super().__init__()
        self.number, self.port, self.token, self.vote_pk, self.gate = (number, port, token,
                                                                       vote_pk, gate)
        self.choice = CHOICES[number % len(CHOICES)]
        self.status, self.error, self.seconds, self.finished_at = 0, "", 0.0, None

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request("GET", f"/a/{self.token}/voting/")
            response = conn.getresponse()
            html = response.read().decode()
            cookie = re.search(r"csrftoken=([^;]+)", response.headers.get("Set-Cookie", ""))
            form_token = CSRF_FIELD.search(html)
            if response.status != 200 or not cookie or not form_token:
                self.error = f"voting page: HTTP {response.status}"
                return
        except OSError as exc:
            self.error = f"voting page: {exc!r}"
            return
        finally:
            self.gate.wait()  # every phone holds its page: from here on only votes are timed
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": form_token.group(1),
                                       "choice": self.choice})
        started = time.perf_counter()
        try:
            conn.request("POST", f"/a/{self.token}/vote/{self.vote_pk}/", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie.group(1)}"})
            response = conn.getresponse()
            text = response.read()
            self.status = response.status
            if response.status not in (302, 303):
                self.error = text[:300].decode(errors="replace")
        except OSError as exc:
            self.error = repr(exc)
        self.finished_at = time.perf_counter()
        self.seconds = self.finished_at - started
        conn.close()


def main():
    from mitmachen.assemblies import votes
    from mitmachen.assemblies.models import Ballot, VoteCast

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"database: {connection.vendor}")
    started = time.perf_counter()
    vote, phones_of = setup()
    print(f"  setting up {VOTERS} present voters and an open secret vote: "
          f"{time.perf_counter() - started:.1f} s")
    load_before = os.getloadavg()[0]
    port = free_port()
    connection.close()  # the server's processes take over; keep no idle write lock
    server = start_server(port)
    try:
        gate = threading.Barrier(len(phones_of) + 1)
        phones = [Phone(n, port, token, vote.pk, gate)
                  for n, (_pk, token) in enumerate(phones_of)]
        for phone in phones:
            phone.start()
        gate.wait()  # every phone holds its page: from here on only votes are timed
        started = time.perf_counter()
        pids = busy_processes(server)  # the database connections exist after the GETs
        cpu_before = {part: cpu_seconds(p) for part, p in pids.items()}
        for phone in phones:
            phone.join()
        finished = [p.finished_at for p in phones if p.finished_at]
        seconds = (max(finished) - started) if finished else float("nan")
        cpu = {part: cpu_seconds(p) - cpu_before[part] for part, p in pids.items()}
    finally:
        server.terminate()
        server.wait(timeout=30)

    errors = [(p.number, p.status, p.error) for p in phones if p.error]
    closed = votes.vote_close(vote=vote, actor=None)
    casts = VoteCast.objects.filter(vote=vote)
    n_casts = casts.count()
    distinct = casts.values("participant").distinct().count()
    ballots = Ballot.objects.filter(vote=vote).count()
    tally = closed.yes + closed.no + closed.abstain
    sent_ok = [p for p in phones if p.status in (302, 303)]
    expected = {c: sum(1 for p in sent_ok if p.choice == c) for c in CHOICES}
    who = set(casts.values_list("participant_id", flat=True))
    latencies = [p.seconds * 1000 for p in sent_ok]
    print(f"  {VOTERS} voters vote over HTTP (gunicorn, {WEB_WORKERS} processes × {WEB_THREADS} "
          f"threads): {seconds:.2f} s = {VOTERS / seconds:,.0f} votes/s "
          f"(goal: all within {GOAL_SECONDS} s)")
    if latencies:
        print(f"    per vote: p50 {statistics.median(latencies):.0f} ms, "
              f"p95 {percentile(latencies, 0.95):.0f} ms, max {max(latencies):.0f} ms")
    print("    CPU per vote: " + ", ".join(
        f"{part} {used * 1000 / VOTERS:.1f} ms" for part, used in cpu.items() if used)
        + f"; load average before the run {load_before:.1f} on {os.cpu_count()} cores "
        "(other work on the machine slows the figure)")
    print(f"    check: casts {n_casts} == ballots {ballots} == voters {VOTERS} == tally {tally} "
          f"({closed.yes} yes, {closed.no} no, {closed.abstain} abstentions); "
          f"{distinct} distinct voters; {len(errors)} HTTP errors")
    for number, status, text in errors[:5]:
        print(f"    phone {number}: HTTP {status} {text[:200]!r}")
    assert not errors, "votes failed"
    assert n_casts == ballots == VOTERS == tally == distinct, "a vote was lost or counted twice"
    assert who == {pk for pk, _token in phones_of}, "someone's vote is missing"
    assert (closed.yes, closed.no, closed.abstain) == (
        expected["yes"], expected["no"], expected["abstain"]), "the tally is not what was sent"
    assert seconds < GOAL_SECONDS, f"took {seconds:.1f} s, more than {GOAL_SECONDS} s"


if __name__ == "__main__":
    main()
