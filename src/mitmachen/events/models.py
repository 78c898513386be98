from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from mitmachen.core.models import BaseModel


class Event(BaseModel):
    class Kind(models.TextChoices):
        ASSEMBLY = "assembly", _("Assembly")
        MEETING = "meeting", _("Meeting")
        NETWORK_MEETING = "network_meeting", _("Network meeting")
        PLENUM = "plenum", _("Plenum")
        FESTIVAL = "festival", _("Festival")
        TRAINING = "training", _("Training")
        CONSULTATION = "consultation", _("Consultation hours")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        TENTATIVE = "tentative", _("not yet confirmed")
        CONFIRMED = "confirmed", _("confirmed")
        CANCELLED = "cancelled", _("cancelled")
        POSTPONED = "postponed", _("postponed")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("public")
        MEMBERS = "members", _("members only")
        INVITED = "invited", _("invited only")

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="events"
    )
    cooperation = models.ForeignKey(
        "organisations.Cooperation", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="events", verbose_name=_("cooperation"),
    )
    group = models.ForeignKey(
        "groups.Group", on_delete=models.SET_NULL, null=True, blank=True, related_name="events",
        verbose_name=_("group"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=20000, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    place = models.ForeignKey(
        "organisations.Place", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="events", verbose_name=_("place"),
    )
    is_online = models.BooleanField(_("online"), default=False)
    venue_note = models.CharField(
        _("venue note"), max_length=200, blank=True,
        help_text=_('For example "to be decided" or "probably at Camsin e. V."'),
    )

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["organisation", "starts_at"])]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self):
        return self.title

    def clean(self):
        if self.ends_at and self.starts_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": _("The end lies before the start.")})
