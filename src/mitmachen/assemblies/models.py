"""The record of an assembly. Everything the minutes state is a row here, so the draft can be
generated from it; counts that must add up (seats, ballots) are guarded by constraints."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mitmachen.core.models import BaseModel
from mitmachen.events.models import new_nonce


class QuotaCategory(models.TextChoices):
    FLINTA = "flinta", _("women/FLINTA*")
    OPEN = "open", _("open")


class Majority(models.TextChoices):
    SIMPLE = "simple", _("simple majority")
    ABSOLUTE = "absolute", _("absolute majority")
    TWO_THIRDS = "two_thirds", _("two-thirds majority")


class AssemblyRules(BaseModel):
    """An organisation's statutes for assemblies. Copied onto each assembly when it is created,
    so a later change of the statutes does not rewrite the record of past assemblies."""

    class Quorum(models.TextChoices):
        NONE = "none", _("no quorum required")
        ABSOLUTE = "absolute", _("a number of voting members")
        SHARE = "share", _("a share of all voting members (per cent)")

    organisation = models.OneToOneField("organisations.Organisation", on_delete=models.CASCADE,
                                        related_name="assembly_rules")
    lead_days = models.PositiveSmallIntegerField(
        _("invitation lead time (days)"), default=21, validators=[MaxValueValidator(365)],
        help_text=_("The statutes' minimum time between invitation and assembly."))
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder (days before)"), default=3, validators=[MaxValueValidator(60)])
    quorum_kind = models.CharField(_("quorum"), max_length=10, choices=Quorum.choices,
                                   default=Quorum.NONE)
    quorum_value = models.PositiveIntegerField(
        _("quorum value"), default=0, validators=[MaxValueValidator(1_000_000)],
        help_text=_("A number of members, or a percentage for a share."))
    alternate = models.BooleanField(_("speakers alternate women/FLINTA* and open"),
                                    default=True)
    first_time_first = models.BooleanField(_("first-time speakers come first"), default=True)
    speaking_seconds = models.PositiveIntegerField(
        _("speaking time (seconds)"), default=180,
        validators=[MinValueValidator(10), MaxValueValidator(3600)])

    class Meta:
        ordering = ["organisation"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quorum_kind="share") | Q(quorum_value__lte=100),
                name="assembly_rules_share_at_most_100"),
        ]
        verbose_name = _("assembly rules")
        verbose_name_plural = _("assembly rules")

    def __str__(self):
        return str(self.organisation)


class Assembly(BaseModel):
    class Status(models.TextChoices):
        PREPARING = "preparing", _("in preparation")
        INVITED = "invited", _("invited")
        IN_SESSION = "in_session", _("in session")
        CLOSED = "closed", _("closed")

    event = models.OneToOneField("events.Event", on_delete=models.CASCADE,
                                 related_name="assembly", verbose_name=_("event"))
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE,
                                     related_name="assemblies")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.PREPARING)
    reference_date = models.DateField(
        _("reference date for voting rights"),
        help_text=_("Members in good standing on this day may vote."))
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("chair"))
    minute_taker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("minute-taker"))
    # The statutes in force when the assembly was called (see AssemblyRules).
    lead_days = models.PositiveSmallIntegerField(
        _("invitation lead time (days)"), default=21, validators=[MaxValueValidator(365)])
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder (days before)"), default=3, validators=[MaxValueValidator(60)])
    quorum_kind = models.CharField(_("quorum"), max_length=10,
                                   choices=AssemblyRules.Quorum.choices,
                                   default=AssemblyRules.Quorum.NONE)
    quorum_value = models.PositiveIntegerField(
        _("quorum value"), default=0, validators=[MaxValueValidator(1_000_000)])
    alternate = models.BooleanField(_("speakers alternate women/FLINTA* and open"),
                                    default=True)
    first_time_first = models.BooleanField(_("first-time speakers come first"), default=True)
    speaking_seconds = models.PositiveIntegerField(
        _("speaking time (seconds)"), default=180,
        validators=[MinValueValidator(10), MaxValueValidator(3600)])

    invitation_text = models.TextField(_("invitation text"), max_length=20000, blank=True)
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    current_item = models.ForeignKey("AgendaItem", on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+")
    # Bumped in every transaction that changes what the live view shows.
    live_version = models.PositiveBigIntegerField(default=0, editable=False)
    # The hall projector's link; a new nonce invalidates it.
    projector_nonce = models.CharField(max_length=64, default=new_nonce, editable=False)

    class Meta:
        ordering = ["-event__starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quorum_kind="share") | Q(quorum_value__lte=100),
                name="assembly_share_at_most_100"),
        ]
        verbose_name = _("assembly")
        verbose_name_plural = _("assemblies")

    def __str__(self):
        return self.event.title

    def get_absolute_url(self):
        return reverse("assemblies:detail", args=[self.organisation.slug, self.pk])


class AgendaItem(BaseModel):
    class Kind(models.TextChoices):
        DISCUSSION = "discussion", _("discussion")
        REPORT = "report", _("report")
        MOTIONS = "motions", _("motions")
        ELECTION = "election", _("election")
        DISCHARGE = "discharge", _("discharge of the board")
        OTHER = "other", _("other business")

    class Status(models.TextChoices):
        PENDING = "pending", _("not yet discussed")
        CURRENT = "current", _("under discussion")
        DONE = "done", _("done")

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="items")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="children", verbose_name=_("part of"))
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=10000, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices,
                            default=Kind.DISCUSSION)
    minutes_estimate = models.PositiveSmallIntegerField(
        _("time estimate (minutes)"), null=True, blank=True, validators=[MaxValueValidator(600)])
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    list_closed = models.BooleanField(_("speakers' list closed"), default=False)
    notes = models.TextField(_("notes for the minutes"), max_length=20000, blank=True)

    class Meta:
        ordering = ["assembly", "position", "pk"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self):
        return self.title


class AgendaDocument(BaseModel):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="assemblies/%Y/")
    content_type = models.CharField(max_length=100, editable=False)
    size = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["item", "title", "pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self):
        return self.title


class Participant(BaseModel):
    """An eligible voter (a member in good standing on the reference date) or a guest."""

    class Kind(models.TextChoices):
        VOTER = "voter", _("voting member")
        GUEST = "guest", _("guest")

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE,
                                 related_name="participants")
    contact = models.ForeignKey("people.Contact", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="assembly_participations")
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices, default=Kind.VOTER)
    name = models.CharField(_("name"), max_length=200)
    quota_category = models.CharField(_("counts for the quota as"), max_length=10,
                                      choices=QuotaCategory.choices, blank=True)
    present = models.BooleanField(_("present"), default=False)
    nonce = models.CharField(max_length=64, default=new_nonce, editable=False)

    class Meta:
        ordering = ["assembly", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assembly", "contact"],
                                    condition=Q(contact__isnull=False),
                                    name="participant_once_per_assembly"),
        ]
        indexes = [models.Index(fields=["assembly", "kind", "present"])]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self):
        return self.name


class AttendanceEntry(models.Model):
    """Arrivals and departures, for the minutes ("present from 19:05 to 21:40")."""

    class Action(models.TextChoices):
        ARRIVED = "arrived", _("arrived")
        LEFT = "left", _("left")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="attendance")
    action = models.CharField(max_length=8, choices=Action.choices)
    at = models.DateTimeField(_("time"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    via_code = models.BooleanField(default=False)  # checked in by scanning the member's QR code

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.participant} {self.action} {self.at:%H:%M}"


class Invitation(models.Model):
    """Proof of invitation: who was invited, by which channel, when, and a hash of what they
    received. Kept for the minutes even when the outbox's copy of the message is purged."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("invitation")
        REMINDER = "reminder", _("reminder")

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        LETTER = "letter", _("letter")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="invitations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=6, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=400)
    message = models.ForeignKey("messaging.Message", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    content_sha256 = models.CharField(_("content hash (SHA-256)"), max_length=64)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["participant__name", "participant_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "kind"],
                                    name="invitation_once_per_kind"),
        ]

    def __str__(self):
        return f"{self.participant} {self.kind} {self.channel}"


class SpeakerRequest(models.Model):
    class Kind(models.TextChoices):
        REGULAR = "regular", _("contribution")
        POINT_OF_ORDER = "point_of_order", _("point of order")
        PRO = "pro", _("speech for")
        CONTRA = "contra", _("speech against")

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        SPEAKING = "speaking", _("speaking")
        DONE = "done", _("has spoken")
        WITHDRAWN = "withdrawn", _("withdrawn")

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="speakers")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="speaker_requests")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices,
                            default=Kind.REGULAR)
    category = models.CharField(max_length=10, choices=QuotaCategory.choices)
    first_time = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    pinned = models.PositiveIntegerField(null=True, blank=True)  # chair override
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item", "requested_at", "pk"]
        constraints = [
            # One waiting request of a kind per person: pressing twice does not queue twice.
            models.UniqueConstraint(fields=["item", "participant", "kind"],
                                    condition=Q(status="waiting"),
                                    name="speaker_request_once_waiting"),
            models.UniqueConstraint(fields=["item"], condition=Q(status="speaking"),
                                    name="speaker_one_at_a_time"),
        ]

    def __str__(self):
        return f"{self.participant} ({self.kind})"


class ChairAction(models.Model):
    """What the chair decided against the rules, and why (overrides, closing the list)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="chair_actions")
    action = models.CharField(max_length=40)
    reason = models.CharField(_("reason"), max_length=500)
    request = models.ForeignKey(SpeakerRequest, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.action}: {self.reason}"


class Motion(BaseModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        ADMITTED = "admitted", _("admitted")
        ADOPTED = "adopted", _("adopted")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")
        REFERRED = "referred", _("referred")

    class Recommendation(models.TextChoices):
        NONE = "", _("no recommendation")
        ADOPT = "adopt", _("adopt")
        REJECT = "reject", _("reject")
        AMEND = "amend", _("adopt with changes")
        REFER = "refer", _("refer")

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="motions")
    item = models.ForeignKey(AgendaItem, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="motions", verbose_name=_("agenda item"))
    amends = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="amendments", verbose_name=_("amends"))
    number = models.CharField(_("number"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), max_length=50000)
    reasoning = models.TextField(_("reasoning"), max_length=20000, blank=True)
    submitter = models.ForeignKey("people.Contact", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="motions")
    submitter_name = models.CharField(_("submitted by"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.SUBMITTED)
    recommendation = models.CharField(_("board's recommendation"), max_length=8,
                                      choices=Recommendation.choices, blank=True)
    recommendation_text = models.TextField(_("reason for the recommendation"),
                                           max_length=5000, blank=True)

    class Meta:
        ordering = ["assembly", "pk"]
        constraints = [models.UniqueConstraint(fields=["assembly", "number"],
                                               name="motion_number_unique")]
        verbose_name = _("motion")
        verbose_name_plural = _("motions")

    def __str__(self):
        return f"{self.number} {self.title}"


class MotionSupporter(models.Model):
    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="supporters")
    contact = models.ForeignKey("people.Contact", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["motion", "contact"],
                                               name="motion_supported_once")]

    def __str__(self):
        return f"{self.motion_id}/{self.contact_id}"


class Election(BaseModel):
    """A board or list election with its quota rules; the result is computed by
    rules.quota.allocate from the votes."""

    class Kind(models.TextChoices):
        BOARD = "board", _("board election")
        LIST = "list", _("list election")

    class Method(models.TextChoices):
        SECRET = "secret", _("secret electronic ballot")
        PAPER = "paper", _("paper ballots counted by the tellers")

    class Status(models.TextChoices):
        NOMINATING = "nominating", _("nominations open")
        VOTING = "voting", _("voting")
        COUNTED = "counted", _("counted")

    class Reserved(models.TextChoices):
        NONE = "none", _("no reserved places")
        ODD = "odd", _("odd places for women/FLINTA*")
        EVEN = "even", _("even places for women/FLINTA*")

    class Fallback(models.TextChoices):
        VACANT = "vacant", _("the place stays free")
        OPEN = "open", _("the place goes to open")

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="elections")
    item = models.ForeignKey(AgendaItem, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="elections", verbose_name=_("agenda item"))
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices, default=Kind.BOARD)
    seats = models.PositiveSmallIntegerField(
        pgettext_lazy("election", "places"),
        validators=[MinValueValidator(1), MaxValueValidator(200)])
    reserved = models.CharField(_("reserved places"), max_length=5, choices=Reserved.choices,
                                default=Reserved.NONE)
    min_share = models.PositiveSmallIntegerField(
        _("minimum share of women/FLINTA* (per cent)"), default=0,
        validators=[MaxValueValidator(100)])
    fallback = models.CharField(_("when no woman/FLINTA* can take a reserved place"),
                                max_length=6, choices=Fallback.choices, default=Fallback.VACANT)
    votes_per_ballot = models.PositiveSmallIntegerField(
        _("votes per ballot"), null=True, blank=True,
        help_text=_("Empty: as many as there are places."))
    min_votes = models.PositiveIntegerField(
        _("minimum votes to be elected"), default=1,
        help_text=_("For example more than half of the valid ballots."))
    method = models.CharField(_("voting"), max_length=6, choices=Method.choices,
                              default=Method.SECRET)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.NOMINATING)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set when voting opens: the number of present voters (the most ballots possible).
    eligible_at_open = models.PositiveIntegerField(null=True, blank=True)
    # Counts: from the ballot box, or entered by the tellers for paper ballots.
    ballots_cast = models.PositiveIntegerField(default=0)
    ballots_invalid = models.PositiveIntegerField(default=0)
    ballots_abstain = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)  # the Allocation, for the record

    class Meta:
        ordering = ["assembly", "pk"]
        verbose_name = _("election")
        verbose_name_plural = _("elections")

    def __str__(self):
        return self.title


class Candidate(models.Model):
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    participant = models.ForeignKey(Participant, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("counts for the quota as"), max_length=10,
                                choices=QuotaCategory.choices)
    nominated = models.PositiveIntegerField(default=0)  # order of nomination: breaks ties
    votes = models.PositiveIntegerField(default=0)
    place = models.PositiveSmallIntegerField(null=True, blank=True)  # after counting
    withdrawn = models.BooleanField(default=False)

    class Meta:
        ordering = ["election", "nominated", "pk"]

    def __str__(self):
        return self.name


class Vote(BaseModel):
    """A yes/no/abstain decision: on a motion, the board's discharge, or anything else."""

    class Subject(models.TextChoices):
        MOTION = "motion", _("motion")
        DISCHARGE = "discharge", _("discharge of the board")
        OTHER = "other", _("other question")

    class Method(models.TextChoices):
        OPEN = "open", _("open vote (show of hands)")
        CARDS = "cards", _("card count entered by the chair")
        ELECTRONIC = "electronic", _("electronic, named")
        SECRET = "secret", _("electronic, secret")

    class Status(models.TextChoices):
        PREPARED = "prepared", _("prepared")
        OPEN = "open", _("voting")
        CLOSED = "closed", _("closed")

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="votes")
    item = models.ForeignKey(AgendaItem, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="votes")
    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="votes")
    subject = models.CharField(max_length=10, choices=Subject.choices, default=Subject.MOTION)
    question = models.CharField(_("question"), max_length=500)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    majority = models.CharField(_("majority"), max_length=10, choices=Majority.choices,
                                default=Majority.SIMPLE)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PREPARED)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    eligible_at_open = models.PositiveIntegerField(null=True, blank=True)
    yes = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    abstain = models.PositiveIntegerField(default=0)
    adopted = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["assembly", "pk"]

    def __str__(self):
        return self.question


class VoteCast(models.Model):
    """Who has voted (one vote each, enforced by the database). For a named vote it also holds
    the choice; for a secret vote it does not, and the choice is a Ballot without any link."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="casts")
    election = models.ForeignKey(Election, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="casts")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=8, blank=True)  # named votes only: yes/no/abstain

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "participant"],
                                    condition=Q(vote__isnull=False), name="one_vote_each"),
            models.UniqueConstraint(fields=["election", "participant"],
                                    condition=Q(election__isnull=False),
                                    name="one_ballot_each"),
            models.CheckConstraint(condition=Q(vote__isnull=True) ^ Q(election__isnull=True),
                                   name="cast_for_vote_or_election"),
        ]

    def __str__(self):
        return f"cast {self.pk}"


class Ballot(models.Model):
    """A secret ballot. No voter, no time, a random key: nothing in the row or its neighbours
    leads back to who cast it (see docs/decisions/0016-secret-ballots.md)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="ballots")
    election = models.ForeignKey(Election, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="ballots")
    # A vote: "yes" / "no" / "abstain". An election: sorted candidate ids, [] for abstention.
    choice = models.JSONField()
    invalid = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(vote__isnull=True) ^ Q(election__isnull=True),
                                   name="ballot_for_vote_or_election"),
        ]

    def __str__(self):
        return str(self.pk)


class Resolution(BaseModel):
    """The organisation's register of resolutions, numbered per year."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE,
                                     related_name="resolutions")
    assembly = models.ForeignKey(Assembly, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="resolutions")
    vote = models.OneToOneField(Vote, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="resolution")
    number = models.CharField(_("number"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), max_length=50000)
    decided_on = models.DateField(_("decided on"))
    result = models.CharField(_("result"), max_length=200)

    class Meta:
        ordering = ["-decided_on", "-pk"]
        constraints = [models.UniqueConstraint(fields=["organisation", "number"],
                                               name="resolution_number_unique")]
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")

    def __str__(self):
        return f"{self.number} {self.title}"


class Minutes(BaseModel):
    assembly = models.OneToOneField(Assembly, on_delete=models.CASCADE, related_name="minutes")
    text = models.TextField(_("minutes"), max_length=200000)
    generated_at = models.DateTimeField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        ordering = ["assembly"]
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self):
        return str(self.assembly)


