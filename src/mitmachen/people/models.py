from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mitmachen.core.models import BaseModel


class Contact(BaseModel):
    """A person as one organisation knows them. Invisible to every other organisation."""

    class Status(models.TextChoices):
        INTERESTED = "interested", _("interested")
        SUPPORTER = "supporter", _("supporter")
        APPLICANT = "applicant", _("applicant")
        MEMBER = "member", _("member")
        FORMER = "former", _("former member")

    class Quota(models.TextChoices):
        FLINTA = "flinta", _("women/FLINTA*")
        OPEN = "open", _("open")

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="contacts"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    gender = models.CharField(_("gender (self-described)"), max_length=100, blank=True)
    quota_category = models.CharField(
        _("counts for the quota as"), max_length=10, choices=Quota.choices, blank=True,
        help_text=_("Used for alternating speakers' lists and 50/50 lists. May stay empty."),
    )
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    district = models.ForeignKey(
        "organisations.District", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="contacts", verbose_name=_("district"),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True,
                             help_text=_("Stored in international format, e.g. +495619201500."))
    messenger_phone = models.CharField(_("Signal/WhatsApp number"), max_length=20, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    language = models.CharField(_("preferred language"), max_length=8,
                                choices=settings.LANGUAGES, default="de")
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="contacts", verbose_name=_("account"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.INTERESTED)
    membership_number = models.CharField(_("membership number"), max_length=30, blank=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "membership_number"],
                condition=~Q(membership_number=""),
                name="contact_membership_number_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "user"], condition=Q(user__isnull=False),
                name="contact_one_per_account_and_organisation",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["organisation", "last_name", "first_name"]),
            models.Index(fields=["organisation", "email"]),
            # Partial, so that counting a district's contacts needs only the index.
            models.Index(fields=["organisation", "district"], condition=Q(erased_at__isnull=True),
                         name="contact_live_by_district"),
        ]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self):
        return self.full_name or _("(erased)")

    def get_absolute_url(self):
        return reverse("people:contact_detail", args=[self.organisation.slug, self.pk])

    @property
    def full_name(self) -> str:
        return " ".join(part for part in [self.first_name, self.last_name] if part)


class StatusChange(models.Model):
    """One step of a contact's membership history: applicant → member → former, and so on."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=Contact.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Contact.Status.choices)
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.from_status or '–'} → {self.to_status} ({self.date})"


class Consent(models.Model):
    """One grant or withdrawal. Rows are only added; the newest per channel and purpose counts."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        POST = "post", _("post")
        PHONE = "phone", _("phone")
        SMS = "sms", _("SMS")
        SIGNAL = "signal", _("Signal")
        WHATSAPP = "whatsapp", _("WhatsApp")

    class Purpose(models.TextChoices):
        INVITATIONS = "invitations", _("invitations")
        NEWSLETTER = "newsletter", _("newsletter")
        DISTRIBUTION_LIST = "distribution_list", _("distribution list")

    class Source(models.TextChoices):
        FORM = "form", _("form")
        STAFF = "staff", _("staff")
        IMPORT = "import", _("import")
        DOUBLE_OPT_IN = "double_opt_in", _("double opt-in")
        SELF = "self", _("the person themselves")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=15, choices=Source.choices)
    text_version = models.CharField(_("version of the text shown"), max_length=40)
    # For a double opt-in: the address that was confirmed. A changed address needs a new one.
    address = models.CharField(_("confirmed address"), max_length=254, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact", "channel", "purpose", "-created_at"])]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self):
        return f"{self.channel}/{self.purpose}: {'yes' if self.granted else 'no'}"


class ConsentRequest(models.Model):
    """A double opt-in waiting for the person to click the link in their e-mail."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE,
                                related_name="consent_requests")
    channel = models.CharField(max_length=10, choices=Consent.Channel.choices)
    purpose = models.CharField(max_length=20, choices=Consent.Purpose.choices)
    text_version = models.CharField(max_length=40)
    address = models.CharField(max_length=254, blank=True)
    token_digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"opt-in {self.contact_id} {self.channel}/{self.purpose}"


class MembershipApplication(models.Model):
    """A "Mitglied werden" application; it reaches the board once the e-mail is confirmed."""

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("e-mail not yet confirmed")
        PENDING = "pending", _("waiting for the board")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="applications")
    message = models.TextField(_("message to the board"), max_length=2000, blank=True)
    consents = models.JSONField(default=list, blank=True)  # [[channel, purpose], ...] asked for
    previous_status = models.CharField(max_length=12, choices=Contact.Status.choices, blank=True)
    text_version = models.CharField(max_length=40)
    token_digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices,
                              default=Status.UNCONFIRMED)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    answer = models.TextField(_("message to the applicant"), max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"application {self.contact_id} ({self.status})"

    @property
    def organisation(self):
        return self.contact.organisation
