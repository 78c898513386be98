"""Who may read which report: officers' keys, approved readers, grants, revocation and a
session's unlocked key.

A report is encrypted for the organisation's readers (readers_of): officers who hold the role
on that very organisation (a role held further up the tree does not count: a state officer
does not read a local branch's reports), with two factors, a key pair, and an approval by a
reader (Reader). Whoever manages roles can appoint an officer, but only a reader can make one
a reader; every change to who could read is e-mailed to the readers (notify_readers_changed).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mitmachen.core import mfa, permissions
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry, RoleAssignment, User
from mitmachen.core.roles import Perm, Role, roles_with
from mitmachen.reports import crypto
from mitmachen.reports.models import OfficerKey, Reader, Report, ReportKey

PASSPHRASE_MIN = 12
PASSPHRASE_MAX = 1024
PASSPHRASE_MIN_DISTINCT = 5
SESSION_KEY = "reports_unlocked"
COOKIE = "mm_reports_key"
UNLOCK_SECONDS = 30 * 60
UNLOCK_FAILURE_LIMIT = 5
UNLOCK_FAILURE_WINDOW = 15 * 60
OFFICER = Role.ANTIDISCRIMINATION_OFFICER


# --- who -----------------------------------------------------------------------------------

def officers_of(organisation) -> list[User]:
    """The active people who hold the officer role on `organisation` itself."""
    found = []
    for assignment in RoleAssignment.objects.filter(
            organisation=organisation, role__in=roles_with(Perm.REPORT_HANDLE),
            user__is_active=True).select_related("user"):
        if assignment.user not in found:
            found.append(assignment.user)
    return found


def _officer_keys(organisation):
    """Key pairs of the organisation's officers who have a confirmed authenticator app."""
    return OfficerKey.objects.filter(
        user__in=RoleAssignment.objects.filter(
            organisation=organisation, role__in=roles_with(Perm.REPORT_HANDLE),
            user__is_active=True).values("user"),
        user__totp_device__confirmed_at__isnull=False,
    ).select_related("user")


def readers_of(organisation) -> list[OfficerKey]:
    """The officers a new report is encrypted for: the role on this organisation, two factors,
    a key pair and an approval."""
    approved = Reader.objects.filter(organisation=organisation).values("user")
    return list(_officer_keys(organisation).filter(user__in=approved).order_by("pk"))


def pending_readers(organisation) -> list[User]:
    """Officers ready to read (role, two factors, key) whom no reader has approved yet."""
    approved = Reader.objects.filter(organisation=organisation).values("user")
    return [key.user for key in _officer_keys(organisation).exclude(user__in=approved)
            .order_by("pk")]


def approved_users(organisation) -> list[User]:
    """Everyone approved who still holds the role here, with or without two factors now: the
    people to tell when the readers change."""
    return list(User.objects.filter(
        is_active=True, report_readerships__organisation=organisation,
        role_assignments__organisation=organisation,
        role_assignments__role__in=roles_with(Perm.REPORT_HANDLE)).distinct().order_by("pk"))


def is_reader(user, organisation) -> bool:
    return bool(user is not None and getattr(user, "pk", None) is not None and any(
        key.user_id == user.pk for key in readers_of(organisation)))


def channel_open(organisation) -> bool:
    return bool(readers_of(organisation))


def may_handle(user, organisation) -> bool:
    """The officer role on `organisation` itself: the reporting channel ignores roles that
    hold from an organisation above."""
    allowed = roles_with(Perm.REPORT_HANDLE)
    return organisation is not None and any(
        a.role in allowed and a.organisation_id == organisation.pk
        for a in permissions.assignments(user))


def _officer_organisations(user) -> list:
    """Organisations where `user` holds the officer role directly (fresh from the database)."""
    from mitmachen.organisations.models import Organisation

    return list(Organisation.objects.filter(
        pk__in=RoleAssignment.objects.filter(
            user=user, role__in=roles_with(Perm.REPORT_HANDLE)).values("organisation")))


def notify_readers_changed(organisation, *, also=()) -> int:
    """Tell every approved reader (and `also`) that the people who could read new reports
    changed. Says nothing else: who, or anything of a report, belongs on the page, not in an
    e-mail. Returns how many e-mails were queued."""
    from django.urls import reverse

    from mitmachen.messaging.outbox import email_from_templates

    recipients = {user.pk: user for user in approved_users(organisation)}
    for user in also:
        if user is not None and user.is_active and user.email:
            recipients.setdefault(user.pk, user)
    path = reverse("reports:access", args=[organisation.slug])
    for user in recipients.values():
        email_from_templates(to=user.email, template="reports/email/readers_changed",
                             language=user.language, organisation=organisation,
                             context={"organisation": organisation, "path": path,
                                      "site_url": settings.SITE_URL})
    return len(recipients)


def _auto_approve(user) -> list:
    """Approve `user` wherever they are an officer with a key and the channel has no approved
    reader at all: someone has to be the first. Returns those organisations."""
    from mitmachen.organisations.models import Organisation

    if not OfficerKey.objects.filter(user=user).exists():
        return []
    approved = []
    for organisation in _officer_organisations(user):
        # The organisation's row serialises two officers who set up their keys at once.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        if approved_users(organisation):
            continue
        reader, created = Reader.objects.get_or_create(organisation=organisation, user=user,
                                                       defaults={"approved_by": None})
        if created:
            audit_record(actor=user, action=AuditEntry.Action.GRANT, obj=reader,
                         organisation=organisation,
                         object_repr=_("%(email)s approved as the first reader of the "
                                       "reporting channel") % {"email": user.email})
            approved.append(organisation)
    return approved


def role_granted(user, organisation) -> None:
    """After `user` became an officer of `organisation`: its first reader if it has none and
    they have a key already, and its readers are told."""
    with transaction.atomic():
        _auto_approve(user)
        notify_readers_changed(organisation)


def factors_changed(user) -> None:
    """`user`'s authenticator app was set up, replaced or removed: tell the readers of every
    organisation where they are an officer."""
    for organisation in _officer_organisations(user):
        notify_readers_changed(organisation)


# --- passphrases and keys -------------------------------------------------------------------

def _check_passphrase(passphrase, field="passphrase", *, user=None) -> str:
    if not isinstance(passphrase, str) or "\x00" in passphrase:
        raise ValidationError({field: _("The passphrase contains characters that cannot be "
                                        "used.")})
    if len(passphrase) < PASSPHRASE_MIN:
        raise ValidationError({field: _("The passphrase needs at least %(n)d characters.")
                               % {"n": PASSPHRASE_MIN}})
    if len(passphrase) > PASSPHRASE_MAX:
        raise ValidationError({field: _("The passphrase may have at most %(n)d characters.")
                               % {"n": PASSPHRASE_MAX}})
    if len(set(passphrase.lower())) < PASSPHRASE_MIN_DISTINCT:
        raise ValidationError({field: _("The passphrase repeats too few characters. Please "
                                        "choose a few words that belong together only for "
                                        "you.")})
    if user is not None:
        # The account password is stored (hashed) in the database and typed on every login: a
        # passphrase equal to it would protect the reports no better than the login does.
        if user.has_usable_password() and user.check_password(passphrase):
            raise ValidationError({field: _("The passphrase must differ from your password.")})
        try:
            validate_password(passphrase, user)
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from None
    return passphrase


def officer_key_create(*, user: User, passphrase: str) -> OfficerKey:
    """The officer's key pair. Needs two factors first; a second pair is refused (use reset).
    The first officer of a channel becomes its reader at once; any other waits for a reader's
    approval (reader_approve)."""
    if not mfa.is_enrolled(user):
        raise ValidationError({"passphrase": _("Set up two-factor authentication first.")})
    _check_passphrase(passphrase, user=user)
    if OfficerKey.objects.filter(user=user).exists():
        raise ValidationError({"passphrase": _("You already have a key.")})
    made = crypto.officer_keypair(passphrase)
    with transaction.atomic():
        key = OfficerKey.objects.create(user=user, **made)
        audit_record(actor=user, action=AuditEntry.Action.CREATE, obj=key,
                     object_repr=_("Reporting channel key of %(email)s") % {"email": user.email})
        _auto_approve(user)
        for organisation in _officer_organisations(user):
            notify_readers_changed(organisation)
    return key


def officer_key_reset(*, user: User, passphrase: str) -> OfficerKey:
    """A forgotten passphrase: a new key pair. Reports read with the old one stay closed to
    this officer, and so do new ones, until a reader approves the new key (reader_approve),
    which grants the earlier reports too. A reset is what someone who took over the account
    would do; the readers are told."""
    if not mfa.is_enrolled(user):
        raise ValidationError({"passphrase": _("Set up two-factor authentication first.")})
    _check_passphrase(passphrase, user=user)
    made = crypto.officer_keypair(passphrase)
    with transaction.atomic():
        ReportKey.objects.filter(officer=user).delete()
        Reader.objects.filter(user=user).delete()
        OfficerKey.objects.filter(user=user).delete()
        key = OfficerKey.objects.create(user=user, **made)
        audit_record(actor=user, action=AuditEntry.Action.UPDATE, obj=key,
                     object_repr=_("Reporting channel key of %(email)s") % {"email": user.email},
                     changes={"key": ["reset", "new"]})
        _auto_approve(user)
        for organisation in _officer_organisations(user):
            notify_readers_changed(organisation)
    return key


def _failure_key(user) -> str:
    return f"reports-unlock-fail:{user.pk}"


def _failures(user) -> tuple[int, float]:
    entry = cache.get(_failure_key(user))
    now = time.time()
    if not entry or now - entry[1] >= UNLOCK_FAILURE_WINDOW:
        return 0, now
    return entry[0], entry[1]


def unlock_throttled(user) -> bool:
    """Five failed unlocks (wrong passphrase or code) in 15 minutes close unlocking for the
    rest of that quarter of an hour: the passphrase is the last secret between a stolen login
    and the reports."""
    return _failures(user)[0] >= UNLOCK_FAILURE_LIMIT


def _unlock_failed(user, what: str) -> None:
    count, started = _failures(user)
    # The window stays fixed from the first failure (the database cache resets expiry on
    # every write).
    remaining = int(started + UNLOCK_FAILURE_WINDOW - time.time()) + 1
    cache.set(_failure_key(user), (count + 1, started), max(remaining, 1))
    audit_record(actor=user, action=AuditEntry.Action.LOGIN_FAILED,
                 object_repr=_("Reporting channel: unlocking failed"),
                 changes={"wrong": [None, what]})


def _refuse_if_throttled(user, field="passphrase") -> None:
    if unlock_throttled(user):
        raise ValidationError({field: _("Too many failed attempts. Please wait a quarter of "
                                        "an hour and try again.")})


def private_key_open(*, user: User, passphrase: str, field: str = "passphrase") -> bytes:
    """The officer's private key. A wrong passphrase is audited and counted (unlock_throttled).
    A key sealed with other Argon2id limits than the current ones is sealed again with them."""
    _refuse_if_throttled(user, field)
    key = OfficerKey.objects.filter(user=user).first()
    if key is None:
        raise ValidationError({field: _("You have no key yet.")})
    wrong = ValidationError({field: _("The passphrase is wrong.")})
    if not isinstance(passphrase, str) or not passphrase or len(passphrase) > PASSPHRASE_MAX:
        _unlock_failed(user, "passphrase")
        raise wrong
    try:
        private = crypto.open_private_key(
            sealed_private_key=bytes(key.sealed_private_key), salt=bytes(key.salt),
            opslimit=key.opslimit, memlimit=key.memlimit, passphrase=passphrase)
    except crypto.DecryptionError:
        _unlock_failed(user, "passphrase")
        raise wrong from None
    cache.delete(_failure_key(user))
    if (key.opslimit, key.memlimit) != crypto.argon2_limits():
        _reseal(key, private, passphrase)
    return private


def _reseal(key: OfficerKey, private: bytes, passphrase: str) -> None:
    """Seal the same private key with the current limits (settings.REPORTS_ARGON2)."""
    fresh = crypto.reseal_private_key(private, passphrase)
    with transaction.atomic():
        # Only if nobody changed the key meanwhile (a passphrase change, a reset).
        OfficerKey.objects.filter(pk=key.pk, sealed_private_key=bytes(key.sealed_private_key),
                                  public_key=bytes(key.public_key)).update(**fresh)


def passphrase_change(*, user: User, old: str, new: str) -> OfficerKey:
    """A new passphrase, and with it a new key pair: every report key of the officer is
    wrapped again for the new public key, in one transaction. Whoever copied the old sealed
    key and learns the old passphrase later opens nothing that is still stored.

    The private key unlocked in a session before is the old one: log the session out of the
    reporting channel (lock) and unlock again, or open the new key with the new passphrase
    and keep it (private_key_open, session_store)."""
    private = private_key_open(user=user, passphrase=old)
    _check_passphrase(new, "new_passphrase", user=user)
    if new == old:
        raise ValidationError({"new_passphrase": _("The new passphrase must differ from the "
                                                   "old one.")})
    fresh = crypto.officer_keypair(new)
    with transaction.atomic():
        key = OfficerKey.objects.select_for_update().get(user=user)
        if bytes(key.public_key) != crypto.public_key_of(private):
            # Reset in between: the old passphrase opened a key that is no longer this one.
            raise ValidationError({"passphrase": _("Your key has just been replaced. Please "
                                                   "try again.")})
        rewrapped = dropped = 0
        for row in ReportKey.objects.select_for_update().filter(officer=user):
            try:
                report_key_bytes = crypto.unwrap(private, bytes(row.wrapped))
            except crypto.DecryptionError:
                # Not for this key (it never opened anything): gone, so that the report shows
                # as missing and a colleague can grant it again.
                row.delete()
                dropped += 1
                continue
            row.wrapped = crypto.wrap_for(fresh["public_key"], report_key_bytes)
            row.save(update_fields=["wrapped"])
            rewrapped += 1
        for name, value in fresh.items():
            setattr(key, name, value)
        key.save()
        audit_record(actor=user, action=AuditEntry.Action.UPDATE, obj=key,
                     changes={"passphrase": ["***", "***"], "key": ["old", "new"],
                              "reports": [None, rewrapped]})
    return key


def report_key(report: Report, user: User, private_key: bytes) -> bytes:
    """The report key for this officer; PermissionDenied when none was wrapped for them."""
    row = ReportKey.objects.filter(report=report, officer=user).first()
    if row is None:
        raise PermissionDenied
    try:
        return crypto.unwrap(private_key, bytes(row.wrapped))
    except crypto.DecryptionError:
        raise PermissionDenied from None


# --- approving readers ----------------------------------------------------------------------

def reader_approve(*, organisation, approver: User, private_key: bytes, officer: User) -> int:
    """Make `officer` a reader of `organisation`'s reports and give them every report the
    approver can read. Only a reader approves, with their own unlocked key. Returns how many
    reports were granted (0 for a reader who already had them all)."""
    if not is_reader(approver, organisation):
        raise PermissionDenied
    own = OfficerKey.objects.get(user=approver)
    try:
        if crypto.public_key_of(private_key) != bytes(own.public_key):
            raise PermissionDenied
    except crypto.DecryptionError:
        raise PermissionDenied from None
    if officer.pk == approver.pk:
        raise ValidationError({"officer": _("Please choose one of the organisation's other "
                                            "officers.")})
    if not officer.is_active or not may_handle(officer, organisation):
        raise ValidationError({"officer": _("This person is not an anti-discrimination officer "
                                            "of the organisation.")})
    granted = 0
    with transaction.atomic():
        # Locked: a key reset at the same moment must not leave reports wrapped for a key that
        # is about to be replaced.
        target = OfficerKey.objects.select_for_update().filter(user=officer).first()
        if target is None or not mfa.is_enrolled(officer):
            raise ValidationError({"officer": _("This officer has not set up two factors and a "
                                                "key yet.")})
        _reader, approved = Reader.objects.get_or_create(
            organisation=organisation, user=officer, defaults={"approved_by": approver})
        have = set(ReportKey.objects.filter(officer=officer, report__organisation=organisation)
                   .values_list("report_id", flat=True))
        rows = ReportKey.objects.filter(officer=approver, report__organisation=organisation
                                        ).exclude(report_id__in=have).select_related("report")
        for row in rows:
            try:
                key = crypto.unwrap(private_key, bytes(row.wrapped))
            except crypto.DecryptionError:
                raise PermissionDenied from None
            ReportKey.objects.create(report=row.report, officer=officer, granted_by=approver,
                                     wrapped=crypto.wrap_for(bytes(target.public_key), key))
            granted += 1
        changes = {"reports": [None, granted], "officer": [None, officer.email]}
        if approved:
            changes["reader"] = [False, True]
        audit_record(actor=approver, action=AuditEntry.Action.GRANT, obj=target,
                     organisation=organisation, changes=changes)
        if approved:
            notify_readers_changed(organisation, also=[officer])
    return granted


def grant(*, organisation, granter: User, private_key: bytes, officer: User) -> int:
    """Earlier name of reader_approve."""
    return reader_approve(organisation=organisation, approver=granter, private_key=private_key,
                          officer=officer)


def missing_access(organisation) -> list[tuple[User, int]]:
    """Readers who cannot read some of the organisation's reports."""
    total = Report.objects.filter(organisation=organisation).count()
    result = []
    for key in readers_of(organisation):
        have = ReportKey.objects.filter(officer=key.user, report__organisation=organisation
                                        ).count()
        if have < total:
            result.append((key.user, total - have))
    return result


def access_sync(user: User) -> int:
    """Drop the keys and approvals of organisations the user no longer serves as officer."""
    permissions.forget(user)
    dropped = 0
    rows = ReportKey.objects.filter(officer=user).select_related("report__organisation")
    gone = [row.pk for row in rows if not may_handle(user, row.report.organisation)]
    if gone:
        dropped, _detail = ReportKey.objects.filter(pk__in=gone).delete()
    for reader in Reader.objects.filter(user=user).select_related("organisation"):
        if not may_handle(user, reader.organisation):
            reader.delete()
    permissions.forget(user)
    return dropped


# --- a session's unlocked key --------------------------------------------------------------

def session_store(request, private_key: bytes) -> str:
    """Keep `private_key` for this session; returns the value for the browser's cookie. The
    session (in the database) keeps the key only sealed with that cookie's value."""
    stored, client_key = crypto.split_for_session(private_key)
    request.session[SESSION_KEY] = {"key": stored.hex(), "until": time.time() + UNLOCK_SECONDS,
                                    "user": request.user.pk}
    return client_key


def private_key_unlock(*, user: User, passphrase: str, code: str) -> bytes:
    """The officer's private key for a current code and the passphrase (the pages' unlock and
    the API's). Wrong codes and passphrases are audited and counted (unlock_throttled); a
    throttled user is refused before the code is used up."""
    if not mfa.is_enrolled(user):
        raise ValidationError({"code": _("Set up two-factor authentication first.")})
    _refuse_if_throttled(user)
    if not OfficerKey.objects.filter(user=user).exists():
        # Before the code is checked: a code used up for nothing would have to be waited out.
        raise ValidationError({"passphrase": _("You have no key yet.")})
    if not mfa.totp_verify(user=user, code=code):
        _unlock_failed(user, "code")
        raise ValidationError({"code": _("The code is wrong or was already used.")})
    return private_key_open(user=user, passphrase=passphrase)


def unlock(*, request, passphrase: str, code: str) -> str:
    """Open the officer's key for this session; returns the value for the browser's cookie."""
    user = request.user
    private = private_key_unlock(user=user, passphrase=passphrase, code=code)
    client_key = session_store(request, private)
    mfa.mark_verified(request)
    audit_record(actor=user, action=AuditEntry.Action.LOGIN,
                 object_repr=_("Reporting channel unlocked"))
    return client_key


def unlocked_key(request) -> bytes | None:
    held = request.session.get(SESSION_KEY)
    client_key = request.COOKIES.get(COOKIE, "")
    if not held or not client_key or held.get("user") != request.user.pk:
        return None
    if held.get("until", 0) < time.time():
        request.session.pop(SESSION_KEY, None)
        return None
    try:
        private = crypto.join_from_session(bytes.fromhex(held["key"]), client_key)
    except (crypto.DecryptionError, ValueError):
        return None
    held["until"] = time.time() + UNLOCK_SECONDS  # idle timeout, renewed on use
    request.session[SESSION_KEY] = held
    return private


def lock(request) -> None:
    request.session.pop(SESSION_KEY, None)
