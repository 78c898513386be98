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
    founding_members_needed = models.PositiveSmallIntegerField(
        _("founding members needed"), default=3,
        help_text=_("A group being founded becomes active once this many people have joined."),
    )

    class Meta:
        ordering = ["organisation", "kind", "name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")

    def __str__(self):
        return self.name

    def founding_members_missing(self) -> int:
        return max(0, self.founding_members_needed - self.members.count())


class GroupMember(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("member")
        COORDINATOR = "coordinator", _("coordinator")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey("people.Contact", on_delete=models.CASCADE,
                                related_name="group_memberships")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        ordering = ["group", "-role", "contact__last_name"]
        constraints = [models.UniqueConstraint(fields=["group", "contact"],
                                               name="group_member_unique")]

    def __str__(self):
        return f"{self.contact} in {self.group}"


class GroupStatusChange(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Group.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Group.Status.choices)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.group}: {self.from_status} → {self.to_status}"


class JoinRequest(BaseModel):
    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("e-mail not yet confirmed")
        PENDING = "pending", _("waiting")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")
    contact = models.ForeignKey("people.Contact", on_delete=models.CASCADE,
                                related_name="join_requests")
    message = models.TextField(_("message"), max_length=2000, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Requests from the public page wait for the e-mail to be confirmed (double opt-in).
    token_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(
            fields=["group", "contact"], condition=models.Q(status="pending"),
            name="one_pending_join_request")]

    def __str__(self):
        return f"{self.contact} → {self.group} ({self.status})"

    @property
    def organisation(self):
        return self.group.organisation


class GroupProposal(BaseModel):
    """A member's proposal for a new group, decided by the board."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE,
                                     related_name="group_proposals")
    proposed_by = models.ForeignKey("people.Contact", on_delete=models.CASCADE,
                                    related_name="group_proposals")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Group.Kind.choices,
                            default=Group.Kind.WORKING_GROUP)
    description = models.TextField(_("what the group wants to do"), max_length=5000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    group = models.OneToOneField(Group, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="proposal")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name
