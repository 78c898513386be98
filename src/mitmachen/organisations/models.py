from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mitmachen.core.models import BaseModel


class Municipality(BaseModel):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name"), max_length=120, unique=True)
    state = models.CharField(_("federal state"), max_length=60, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organisations:municipality", args=[self.slug])


class District(BaseModel):
    """A city district (Stadtteil, Ortsbezirk). Public geography, not owned by anyone."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="districts"
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name"), max_length=120)
    number = models.PositiveSmallIntegerField(_("number"), null=True, blank=True)

    class Meta:
        ordering = ["municipality__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="district_slug_unique")
        ]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self):
        return self.name


class Organisation(BaseModel):
    class Kind(models.TextChoices):
        PARTY_BRANCH = "party_branch", _("Party branch")
        UMBRELLA = "umbrella", _("Umbrella association")
        MEMBER_ORGANISATION = "member_organisation", _("Member organisation")
        FOUNDATION = "foundation", _("Foundation")
        NETWORK = "network", _("Network")
        ASSOCIATION = "association", _("Association")

    class Level(models.IntegerChoices):
        FEDERAL = 1, pgettext_lazy("organisation level", "Federal")
        STATE = 2, pgettext_lazy("organisation level", "State")
        DISTRICT = 3, pgettext_lazy("organisation level", "District")
        LOCAL = 4, pgettext_lazy("organisation level", "Local")

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent organisation"),
    )
    # Materialised path "/1/5/12/": ancestors and subtrees in one indexed query.
    path = models.CharField(max_length=255, db_index=True, editable=False)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("municipality"),
    )
    is_public = models.BooleanField(_("public page"), default=True)

    # The public "Mitmachen" page.
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    about = models.TextField(_("who we are"), max_length=5000, blank=True)
    how_to_join = models.TextField(_("how to get involved"), max_length=5000, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organisations:detail", args=[self.slug])

    def clean(self):
        if self.parent_id is not None:
            if self.parent.level >= self.level:
                raise ValidationError(
                    {"level": _("An organisation must sit at a lower level than its parent.")}
                )
            if self.pk and f"/{self.pk}/" in self.parent.path:
                raise ValidationError({"parent": _("An organisation cannot be its own ancestor.")})

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]

    def ancestors(self):
        return Organisation.objects.filter(pk__in=self.ancestor_ids).order_by("level")

    def descendants(self):
        return Organisation.objects.filter(path__startswith=self.path).exclude(pk=self.pk)


class UmbrellaMembership(BaseModel):
    """A member organisation of an umbrella: linked, not nested, so no role or data passes."""

    umbrella = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="member_links"
    )
    member = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="umbrella_links"
    )
    since = models.DateField(_("member since"), null=True, blank=True)

    class Meta:
        ordering = ["member__name"]
        constraints = [
            models.UniqueConstraint(fields=["umbrella", "member"], name="umbrella_member_unique")
        ]
        verbose_name = _("umbrella membership")
        verbose_name_plural = _("umbrella memberships")

    def __str__(self):
        return f"{self.member} ∈ {self.umbrella}"

    def clean(self):
        if self.umbrella_id == self.member_id:
            raise ValidationError(_("An organisation cannot be a member of itself."))
        if self.umbrella.kind != Organisation.Kind.UMBRELLA:
            raise ValidationError({"umbrella": _("Only umbrella associations have members.")})


class Cooperation(BaseModel):
    """A project two or more organisations run together, such as "STADT. LAND. LINKS."."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    partners = models.ManyToManyField(
        Organisation, through="CooperationPartner", related_name="cooperations"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("cooperation")
        verbose_name_plural = _("cooperations")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organisations:cooperation", args=[self.slug])


class CooperationPartner(BaseModel):
    cooperation = models.ForeignKey(Cooperation, on_delete=models.CASCADE)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperation", "organisation"], name="cooperation_partner_unique"
            )
        ]

    def __str__(self):
        return f"{self.organisation} · {self.cooperation}"


class Place(BaseModel):
    class Kind(models.TextChoices):
        DISTRICT_CENTRE = "district_centre", _("District centre")
        OFFICE = "office", _("Office")
        VENUE = "venue", _("Venue")

    class Access(models.TextChoices):
        YES = "yes", _("yes")
        PARTLY = "partly", _("partly")
        NO = "no", _("no")
        UNKNOWN = "unknown", _("not known")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="places")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.VENUE)
    operator = models.CharField(_("operated by"), max_length=200, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    district = models.ForeignKey(
        District, on_delete=models.SET_NULL, null=True, blank=True, related_name="places",
        verbose_name=_("district"),
    )
    step_free = models.CharField(
        _("step-free access"), max_length=10, choices=Access.choices, default=Access.UNKNOWN
    )
    accessible_toilet = models.CharField(
        _("accessible toilet"), max_length=10, choices=Access.choices, default=Access.UNKNOWN
    )
    accessibility_notes = models.TextField(_("accessibility notes"), max_length=2000, blank=True)
    is_public = models.BooleanField(_("shown publicly"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")

    def __str__(self):
        return self.name

    @property
    def address(self) -> str:
        town = " ".join(part for part in [self.postcode, self.city] if part)
        return ", ".join(part for part in [self.street, town] if part)
