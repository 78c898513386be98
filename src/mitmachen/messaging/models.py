from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """One message to one recipient on one channel: the outbox row.

    Written in the transaction of whatever caused it, delivered by the worker after the commit.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        LETTER = "letter", _("letter")
        SIGNAL = "signal", _("Signal")
        WHATSAPP = "whatsapp", _("WhatsApp")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    # Empty for the platform's own mails to an account (password reset).
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE,
                                     null=True, blank=True, related_name="messages")
    contact = models.ForeignKey("people.Contact", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="messages")
    mailing = models.ForeignKey("messaging.Mailing", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="messages")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    to_name = models.CharField(_("recipient"), max_length=200, blank=True)
    to_address = models.TextField(_("address"), max_length=1000)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    attachments = models.JSONField(default=list, blank=True)  # [{filename, content_type, b64}]
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=250, unique=True)
    # Access data and reports: their content never reaches a log line or a staff list.
    sensitive = models.BooleanField(default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # A bounce arrives after the server accepted the message, so the status stays "sent" and
    # the delivery bookkeeping (claims, retries, decision 0012) is untouched by it.
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    bounce_reason = models.CharField(_("bounce reason"), max_length=300, blank=True)
    bounce_permanent = models.BooleanField(_("permanent bounce"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at", "id"],
                         condition=Q(status__in=["queued", "sending"]),
                         name="message_due"),
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["mailing", "status"]),
            models.Index(fields=["organisation", "-bounced_at"],
                         condition=Q(bounced_at__isnull=False), name="message_bounced"),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.channel} #{self.pk} ({self.status})"


class Mailing(models.Model):
    """A message written once and sent to many: an invitation, a newsletter, a reminder."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE,
                                     related_name="mailings")
    class Kind(models.TextChoices):
        EMAIL_OR_LETTER = "email_or_letter", _("e-mail, or a letter without e-mail")
        SIGNAL = "signal", _("Signal")
        WHATSAPP = "whatsapp", _("WhatsApp (sent from your phone)")

    purpose = models.CharField(_("purpose"), max_length=20)  # a Consent.Purpose value
    kind = models.CharField(_("channels"), max_length=20, choices=Kind.choices,
                            default=Kind.EMAIL_OR_LETTER)
    audience = models.JSONField(_("recipients"), default=dict)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"), max_length=50000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_for = models.DateTimeField(_("send at"), null=True, blank=True)
    created_by = models.ForeignKey("core.User", on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")

    def __str__(self):
        return self.subject
