"""Who reads a report: only officers of that very organisation whom a reader approved (the
first of a channel excepted), and every change to who could read is e-mailed to the readers.

The attack these tests stand against: someone who manages roles (an administrator) appoints
an account they control as officer, and from then on every new report is encrypted for it.
"""

import time

import pyotp
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import RequestFactory
from nacl.public import PrivateKey

from mitmachen.core import mfa
from mitmachen.core import services as core
from mitmachen.core.models import AuditEntry, RoleAssignment, TotpDevice
from mitmachen.core.roles import Role
from mitmachen.messaging.models import Message as Outgoing
from mitmachen.reports import access, services
from mitmachen.reports.models import Reader, ReportKey

from .conftest import KNOWN_TEXT, PASSPHRASE, code_for, enrol, make_officer

pytestmark = pytest.mark.django_db
OFFICER = Role.ANTIDISCRIMINATION_OFFICER
OTHER_PASSPHRASE = "Kiefernwald am Morgen 1848"


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.REPORTS_KEY_DIR = tmp_path / "report-keys"
    return settings.REPORTS_KEY_DIR


def appoint(world, name, organisation=None, *, actor=None):
    """A new account with the officer role (as an administrator would make it)."""
    user = core.user_create(email=f"{name}@example.org", name=name, password=None)
    core.role_grant(user=user, organisation=organisation or world.duesseldorf, role=OFFICER,
                    actor=actor)
    return user


def ready(user, passphrase=OTHER_PASSPHRASE) -> bytes:
    """Two factors and a key, the way an officer sets them up (no approval shortcut)."""
    return make_officer(user, passphrase, approve=False)


def mails_since(count: int) -> list:
    return list(Outgoing.objects.order_by("pk"))[count:]


def is_readers_mail(message) -> bool:
    """The readers-changed e-mail is the one that links to the officers' list."""
    return "/reports/access/" in message.body_text


def readers_changed_to(since: int) -> list[str]:
    return sorted(m.to_address for m in mails_since(since) if is_readers_mail(m))


# --- approval -------------------------------------------------------------------------------

def test_an_appointed_officer_reads_nothing_until_a_reader_approves(world, officer, submit):
    first, first_key = officer
    earlier, _r = submit()
    admin = world.users["duesseldorf_admin"]
    sent = Outgoing.objects.count()
    puppet = appoint(world, "puppet", actor=admin)
    puppet_key = ready(puppet)
    # The reader was told, twice (appointed; key made), and the puppet is only waiting.
    assert first.email in readers_changed_to(sent)
    assert access.pending_readers(world.duesseldorf) == [puppet]
    assert [k.user for k in access.readers_of(world.duesseldorf)] == [first]

    later, _r = submit(what="Nach der Ernennung")
    assert not ReportKey.objects.filter(officer=puppet).exists()
    for report in (earlier, later):
        with pytest.raises(PermissionDenied):
            services.report_open(report=report, officer=puppet, private_key=puppet_key)
    # The puppet cannot approve itself, nor another one, nor change the retention period.
    with pytest.raises(PermissionDenied):
        access.reader_approve(organisation=world.duesseldorf, approver=puppet,
                              private_key=puppet_key, officer=puppet)
    with pytest.raises(PermissionDenied):
        services.settings_update(organisation=world.duesseldorf, actor=puppet,
                                 retention_days=30, warning_days=1)

    # A reader approves: every report they can read is granted, and new ones reach the new
    # reader too.
    sent = Outgoing.objects.count()
    assert access.reader_approve(organisation=world.duesseldorf, approver=first,
                                 private_key=first_key, officer=puppet) == 2
    row = Reader.objects.get(organisation=world.duesseldorf, user=puppet)
    assert row.approved_by == first and row.approved_at
    assert readers_changed_to(sent) == sorted([first.email, puppet.email])
    assert access.pending_readers(world.duesseldorf) == []
    assert services.report_open(report=earlier, officer=puppet,
                                private_key=puppet_key).content["what"] == KNOWN_TEXT
    newest, _r = submit(what="Nach der Freigabe")
    assert services.report_open(report=newest, officer=puppet,
                                private_key=puppet_key).content["what"] == "Nach der Freigabe"
    audit = AuditEntry.objects.filter(action=AuditEntry.Action.GRANT, actor=first
                                      ).order_by("pk").last()
    assert audit.changes["reader"] == [False, True] and audit.changes["reports"] == [None, 2]
    # Approving again changes nothing and tells nobody.
    sent = Outgoing.objects.count()
    assert access.reader_approve(organisation=world.duesseldorf, approver=first,
                                 private_key=first_key, officer=puppet) == 0
    assert Outgoing.objects.count() == sent
    # The alias of the earlier name does the same.
    assert access.grant(organisation=world.duesseldorf, granter=first, private_key=first_key,
                        officer=puppet) == 0


def test_the_first_officer_of_a_channel_is_approved_by_nobody(world):
    first = world.users["duesseldorf_officer"]
    assert not access.channel_open(world.duesseldorf)
    ready(first, PASSPHRASE)
    row = Reader.objects.get(organisation=world.duesseldorf, user=first)
    assert row.approved_by is None
    assert access.channel_open(world.duesseldorf)
    second = appoint(world, "second")
    ready(second)
    assert not Reader.objects.filter(user=second).exists()
    assert access.pending_readers(world.duesseldorf) == [second]


def test_two_factors_are_needed_to_be_pending_or_a_reader(world, officer):
    second = appoint(world, "second")
    assert access.pending_readers(world.duesseldorf) == []  # no app, no key
    ready(second)
    TotpDevice.objects.filter(user=second).delete()
    assert access.pending_readers(world.duesseldorf) == []
    user, key = officer
    with pytest.raises(ValidationError):
        access.reader_approve(organisation=world.duesseldorf, approver=user, private_key=key,
                              officer=second)
    assert not Reader.objects.filter(user=second).exists()


def test_approval_refuses_the_wrong_people_and_the_wrong_key(world, officer, submit):
    first, first_key = officer
    submit()
    second = appoint(world, "second")
    ready(second)
    keyless = appoint(world, "keyless")
    enrol(keyless)
    for wrong_key in (bytes(PrivateKey.generate()), b"short"):
        with pytest.raises(PermissionDenied):
            access.reader_approve(organisation=world.duesseldorf, approver=first,
                                  private_key=wrong_key, officer=second)
    for not_ready in (keyless, world.users["duesseldorf_board"], first):
        with pytest.raises(ValidationError):
            access.reader_approve(organisation=world.duesseldorf, approver=first,
                                  private_key=first_key, officer=not_ready)
    # A reader of Düsseldorf is nobody in Kassel.
    kassel = appoint(world, "kassel_officer", world.kassel)
    ready(kassel)
    with pytest.raises(PermissionDenied):
        access.reader_approve(organisation=world.kassel, approver=first, private_key=first_key,
                              officer=kassel)
    assert not ReportKey.objects.filter(officer__in=[second, keyless, kassel]).exists()
    assert Reader.objects.filter(user__in=[second, keyless, kassel]).count() == 1  # Kassel's
    assert Reader.objects.get(user=kassel).organisation == world.kassel  # its first: auto


def test_an_approval_locks_the_new_readers_key(world, officer, submit, monkeypatch):
    """Approval reads the target's key row FOR UPDATE, so that a reset at the same moment
    cannot leave reports wrapped for a key that is being replaced."""
    first, first_key = officer
    submit()
    second = appoint(world, "second")
    ready(second)
    from django.db.models import QuerySet

    locked = []
    original = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        locked.append(self.model.__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    access.reader_approve(organisation=world.duesseldorf, approver=first,
                          private_key=first_key, officer=second)
    assert "OfficerKey" in locked


# --- the role on this organisation only ---------------------------------------------------

def test_a_state_officer_is_no_reader_of_a_local_branch(world, officer, submit):
    state = world.users["duesseldorf_member"]
    core.role_grant(user=state, organisation=world.nrw, role=OFFICER, actor=None)
    state_key = make_officer(state)  # approved for NRW, where they are the first
    assert Reader.objects.filter(user=state, organisation=world.nrw).exists()
    assert not access.may_handle(state, world.duesseldorf)
    assert access.may_handle(state, world.nrw)
    assert state not in access.officers_of(world.duesseldorf)
    assert state not in access.pending_readers(world.duesseldorf)
    report, _r = submit()
    assert not ReportKey.objects.filter(officer=state).exists()
    with pytest.raises(PermissionDenied):
        services.report_open(report=report, officer=state, private_key=state_key)
    with pytest.raises(ValidationError):
        access.reader_approve(organisation=world.duesseldorf, approver=officer[0],
                              private_key=officer[1], officer=state)


# --- the readers hear of every change -------------------------------------------------------

def test_appointing_and_revoking_an_officer_tells_the_readers(world, officer):
    first = officer[0]
    sent = Outgoing.objects.count()
    second = appoint(world, "second", actor=world.users["duesseldorf_admin"])
    assert readers_changed_to(sent) == [first.email]

    sent = Outgoing.objects.count()
    assignment = RoleAssignment.objects.get(user=second, role=OFFICER)
    core.role_revoke(assignment=assignment, actor=world.users["duesseldorf_admin"])
    assert readers_changed_to(sent) == [first.email]

    # A reader who loses the role hears of it too: it may not have been their wish.
    third = appoint(world, "third")
    ready(third)
    access.reader_approve(organisation=world.duesseldorf, approver=first,
                          private_key=officer[1], officer=third)
    sent = Outgoing.objects.count()
    assignment = RoleAssignment.objects.get(user=third, role=OFFICER)
    core.role_revoke(assignment=assignment, actor=world.users["duesseldorf_admin"])
    assert readers_changed_to(sent) == sorted([first.email, third.email])

    # Another role, or an officer elsewhere, tells Düsseldorf's readers nothing.
    sent = Outgoing.objects.count()
    core.role_grant(user=second, organisation=world.duesseldorf, role=Role.BOARD, actor=None)
    appoint(world, "kassel_officer", world.kassel)
    assert first.email not in readers_changed_to(sent)


def test_a_revoked_reader_loses_the_approval(world, officer):
    first = officer[0]
    assignment = RoleAssignment.objects.get(user=first, role=OFFICER)
    core.role_revoke(assignment=assignment, actor=None)
    assert not Reader.objects.filter(user=first).exists()
    # Appointed again, they are back only as the first of a now empty channel would be:
    # nobody else is approved, and their key exists, so they are approved at once.
    core.role_grant(user=first, organisation=world.duesseldorf, role=OFFICER, actor=None)
    assert Reader.objects.get(user=first).approved_by is None


def test_a_removed_or_new_authenticator_app_tells_the_readers(world, officer):
    first = officer[0]
    second = appoint(world, "second")
    ready(second)
    access.reader_approve(organisation=world.duesseldorf, approver=first,
                          private_key=officer[1], officer=second)

    # The administrator removes the officer's app (a lost phone, or a takeover).
    sent = Outgoing.objects.count()
    mfa.totp_remove(user=second, actor=world.users["duesseldorf_admin"],
                    organisation=world.duesseldorf)
    assert readers_changed_to(sent) == sorted([first.email, second.email])

    # A new app, confirmed with a code: told again.
    sent = Outgoing.objects.count()
    device = mfa.totp_begin(user=second)
    mfa.totp_confirm(user=second, code=pyotp.TOTP(device.secret).now())
    assert readers_changed_to(sent) == sorted([first.email, second.email])

    # Logging in with a code (the device's step counter moves) is no change of readers.
    sent = Outgoing.objects.count()
    TotpDevice.objects.filter(user=second).update(last_step=0)
    assert mfa.totp_verify(user=second, code=code_for(second))
    # Nor is anyone told when someone who is no officer sets up an app.
    enrol(world.users["duesseldorf_board"])
    assert readers_changed_to(sent) == []


def test_a_key_reset_needs_a_new_approval_and_tells_the_readers(world, officer, submit):
    first, first_key = officer
    second = appoint(world, "second")
    second_key = ready(second)
    access.reader_approve(organisation=world.duesseldorf, approver=first,
                          private_key=first_key, officer=second)
    report, _r = submit()
    assert services.report_open(report=report, officer=second, private_key=second_key)

    sent = Outgoing.objects.count()
    access.officer_key_reset(user=second, passphrase="Ganz neuer Satz fürs Jahr")
    assert readers_changed_to(sent) == [first.email]
    assert not Reader.objects.filter(user=second).exists()
    assert access.pending_readers(world.duesseldorf) == [second]
    later, _r = submit(what="Nach dem Zurücksetzen")
    assert not ReportKey.objects.filter(report=later, officer=second).exists()

    new_key = access.private_key_open(user=second, passphrase="Ganz neuer Satz fürs Jahr")
    assert access.reader_approve(organisation=world.duesseldorf, approver=first,
                                 private_key=first_key, officer=second) == 2
    assert services.report_open(report=later, officer=second,
                                private_key=new_key).content["what"] == "Nach dem Zurücksetzen"


def test_the_only_reader_resetting_the_key_stays_the_reader(world, officer, submit):
    user, _key = officer
    access.officer_key_reset(user=user, passphrase="Ganz neuer Satz fürs Jahr")
    assert Reader.objects.get(user=user).approved_by is None
    assert access.channel_open(world.duesseldorf)


def test_the_readers_mail_says_nothing_but_that_something_changed(world, officer, submit):
    report, receipt = submit()
    sent = Outgoing.objects.count()
    appoint(world, "zweite_person")
    mails = [m for m in mails_since(sent) if is_readers_mail(m)]
    assert mails
    for mail in mails:
        text = " ".join([mail.subject, mail.body_text, mail.body_html])
        for forbidden in [KNOWN_TEXT, "XQZ", "Rheinufer", report.reference, receipt,
                          "zweite_person"]:
            assert forbidden.lower() not in text.lower()
        assert "/staff/duesseldorf/reports/access/" in mail.body_text


# --- unlocking: failures are audited and counted -----------------------------------------

def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    request.session = SessionStore()
    return request


def test_five_failed_unlocks_close_unlocking_for_a_quarter_hour(world, officer, monkeypatch):
    from django.core.cache import cache

    cache.clear()
    user, private_key = officer
    for attempt in range(3):
        with pytest.raises(ValidationError):
            access.unlock(request=_request(user), passphrase=f"falsch {attempt} xyzzy",
                          code=code_for(user))
    for _attempt in range(2):
        with pytest.raises(ValidationError):
            access.unlock(request=_request(user), passphrase=PASSPHRASE, code="000000")
    failed = AuditEntry.objects.filter(actor=user, action=AuditEntry.Action.LOGIN_FAILED)
    assert failed.count() == 5
    assert sorted(e.changes["wrong"][1] for e in failed) == ["code"] * 2 + ["passphrase"] * 3
    for entry in failed:
        assert "falsch" not in str(entry.changes) + entry.object_repr
    assert access.unlock_throttled(user)

    # The right passphrase and code are refused now, before the code is used up ...
    code = code_for(user)
    with pytest.raises(ValidationError) as refused:
        access.unlock(request=_request(user), passphrase=PASSPHRASE, code=code)
    assert "code" not in refused.value.message_dict
    assert TotpDevice.objects.get(user=user).last_step == 0
    with pytest.raises(ValidationError):  # the API's way in is the same
        access.private_key_unlock(user=user, passphrase=PASSPHRASE, code=code)
    with pytest.raises(ValidationError):
        access.private_key_open(user=user, passphrase=PASSPHRASE)
    # ... and another officer is not affected.
    second = appoint(world, "second")
    ready(second)
    assert access.private_key_open(user=second, passphrase=OTHER_PASSPHRASE)

    # A quarter of an hour later it works again, and a success clears the count.
    later = time.time() + access.UNLOCK_FAILURE_WINDOW + 1
    monkeypatch.setattr(access.time, "time", lambda: later)
    request = _request(user)
    assert access.unlock(request=request, passphrase=PASSPHRASE, code=code_for(user))
    assert not access.unlock_throttled(user)


# --- report_submit reads its readers under the lock ----------------------------------------

def test_report_submit_reads_the_readers_inside_its_transaction(world, officer, monkeypatch):
    depth_outside = len(connection.savepoint_ids)
    seen = []
    original = access.readers_of

    def spy(organisation):
        seen.append(len(connection.savepoint_ids))
        return original(organisation)

    monkeypatch.setattr(access, "readers_of", spy)
    services.report_submit(organisation=world.duesseldorf, what=KNOWN_TEXT, wish="advice")
    assert seen and seen[-1] > depth_outside

