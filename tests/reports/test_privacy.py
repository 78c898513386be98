"""The issue's first "done when": a report with a known text goes in through the public page
(and, as a second path, straight through the services), the reporter follows up with the
receipt and writes back, an officer answers; then every table of the database, the key store
and everything logged on the way is read, and neither the text, nor the reporter's address,
nor their browser may appear anywhere, in any encoding we can think of.
"""

import base64
import binascii
import json
import logging
import pickle
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse

from mitmachen.core.logs import StructuredFormatter
from mitmachen.messaging.models import Message as Outgoing
from mitmachen.reports import limits, services
from mitmachen.reports.models import Message, Report, Wish

from .conftest import KNOWN_TEXT, PDF

IP = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 ReporterMarker-8841"
REPLY_TEXT = "Nachtrag: XQZ-7731 stand auch später noch am Infostand Fünfeck-4402"
OFFICER_TEXT = "Danke, wir melden uns. Vertrauensmarker QJW-5521"
CONTACT = "Signal an Kontaktmarker-3390"
WHO = "Person aus dem Vorstand, Werbemarker-2291"
FILE_MARKER = b"Dateimarker-6612"
FILE_NAME = "beleg-Namensmarker-7140.pdf"

# The text, distinctive pieces of it, and the reporter's traces.
SECRETS = [KNOWN_TEXT, "XQZ-7731", "Plakatieren am Rheinufer", "bedrängt", REPLY_TEXT,
           "Fünfeck-4402", OFFICER_TEXT, "QJW-5521", CONTACT, "Kontaktmarker-3390", WHO,
           "Werbemarker-2291", FILE_MARKER.decode(), "Namensmarker-7140",
           IP, USER_AGENT, "ReporterMarker-8841"]
RECEIPT_SHAPE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}\b")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    """A key store of this test's own, so that every file in it is this test's."""
    settings.REPORTS_KEY_DIR = tmp_path / "report-keys"
    return settings.REPORTS_KEY_DIR


def forms_of(secret: str) -> set[bytes]:
    """The ways `secret` could have been written down, as lower-case bytes."""
    raw = secret.encode("utf-8")
    found = {
        raw,
        json.dumps(secret)[1:-1].encode(),  # JSON with \\u00e4 escapes
        json.dumps(secret, ensure_ascii=False)[1:-1].encode(),
        raw.hex().encode(),  # PostgreSQL's bytea output, hexdump-style logs
        secret.encode("utf-16-le"),
        secret.encode("latin-1", "replace"),
        repr(raw)[2:-1].encode(),  # how Python shows the bytes (b'bedr\\xc3\\xa4ngt')
    }
    # Base64 of the secret at each of the three alignments (the middle part is stable).
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)[4:-4]
        if len(encoded) >= 8:
            found.add(encoded)
    return {f.lower() for f in found if f}


FORMS = {secret: forms_of(secret) for secret in SECRETS}


def leaks(blob: bytes) -> list[str]:
    blob = blob.lower()
    return [secret for secret, forms in FORMS.items() if any(f in blob for f in forms)]


def as_bytes(value) -> bytes:
    if value is None:
        return b""
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict | list):  # psycopg hands jsonb over already parsed
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    return str(value).encode("utf-8")


def unpacked(table: str, column: str, value) -> list[bytes]:
    """What a value hides inside: the cache's base64 pickles, the session's signed data."""
    extra = []
    if table == "mitmachen_cache" and column == "value" and isinstance(value, str):
        try:
            pickled = base64.b64decode(value)
            extra.append(pickled)
            extra.append(repr(pickle.loads(pickled)).encode())  # noqa: S301 (our own cache)
        except (binascii.Error, pickle.UnpicklingError, EOFError, ValueError):
            pass
    if table == "django_session" and column == "session_data" and isinstance(value, str):
        from django.contrib.sessions.backends.db import SessionStore

        extra.append(json.dumps(SessionStore().decode(value), default=str).encode())
    return extra


def database_dump() -> dict[str, list[bytes]]:
    """Every value of every column of every table, read with raw SQL."""
    dump = {}
    tables = connection.introspection.table_names(include_views=False)
    assert "mitmachen_cache" in tables and "django_session" in tables
    assert {"reports_report", "reports_message", "reports_attachment",
            "reports_reportkey", "messaging_message", "core_auditentry"} <= set(tables)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 (names from the DB)
            columns = [c[0] for c in cursor.description]
            values = []
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    values.append(as_bytes(value))
                    values.extend(unpacked(table, column, value))
            dump[table] = values
    return dump


def assert_database_clean():
    dump = database_dump()
    found = {table: sorted({s for v in values for s in leaks(v)})
             for table, values in dump.items()}
    found = {table: secrets for table, secrets in found.items() if secrets}
    assert found == {}, f"found in the database: {found}"
    return dump


def assert_key_store_clean(key_dir: Path, expected_files: int):
    files = [p for p in Path(key_dir).rglob("*") if p.is_file()]
    assert len(files) == expected_files
    for path in files:
        assert leaks(path.read_bytes()) == [], path
        assert leaks(str(path).encode()) == [], path


class Recorder(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def every_log(caplog):
    """Every record of every logger at DEBUG, SQL with its parameters included."""
    caplog.set_level(logging.DEBUG)
    recorder = Recorder()
    names = ["", "django", "django.request", "django.server", "django.security",
             "django.db.backends", "django.template", "mitmachen", "mitmachen.request",
             "mitmachen.reports", "py.warnings"]
    names += [n for n, lg in logging.root.manager.loggerDict.items()
              if isinstance(lg, logging.Logger)]
    touched = []
    for name in dict.fromkeys(names):
        logger = logging.getLogger(name)
        touched.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(recorder)
    debug_cursor = connection.force_debug_cursor
    connection.force_debug_cursor = True  # django.db.backends logs every query and its params
    try:
        yield recorder, caplog
    finally:
        connection.force_debug_cursor = debug_cursor
        for logger, level in touched:
            logger.removeHandler(recorder)
            logger.setLevel(level)


def assert_logs_clean(every_log):
    recorder, caplog = every_log
    records = {id(r): r for r in recorder.records + caplog.records}.values()
    assert records, "nothing was logged: the capture does not work"
    formatter = StructuredFormatter()
    for record in records:
        lines = [record.getMessage(), formatter.format(record), repr(vars(record)),
                 repr(record.args)]
        for line in lines:
            assert leaks(line.encode("utf-8", "replace")) == [], (record.name, line[:300])
    assert caplog.text == "" or leaks(caplog.text.encode()) == []
    return list(records)


def assert_mail_clean(officer_email: str):
    queued = list(Outgoing.objects.filter(to_address=officer_email))
    assert queued, "the officer was not told about the report"
    for message in Outgoing.objects.all():
        text = " ".join([message.to_address, message.to_name, message.subject,
                         message.body_text, message.body_html, json.dumps(message.headers),
                         json.dumps(message.attachments)])
        assert leaks(text.encode()) == [], message.subject
    for sent in mail.outbox:
        assert leaks(sent.message().as_bytes()) == [], sent.subject
    # Nobody wrote to the contact the reporter gave: they are reached only through the receipt.
    assert not Outgoing.objects.filter(to_address__icontains="kontaktmarker").exists()


def receipt_in(html: str) -> str:
    """The receipt from the element with id="receipt"."""
    start = html.find('id="receipt"')
    assert start != -1, "the receipt page has no element with id=receipt"
    found = RECEIPT_SHAPE.search(html, start)
    assert found, "no receipt code in the receipt element"
    return found.group(0)


def reporter_client() -> Client:
    # The defaults of every request of this client: the address and the browser to look for.
    return Client(REMOTE_ADDR=IP, HTTP_USER_AGENT=USER_AGENT)


def test_the_public_path_leaves_no_text_no_address_and_no_browser(
        world, officer, every_log, key_dir):
    user, private_key = officer
    client = reporter_client()
    url = reverse("reports:form", args=["duesseldorf"])
    page = client.get(url)
    assert page.status_code == 200
    upload = _pdf()
    response = client.post(url, {"what": KNOWN_TEXT, "when": "letzten Samstag, 14 Uhr",
                                 "where": "Rheinufer", "who": WHO, "wish": Wish.MEDIATION,
                                 "contact": CONTACT, "files": [upload]})
    assert response.status_code == 200, response.content[:500]
    receipt = receipt_in(response.content.decode())
    report = Report.objects.get(organisation=world.duesseldorf)
    assert report.attachments.count() == 1

    # The officer answers (through the services: the officers' pages are tested elsewhere).
    services.officer_reply(report=report, officer=user, private_key=private_key,
                           text=OFFICER_TEXT)

    # Another day, another browser session: the receipt alone opens the report.
    later = reporter_client()
    follow = later.post(reverse("reports:follow_up", args=["duesseldorf"]),
                        {"receipt": receipt.lower().replace("-", " ")})
    assert follow.status_code == 200
    assert OFFICER_TEXT in follow.content.decode()
    reply = later.post(reverse("reports:follow_up_reply", args=["duesseldorf"]),
                       {"receipt": receipt, "text": REPLY_TEXT})
    assert reply.status_code in (200, 302, 303)
    assert receipt not in reply.get("Location", "")
    assert Message.objects.filter(report=report, from_reporter=True).count() == 1
    opened = services.report_open(report=report, officer=user, private_key=private_key)
    assert opened.content["what"] == KNOWN_TEXT
    assert [m["text"] for m in opened.messages] == [OFFICER_TEXT, REPLY_TEXT]

    records = assert_logs_clean(every_log)
    # The capture saw the requests and the queries: a leak there would have been caught.
    assert any(r.name == "mitmachen.request" for r in records)
    assert any(r.name == "django.db.backends" for r in records)
    dump = assert_database_clean()
    assert_key_store_clean(key_dir, expected_files=1)
    assert_mail_clean(user.email)
    # The receipt is kept only as a hash; no session was written for the reporter.
    assert not any(receipt.encode() in v or receipt.replace("-", "").encode() in v
                   for values in dump.values() for v in values)
    assert dump["django_session"] == []
    for answer in (response, follow, reply):
        assert django_settings.SESSION_COOKIE_NAME not in answer.cookies
        assert "messages" not in answer.cookies


def test_reporter_pages_promise_no_caching_and_no_referrer(world, officer):
    client = reporter_client()
    url = reverse("reports:form", args=["duesseldorf"])
    answers = [client.get(url),
               client.post(url, {"what": KNOWN_TEXT, "wish": Wish.ADVICE})]
    receipt = receipt_in(answers[-1].content.decode())
    answers.append(client.post(reverse("reports:follow_up", args=["duesseldorf"]),
                               {"receipt": receipt}))
    for answer in answers:
        assert answer.status_code == 200
        assert "no-store" in answer.get("Cache-Control", "")
        assert answer.get("Referrer-Policy") == "same-origin"
        assert receipt not in answer.get("Location", "")


def test_the_services_path_leaves_no_text_no_address_and_no_browser(
        world, officer, every_log, key_dir):
    """The same without the pages: what the services, the rate limits, the e-mails and the
    case record write is free of the text and the reporter's traces."""
    user, private_key = officer
    request = RequestFactory().post("/", REMOTE_ADDR=IP, HTTP_USER_AGENT=USER_AGENT)
    org_id = world.duesseldorf.pk
    for kind in limits.LIMITS:
        assert not limits.exceeded(request, kind, org_id)
        limits.bump(request, kind, org_id)
    report, receipt = services.report_submit(
        organisation=world.duesseldorf, what=KNOWN_TEXT, when="letzten Samstag",
        where="Rheinufer", who=WHO, wish=Wish.PROCEDURE, contact=CONTACT, files=[_pdf()])
    services.officer_reply(report=report, officer=user, private_key=private_key,
                           text=OFFICER_TEXT)
    services.entry_add(report=report, officer=user, private_key=private_key, kind="note",
                       text=f"Notiz zu {KNOWN_TEXT}")
    services.report_update(report=report, officer=user, private_key=private_key,
                           status="measures", reason=f"Grund: {REPLY_TEXT}")
    found, report_key = services.reporter_open(organisation=world.duesseldorf,
                                                receipt=receipt)
    assert found == report
    seen = services.reporter_view(report=found, report_key=report_key)
    assert seen.content["what"] == KNOWN_TEXT
    assert [m["text"] for m in seen.messages] == [OFFICER_TEXT]
    services.reporter_reply(report=found, report_key=report_key, text=REPLY_TEXT)
    attachment = report.attachments.get()
    name, _type, data = services.attachment_open(attachment=attachment, officer=user,
                                                 private_key=private_key)
    assert (name, data) == (FILE_NAME, _pdf().read())

    records = assert_logs_clean(every_log)
    assert any(r.name == "django.db.backends" for r in records)
    dump = assert_database_clean()
    assert dump["mitmachen_cache"], "the rate limits wrote nothing to the cache table"
    # The rate limits' salt stays in the process: with it, a counter's name would give the
    # address away (2^32 tries), so it is in no table, the cache's included.
    salt = limits._salt()
    for table, values in dump.items():
        for value in values:
            assert salt not in value and salt.hex().encode() not in value, table
    assert_key_store_clean(key_dir, expected_files=1)
    assert_mail_clean(user.email)


def test_the_leak_detector_finds_what_it_looks_for():
    """The checks above can fail: each encoding of a secret is recognised."""
    for blob in [KNOWN_TEXT.encode(), json.dumps({"what": KNOWN_TEXT}).encode(),
                 KNOWN_TEXT.encode().hex().upper().encode(),
                 base64.b64encode(b"x" + KNOWN_TEXT.encode()),
                 repr(KNOWN_TEXT.encode()).encode(), f"from {IP}".encode(),
                 USER_AGENT.lower().encode()]:
        assert leaks(blob), blob
    assert leaks(b"nothing to see here") == []


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(FILE_NAME, PDF + FILE_MARKER, content_type="application/pdf")
