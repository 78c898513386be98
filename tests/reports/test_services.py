"""The reporting channel's services: bad input is refused with a clear message in English and
German and changes nothing; the channel refuses without a ready officer; numbers, permissions,
statuses, retention dates, audit rows and notifications behave as promised."""

import json
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from mitmachen.core import services as core
from mitmachen.core.errors import messages_of
from mitmachen.core.models import AuditEntry, TotpDevice
from mitmachen.core.roles import Role
from mitmachen.messaging.models import Message as Outgoing
from mitmachen.reports import access, services
from mitmachen.reports.models import (
    Attachment,
    CaseEntry,
    Category,
    ChannelSettings,
    Message,
    OfficerKey,
    Report,
    ReportKey,
    Status,
    Tally,
    Wish,
)

from .conftest import KNOWN_TEXT, PDF, enrol, make_officer, pdf

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
NOTE_TEXT = "Gesprächsnotiz Notizmarker-5150"
REPLY_TEXT = "Antwort Antwortmarker-6060"
REASON_TEXT = "Begründung Grundmarker-7070"
MARKERS = [KNOWN_TEXT, "XQZ-7731", "Notizmarker-5150", "Antwortmarker-6060", "Grundmarker-7070",
           "Rheinufer", "letzten Samstag"]


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.REPORTS_KEY_DIR = tmp_path / "report-keys"
    return settings.REPORTS_KEY_DIR


def key_files(key_dir) -> dict:
    return {p.name: p.read_bytes() for p in Path(key_dir).glob("*")} \
        if Path(key_dir).exists() else {}


def plain(value):
    return bytes(value) if isinstance(value, memoryview | bytearray) else value


def state(key_dir) -> dict:
    """Everything bad input must leave as it was."""
    tables = {}
    for model in (Report, ReportKey, Message, Attachment, CaseEntry, Tally, ChannelSettings,
                  OfficerKey, AuditEntry, Outgoing):
        tables[model._meta.label] = [{k: plain(v) for k, v in row.items()}
                                     for row in model.objects.order_by("pk").values()]
    tables["key files"] = key_files(key_dir)
    return tables


def refused(call, key_dir, field: str, english: str, german: str | None = None) -> None:
    """`call()` raises a ValidationError on `field` whose English message contains `english`
    (and the German one `german`, where the catalogue has it), and writes nothing."""
    before = state(key_dir)
    for language in ("en", "de"):
        with translation.override(language):
            with pytest.raises(ValidationError) as caught:
                call()
            messages = messages_of(caught.value)  # lazy messages: rendered in `language`
        assert field in messages, messages
        assert messages[field], messages
        for text in messages[field]:
            # A sentence for a person: no placeholders, no Python values, no field names.
            assert text.strip() and "%(" not in text and "{" not in text
            assert "Traceback" not in text and "object at 0x" not in text
        if language == "en":
            assert any(english in text for text in messages[field]), messages
        elif german is not None:
            assert any(german in text for text in messages[field]), messages
        assert state(key_dir) == before, f"{language}: bad input changed something"


def upload(name, data, content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def big_pdf(size):
    return upload("gross.pdf", PDF + b"\0" * (size - len(PDF)))


def valid(**changes):
    data = {"what": KNOWN_TEXT, "when": "letzten Samstag", "where": "Rheinufer", "who": "",
            "wish": Wish.ADVICE, "category": "", "contact": "", "files": ()}
    data.update(changes)
    return data


NUL = ("Null characters are not allowed.", "Nullzeichen sind nicht erlaubt.")
TEXT_CASES = [
    ("", "Please describe what happened.", None),
    ("  \n\t ", "Please describe what happened.", None),
    (None, "Please describe what happened.", None),
    ("x" * 20001, "Please keep this under 20000 characters.", None),
    ("Text mit \x00 darin", *NUL),
    (12345, "Please enter text.", None),
    (["a", "list"], "Please enter text.", None),
    ({"what": "a dict"}, "Please enter text.", None),
]
FILE_CASES = [
    (lambda: [pdf(f"{n}.pdf") for n in range(6)], "At most 5 files.", None),
    (lambda: [big_pdf(10 * MB + 1)], "The file is larger than 10 MB.",
     "Die Datei ist größer als 10 MB."),
    (lambda: [big_pdf(9 * MB) for _ in range(3)], "The files together are larger than 25 MB.",
     None),
    (lambda: [upload("rechnung.pdf", b"MZ\x90\x00" + b"\0" * 200)], "Please upload a PDF", None),
    (lambda: [upload("bild.png", b"<script>alert(1)</script>", "image/png")],
     "Please upload a PDF", None),
    (lambda: [pdf(), upload("leer.pdf", b"")], "Please choose a file.", "Bitte wähle eine Datei"),
    (lambda: "beleg.pdf", "The attachments could not be read.", None),
    (lambda: [b"%PDF-1.4 raw bytes"], "The attachments could not be read.", None),
    (lambda: 5, "The attachments could not be read.", None),
]


@pytest.mark.parametrize(("field", "value", "english", "german"), [
    *[("what", v, en, de) for v, en, de in TEXT_CASES],
    ("when", "x" * 501, "Please keep this under 500 characters.", None),
    ("when", ["gestern"], "Please enter text.", None),
    ("where", "Ort\x00", *NUL),
    ("where", 7, "Please enter text.", None),
    ("who", "x" * 2001, "Please keep this under 2000 characters.", None),
    ("contact", "x" * 501, "Please keep this under 500 characters.", None),
    ("contact", "mail\x00@example.org", *NUL),
    ("wish", "", "Please choose what you would like us to do.", None),
    ("wish", "revenge", "Please choose what you would like us to do.", None),
    ("wish", ["advice"], "Please choose what you would like us to do.", None),
    ("wish", None, "Please choose what you would like us to do.", None),
    ("wish", 1, "Please choose what you would like us to do.", None),
    ("category", "vandalism", "Please choose a category from the list.", None),
    ("category", 3, "Please choose a category from the list.", None),
    ("category", ["racism"], "Please choose a category from the list.", None),
])
def test_report_submit_refuses_bad_fields(world, officer, key_dir, field, value, english,
                                          german):
    refused(lambda: services.report_submit(organisation=world.duesseldorf,
                                           **valid(**{field: value})),
            key_dir, field, english, german)


@pytest.mark.parametrize(("files", "english", "german"), FILE_CASES)
def test_report_submit_refuses_bad_files(world, officer, key_dir, files, english, german):
    refused(lambda: services.report_submit(organisation=world.duesseldorf,
                                           **valid(files=files())),
            key_dir, "files", english, german)


def test_good_files_are_kept_encrypted(world, officer, submit):
    user, private_key = officer
    png = upload("foto.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")
    report, _receipt = submit(files=[pdf("a.pdf"), png])
    opened = services.report_open(report=report, officer=user, private_key=private_key)
    assert [(a["name"], a["type"]) for a in opened.attachments] == [
        ("a.pdf", "application/pdf"), ("foto.png", "image/png")]
    for attachment in report.attachments.all():
        assert PDF not in bytes(attachment.content)
        name, _type, data = services.attachment_open(attachment=attachment, officer=user,
                                                     private_key=private_key)
        assert data in (PDF, b"\x89PNG\r\n\x1a\n" + b"\0" * 64)


@pytest.fixture
def case(world, officer, submit):
    """A report with everything an officer or the reporter needs to act on it."""
    user, private_key = officer
    report, receipt = submit()
    found, report_key = services.reporter_open(organisation=world.duesseldorf, receipt=receipt)
    return {"report": found, "report_key": report_key, "officer": user,
            "private_key": private_key, "receipt": receipt}


def _reporter_reply(case, **kw):
    return services.reporter_reply(report=case["report"], report_key=case["report_key"], **kw)


def _officer_reply(case, **kw):
    return services.officer_reply(report=case["report"], officer=case["officer"],
                                  private_key=case["private_key"], **kw)


def _entry(case, **kw):
    return services.entry_add(report=case["report"], officer=case["officer"],
                              private_key=case["private_key"], **kw)


def _update(case, **kw):
    return services.report_update(report=case["report"], officer=case["officer"],
                                  private_key=case["private_key"], **kw)


REPLY_TEXT_CASES = [(v, "Please write something." if "describe" in en else en, de)
                    for v, en, de in TEXT_CASES]


@pytest.mark.parametrize("reply", [_reporter_reply, _officer_reply])
@pytest.mark.parametrize(("value", "english", "german"), REPLY_TEXT_CASES)
def test_replies_refuse_bad_text(case, key_dir, reply, value, english, german):
    refused(lambda: reply(case, text=value), key_dir, "text", english, german)


@pytest.mark.parametrize("reply", [_reporter_reply, _officer_reply])
@pytest.mark.parametrize(("files", "english", "german"), FILE_CASES)
def test_replies_refuse_bad_files(case, key_dir, reply, files, english, german):
    refused(lambda: reply(case, text="Hallo", files=files()), key_dir, "files", english, german)


@pytest.mark.parametrize(("value", "english", "german"), REPLY_TEXT_CASES)
def test_entry_add_refuses_bad_text(case, key_dir, value, english, german):
    refused(lambda: _entry(case, kind="note", text=value), key_dir, "text", english, german)


@pytest.mark.parametrize("kind", ["status", "access", "deadline", "", None, "memo", ["note"],
                                  7])
def test_entry_add_refuses_kinds_other_than_note_measure_decision(case, key_dir, kind):
    refused(lambda: _entry(case, kind=kind, text="Text"), key_dir, "kind",
            "Please choose note, measure or decision.")


@pytest.mark.parametrize(("changes", "field", "english", "german"), [
    ({"status": "archived"}, "status", "Unknown status.", None),
    ({"status": ["closed"]}, "status", "Unknown status.", None),
    ({"status": ""}, "status", "Unknown status.", None),
    ({"category": "vandalism"}, "category", "Please choose a category from the list.", None),
    ({"category": 4}, "category", "Please choose a category from the list.", None),
    ({"deadline": "2030-01-01"}, "deadline", "Please enter a date.", None),
    ({"deadline": 20300101}, "deadline", "Please enter a date.", None),
    ({"status": "closed", "reason": "x" * 2001}, "reason",
     "Please keep this under 2000 characters.", None),
    ({"status": "closed", "reason": "Grund\x00"}, "reason", *NUL),
    ({"status": "closed", "reason": ["Grund"]}, "reason", "Please enter text.", None),
])
def test_report_update_refuses_bad_input(case, key_dir, changes, field, english, german):
    refused(lambda: _update(case, **changes), key_dir, field, english, german)


@pytest.mark.parametrize(("changes", "field", "english", "german"), [
    ({"retention_days": 10}, "retention_days", "greater than or equal to 30",
     "größer oder gleich 30"),
    ({"retention_days": 4000}, "retention_days", "less than or equal to 3650",
     "kleiner oder gleich 3650"),
    ({"retention_days": -5}, "retention_days", "greater than or equal to", "größer oder gleich"),
    ({"retention_days": "abc"}, "retention_days", "Please enter a whole number of days.", None),
    ({"retention_days": None}, "retention_days", "Please enter a whole number of days.", None),
    ({"retention_days": [365]}, "retention_days", "Please enter a whole number of days.", None),
    ({"retention_days": True}, "retention_days", "Please enter a whole number of days.", None),
    ({"warning_days": 0}, "warning_days", "greater than or equal to 1", "größer oder gleich 1"),
    ({"warning_days": 400}, "warning_days", "less than or equal to 365",
     "kleiner oder gleich 365"),
    ({"retention_days": 60, "warning_days": 60}, "warning_days",
     "The warning must come before the deletion.", None),
    ({"introduction": "x" * 4001}, "introduction", "Please keep this under 4000 characters.",
     None),
    ({"introduction": "Hallo\x00"}, "introduction", *NUL),
    ({"introduction": ["Hallo"]}, "introduction", "Please enter text.", None),
])
def test_settings_update_refuses_bad_input(world, officer, key_dir, changes, field, english,
                                           german):
    data = {"retention_days": 365, "warning_days": 14, "introduction": "Wir hören zu."}
    data.update(changes)
    assert not ChannelSettings.objects.filter(organisation=world.duesseldorf).exists()
    refused(lambda: services.settings_update(organisation=world.duesseldorf, actor=officer[0],
                                             **data), key_dir, field, english, german)


def test_settings_update_is_for_officers_of_the_organisation(world, officer):
    for persona in ["duesseldorf_admin", "duesseldorf_board", "kassel_board"]:
        with pytest.raises(PermissionDenied):
            services.settings_update(organisation=world.duesseldorf,
                                     actor=world.users[persona], retention_days=365,
                                     warning_days=14)
    with pytest.raises(PermissionDenied):
        services.settings_update(organisation=world.kassel, actor=officer[0],
                                 retention_days=365, warning_days=14)
    row = services.settings_update(organisation=world.duesseldorf, actor=officer[0],
                                   retention_days="365", warning_days=14,
                                   introduction="  Wir hören zu.  ")
    assert (row.retention_days, row.warning_days, row.introduction) == (365, 14,
                                                                        "Wir hören zu.")
    assert AuditEntry.objects.filter(object_type="reports.channelsettings", actor=officer[0],
                                     action=AuditEntry.Action.UPDATE).exists()


# --- a channel without anyone to read it ------------------------------------------------------

def _refused_closed(organisation, key_dir):
    refused(lambda: services.report_submit(organisation=organisation, **valid()), key_dir,
            "__all__", "has not opened its reporting channel yet")


def test_a_channel_without_officers_refuses(world, key_dir):
    _refused_closed(world.kassel, key_dir)
    assert not access.channel_open(world.kassel)


def test_an_officer_without_a_key_does_not_open_the_channel(world, key_dir):
    enrol(world.users["duesseldorf_officer"])
    _refused_closed(world.duesseldorf, key_dir)


def test_an_officer_without_two_factors_does_not_open_the_channel(world, officer, key_dir):
    assert access.channel_open(world.duesseldorf)
    TotpDevice.objects.filter(user=officer[0]).delete()
    _refused_closed(world.duesseldorf, key_dir)


def test_an_inactive_officer_does_not_open_the_channel(world, officer, key_dir):
    type(officer[0]).objects.filter(pk=officer[0].pk).update(is_active=False)
    _refused_closed(world.duesseldorf, key_dir)


def test_a_key_holder_without_the_role_does_not_open_the_channel(world, key_dir):
    make_officer(world.users["duesseldorf_admin"])  # two factors and a key, but no officer
    _refused_closed(world.duesseldorf, key_dir)


# --- numbers, permissions, statuses, dates --------------------------------------------------

def kassel_officer(world):
    user = core.user_create(email="kassel_officer@example.org", name="Kassel Officer",
                            password=None)
    core.role_grant(user=user, organisation=world.kassel,
                    role=Role.ANTIDISCRIMINATION_OFFICER, actor=None)
    return user, make_officer(user)


def test_numbers_count_per_organisation(world, officer, submit):
    kassel_officer(world)
    made = [submit() for _ in range(3)]
    made += [submit(organisation=world.kassel) for _ in range(2)]
    made.append(submit())
    numbers = [(r.organisation.slug, r.number) for r, _receipt in made]
    assert numbers == [("duesseldorf", 1), ("duesseldorf", 2), ("duesseldorf", 3),
                       ("kassel", 1), ("kassel", 2), ("duesseldorf", 4)]
    year = timezone.localdate().year
    assert made[2][0].reference == f"{year}-0003"
    assert len({receipt for _r, receipt in made}) == 6
    assert len({r.key_name for r, _receipt in made}) == 6


def test_another_organisations_report_is_closed_to_an_officer(world, officer, submit):
    user, private_key = officer
    other_user, other_key = kassel_officer(world)
    report, _receipt = submit(organisation=world.kassel, files=[pdf()])
    attachment = report.attachments.get()
    before = state_of(report)
    # Neither with their own key nor with the Kassel officer's key (say, stolen).
    for key in (private_key, other_key):
        calls = [
            partial(services.report_open, report=report, officer=user, private_key=key),
            partial(services.officer_reply, report=report, officer=user, private_key=key,
                    text="Hallo"),
            partial(services.entry_add, report=report, officer=user, private_key=key,
                    kind="note", text="Notiz"),
            partial(services.report_update, report=report, officer=user, private_key=key,
                    status=Status.CLOSED),
            partial(services.attachment_open, attachment=attachment, officer=user,
                    private_key=key),
        ]
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()
    assert state_of(report) == before
    assert services.report_open(report=report, officer=other_user,
                                private_key=other_key).content["what"] == KNOWN_TEXT


def state_of(report):
    report.refresh_from_db()
    return (report.status, report.expires_on, report.messages.count(), report.entries.count(),
            AuditEntry.objects.count())


@pytest.mark.parametrize("action", ["reporter_reply", "officer_reply", "note", "update"])
def test_activity_moves_the_deletion_date_and_clears_the_warning(case, action):
    report = case["report"]
    today = timezone.localdate()
    Report.objects.filter(pk=report.pk).update(
        last_activity_on=today - timedelta(days=700), expires_on=today + timedelta(days=30),
        warned_on=today - timedelta(days=1))
    report.refresh_from_db()
    {"reporter_reply": lambda: _reporter_reply(case, text="Noch etwas"),
     "officer_reply": lambda: _officer_reply(case, text="Danke"),
     "note": lambda: _entry(case, kind="note", text="Notiz"),
     "update": lambda: _update(case, status=Status.CLOSED)}[action]()
    report.refresh_from_db()
    assert report.last_activity_on == today
    assert report.expires_on == today + timedelta(days=730)
    assert report.warned_on is None


def test_reading_is_no_activity(case):
    report = case["report"]
    soon = timezone.localdate() + timedelta(days=3)
    Report.objects.filter(pk=report.pk).update(expires_on=soon)
    services.report_open(report=report, officer=case["officer"],
                         private_key=case["private_key"])
    services.reporter_view(report=report, report_key=case["report_key"])
    report.refresh_from_db()
    assert report.expires_on == soon


def test_an_officer_reply_takes_a_new_report_into_progress(case):
    report = case["report"]
    assert report.status == Status.NEW
    _officer_reply(case, text="Wir kümmern uns.")
    report.refresh_from_db()
    assert report.status == Status.IN_PROGRESS
    assert report.unread_by_reporter
    # The case record shows the change like any other (content decrypted by the officer).
    opened = services.report_open(report=report, officer=case["officer"],
                                  private_key=case["private_key"])
    assert [e["kind"] for e in opened.entries] == ["status"]
    _update(case, status=Status.MEASURES)
    _officer_reply(case, text="Noch eine Antwort")
    report.refresh_from_db()
    assert report.status == Status.MEASURES  # a later reply takes nothing back
    opened = services.reporter_view(report=report, report_key=case["report_key"])
    assert [m["text"] for m in opened.messages] == ["Wir kümmern uns.", "Noch eine Antwort"]
    assert opened.entries == []  # the case record is the officers' own


@pytest.mark.parametrize("start", [Status.NEW, Status.IN_PROGRESS])
def test_a_measure_marks_measures_taken(case, start):
    report = case["report"]
    Report.objects.filter(pk=report.pk).update(status=start)
    _entry(case, kind="note", text="Nur eine Notiz")
    report.refresh_from_db()
    assert report.status == start
    _entry(case, kind="measure", text="Gespräch mit der Person geführt")
    report.refresh_from_db()
    assert report.status == Status.MEASURES
    opened = services.report_open(report=report, officer=case["officer"],
                                  private_key=case["private_key"])
    assert [(e["kind"], e["text"]) for e in opened.entries] == [
        ("note", "Nur eine Notiz"), ("measure", "Gespräch mit der Person geführt")]


def test_report_update_records_each_change_with_its_reason(case):
    report = case["report"]
    deadline = timezone.localdate() + timedelta(days=14)
    _update(case, status=Status.IN_PROGRESS, category=Category.RACISM, deadline=deadline,
            reason=REASON_TEXT)
    report.refresh_from_db()
    assert (report.status, report.category, report.deadline) == (
        Status.IN_PROGRESS, Category.RACISM, deadline)
    opened = services.report_open(report=report, officer=case["officer"],
                                  private_key=case["private_key"])
    kinds = [e["kind"] for e in opened.entries]
    assert kinds == ["status", "decision", "deadline"]
    assert all(REASON_TEXT in e["text"] for e in opened.entries)
    # Nothing changed: no entry, no audit row.
    audits = AuditEntry.objects.count()
    _update(case, status=Status.IN_PROGRESS, category=Category.RACISM, deadline=deadline)
    assert report.entries.count() == 3 and AuditEntry.objects.count() == audits
    _update(case, deadline=None)
    report.refresh_from_db()
    assert report.deadline is None


def test_officer_actions_are_audited_without_any_content(case):
    report, user = case["report"], case["officer"]
    attachment_report, _r = services.report_submit(organisation=report.organisation,
                                                   **valid(files=[pdf()]))
    start = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    services.report_open(report=report, officer=user, private_key=case["private_key"])
    _officer_reply(case, text=REPLY_TEXT)
    _entry(case, kind="decision", text=NOTE_TEXT)
    _update(case, status=Status.CLOSED, reason=REASON_TEXT)
    services.attachment_open(attachment=attachment_report.attachments.get(), officer=user,
                             private_key=case["private_key"])
    rows = list(AuditEntry.objects.filter(pk__gt=start).order_by("pk"))
    assert [(r.action, r.object_type) for r in rows] == [
        (AuditEntry.Action.VIEW, "reports.report"),
        (AuditEntry.Action.CREATE, "reports.message"),
        (AuditEntry.Action.CREATE, "reports.caseentry"),
        (AuditEntry.Action.UPDATE, "reports.report"),
        (AuditEntry.Action.VIEW, "reports.report"),
    ]
    assert all(r.actor == user for r in rows)
    assert all(r.organisation == report.organisation for r in rows)
    assert rows[3].changes == {"status": [Status.NEW, Status.CLOSED]} or \
        rows[3].changes == {"status": [Status.IN_PROGRESS, Status.CLOSED]}
    for row in AuditEntry.objects.all():
        text = json.dumps([row.object_repr, row.changes, row.actor_label, row.object_id],
                          ensure_ascii=False)
        assert not [m for m in MARKERS if m in text], text


def test_the_reporter_leaves_no_audit_row(world, officer, submit):
    before = AuditEntry.objects.count()
    report, receipt = submit(files=[pdf()])
    found, key = services.reporter_open(organisation=world.duesseldorf, receipt=receipt)
    services.reporter_view(report=found, report_key=key)
    services.reporter_reply(report=found, report_key=key, text="Noch etwas")
    services.attachment_open(attachment=report.attachments.get(), report_key=key)
    assert AuditEntry.objects.count() == before


def test_notifications_say_only_that_something_arrived(world, officer, submit):
    user = officer[0]
    second, _key = make_second_officer(world)
    setup = Outgoing.objects.count()  # the readers were told about the second officer
    report, receipt = submit(category=Category.SEXISM, wish=Wish.PROCEDURE,
                             contact="kontakt@example.net")
    new = list(Outgoing.objects.order_by("pk"))[setup:]
    assert sorted(m.to_address for m in new) == sorted([user.email, second.email])
    found, key = services.reporter_open(organisation=world.duesseldorf, receipt=receipt)
    services.reporter_reply(report=found, report_key=key, text=REPLY_TEXT)
    later = list(Outgoing.objects.order_by("pk"))[setup + len(new):]
    assert sorted(m.to_address for m in later) == sorted([user.email, second.email])

    forbidden = MARKERS + [report.reference, f"#{report.number}", receipt,
                           "kontakt@example.net", Category.SEXISM.label, "Sexismus",
                           Wish.PROCEDURE.label, "procedure", "sexism"]
    for message in Outgoing.objects.all():
        text = " ".join([message.subject, message.body_text, message.body_html,
                         json.dumps(message.headers), json.dumps(message.attachments)])
        assert not [f for f in forbidden if f.lower() in text.lower()], text
        assert message.attachments == []
    # Nobody writes to the contact the reporter gave, and officers' answers notify no one.
    count = Outgoing.objects.count()
    services.officer_reply(report=found, officer=user, private_key=officer[1], text="Danke")
    assert Outgoing.objects.count() == count
    assert not Outgoing.objects.filter(to_address="kontakt@example.net").exists()


def make_second_officer(world):
    user = core.user_create(email="second_officer@example.org", name="Second Officer",
                            password=None)
    core.role_grant(user=user, organisation=world.duesseldorf,
                    role=Role.ANTIDISCRIMINATION_OFFICER, actor=None)
    return user, make_officer(user)


def test_the_tally_counts_each_report_once_and_follows_its_category(world, officer, submit):
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    submit(category=Category.RACISM)
    report, _r = submit(category=Category.RACISM)
    submit()  # no category: "other"

    def tally():
        return dict(Tally.objects.filter(organisation=world.duesseldorf, year=today.year,
                                         quarter=quarter).values_list("category", "count"))

    assert {k: v for k, v in tally().items() if v} == {"racism": 2, "other": 1}
    services.report_update(report=report, officer=officer[0], private_key=officer[1],
                           category=Category.SEXISM)
    assert {k: v for k, v in tally().items() if v} == {"racism": 1, "sexism": 1, "other": 1}


def test_the_deadline_must_be_a_date(case):
    _update(case, deadline=date(2030, 1, 31))
    case["report"].refresh_from_db()
    assert case["report"].deadline == date(2030, 1, 31)


def test_a_deleted_reports_number_is_never_given_again(world, officer, submit):
    from mitmachen.reports.retention import report_delete

    first, _receipt = submit()
    second, _receipt = submit()
    report_delete(report=second, actor=officer[0], reason="test")
    third, _receipt = submit()
    assert (first.number, second.number, third.number) == (1, 2, 3)


# --- a ciphertext moved elsewhere is never shown (domain separation) -------------------------

def _swap_world(world, officer, submit):
    user, private_key = officer
    report, receipt = submit(files=[pdf("erste.pdf")])
    services.officer_reply(report=report, officer=user, private_key=private_key,
                           text="Antwort an die meldende Person")
    services.entry_add(report=report, officer=user, private_key=private_key, kind="note",
                       text="INTERN: Zeugin sagt etwas anderes")
    found, report_key = services.reporter_open(organisation=world.duesseldorf, receipt=receipt)
    services.reporter_reply(report=found, report_key=report_key, text="Danke",
                            files=[pdf("zweite.pdf")])
    return report, receipt, report_key


def _reporter_sees(world, receipt) -> services.Opened:
    found, report_key = services.reporter_open(organisation=world.duesseldorf, receipt=receipt)
    return services.reporter_view(report=found, report_key=report_key)


def test_an_internal_note_moved_into_the_conversation_is_not_shown(world, officer, submit):
    report, receipt, _key = _swap_world(world, officer, submit)
    note = CaseEntry.objects.get(report=report, kind="note")
    Message.objects.create(report=report, from_reporter=False, author=officer[0],
                           body=bytes(note.body))
    seen = _reporter_sees(world, receipt)
    assert [m["text"] for m in seen.messages] == ["Antwort an die meldende Person", "Danke"]
    assert seen.corrupted == 1
    assert "INTERN" not in json.dumps([m["text"] for m in seen.messages])


def test_a_message_turned_round_or_moved_is_not_shown(world, officer, submit):
    user, private_key = officer
    report, receipt, _key = _swap_world(world, officer, submit)
    answer = Message.objects.get(report=report, from_reporter=False)
    # The officer's answer now claims to come from the reporter.
    Message.objects.filter(pk=answer.pk).update(from_reporter=True)
    opened = services.report_open(report=report, officer=user, private_key=private_key)
    assert [m["text"] for m in opened.messages] == ["Danke"] and opened.corrupted == 1
    Message.objects.filter(pk=answer.pk).update(from_reporter=False)
    # A message of another report of the same organisation (another content key) opens
    # nowhere else either.
    other, _r = submit(what="Ein anderer Bericht")
    Message.objects.filter(pk=answer.pk).update(report=other)
    opened = services.report_open(report=other, officer=user, private_key=private_key)
    assert opened.messages == [] and opened.corrupted == 1


def test_an_entry_of_another_kind_is_not_shown(world, officer, submit):
    user, private_key = officer
    report, _receipt, _key = _swap_world(world, officer, submit)
    CaseEntry.objects.filter(report=report, kind="note").update(kind="decision")
    opened = services.report_open(report=report, officer=user, private_key=private_key)
    # Only the note was moved; the status change of the first answer still opens.
    assert [e["kind"] for e in opened.entries] == ["status"] and opened.corrupted == 1


def test_swapped_files_and_payloads_are_refused(world, officer, submit):
    user, private_key = officer
    report, receipt, report_key = _swap_world(world, officer, submit)
    first, second = Attachment.objects.filter(report=report).order_by("pk")
    assert services.attachment_open(attachment=first, report_key=report_key)[0] == "erste.pdf"
    # The contents swapped: each name would show the other file.
    Attachment.objects.filter(pk=first.pk).update(content=bytes(second.content))
    first.refresh_from_db()
    with pytest.raises(services.ReportCorrupted):
        services.attachment_open(attachment=first, report_key=report_key)
    # An officer's file meta (another side) in the reporter's file.
    Attachment.objects.filter(pk=second.pk).update(from_reporter=False)
    seen = _reporter_sees(world, receipt)
    # The first one's name is its own (it refuses when opened, above); the second is left out.
    assert [a["name"] for a in seen.attachments] == ["erste.pdf"] and seen.corrupted == 1
    # The report's own text replaced by a message's ciphertext: the report does not open.
    answer = Message.objects.get(report=report, from_reporter=False)
    Report.objects.filter(pk=report.pk).update(payload=bytes(answer.body))
    report.refresh_from_db()
    with pytest.raises(services.ReportCorrupted):
        services.report_open(report=report, officer=user, private_key=private_key)
    assert issubclass(services.ReportCorrupted, services.ReportGone)  # pages handle it so


# --- no exact times for the report ------------------------------------------------------------

def test_the_rows_made_at_submission_keep_only_the_day(world, officer, submit):
    settings_row = services.channel_settings(world.duesseldorf)
    settings_updated = ChannelSettings.objects.get(pk=settings_row.pk).updated_at
    report, receipt = submit(files=[pdf()])
    day = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    report.refresh_from_db()
    assert (report.created_at, report.updated_at) == (day, day)
    assert {row.created_at for row in ReportKey.objects.filter(report=report)} == {day}
    assert {(a.created_at, a.updated_at) for a in Attachment.objects.filter(report=report)} \
        == {(day, day)}
    # The counter moved, the settings row's time did not.
    row = ChannelSettings.objects.get(pk=settings_row.pk)
    assert row.last_number == 1 and row.updated_at == settings_updated

    # The reporter's later message keeps only its hour, and the report its time.
    found, report_key = services.reporter_open(organisation=world.duesseldorf, receipt=receipt)
    message = services.reporter_reply(report=found, report_key=report_key, text="Noch etwas",
                                      files=[pdf()])
    message.refresh_from_db()
    assert (message.created_at.minute, message.created_at.second,
            message.created_at.microsecond) == (0, 0, 0)
    assert message.updated_at == message.created_at
    assert {a.created_at for a in Attachment.objects.filter(message=message)} == \
        {message.created_at}
    report.refresh_from_db()
    assert report.updated_at == day and report.unread_by_officers


def test_a_channel_settings_row_made_by_the_first_report_keeps_only_the_day(world, officer,
                                                                            submit):
    assert not ChannelSettings.objects.filter(organisation=world.duesseldorf).exists()
    submit()
    row = ChannelSettings.objects.get(organisation=world.duesseldorf)
    local = timezone.localtime(row.created_at)
    assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    assert row.updated_at == row.created_at
