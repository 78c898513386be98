"""Messaging figures: personalised e-mails delivered per second to a local SMTP server, letters
into one PDF, and the worker's memory.

    python bench/messaging.py                      # SQLite in a temporary directory
    DATABASE_URL=postgres://…/mitmachen_bench python bench/messaging.py
"""

import os
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
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{os.environ['MITMACHEN_VAR_DIR']}/bench.sqlite3"
MAILS = int(os.environ.get("BENCH_MAILS", "100000"))
LETTERS = int(os.environ.get("BENCH_LETTERS", "1000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SMTP_SERVER = """
import asyncio, sys
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
controller = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
import time
while True:
    time.sleep(1)
"""


from common import free_port, fresh_postgres_database  # noqa: E402


def ensure_database():
    fresh_postgres_database(os.environ.get("DATABASE_URL", ""))


ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


def main():
    from mitmachen.messaging import letters, mailings
    from mitmachen.messaging.models import Message
    from mitmachen.organisations import services as org
    from mitmachen.people.models import Consent, Contact

    call_command("migrate", verbosity=0)
    organisation = org.organisation_create(name="Bench", slug="bench", kind="party_branch",
                                           level=3, actor=None)
    print(f"database: {connection.vendor}")
    contacts = Contact.objects.bulk_create(
        [Contact(organisation=organisation, first_name=f"Vorname{n}", last_name=f"Name{n}",
                 email=f"p{n}@example.org", status="member", street=f"Weg {n}",
                 postcode=f"{34000 + n % 900}", city="Kassel") for n in range(MAILS)],
        batch_size=5000)
    if contacts[0].pk is None:
        contacts = list(Contact.objects.filter(organisation=organisation))
    Consent.objects.bulk_create(
        [Consent(contact=c, channel="email", purpose="invitations", granted=True,
                 source="import", text_version="bench") for c in contacts], batch_size=5000)
    mailing = mailings.mailing_create(
        organisation=organisation, subject="Einladung für {{ vorname }}",
        body="{{ anrede }}\n\nwir laden dich zur Versammlung ein.\n\nSolidarische Grüße\n"
             "{{ organisation }}", purpose="invitations", audience={"kind": "members"},
        actor=None)
    started = time.perf_counter()
    mailings.mailing_send(mailing=mailing, actor=None, base_url="https://mitmachen.example")
    rendered = time.perf_counter() - started
    print(f"  rendering and queueing {MAILS} personalised e-mails: {rendered:.1f} s "
          f"({MAILS / rendered:,.0f}/s)")

    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SMTP_SERVER, str(port)])
    time.sleep(1.5)
    env = {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{port}", "OUTBOX_BATCH": "500"}
    # VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec and would report this (parent)
    # process's peak after rendering 100,000 messages.
    code = ("import re, django; django.setup();"
            "from mitmachen.messaging.outbox import deliver;"
            "n = deliver();"
            "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1);"
            "print(n, int(hwm) // 1024)")
    started = time.perf_counter()
    workers = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                                text=True) for _ in range(WORKERS)]
    outputs = [w.communicate()[0].split() for w in workers]
    seconds = time.perf_counter() - started
    server.terminate()
    sent = Message.objects.filter(status="sent").count()
    peaks = [int(o[-1]) for o in outputs]
    print(f"  delivering to a local SMTP server with {WORKERS} worker processes: {sent} sent in "
          f"{seconds:.1f} s = {sent / seconds:,.0f} messages/s; worker peak memory "
          f"{max(peaks)} MB")
    assert sent == MAILS, f"only {sent} of {MAILS} sent"

    letter_mailing = mailings.mailing_create(
        organisation=organisation, subject="Einladung", body="{{ anrede }}\n\nBrief.",
        purpose="newsletter", audience={"kind": "members"}, actor=None)
    Message.objects.bulk_create([
        Message(organisation=organisation, mailing=letter_mailing, contact=c, channel="letter",
                to_name=c.full_name, to_address=f"{c.full_name}\n{c.street}\n{c.postcode} "
                f"{c.city}", subject="Einladung", body_text=f"Hallo {c.first_name},\n\nBrief.",
                message_id=f"<letter-{c.pk}@bench>")
        for c in contacts[:LETTERS]])
    started = time.perf_counter()
    pdf = letters.letters_pdf(letter_mailing, by_postcode=True)
    print(f"  {LETTERS} personalised letters into one PDF: {time.perf_counter() - started:.1f} s "
          f"({len(pdf) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
