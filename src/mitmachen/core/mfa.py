"""A second factor at login: codes from an authenticator app (TOTP, RFC 6238, via pyotp).

Anti-discrimination officers must use it (the reporting channel checks `session_verified`);
everyone else may. The secret never leaves this module except to the set-up page, and never
reaches the audit log.
"""

from __future__ import annotations

import hmac
import re
import time
from datetime import UTC, datetime
from functools import wraps

import pyotp
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mitmachen.core import permissions
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry, TotpDevice
from mitmachen.core.roles import Perm, Role

ISSUER = "mitmachen"
DIGITS = 6
VALID_WINDOW = 1  # one 30-second step either side: clocks on phones drift
FAILURE_LIMIT = 5
FAILURE_WINDOW = 15 * 60
PENDING_LOGIN_TTL = 5 * 60
SESSION_VERIFIED = "mfa_verified_at"
SESSION_PENDING = "mfa_pending_login"

_CODE = re.compile(rf"[0-9]{{{DIGITS}}}")


def _now() -> float:
    # One clock for codes, throttle and session stamps, so that tests can move it.
    return time.time()


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, issuer=ISSUER)


def normalise_code(code) -> str | None:
    """Six ASCII digits, spaces allowed in between ("123 456"); anything else is None."""
    if not isinstance(code, str) or len(code) > 32:
        return None
    code = code.replace(" ", "").replace("\u00a0", "").strip()
    return code if _CODE.fullmatch(code) else None


def _matching_step(secret: str, code: str, for_time: float) -> int | None:
    """The time step within the window whose code is `code`, or None."""
    totp = _totp(secret)
    current = totp.timecode(datetime.fromtimestamp(for_time, tz=UTC))
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = current + offset
        if step >= 0 and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# --- reads -------------------------------------------------------------------------------------

def device_of(user) -> TotpDevice | None:
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    return TotpDevice.objects.filter(user=user).first()


def is_enrolled(user) -> bool:
    """Has `user` a confirmed authenticator app?"""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def is_required(user) -> bool:
    """Must `user` use a second factor? Anti-discrimination officers must (issue 7)."""
    return any(a.role == Role.ANTIDISCRIMINATION_OFFICER for a in permissions.assignments(user))


def provisioning_uri(device: TotpDevice) -> str:
    """The otpauth:// address for the QR code of the secret being set up."""
    return _totp(device.setup_secret or device.secret).provisioning_uri(
        name=device.user.email, issuer_name=ISSUER)


def grouped_secret(device: TotpDevice) -> str:
    """The secret being set up in groups of four, for typing it into an app by hand."""
    secret = device.setup_secret
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


# --- throttle ----------------------------------------------------------------------------------

def _failure_key(user) -> str:
    return f"mfa-fail:{user.pk}"


def _failures(user) -> tuple[int, float]:
    """(failures, start of the window) for `user`; a window that has passed counts nothing."""
    entry = cache.get(_failure_key(user))
    now = _now()
    if not entry or now - entry[1] >= FAILURE_WINDOW:
        return 0, now
    return entry[0], entry[1]


def is_throttled(user) -> bool:
    return _failures(user)[0] >= FAILURE_LIMIT


def _record_failure(user) -> None:
    count, started = _failures(user)
    # The window stays fixed from the first failure: the stored start decides, not the cache's
    # own expiry (the database cache resets expiry on every write).
    remaining = int(started + FAILURE_WINDOW - _now()) + 1
    cache.set(_failure_key(user), (count + 1, started), max(remaining, 1))


def _clear_failures(user) -> None:
    cache.delete(_failure_key(user))


# --- writes ------------------------------------------------------------------------------------

def totp_begin(*, user) -> TotpDevice:
    """A new secret awaiting confirmation. It replaces an unconfirmed one; a confirmed device
    keeps working until the new secret has been confirmed with a code."""
    secret = pyotp.random_base32()
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            device = TotpDevice(user=user, secret=secret)
            device.full_clean()
            device.save()
            action = AuditEntry.Action.CREATE
        elif device.confirmed_at is None:
            device.secret = secret
            device.save(update_fields=["secret", "updated_at"])
            action = AuditEntry.Action.UPDATE
        else:
            device.pending_secret = secret
            device.save(update_fields=["pending_secret", "updated_at"])
            action = AuditEntry.Action.UPDATE
        # That a secret was issued is recorded, never the secret.
        audit_record(actor=user, action=action, obj=device,
                     changes={"secret": ["***", "*** (awaiting confirmation)"]})
    return device


def totp_confirm(*, user, code) -> TotpDevice:
    """Confirm the secret being set up with a code from the app; from then on it is the one.

    Not throttled: whoever sees the set-up page knows the secret anyway, and a slip here must
    not lock the user out of logging in with the device they still have."""
    normalised = normalise_code(code)
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None or not device.setup_secret:
            raise ValidationError({"code": _("There is no set-up to confirm. Please start the "
                                             "set-up again.")})
        step = _matching_step(device.setup_secret, normalised, _now()) if normalised else None
        if step is None:
            raise ValidationError({"code": _("This code is not right. Please enter the current "
                                             "six-digit code from your app.")})
        replaced = device.confirmed_at is not None
        device.secret = device.setup_secret
        device.pending_secret = ""
        device.confirmed_at = datetime.fromtimestamp(_now(), tz=UTC)
        # Steps count time, not codes, so the mark carries over to a new secret.
        device.last_step = max(device.last_step, step)
        device.save()
        changes = {"confirmed": [replaced, True]}
        if replaced:
            changes["secret"] = ["***", "*** (replaced)"]
        audit_record(actor=user, action=AuditEntry.Action.UPDATE, obj=device, changes=changes)
    return device


def totp_verify(*, user, code) -> bool:
    """Is `code` a current code of the user's confirmed device, not used before? Five failures
    in 15 minutes make every answer False until the window has passed. Never raises for bad
    input."""
    if user is None or getattr(user, "pk", None) is None:
        return False
    normalised = normalise_code(code)
    with transaction.atomic():
        # The row lock serialises the checks for one user, so that parallel guesses cannot
        # slip past the failure count and one code cannot be accepted twice.
        device = (TotpDevice.objects.select_for_update()
                  .filter(user=user, confirmed_at__isnull=False).first())
        if device is None:
            return False
        if is_throttled(user):
            return False
        step = _matching_step(device.secret, normalised, _now()) if normalised else None
        if step is None or step <= device.last_step:
            _record_failure(user)
            return False
        device.last_step = step
        device.save(update_fields=["last_step", "updated_at"])
    _clear_failures(user)
    return True


def may_remove(*, user, actor, organisation=None) -> bool:
    """The user, or an administrator of an organisation where the user holds a role."""
    return _removal_organisation(user=user, actor=actor, organisation=organisation) is not False


def _removal_organisation(*, user, actor, organisation=None):
    """None for the user themself, the organisation that allows an administrator, or False."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.pk == user.pk:
        return None
    assignments = user.role_assignments.select_related("organisation")
    if organisation is not None:
        assignments = assignments.filter(organisation=organisation)
    for assignment in assignments:
        if permissions.can(actor, Perm.ROLE_MANAGE, assignment.organisation):
            return assignment.organisation
    return False


def totp_remove(*, user, actor, organisation=None) -> None:
    """Remove the user's authenticator app. The page asks the user for a current code first;
    an administrator (Perm.ROLE_MANAGE in an organisation where the user holds a role, or in
    `organisation` if given) removes it for someone who lost their phone."""
    allowed_by = _removal_organisation(user=user, actor=actor, organisation=organisation)
    if allowed_by is False:
        raise PermissionDenied(_("You may not remove this account's two-factor authentication."))
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            raise ValidationError(_("No authenticator app is set up for this account."))
        # Filed with the organisation whose administrator acted, so it shows in its audit log.
        audit_record(actor=actor, action=AuditEntry.Action.DELETE, obj=device,
                     organisation=allowed_by,
                     changes={"confirmed": [device.confirmed_at is not None, False]})
        device.delete()
    _clear_failures(user)


# --- the session -------------------------------------------------------------------------------

def mark_verified(request) -> None:
    """The person in this session has just entered a right code."""
    request.session[SESSION_VERIFIED] = _now()


def session_verified(request, *, max_age: float | None = None) -> bool:
    """Was a code of the user's current device entered in this session (within `max_age`
    seconds, if given)?"""
    stamp = request.session.get(SESSION_VERIFIED)
    if not isinstance(stamp, int | float):
        return False
    device = device_of(getattr(request, "user", None))
    if device is None or device.confirmed_at is None:
        return False
    # A code for an earlier device (removed or replaced since) does not count.
    if stamp < device.confirmed_at.timestamp():
        return False
    return max_age is None or _now() - stamp <= max_age


def pending_login_start(request, *, user, next_url: str = "") -> None:
    """After the password step: remember who is logging in, not logged in yet."""
    request.session[SESSION_PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", ""),
        "at": _now(),
        "next": next_url,
    }


def pending_login(request) -> dict | None:
    """The pending login of this session, if started less than five minutes ago."""
    pending = request.session.get(SESSION_PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int | float):
        return None
    if _now() - pending["at"] > PENDING_LOGIN_TTL:
        request.session.pop(SESSION_PENDING, None)
        return None
    return pending


def pending_login_clear(request) -> None:
    request.session.pop(SESSION_PENDING, None)


def verified_required(view):
    """For pages behind the second factor (the reporting channel): log in, set up an app,
    enter a code in this session; each missing step sends the user to its page."""
    from django.contrib.auth.views import redirect_to_login
    from django.shortcuts import redirect
    from django.urls import reverse
    from django.utils.http import urlencode

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_enrolled(request.user):
            return redirect(f"{reverse('core:mfa_setup')}?"
                            f"{urlencode({'next': request.get_full_path()})}")
        if not session_verified(request):
            return redirect(f"{reverse('core:login_code')}?"
                            f"{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapped
