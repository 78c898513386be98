from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from mitmachen.core import throttle
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, action=AuditEntry.Action.LOGIN, obj=user)
    if request is not None:
        throttle.clear(request, user.email)
    # No explicit switch yet: the account's language applies (core/language.py).


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action=AuditEntry.Action.LOGOUT, obj=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    attempted = str(credentials.get("username") or credentials.get("email") or "")
    if request is not None:
        throttle.record_failure(request, attempted)
    audit_record(
        actor=None,
        action=AuditEntry.Action.LOGIN_FAILED,
        object_repr=attempted.replace("\x00", "")[:200],
    )
