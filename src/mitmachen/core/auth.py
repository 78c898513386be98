from datetime import timedelta

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from mitmachen.core.models import AuditEntry, User

MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)


def too_many_failures(email: str) -> bool:
    """Ten failed logins for one address within 15 minutes lock that address for a while."""
    since = timezone.now() - FAILURE_WINDOW
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.LOGIN_FAILED, object_repr__iexact=email, created_at__gte=since
    ).count() >= MAX_FAILURES


class EmailBackend(ModelBackend):
    """Log in by e-mail address, case-insensitive."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = (email or username or "").strip()
        if not email or password is None or "\x00" in email or len(email) > 254:
            return None
        if too_many_failures(email):
            # PermissionDenied stops the other backends too and still fires user_login_failed.
            raise PermissionDenied
        try:
            user = User.objects.get(email__iexact=email)
        except User.DoesNotExist:
            # Hash anyway so that response time does not tell which addresses have accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
