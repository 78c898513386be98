import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mitmachen.core.roles import Role
from mitmachen.core.validators import reject_nul


class BaseModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        errors = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if exclude and field.name in exclude:
                continue
            value = getattr(self, field.attname)
            # Django skips blank fields holding None; the database would refuse it later.
            if value is None and not field.null and not field.primary_key and not getattr(
                    field, "auto_now", False) and not getattr(field, "auto_now_add", False):
                errors.setdefault(field.name, []).append(
                    ValidationError(_("This field cannot be empty."), code="null"))
            if isinstance(field, models.CharField | models.TextField):
                try:
                    reject_nul(value)
                except ValidationError as exc:
                    errors.setdefault(field.name, []).extend(exc.error_list)
            # Django checks a TextField's max_length only in forms; services and the API too.
            if isinstance(field, models.TextField) and field.max_length and isinstance(
                    value, str) and len(value) > field.max_length:
                errors.setdefault(field.name, []).append(ValidationError(
                    _("At most %(n)d characters, please.") % {"n": field.max_length},
                    code="max_length"))
        if errors:
            raise ValidationError(errors)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def create_user(self, email, password=None, **extra):
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A login account. Personal data about people lives in contact records per organisation."""

    email = models.EmailField(_("e-mail"), unique=True, max_length=254)
    name = models.CharField(_("name"), max_length=150)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="de"
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name", "email"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self):
        return self.name or self.email


class RoleAssignment(BaseModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    include_descendants = models.BooleanField(
        _("also for subordinate organisations"),
        default=True,
        help_text=_("Unless restricted, a role holds for the organisations below this one too."),
    )
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organisation__name", "role", "user__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="role_assignment_unique"
            )
        ]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit entries cannot be changed")

    def delete(self):
        raise PermissionError("audit entries cannot be deleted")

    def redact(self, **fields) -> int:
        """The one permitted change: removing a person's data after a GDPR erasure."""
        allowed = {"object_repr", "changes", "actor_label"}
        if set(fields) - allowed:
            raise PermissionError("only personal fields can be redacted")
        return super().update(**fields)


class AuditEntry(models.Model):
    """One row per change and per staff read of personal data. Written once, never edited."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        VIEW = "view", _("viewed")
        EXPORT = "export", _("exported")
        GRANT = "grant", _("role granted")
        REVOKE = "revoke", _("role revoked")
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("login failed")
        LOGOUT = "logout", _("logged out")
        TOKEN_CREATE = "token_create", _("API token created")
        TOKEN_REVOKE = "token_revoke", _("API token revoked")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text too, so the log still says who it was after an account is deleted.
    actor_label = models.CharField(_("actor"), max_length=254, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    via = models.CharField(_("via"), max_length=10, blank=True)  # web, api, cli, task

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries cannot be deleted")


def _token_digest(secret: str) -> str:
    # The secret carries 256 bits of randomness, so a fast hash is enough and keeps lookups cheap.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(BaseModel):
    PREFIX = "mm"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    key_id = models.CharField(_("key id"), max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.PREFIX}_{self.key_id}… ({self.name})"

    @classmethod
    def new_secret(cls) -> tuple[str, str, str]:
        """Returns (plaintext token, key id, digest); only the last two are stored."""
        key_id = secrets.token_hex(6)
        plaintext = f"{cls.PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        return plaintext, key_id, _token_digest(plaintext)

    @staticmethod
    def digest_of(plaintext: str) -> str:
        return _token_digest(plaintext)

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None or not self.user.is_active:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class Job(BaseModel):
    """A long-running task a person started, with progress to show them."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE,
                                     related_name="jobs")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.live_done / self.total))

    # A job that runs in one transaction (an import) cannot show progress through its own row,
    # which other connections see only at the commit; it writes a small file instead.
    def _progress_file(self):
        from pathlib import Path

        from django.conf import settings

        return Path(settings.VAR_DIR) / "jobs" / f"{self.pk}.progress"

    def progress_write(self, done: int) -> None:
        path = self._progress_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(done))

    def progress_clear(self) -> None:
        self._progress_file().unlink(missing_ok=True)

    @property
    def live_done(self) -> int:
        if self.status == self.Status.RUNNING:
            try:
                return max(self.done, int(self._progress_file().read_text()))
            except (OSError, ValueError):
                pass
        return self.done


class TotpDevice(BaseModel):
    """A user's authenticator app (TOTP, RFC 6238), the second factor at login (core/mfa.py).

    `secret` and `confirmed_at` describe the device in use; `confirmed_at` is empty while a
    first set-up awaits its first code. A replacement for a confirmed device waits in
    `pending_secret`, so that the old app keeps working until the new one has proved itself.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(_("secret"), max_length=64)
    pending_secret = models.CharField(_("secret awaiting confirmation"), max_length=64,
                                      blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # The highest time step a code was accepted for: a code is good once only.
    last_step = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self):
        return f"TOTP · {self.user.email}"

    @property
    def setup_secret(self) -> str:
        """The secret being set up, or "" when nothing awaits confirmation."""
        if self.pending_secret:
            return self.pending_secret
        return self.secret if self.confirmed_at is None else ""
