"""Live view figures: 1,000 viewers of a speakers' list over Server-Sent Events, and polling.

    python bench/assemblies_live.py           # SQLite file under $MITMACHEN_VAR_DIR/bench
    DATABASE_URL=postgres://…/mitmachen_bench python bench/assemblies_live.py

Starts uvicorn on the ASGI app (1 worker, then 2), opens BENCH_VIEWERS event streams from one
asyncio client process (raw HTTP/1.1 over asyncio.open_connection, to keep the client cheap),
then makes BENCH_CHANGES changes to the speakers' list through the services (speaker_request /
speaker_next), one every BENCH_SPACING seconds, and measures for every viewer the time from the
commit to the arrival of the new version. Then the same number of clients poll live.json a
second after each answer (live.js's fallback), against gunicorn (WSGI; BENCH_POLL_ASGI=1 adds
uvicorn).
Prints latency percentiles, the server's CPU seconds, peak memory (RSS), threads and database
connections. The client shares the machine with the server: its CPU is printed too.
"""

import asyncio
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
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
SQLITE_FILE = Path(os.environ["MITMACHEN_VAR_DIR"]) / "bench" / "assemblies_live.sqlite3"
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_FILE}"
VIEWERS = int(os.environ.get("BENCH_VIEWERS", "1000"))
POLLERS = int(os.environ.get("BENCH_POLLERS", str(VIEWERS)))
CHANGES = int(os.environ.get("BENCH_CHANGES", "20"))
SPACING = float(os.environ.get("BENCH_SPACING", "1.0"))
WORKERS = [int(n) for n in os.environ.get("BENCH_WORKERS", "1,2").split(",") if n]
POLLING = os.environ.get("BENCH_POLLING", "1") != "0"
SSE = os.environ.get("BENCH_SSE", "1") != "0"
# Polling through uvicorn too (off by default: Django makes two threads per ASGI request, and
# at a thousand requests a second that churn, not the view, is what the server spends its
# time on; the fallback is measured against gunicorn).
POLL_ASGI = os.environ.get("BENCH_POLL_ASGI", "0") != "0"
# uvicorn's HTTP parser and event loop: "auto" takes httptools and uvloop when installed
# (uvicorn[standard]), else h11 and asyncio.
HTTP = os.environ.get("BENCH_HTTP", "auto")
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "2"))  # 0: no WSGI polling run
GUNICORN_THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "8"))
LOOP = os.environ.get("BENCH_LOOP", "auto")
MEMBERS = 40

from common import free_port, fresh_postgres_database, percentile  # noqa: E402


def ensure_database():
    if not fresh_postgres_database(os.environ["DATABASE_URL"]):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)


ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

# --- the assembly ----------------------------------------------------------------------------

def setup():
    """An assembly in session with MEMBERS present voters and its first item called."""
    from mitmachen.assemblies import attendance, services
    from mitmachen.assemblies.models import Assembly
    from mitmachen.events import services as events
    from mitmachen.events.models import Event
    from mitmachen.organisations import services as org
    from mitmachen.people import services as people
    from mitmachen.people.models import Contact

    organisation = org.organisation_create(name="Kreisverband Live", slug="live",
                                           kind="party_branch", level=3, actor=None)
    start = timezone.now() - timedelta(minutes=30)
    event = events.event_create(organisation=organisation, title="Kreismitgliederversammlung",
                                kind=Event.Kind.ASSEMBLY, starts_at=start,
                                ends_at=start + timedelta(hours=4), actor=None)
    rng = random.Random(7)
    for n in range(MEMBERS):
        people.contact_create(organisation=organisation, actor=None, status=Contact.Status.MEMBER,
                              data={"first_name": rng.choice(["Rosa", "Clara", "Emma", "Karl",
                                                              "August", "Paul", "Lena"]),
                                    "last_name": f"Mitglied {n:02d}",
                                    "quota_category": "flinta" if n % 2 else "open"})
    assembly = services.assembly_create(event=event, actor=None,
                                        reference_date=timezone.localdate())
    services.voters_build(assembly=assembly, actor=None)
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    item = services.item_create(assembly=assembly, title="Aussprache zum Rechenschaftsbericht",
                                actor=None)
    services.item_call(assembly=assembly, item=item, actor=None)
    participants = list(assembly.participants.order_by("pk"))
    for participant in participants:
        attendance.check_in(participant=participant, actor=None)
    assembly.refresh_from_db()
    item.refresh_from_db()
    return assembly, item, participants


class Changer:
    """Changes the speakers' list through the services, in a thread of its own (one database
    connection), and notes the moment each change committed."""

    def __init__(self, item, participants):
        self.item, self.participants = item, participants
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.turn = 0

    def _change(self):
        from mitmachen.assemblies import speakers
        from mitmachen.assemblies.models import Assembly, SpeakerRequest

        committed = {}
        with transaction.atomic():
            # Registered first, so it runs first at the commit (before the service's publish).
            transaction.on_commit(lambda: committed.setdefault("at", time.perf_counter()))
            if self.turn % 4 == 3:
                speakers.speaker_next(item=self.item, actor=None)
            else:
                waiting = set(SpeakerRequest.objects.filter(
                    item=self.item, status=SpeakerRequest.Status.WAITING).values_list(
                    "participant_id", flat=True))
                person = next(p for p in self.participants[self.turn % len(self.participants):]
                              + self.participants if p.pk not in waiting)
                speakers.speaker_request(item=self.item, participant=person)
        self.turn += 1
        version = Assembly.objects.filter(pk=self.item.assembly_id).values_list(
            "live_version", flat=True).get()
        connection.close()
        return committed["at"], version

    async def change(self):
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._change)


# --- the server ------------------------------------------------------------------------------

def start_server(command: list[str], port: int, probe: str) -> subprocess.Popen:
    import http.client

    env = {**os.environ, "MITMACHEN_DEBUG": "false"}
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", probe)
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the web server did not start")


def uvicorn(port: int, workers: int) -> list[str]:
    # No access log: it would write every viewer's link, token included.
    return [sys.executable, "-m", "uvicorn", "mitmachen.asgi:application", "--host",
            "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log",
            "--log-level", "warning", "--backlog", "4096", "--timeout-graceful-shutdown", "3",
            "--http", HTTP, "--loop", LOOP]


def gunicorn(port: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "mitmachen.wsgi:application", "--bind",
            f"127.0.0.1:{port}", "--workers", str(GUNICORN_WORKERS), "--worker-class",
            "gthread", "--threads", str(GUNICORN_THREADS), "--keep-alive", "30",
            "--backlog", "4096", "--log-level", "warning"]


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def implementation() -> str:
    import importlib.util

    def have(name):
        return importlib.util.find_spec(name) is not None

    http = HTTP if HTTP != "auto" else ("httptools" if have("httptools") else "h11")
    loop = LOOP if LOOP != "auto" else ("uvloop" if have("uvloop") else "asyncio")
    return f"({http}, {loop})"


def server_pids(server) -> list[int]:
    pids, todo = [], [server.pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        with contextlib.suppress(OSError):
            todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return pids


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


def status_field(pid: int, name: str) -> int:
    """A number from /proc/<pid>/status (VmHWM, VmRSS in kB; Threads)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def database_connections() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND pid <> pg_backend_pid()")
        count = cursor.fetchone()[0]
    connection.close()
    return count


# --- the viewers -----------------------------------------------------------------------------

class Viewer:
    """One phone or projector on the event stream: HTTP/1.1, chunked, SSE parsed by hand."""

    def __init__(self):
        self.arrivals: dict[int, float] = {}
        self.first = asyncio.get_running_loop().create_future()
        self.error = ""
        self.writer = None

    async def run(self, port: int, path: str, gate: asyncio.Semaphore):
        try:
            async with gate:
                reader, self.writer = await asyncio.open_connection("127.0.0.1", port,
                                                                    limit=1 << 20)
                self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Accept: text/event-stream\r\n\r\n".encode())
                status = await reader.readline()
                if b" 200 " not in status:
                    raise RuntimeError(status.decode(errors="replace").strip())
                headers = b""
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    headers += line.lower()
            chunked = b"transfer-encoding: chunked" in headers
            buffer = b""
            while True:
                if chunked:
                    size = int((await reader.readline()).split(b";")[0], 16)
                    if size == 0:
                        break
                    data = (await reader.readexactly(size + 2))[:-2]
                else:
                    data = await reader.read(65536)
                    if not data:
                        break
                now = time.perf_counter()
                buffer += data
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    if block.startswith(b"id: "):
                        version = int(block[4:block.index(b"\n")])
                        self.arrivals.setdefault(version, now)
                        if not self.first.done():
                            self.first.set_result(version)
        except (OSError, RuntimeError, ValueError, asyncio.IncompleteReadError) as exc:
            self.error = repr(exc)
        finally:
            if not self.first.done():
                self.first.set_result(None)

    def close(self):
        if self.writer is not None:
            self.writer.close()


class Poller:
    """One browser without EventSource: live.json with the version it knows, a second after
    each answer (live.js's fallback)."""

    def __init__(self, version: int):
        self.version = version
        self.arrivals: dict[int, float] = {}
        self.requests = 0
        self.answer_ms: list[float] = []
        self.error = ""
        self.stop = False

    async def run(self, port: int, path: str, phase: float):
        await asyncio.sleep(phase)  # spread over the second, as real phones are
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            while not self.stop:
                sent = time.perf_counter()
                writer.write(f"GET {path}&v={self.version} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "\r\n".encode())
                status = await reader.readline()
                length, etag = 0, ""
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _sep, value = line.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "etag":
                        etag = value.strip().strip('"')
                if length:
                    await reader.readexactly(length)
                self.requests += 1
                self.answer_ms.append((time.perf_counter() - sent) * 1000)
                if b" 200 " in status and etag:
                    self.version = int(etag)
                    self.arrivals.setdefault(self.version, time.perf_counter())
                elif b" 204 " not in status:
                    raise RuntimeError(status.decode(errors="replace").strip())
                # Like live.js: the next poll a second after the answer, so a slow server is
                # asked less often instead of being buried.
                await asyncio.sleep(1.0)
            writer.close()
        except (OSError, RuntimeError, ValueError, asyncio.IncompleteReadError) as exc:
            self.error = repr(exc)


# --- the runs --------------------------------------------------------------------------------

def latencies(viewers, changes):
    """Per change, when each viewer had it: its version or a newer one (a poller that skips a
    version shows the change with the next). Also how many viewers got every version itself."""
    samples, missing, per_change = [], 0, []
    for committed, version in changes:
        late = []
        for viewer in viewers:
            arrived = min((at for v, at in viewer.arrivals.items() if v >= version),
                          default=None)
            if arrived is None:
                missing += 1
            else:
                late.append(arrived - committed)
        samples += late
        per_change.append(max(late) if late else float("nan"))
    complete = sum(1 for v in viewers if all(version in v.arrivals for _c, version in changes))
    return samples, missing, complete, per_change


def figures(label, samples, missing, complete, total, per_change):
    if not samples:
        print(f"    {label}: nothing arrived")
        return
    ms = [s * 1000 for s in samples]
    print(f"    {label}: commit → viewer p50 {percentile(ms, 0.5):6.0f} ms   p95 "
          f"{percentile(ms, 0.95):6.0f} ms   max {max(ms):6.0f} ms   "
          f"(last viewer per change: p50 {percentile(per_change, 0.5) * 1000:.0f} ms)")
    print(f"      {complete:,} of {total:,} viewers received every version itself; {missing:,} "
          f"times a viewer never saw a change")


async def sse_run(port, assembly, token, changer, pids):
    path = f"/assembly/{assembly.pk}/live/events?t={token}"
    gate = asyncio.Semaphore(200)  # connect in waves, as a hall fills up
    viewers = [Viewer() for _ in range(VIEWERS)]
    started = time.perf_counter()
    cpu_start = cpu_seconds(pids)
    tasks = [asyncio.create_task(v.run(port, path, gate)) for v in viewers]
    await asyncio.wait_for(asyncio.gather(*(v.first for v in viewers)), 180)
    connected = sum(1 for v in viewers if v.arrivals)
    connect_seconds = time.perf_counter() - started
    connect_cpu = cpu_seconds(pids) - cpu_start
    threads = sum(status_field(pid, "Threads") for pid in pids)
    rss_now = sum(status_field(pid, "VmRSS") for pid in pids)
    db = await asyncio.to_thread(database_connections)
    print(f"    {connected:,} of {VIEWERS:,} viewers connected with the first state in "
          f"{connect_seconds:.1f} s (server CPU {connect_cpu:.1f} s); server now "
          f"{rss_now / 1024:.0f} MB RSS, {threads} threads"
          + (f", {db} database connections" if db is not None else ""))
    for viewer in viewers:
        if viewer.error:
            print(f"      first error: {viewer.error[:200]}")
            break
    client_before = sum(os.times()[:2])
    cpu_before = cpu_seconds(pids)
    changes = []
    for _ in range(CHANGES):
        changes.append(await changer.change())
        await asyncio.sleep(SPACING)
    cpu = cpu_seconds(pids) - cpu_before
    client_cpu = sum(os.times()[:2]) - client_before
    samples, missing, complete, per_change = latencies(viewers, changes)
    figures(f"SSE, {CHANGES} changes", samples, missing, complete, VIEWERS, per_change)
    print(f"      server CPU {cpu:.2f} s for {CHANGES} changes over "
          f"{CHANGES * SPACING:.0f} s ({cpu / (CHANGES * SPACING) * 100:.0f} % of one core); "
          f"client CPU {client_cpu:.2f} s")
    for viewer in viewers:
        viewer.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return changes[-1][1]


async def polling_run(port, assembly, token, changer, pids, version):
    path = f"/assembly/{assembly.pk}/live.json?t={token}"
    pollers = [Poller(version) for _ in range(POLLERS)]
    rng = random.Random(3)
    tasks = [asyncio.create_task(p.run(port, path, rng.random())) for p in pollers]
    await asyncio.sleep(3)  # every poller has asked at least twice
    requests_before = sum(p.requests for p in pollers)
    for poller in pollers:
        poller.answer_ms.clear()
    cpu_before, client_before = cpu_seconds(pids), sum(os.times()[:2])
    started = time.perf_counter()
    changes = []
    for _ in range(CHANGES):
        changes.append(await changer.change())
        await asyncio.sleep(SPACING)
    await asyncio.sleep(3)  # the last change reaches the slowest poller
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(pids) - cpu_before
    client_cpu = sum(os.times()[:2]) - client_before
    requests = sum(p.requests for p in pollers) - requests_before
    for poller in pollers:
        poller.stop = True
    await asyncio.wait(tasks, timeout=5)
    for task in tasks:
        task.cancel()
    samples, missing, complete, per_change = latencies(pollers, changes)
    figures(f"{POLLERS:,} clients polling every 1 s, {CHANGES} changes", samples, missing,
            complete, POLLERS, per_change)
    errors = [p.error for p in pollers if p.error]
    answers = [ms for p in pollers for ms in p.answer_ms]
    if answers:
        print(f"      answer time p50 {percentile(answers, 0.5):.0f} ms, p95 "
              f"{percentile(answers, 0.95):.0f} ms")
    print(f"      {requests / seconds:,.0f} requests/s answered; server CPU {cpu:.2f} s over "
          f"{seconds:.0f} s ({cpu / seconds * 100:.0f} % of one core), "
          f"{cpu / max(requests, 1) * 1e6:.0f} µs per request; client CPU {client_cpu:.2f} s; "
          f"{len(errors)} errors" + (f" (first: {errors[0][:160]})" if errors else ""))


def run(workers, assembly, item, participants, token):
    port = free_port()
    server = start_server(uvicorn(port, workers), port,
                          f"/assembly/{assembly.pk}/live.json?t={token}")
    changer = Changer(item, participants)
    try:
        pids = server_pids(server)
        print(f"  uvicorn {implementation()}, {workers} worker{'s' if workers > 1 else ''} "
              f"({len(pids)} processes), {VIEWERS:,} viewers, this machine has "
              f"{os.cpu_count()} cores")
        if SSE:
            version = asyncio.run(sse_run(port, assembly, token, changer, pids))
        else:
            version = current_version(assembly)
        if POLLING and POLL_ASGI:
            asyncio.run(polling_run(port, assembly, token, changer, pids, version))
        peak = sum(status_field(pid, "VmHWM") for pid in pids)
        print(f"    server peak RSS {peak / 1024:.0f} MB (sum over its processes)")
    finally:
        stop(server)


def current_version(assembly) -> int:
    from mitmachen.assemblies.models import Assembly

    version = Assembly.objects.filter(pk=assembly.pk).values_list("live_version",
                                                                  flat=True).get()
    connection.close()
    return version


def run_wsgi_polling(assembly, item, participants, token):
    """The fallback against the WSGI server of bench/events.py: no per-request thread hops."""
    port = free_port()
    server = start_server(gunicorn(port), port, f"/assembly/{assembly.pk}/live.json?t={token}")
    changer = Changer(item, participants)
    try:
        pids = server_pids(server)
        print(f"  gunicorn (WSGI), {GUNICORN_WORKERS} processes × {GUNICORN_THREADS} threads")
        asyncio.run(polling_run(port, assembly, token, changer, pids,
                                current_version(assembly)))
        peak = sum(status_field(pid, "VmHWM") for pid in pids)
        print(f"    server peak RSS {peak / 1024:.0f} MB (sum over its processes)")
    finally:
        stop(server)


def main():
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"database: {connection.vendor}")
    from mitmachen.assemblies.access import projector_token

    assembly, item, participants = setup()
    token = projector_token(assembly)
    connection.close()
    for workers in WORKERS:
        run(workers, assembly, item, participants, token)
    if POLLING and GUNICORN_WORKERS:
        run_wsgi_polling(assembly, item, participants, token)


if __name__ == "__main__":
    main()
