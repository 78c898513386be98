from django.contrib.auth.backends import ModelBackend

from mitmachen.core.models import User


class EmailBackend(ModelBackend):
    """Log in by e-mail address, case-insensitive. Throttling is in core/throttle.py."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = (email or username or "").strip()
        if not email or password is None or "\x00" in email or len(email) > 254:
            return None
        try:
            user = User.objects.get(email__iexact=email)
        except User.DoesNotExist:
            # Hash anyway so that response time does not tell which addresses have accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
