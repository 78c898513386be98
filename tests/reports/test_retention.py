"""Retention: an expired report is deleted for good, its shredding key destroyed, so that a
backup of the database no longer decrypts it, not even for its officer; officers are warned
once before; activity and a new retention period move the dates."""

import json
import os
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mitmachen.core.models import AuditEntry
from mitmachen.messaging.models import Message as Outgoing
from mitmachen.reports import crypto, keystore, retention, services
from mitmachen.reports.models import (
    Attachment,
    CaseEntry,
    Category,
    Message,
    Report,
    ReportKey,
    Tally,
)

from .conftest import KNOWN_TEXT, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.REPORTS_KEY_DIR = tmp_path / "report-keys"
    return settings.REPORTS_KEY_DIR


@pytest.fixture
def run_expire(django_capture_on_commit_callbacks):
    """retention.expire with its after-commit work (destroying key files) carried out."""

    def _run(**kw):
        with django_capture_on_commit_callbacks(execute=True):
            return retention.expire(**kw)

    return _run


def busy_report(submit, officer, **fields):
    """A report with a file, a message each way and a note."""
    user, private_key = officer
    report, receipt = submit(files=[pdf()], **fields)
    services.officer_reply(report=report, officer=user, private_key=private_key,
                           text="Wir melden uns")
    found, key = services.reporter_open(organisation=report.organisation, receipt=receipt)
    services.reporter_reply(report=found, report_key=key, text="Danke")
    services.entry_add(report=report, officer=user, private_key=private_key, kind="note",
                       text="Notiz")
    report.refresh_from_db()
    return report, receipt


def backup_of(report: Report) -> dict:
    """What a database backup keeps of a report: its bytes and its wrapped keys."""
    report.refresh_from_db()
    return {
        "payload": bytes(report.payload),
        "receipt_wrap": bytes(report.receipt_wrap),
        "key_name": report.key_name,
        "wrapped": [(row.officer_id, bytes(row.wrapped)) for row in report.keys.all()],
        "messages": [bytes(m.body) for m in report.messages.all()],
        "files": [bytes(a.content) for a in report.attachments.all()],
    }


def read_backup(backup: dict, officer_id: int, private_key: bytes) -> str:
    """The officer's way into a backup: unwrap the report key, fetch the shredding key."""
    [wrapped] = [w for o, w in backup["wrapped"] if o == officer_id]
    report_key = crypto.unwrap(private_key, wrapped)
    shred = keystore.read(backup["key_name"])
    if shred is None:
        raise crypto.DecryptionError("no shredding key")
    return json.dumps(crypto.open_value(crypto.content_key(report_key, shred), "payload",
                                        backup["payload"], report=backup["key_name"],
                                        kind="report"), ensure_ascii=False)


def test_an_expired_report_is_deleted_with_its_key(world, officer, submit, run_expire,
                                                    key_dir):
    user, private_key = officer
    report, receipt = busy_report(submit, officer, category=Category.RACISM)
    keeper, _r = submit(what="Bleibt noch")
    Report.objects.filter(pk=keeper.pk).update(expires_on=report.expires_on + timedelta(days=1))
    tally = list(Tally.objects.values_list("year", "quarter", "category", "count"))
    key_file = key_dir / f"{report.key_name}.key"
    assert key_file.exists()
    assert retention.expire(today=report.expires_on - timedelta(days=1))[0] == 0

    report.refresh_from_db()
    assert report.warned_on == report.expires_on - timedelta(days=1)  # warned, not deleted
    deleted, _warned = run_expire(today=report.expires_on)
    assert deleted == 1
    assert not Report.objects.filter(pk=report.pk).exists()
    for model in (ReportKey, Message, Attachment, CaseEntry):
        assert not model.objects.filter(report_id=report.pk).exists(), model
    assert not key_file.exists()
    assert keystore.read(report.key_name) is None
    assert (key_dir / f"{keeper.key_name}.key").exists()
    assert Report.objects.filter(pk=keeper.pk).exists()
    # The statistics keep counting it.
    assert list(Tally.objects.values_list("year", "quarter", "category", "count")) == tally

    # A row in the audit log says that it happened, and nothing about the case.
    row = AuditEntry.objects.get(action=AuditEntry.Action.DELETE, object_type="reports.report",
                                 object_id=str(report.pk))
    assert row.actor is None and report.reference in row.object_repr
    assert KNOWN_TEXT not in row.object_repr and "XQZ" not in str(row.changes)
    assert "Wir melden uns" not in row.object_repr

    # The receipt finds nothing any more.
    with pytest.raises(ValidationError):
        services.reporter_open(organisation=world.duesseldorf, receipt=receipt)
    # Safe to run again.
    assert run_expire(today=report.expires_on) == (0, 0)


def test_a_backup_no_longer_decrypts_once_the_report_expired(world, officer, submit,
                                                              run_expire):
    user, private_key = officer
    report, receipt = busy_report(submit, officer)
    backup = backup_of(report)
    # Before: the backup plus the key store opens it, for the officer and for the reporter.
    assert KNOWN_TEXT in read_backup(backup, user.pk, private_key)
    report_key = crypto.unseal(crypto.receipt_key(receipt), backup["receipt_wrap"])
    content = crypto.content_key(report_key, keystore.read(backup["key_name"]))
    [attachment] = Attachment.objects.filter(report=report)
    meta = crypto.open_value(content, "file_meta", attachment.meta, report=report.key_name,
                             kind="reporter")
    assert crypto.open_bytes(content, "file_content", backup["files"][0],
                             report=report.key_name,
                             kind=f"reporter:{meta['id']}").startswith(b"%PDF")

    assert run_expire(today=report.expires_on - timedelta(days=1)) == (0, 1)
    assert run_expire(today=report.expires_on) == (1, 0)

    # After: the officer still unwraps the report key from the backup's rows ...
    [wrapped] = [w for o, w in backup["wrapped"] if o == user.pk]
    assert crypto.unwrap(private_key, wrapped) == report_key
    # ... but the shredding key is gone, and without it nothing opens.
    with pytest.raises(crypto.DecryptionError):
        read_backup(backup, user.pk, private_key)
    for blob in [backup["payload"], *backup["messages"], *backup["files"]]:
        for key in (report_key, crypto.receipt_key(receipt), content[::-1],
                    crypto.content_key(report_key, b"\0" * 32)):
            for candidate in [key] + [crypto.subkey(key, p) for p in crypto.PURPOSES]:
                with pytest.raises(crypto.DecryptionError):
                    crypto.unseal(candidate, blob)
    # Restoring the rows changes nothing either: a restored report says it is gone.
    restored = Report.objects.create(
        organisation=world.duesseldorf, number=99, key_name=backup["key_name"],
        received_on=report.received_on, last_activity_on=report.last_activity_on,
        expires_on=report.expires_on + timedelta(days=999), payload=backup["payload"],
        receipt_lookup=report.receipt_lookup, receipt_wrap=backup["receipt_wrap"])
    ReportKey.objects.create(report=restored, officer=user, wrapped=wrapped)
    with pytest.raises(services.ReportGone):
        services.report_open(report=restored, officer=user, private_key=private_key)
    with pytest.raises(ValidationError):
        services.reporter_open(organisation=world.duesseldorf, receipt=receipt)


def test_officers_are_warned_once_and_again_after_activity(world, officer, submit, run_expire):
    user, private_key = officer
    report, _r = submit()
    later, _r = submit(what="Noch lange nicht fällig")
    today = timezone.localdate()
    # Due in 20 days, inside the default warning period of 30; the other one is far off.
    Report.objects.filter(pk=report.pk).update(expires_on=today + timedelta(days=20))
    Report.objects.filter(pk=later.pk).update(expires_on=today + timedelta(days=1000))
    sent = Outgoing.objects.count()

    assert run_expire(today=today - timedelta(days=11)) == (0, 0)
    assert Outgoing.objects.count() == sent

    assert run_expire(today=today) == (0, 1)
    warnings = list(Outgoing.objects.order_by("pk"))[sent:]
    assert [m.to_address for m in warnings] == [user.email]
    body = warnings[0].subject + warnings[0].body_text
    assert KNOWN_TEXT not in body and "XQZ" not in body and report.reference not in body
    report.refresh_from_db()
    assert report.warned_on == today
    later.refresh_from_db()
    assert later.warned_on is None

    # The second run (the same day, or the next) warns nobody again.
    assert run_expire(today=today) == (0, 0)
    assert run_expire(today=today + timedelta(days=1)) == (0, 0)
    assert Outgoing.objects.count() == sent + 1

    # Activity clears the warning and moves the date: the next warning is a new one.
    services.officer_reply(report=report, officer=user, private_key=private_key, text="Hallo")
    report.refresh_from_db()
    assert report.warned_on is None
    assert report.expires_on == today + timedelta(days=730)
    assert run_expire(today=today + timedelta(days=2)) == (0, 0)
    assert run_expire(today=today + timedelta(days=700)) == (0, 1)
    assert Outgoing.objects.count() == sent + 2


def test_an_officer_without_a_key_to_the_report_is_not_warned(world, officer, submit,
                                                              run_expire):
    from .test_crypto import new_officer

    report, _r = submit()
    newcomer, _key = new_officer(world, "newcomer")  # has no key to the earlier report
    sent = Outgoing.objects.count()
    run_expire(today=report.expires_on - timedelta(days=1))
    assert [m.to_address for m in list(Outgoing.objects.order_by("pk"))[sent:]] == \
        [officer[0].email]


def test_a_new_retention_period_recomputes_every_date(world, officer, submit, run_expire):
    user, _key = officer
    report, _r = submit()
    today = timezone.localdate()
    Report.objects.filter(pk=report.pk).update(last_activity_on=today - timedelta(days=50),
                                               warned_on=today)
    services.settings_update(organisation=world.duesseldorf, actor=user, retention_days=90,
                             warning_days=7)
    report.refresh_from_db()
    assert report.expires_on == today + timedelta(days=40)
    assert report.warned_on is None
    # The new warning period applies too: not yet at 8 days before, at 7 days before.
    assert run_expire(today=report.expires_on - timedelta(days=8)) == (0, 0)
    assert run_expire(today=report.expires_on - timedelta(days=7)) == (0, 1)
    # A shorter period never makes a report due at once: it keeps a full warning period from
    # today, is warned, and goes only when that has passed.
    services.settings_update(organisation=world.duesseldorf, actor=user, retention_days=40,
                             warning_days=7)
    report.refresh_from_db()
    assert report.expires_on == today + timedelta(days=7)
    assert report.warned_on is None
    assert run_expire(today=today) == (0, 1)
    assert run_expire(today=today + timedelta(days=6)) == (0, 0)
    # New reports take the organisation's period.
    fresh, _r = submit()
    assert fresh.expires_on == today + timedelta(days=40)
    assert run_expire(today=today + timedelta(days=7)) == (1, 0)
    assert Report.objects.filter(pk=fresh.pk).exists()


def test_report_delete_by_hand_destroys_the_key(world, officer, submit,
                                                django_capture_on_commit_callbacks, key_dir):
    user, private_key = officer
    report, _r = submit()
    with django_capture_on_commit_callbacks(execute=True):
        retention.report_delete(report=report, actor=user, reason="Auf Wunsch gelöscht")
    assert keystore.read(report.key_name) is None
    assert list(key_dir.glob("*.key")) == []
    row = AuditEntry.objects.get(action=AuditEntry.Action.DELETE, object_type="reports.report")
    assert row.actor == user and row.object_repr == "Auf Wunsch gelöscht"
    assert not Report.objects.exists()


def test_purge_removes_only_old_orphan_key_files(world, officer, submit, key_dir):
    report, _r = submit()
    old_orphan, young_orphan = "a" * 32, "b" * 32
    keystore.create(old_orphan)
    keystore.create(young_orphan)
    two_hours_ago = time.time() - 2 * 3600
    for name in (old_orphan, report.key_name):  # the report's own file is old as well
        os.utime(key_dir / f"{name}.key", (two_hours_ago, two_hours_ago))
    (key_dir / "notes.txt").write_text("not a key")
    os.utime(key_dir / "notes.txt", (two_hours_ago, two_hours_ago))

    assert retention.purge_orphan_keys() == 1
    assert keystore.read(old_orphan) is None
    assert keystore.read(young_orphan) is not None
    assert keystore.read(report.key_name) is not None
    assert (key_dir / "notes.txt").exists()
    assert retention.purge_orphan_keys() == 0


def test_a_destroyed_key_file_is_overwritten_before_it_goes(key_dir):
    name = "c" * 32
    key = keystore.create(name)
    path = key_dir / f"{name}.key"
    assert path.read_bytes() == key
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert oct(key_dir.stat().st_mode & 0o777) == oct(0o700)
    # A second name for the same file (what a snapshot or a stray hard link would keep) sees
    # the bytes that were on disk when the name went: zeros, not the key.
    twin = key_dir / "twin"
    os.link(path, twin)
    keystore.destroy(name)
    assert not path.exists()
    assert twin.read_bytes() == b"\0" * crypto.KEY_SIZE
    keystore.destroy(name)  # twice is fine


def test_nothing_is_deleted_unwarned(world, officer, submit, run_expire):
    """A report past its date that was never warned (a shorter period, a command that did not
    run) is warned now and kept for the warning period from today."""
    user, _key = officer
    report, _r = submit()
    today = timezone.localdate()
    Report.objects.filter(pk=report.pk).update(expires_on=today - timedelta(days=100))
    sent = Outgoing.objects.count()
    assert run_expire(today=today) == (0, 1)
    report.refresh_from_db()
    assert report.warned_on == today
    assert report.expires_on == today + timedelta(days=30)  # the default warning period
    assert [m.to_address for m in list(Outgoing.objects.order_by("pk"))[sent:]] == [user.email]
    assert run_expire(today=today + timedelta(days=29)) == (0, 0)
    assert run_expire(today=today + timedelta(days=30)) == (1, 0)
    assert not Report.objects.filter(pk=report.pk).exists()


def test_a_settings_change_keeps_a_full_warning_period(world, officer, submit):
    user, _key = officer
    report, _r = submit()
    today = timezone.localdate()
    Report.objects.filter(pk=report.pk).update(last_activity_on=today - timedelta(days=600))
    services.settings_update(organisation=world.duesseldorf, actor=user, retention_days=30,
                             warning_days=10)
    report.refresh_from_db()
    assert report.expires_on == today + timedelta(days=10)
    # Saving the same settings again moves nothing and keeps a warning that was given.
    Report.objects.filter(pk=report.pk).update(warned_on=today)
    services.settings_update(organisation=world.duesseldorf, actor=user, retention_days=30,
                             warning_days=10, introduction="Neu")
    report.refresh_from_db()
    assert (report.expires_on, report.warned_on) == (today + timedelta(days=10), today)
    row = AuditEntry.objects.filter(object_type="reports.channelsettings").order_by("pk").last()
    assert row.actor == user


def test_only_an_officer_holding_the_report_deletes_it_early(world, officer, submit,
                                                             django_capture_on_commit_callbacks):
    from django.core.exceptions import PermissionDenied

    from .test_crypto import new_officer

    report, _r = submit()
    newcomer, _key = new_officer(world, "newcomer")  # no key to the earlier report
    for actor in (world.users["duesseldorf_admin"], world.users["duesseldorf_board"], newcomer):
        with pytest.raises(PermissionDenied):
            retention.report_delete(report=report, actor=actor, reason="weg damit")
    assert Report.objects.filter(pk=report.pk).exists()
    assert keystore.read(report.key_name) is not None
    with django_capture_on_commit_callbacks(execute=True):
        retention.report_delete(report=report, actor=officer[0], reason="Auf Wunsch")
    assert not Report.objects.filter(pk=report.pk).exists()


def test_an_existing_key_folder_is_made_private(key_dir):
    key_dir.mkdir(mode=0o755, parents=True)
    key_dir.chmod(0o755)
    keystore.create("d" * 32)
    assert oct(key_dir.stat().st_mode & 0o777) == oct(0o700)
