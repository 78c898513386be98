from django.db import models
from django.utils.translation import gettext_lazy as _

from mitmachen.core.models import BaseModel


class Group(BaseModel):
    """A format or group of an organisation: plenum, café, district group, working group, …"""

    class Kind(models.TextChoices):
        ASSEMBLY = "assembly", _("General assembly")
        WORKING_GROUP = "working_group", _("Working group")
        DISTRICT_GROUP = "district_group", _("District group")
        PLENUM = "plenum", _("Plenum")
        CAFE = "cafe", _("Café")
        ACTIVISTS = "activists", _("Activists' meeting")
        BOARD = "board", _("Board")
        NETWORK = "network", _("Network")

    class Status(models.TextChoices):
        FOUNDING = "founding", _("being founded")
        ACTIVE = "active", _("active")
        DORMANT = "dormant", _("dormant")
        DISSOLVED = "dissolved", _("dissolved")

    class Audience(models.TextChoices):
        MEMBERS = "members", _("members only")
        MEMBERS_AND_INTERESTED = "members_interested", _("members and interested people")
        OPEN = "open", _("open, also to other organisations")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("public")
        MEMBERS = "members", _("members only")

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="groups"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.MEMBERS
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    description = models.TextField(_("description"), max_length=5000, blank=True)
    rhythm = models.CharField(_("meeting rhythm"), max_length=200, blank=True)
    how_to_join = models.CharField(_("how to join"), max_length=300, blank=True)
    districts = models.ManyToManyField(
        "organisations.District", blank=True, related_name="groups", verbose_name=_("districts")
    )

    class Meta:
        ordering = ["organisation", "kind", "name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")

    def __str__(self):
        return self.name
