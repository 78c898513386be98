"""Events, meeting series, registrations and their waiting lists.

Seats are counted in `Event.seats_taken` (and `TicketCategory.seats_taken`), which only the
registration services change while they hold the event's row lock; a check constraint makes
the database refuse any write that would overbook, whatever the code above it does.
"""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from mitmachen.core.models import BaseModel


def new_nonce() -> str:
    return secrets.token_hex(8)


class Topic(BaseModel):
    """An organisation's controlled vocabulary of topics ("Partizipation / Bürgerrechte")."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="topics"
    )
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("short name"), max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="topic_unique_slug"),
        ]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self):
        return self.name


class Kind(models.TextChoices):
    ASSEMBLY = "assembly", _("Assembly")
    MEETING = "meeting", _("Meeting")
    NETWORK_MEETING = "network_meeting", _("Network meeting")
    PLENUM = "plenum", _("Plenum")
    FESTIVAL = "festival", _("Festival")
    TRAINING = "training", _("Training")
    CONSULTATION = "consultation", _("Consultation hours")
    INFO_STAND = "info_stand", _("Information stand")
    DEMONSTRATION = "demonstration", _("Demonstration")
    OTHER = "other", _("Other")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("public")
    MEMBERS = "members", _("members only")
    INVITED = "invited", _("invited only")


class EventSeries(BaseModel):
    """A meeting series: an RFC 5545 rule with exceptions, or a plan given as a list of dates.

    Its occurrences are Event rows (materialised up to a horizon), so each can be edited,
    registered for and cancelled on its own."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="event_series"
    )
    group = models.ForeignKey(
        "groups.Group", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="event_series", verbose_name=_("group"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=20000, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    rrule = models.CharField(
        _("recurrence rule"), max_length=500, blank=True,
        help_text=_("RFC 5545, for example FREQ=MONTHLY;INTERVAL=2. Empty for a plan of dates."),
    )
    dtstart = models.DateTimeField(_("first start"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=120)
    exdates = models.JSONField(_("exceptions"), default=list, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="series",
                                    verbose_name=_("topics"))
    uid = models.CharField(max_length=64, unique=True, default=new_nonce, editable=False)

    class Meta:
        ordering = ["title"]
        verbose_name = _("event series")
        verbose_name_plural = _("event series")

    def __str__(self):
        return self.title


class Event(BaseModel):
    Kind = Kind
    Visibility = Visibility

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        TENTATIVE = "tentative", _("not yet confirmed")
        CONFIRMED = "confirmed", _("confirmed")
        CANCELLED = "cancelled", _("cancelled")
        POSTPONED = "postponed", _("postponed")

    class Registration(models.TextChoices):
        NONE = "none", _("no registration")
        OPEN = "open", _("members and public")
        MEMBERS = "members", _("members only")
        INVITED = "invited", _("by invitation (staff registers)")

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
    series = models.ForeignKey(
        EventSeries, on_delete=models.CASCADE, null=True, blank=True, related_name="occurrences",
        verbose_name=_("series"),
    )
    # The start the series rule gave this occurrence (RECURRENCE-ID), even after it moved.
    recurrence_id = models.DateTimeField(null=True, blank=True, editable=False)
    customised = models.BooleanField(
        default=False, editable=False,
        help_text="Edited on its own: a change of the series no longer overwrites it.",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=20000, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    topics = models.ManyToManyField(Topic, blank=True, related_name="events",
                                    verbose_name=_("topics"))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    status_note = models.CharField(_("note on the status"), max_length=300, blank=True)
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
    accessibility_note = models.TextField(_("accessibility"), max_length=2000, blank=True)
    fee = models.DecimalField(_("fee (EUR)"), max_digits=8, decimal_places=2, null=True,
                              blank=True, help_text=_("Empty when free of charge."))
    fee_note = models.CharField(_("note on the fee"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)

    registration = models.CharField(
        _("registration"), max_length=10, choices=Registration.choices, default=Registration.NONE
    )
    capacity = models.PositiveIntegerField(_("seats"), null=True, blank=True,
                                           help_text=_("Empty for no limit."))
    seats_taken = models.PositiveIntegerField(default=0, editable=False)
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(_("registration closes"), null=True,
                                                  blank=True)
    approval_required = models.BooleanField(_("registrations need approval"), default=False)
    double_opt_in = models.BooleanField(_("public registrations confirm their e-mail"),
                                        default=False)
    offer_hours = models.PositiveIntegerField(
        _("hours to accept a seat from the waiting list"), default=48,
        validators=[MaxValueValidator(24 * 365)])
    reminder_hours = models.JSONField(
        _("reminders (hours before the start)"), default=list, blank=True)
    uid = models.CharField(max_length=64, unique=True, default=new_nonce, editable=False)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["organisation", "starts_at"]),
            models.Index(fields=["visibility", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(seats_taken__lte=F("capacity")),
                name="event_never_overbooked",
            ),
            models.UniqueConstraint(fields=["series", "recurrence_id"],
                                    name="event_one_per_recurrence"),
        ]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self):
        return self.title

    def clean(self):
        for name in ("starts_at", "ends_at"):
            value = getattr(self, name)
            if value is not None and not 1900 <= value.year <= 2200:
                raise ValidationError({name: _("Please give a date between 1900 and 2200.")})
        if self.ends_at and self.starts_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": _("The end lies before the start.")})
        if (self.registration_opens_at and self.registration_closes_at
                and self.registration_closes_at < self.registration_opens_at):
            raise ValidationError({"registration_closes_at": _(
                "Registration closes before it opens.")})

    @property
    def seats_left(self):
        if self.capacity is None:
            return None
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_tentative(self) -> bool:
        return self.status == self.Status.TENTATIVE


class OnlineAccess(models.Model):
    """Link, meeting ID and passcode, kept apart from the event so that no page, feed or API
    schema that reads an event can show them by accident."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, primary_key=True,
                                 related_name="online_access")
    url = models.URLField(_("meeting link"), max_length=500, blank=True)
    meeting_id = models.CharField(_("meeting ID"), max_length=100, blank=True)
    passcode = models.CharField(_("passcode"), max_length=100, blank=True)
    note = models.CharField(_("dial-in and other notes"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("online access data")

    def __str__(self):
        return f"access data for {self.event_id}"


class Speaker(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="speakers")
    name = models.CharField(_("name"), max_length=200)
    affiliation = models.CharField(_("organisation"), max_length=200, blank=True)
    contribution = models.CharField(_("input"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("speaker")

    def __str__(self):
        return self.name


class EventFile(BaseModel):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="files")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(upload_to="events/%Y/%m/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["title"]
        verbose_name = _("file")

    def __str__(self):
        return self.title


class TicketCategory(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveIntegerField(_("seats"), null=True, blank=True)
    seats_taken = models.PositiveIntegerField(default=0, editable=False)
    price = models.DecimalField(_("price (EUR)"), max_digits=8, decimal_places=2, null=True,
                                blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(seats_taken__lte=F("capacity")),
                name="category_never_overbooked",
            ),
        ]
        verbose_name = _("ticket category")

    def __str__(self):
        return self.name


class Question(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        CHOICE = "choice", _("choice")
        YES_NO = "yes_no", _("yes or no")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("question")

    def __str__(self):
        return self.label


class Registration(BaseModel):
    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("e-mail not yet confirmed")
        PENDING = "pending", _("awaiting approval")
        CONFIRMED = "confirmed", _("confirmed")
        WAITING = "waiting", _("on the waiting list")
        OFFERED = "offered", _("seat offered")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("offer expired")
        DECLINED = "declined", _("declined")

    class Source(models.TextChoices):
        ONLINE = "online", _("online form")
        STAFF = "staff", _("entered by staff")
        PHONE = "phone", _("by phone")
        API = "api", _("API")

    HOLDS_SEAT = (Status.CONFIRMED, Status.OFFERED)
    ACTIVE = (Status.UNCONFIRMED, Status.PENDING, Status.CONFIRMED, Status.WAITING,
              Status.OFFERED)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    category = models.ForeignKey(TicketCategory, on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="registrations",
                                 verbose_name=_("ticket category"))
    contact = models.ForeignKey("people.Contact", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="registrations")
    user = models.ForeignKey("core.User", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="registrations")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices,
                              default=Source.ONLINE)
    language = models.CharField(max_length=10, default="de")
    nonce = models.CharField(max_length=32, default=new_nonce, editable=False)
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    # When the registration joined the waiting list: someone who confirms their address or is
    # approved later queues behind those already waiting.
    waiting_since = models.DateTimeField(null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended_at = models.DateTimeField(_("attended"), null=True, blank=True)
    staff_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["event", "status"]),
            models.Index(fields=["status", "offer_expires_at"]),
        ]
        constraints = [
            # One active registration per address and event: a double click or a second tab
            # gets a clear message instead of a second seat.
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=Q(status__in=["unconfirmed", "pending", "confirmed", "waiting",
                                        "offered"]) & ~Q(email=""),
                name="registration_one_active_per_email",
            ),
        ]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def name(self) -> str:
        return str(self)

    @property
    def holds_seat(self) -> bool:
        return self.status in self.HOLDS_SEAT


class ReminderSent(models.Model):
    """One row per reminder and registration, so a reminder run twice sends once."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE,
                                     related_name="reminders")
    hours = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registration", "hours"],
                                               name="reminder_once")]

    def __str__(self):
        return f"reminder {self.hours} h for {self.registration_id}"


class CalendarToken(models.Model):
    """The secret in a person's calendar feed URL: calendar apps cannot log in."""

    user = models.OneToOneField("core.User", on_delete=models.CASCADE,
                                related_name="calendar_token")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"calendar token of {self.user_id}"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
