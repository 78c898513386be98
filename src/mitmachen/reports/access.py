"""Who may read which report: officers' keys, grants, revocation and a session's unlocked key."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mitmachen.core import mfa, permissions
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry, RoleAssignment, User
from mitmachen.core.roles import Perm, Role
from mitmachen.reports import crypto
from mitmachen.reports.models import OfficerKey, Report, ReportKey

PASSPHRASE_MIN = 12
PASSPHRASE_MAX = 1024
SESSION_KEY = "reports_unlocked"
COOKIE = "mm_reports_key"
UNLOCK_SECONDS = 30 * 60


def officers_of(organisation) -> list[User]:
    """The people who hold the officer role for `organisation` (directly or from above)."""
    found = []
    assignments = RoleAssignment.objects.filter(
        role=Role.ANTIDISCRIMINATION_OFFICER, user__is_active=True
    ).select_related("organisation", "user")
    for assignment in assignments:
        covers = assignment.organisation_id == organisation.pk or (
            assignment.include_descendants
            and organisation.path.startswith(assignment.organisation.path))
        if covers and assignment.user not in found:
            found.append(assignment.user)
    return found


def readers_of(organisation) -> list[OfficerKey]:
    """The officers a new report is encrypted for: officer role, two factors, a key pair."""
    users = [u for u in officers_of(organisation) if mfa.is_enrolled(u)]
    return list(OfficerKey.objects.filter(user__in=users).select_related("user"))


def channel_open(organisation) -> bool:
    return bool(readers_of(organisation))


def _check_passphrase(passphrase, field="passphrase") -> str:
    if not isinstance(passphrase, str) or "\x00" in passphrase:
        raise ValidationError({field: _("The passphrase contains characters that cannot be "
                                        "used.")})
    if len(passphrase) < PASSPHRASE_MIN:
        raise ValidationError({field: _("The passphrase needs at least %(n)d characters.")
                               % {"n": PASSPHRASE_MIN}})
    if len(passphrase) > PASSPHRASE_MAX:
        raise ValidationError({field: _("The passphrase may have at most %(n)d characters.")
                               % {"n": PASSPHRASE_MAX}})
    return passphrase


def may_handle(user, organisation) -> bool:
    return permissions.can(user, Perm.REPORT_HANDLE, organisation)


def officer_key_create(*, user: User, passphrase: str) -> OfficerKey:
    """The officer's key pair. Needs two factors first; a second pair is refused (use reset)."""
    if not mfa.is_enrolled(user):
        raise ValidationError({"passphrase": _("Set up two-factor authentication first.")})
    _check_passphrase(passphrase)
    if OfficerKey.objects.filter(user=user).exists():
        raise ValidationError({"passphrase": _("You already have a key.")})
    with transaction.atomic():
        key = OfficerKey.objects.create(user=user, **crypto.officer_keypair(passphrase))
        audit_record(actor=user, action=AuditEntry.Action.CREATE, obj=key,
                     object_repr=_("Reporting channel key of %(email)s") % {"email": user.email})
    return key


def officer_key_reset(*, user: User, passphrase: str) -> OfficerKey:
    """A forgotten passphrase: a new key pair. Reports read with the old one stay closed to
    this officer until another officer grants them again."""
    _check_passphrase(passphrase)
    with transaction.atomic():
        ReportKey.objects.filter(officer=user).delete()
        OfficerKey.objects.filter(user=user).delete()
        key = OfficerKey.objects.create(user=user, **crypto.officer_keypair(passphrase))
        audit_record(actor=user, action=AuditEntry.Action.UPDATE, obj=key,
                     object_repr=_("Reporting channel key of %(email)s") % {"email": user.email},
                     changes={"key": ["reset", "new"]})
    return key


def private_key_open(*, user: User, passphrase: str) -> bytes:
    key = OfficerKey.objects.filter(user=user).first()
    if key is None:
        raise ValidationError({"passphrase": _("You have no key yet.")})
    if not isinstance(passphrase, str) or not passphrase or len(passphrase) > PASSPHRASE_MAX:
        raise ValidationError({"passphrase": _("The passphrase is wrong.")})
    try:
        return crypto.open_private_key(
            sealed_private_key=bytes(key.sealed_private_key), salt=bytes(key.salt),
            opslimit=key.opslimit, memlimit=key.memlimit, passphrase=passphrase)
    except crypto.DecryptionError:
        raise ValidationError({"passphrase": _("The passphrase is wrong.")}) from None


def passphrase_change(*, user: User, old: str, new: str) -> OfficerKey:
    private = private_key_open(user=user, passphrase=old)
    _check_passphrase(new, "new_passphrase")
    with transaction.atomic():
        key = OfficerKey.objects.select_for_update().get(user=user)
        for name, value in crypto.reseal_private_key(private, new).items():
            setattr(key, name, value)
        key.save()
        audit_record(actor=user, action=AuditEntry.Action.UPDATE, obj=key,
                     changes={"passphrase": ["***", "***"]})
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


def grant(*, organisation, granter: User, private_key: bytes, officer: User) -> int:
    """Give `officer` every report of `organisation` that `granter` can read. Returns how many."""
    if not may_handle(granter, organisation):
        raise PermissionDenied
    if not may_handle(officer, organisation):
        raise ValidationError({"officer": _("This person is not an anti-discrimination officer "
                                            "of the organisation.")})
    target = OfficerKey.objects.filter(user=officer).first()
    if target is None or not mfa.is_enrolled(officer):
        raise ValidationError({"officer": _("This officer has not set up two factors and a "
                                            "key yet.")})
    granted = 0
    with transaction.atomic():
        have = set(ReportKey.objects.filter(officer=officer, report__organisation=organisation)
                   .values_list("report_id", flat=True))
        rows = ReportKey.objects.filter(officer=granter, report__organisation=organisation
                                        ).exclude(report_id__in=have).select_related("report")
        for row in rows:
            try:
                key = crypto.unwrap(private_key, bytes(row.wrapped))
            except crypto.DecryptionError:
                # Not the granter's key (a session unlocked before a key reset): refuse the
                # whole grant, as report_key does, rather than fail with a server error.
                raise PermissionDenied from None
            ReportKey.objects.create(report=row.report, officer=officer, granted_by=granter,
                                     wrapped=crypto.wrap_for(bytes(target.public_key), key))
            granted += 1
        audit_record(actor=granter, action=AuditEntry.Action.GRANT, obj=target,
                     organisation=organisation,
                     changes={"reports": [None, granted], "officer": [None, officer.email]})
    return granted


def missing_access(organisation) -> list[tuple[User, int]]:
    """Officers with a key who cannot read some of the organisation's reports."""
    total = Report.objects.filter(organisation=organisation).count()
    result = []
    for key in readers_of(organisation):
        have = ReportKey.objects.filter(officer=key.user, report__organisation=organisation
                                        ).count()
        if have < total:
            result.append((key.user, total - have))
    return result


def access_sync(user: User) -> int:
    """Drop the keys of reports whose organisation the user no longer serves as officer."""
    permissions.forget(user)
    dropped = 0
    rows = ReportKey.objects.filter(officer=user).select_related("report__organisation")
    gone = [row.pk for row in rows if not may_handle(user, row.report.organisation)]
    if gone:
        dropped, _detail = ReportKey.objects.filter(pk__in=gone).delete()
    permissions.forget(user)
    return dropped


# --- a session's unlocked key --------------------------------------------------------------

def unlock(*, request, passphrase: str, code: str) -> str:
    """Open the officer's key for this session; returns the value for the browser's cookie.
    The session (in the database) keeps the key only sealed with that cookie's value."""
    import time

    user = request.user
    if not mfa.is_enrolled(user):
        raise ValidationError({"code": _("Set up two-factor authentication first.")})
    if not mfa.totp_verify(user=user, code=code):
        raise ValidationError({"code": _("The code is wrong or was already used.")})
    private = private_key_open(user=user, passphrase=passphrase)
    stored, client_key = crypto.split_for_session(private)
    request.session[SESSION_KEY] = {"key": stored.hex(), "until": time.time() + UNLOCK_SECONDS,
                                    "user": user.pk}
    mfa.mark_verified(request)
    audit_record(actor=user, action=AuditEntry.Action.LOGIN,
                 object_repr=_("Reporting channel unlocked"))
    return client_key


def unlocked_key(request) -> bytes | None:
    import time

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
