"""The reporting channel. Isolated on purpose: nothing here points at contacts, and every text a
reporter or officer writes is stored encrypted (see crypto.py and decision 0020). What stays
readable is what the channel needs to run: the organisation, a number, the category, the
status, dates (days, not times, for the report itself) and who of the officers holds a key.

The report's own rows (the report, its wrapped keys, the files sent with it) carry the day of
submission as their creation time, not the moment: see services.report_submit.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mitmachen.core.models import BaseModel


class Category(models.TextChoices):
    SEXUALISED_VIOLENCE = "sexualised_violence", _("Sexualised violence or harassment")
    SEXISM = "sexism", _("Sexism")
    RACISM = "racism", _("Racism")
    ANTISEMITISM = "antisemitism", _("Antisemitism")
    LGBTIQ = "lgbtiq", _("Hostility towards LGBTIQ* people")
    DISABILITY = "disability", _("Discrimination because of a disability")
    AGE = "age", _("Discrimination because of age")
    CLASS = "class", _("Discrimination because of social or economic status")
    RELIGION = "religion", _("Discrimination because of religion or belief")
    VIOLENCE = "violence", _("Physical violence or threats")
    OTHER = "other", _("Other or not sure")


class Wish(models.TextChoices):
    ADVICE = "advice", _("Advice")
    MEDIATION = "mediation", _("Mediation")
    PROCEDURE = "procedure", _("A formal procedure")
    DOCUMENT = "document", _("Only to have it documented")


class ChannelSettings(BaseModel):
    organisation = models.OneToOneField("organisations.Organisation", on_delete=models.CASCADE,
                                        related_name="report_settings")
    retention_days = models.PositiveIntegerField(
        _("retention period (days)"), default=730,
        validators=[MinValueValidator(30), MaxValueValidator(3650)],
        help_text=_("A report is deleted for good this many days after its last activity."))
    warning_days = models.PositiveIntegerField(
        _("warning before deletion (days)"), default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)])
    introduction = models.TextField(
        _("introduction on the report form"), blank=True, max_length=4000,
        help_text=_("Who reads reports and what happens next. No personal data of reporters."))
    last_number = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("reporting channel settings")

    def __str__(self):
        return str(self.organisation)


class OfficerKey(BaseModel):
    """An officer's key pair; the private key only sealed with their passphrase."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="report_key")
    public_key = models.BinaryField(max_length=32)
    sealed_private_key = models.BinaryField(max_length=128)
    salt = models.BinaryField(max_length=32)
    opslimit = models.PositiveBigIntegerField()
    memlimit = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return str(self.user)


class Reader(BaseModel):
    """An officer whom the organisation's reports are encrypted for.

    Holding the officer role is not enough: whoever can grant roles (an administrator) could
    otherwise appoint a reader of every new report. An approved reader approves each further
    one; only the very first officer of a channel is approved without (approved_by empty)."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE,
                                     related_name="report_readers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="report_readerships")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["organisation", "user"],
                                               name="report_reader_unique")]
        verbose_name = _("approved reader")
        verbose_name_plural = _("approved readers")

    def __str__(self):
        return f"{self.user} · {self.organisation}"


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    MEASURES = "measures", _("Measures taken")
    CLOSED = "closed", _("Closed")


def _key_name() -> str:
    return uuid.uuid4().hex


class Report(BaseModel):
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE,
                                     related_name="reports")
    # Names the shredding key in the key store; never shown, never guessable from the number.
    key_name = models.CharField(max_length=32, unique=True, editable=False,
                                default=_key_name)
    number = models.PositiveIntegerField()
    category = models.CharField(max_length=30, choices=Category.choices, default=Category.OTHER)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    received_on = models.DateField()
    last_activity_on = models.DateField()
    expires_on = models.DateField()
    warned_on = models.DateField(null=True, blank=True)
    deadline = models.DateField(null=True, blank=True)
    # Encrypted JSON: what, when, where, who, wish, contact.
    payload = models.BinaryField()
    receipt_lookup = models.CharField(max_length=64, unique=True)
    receipt_wrap = models.BinaryField(max_length=128)
    unread_by_officers = models.BooleanField(default=True)
    unread_by_reporter = models.BooleanField(default=False)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["organisation", "number"],
                                               name="report_number_unique")]

    def __str__(self):
        return _("Report %(number)s") % {"number": self.reference}

    @property
    def reference(self) -> str:
        return f"{self.received_on:%Y}-{self.number:04d}"

    @property
    def quarter(self) -> int:
        return (self.received_on.month - 1) // 3 + 1


class ReportKey(models.Model):
    """The report key, wrapped for one officer."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="keys")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="report_keys")
    wrapped = models.BinaryField(max_length=128)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["report", "officer"],
                                               name="report_key_unique")]

    def __str__(self):
        return f"{self.report_id}/{self.officer_id}"


class Message(BaseModel):
    """One turn of the conversation between the reporter and the officers."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages")
    from_reporter = models.BooleanField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    body = models.BinaryField()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.report_id}#{self.pk}"


class Attachment(BaseModel):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="attachments")
    from_reporter = models.BooleanField(default=True)
    # Encrypted JSON {name, type}; the content encrypted on its own.
    meta = models.BinaryField()
    content = models.BinaryField()
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.report_id}:{self.pk}"


class EntryKind(models.TextChoices):
    NOTE = "note", _("Note")
    MEASURE = "measure", _("Measure")
    DECISION = "decision", _("Decision")
    STATUS = "status", _("Status change")
    DEADLINE = "deadline", _("Deadline")
    ACCESS = "access", _("Access")


class CaseEntry(BaseModel):
    """The officers' own record of a case; never shown to the reporter."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    body = models.BinaryField()

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = _("case entries")

    def __str__(self):
        return f"{self.report_id}:{self.kind}"


class Tally(models.Model):
    """Reports received per quarter and category, kept when the reports themselves expire."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE,
                                     related_name="report_tallies")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=30, choices=Category.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["year", "quarter", "category"]
        constraints = [models.UniqueConstraint(fields=["organisation", "year", "quarter",
                                                       "category"], name="report_tally_unique")]

    def __str__(self):
        return f"{self.year} Q{self.quarter} {self.category}: {self.count}"
