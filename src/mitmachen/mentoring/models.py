"""Mentoring programmes, applications with their profiles, matching runs, pairs and the
accompaniment of a pair (meetings, shared goals, private notes, feedback)."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mitmachen.core.models import BaseModel


def _nonce() -> str:
    return secrets.token_hex(8)


class Programme(BaseModel):
    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("Everyone")
        WOMEN = "women", _("Women/FLINTA*")
        YOUNG = "young", _("Young people (under 30)")
        NEWCOMERS = "newcomers", _("New members")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Applications open")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE,
                                     related_name="mentoring_programmes")
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name in the address"), max_length=80)
    description = models.TextField(_("description"), blank=True, max_length=10000)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices,
                                default=Audience.EVERYONE)
    # Applies to mentees; mentors may come from anywhere unless the programme says otherwise.
    audience_applies_to_mentors = models.BooleanField(_("mentors must belong to the audience too"),
                                                      default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.DRAFT)
    cohort_starts = models.DateField(_("cohort starts"))
    cohort_ends = models.DateField(_("cohort ends"))
    mentee_window_opens = models.DateField(_("mentee applications open"))
    mentee_window_closes = models.DateField(_("mentee applications close"))
    mentor_window_opens = models.DateField(_("mentor applications open"))
    mentor_window_closes = models.DateField(_("mentor applications close"))
    coordinator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("coordinator"))
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    max_mentees_per_mentor = models.PositiveSmallIntegerField(
        _("most mentees one mentor may take"), default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)])

    class Meta:
        ordering = ["-cohort_starts", "title"]
        constraints = [models.UniqueConstraint(fields=["organisation", "slug"],
                                               name="mentoring_programme_slug_unique")]

    def __str__(self):
        return self.title


class Application(BaseModel):
    """One person's application to a programme, as mentee or mentor, with the profile the
    matching reads. Reachable by a personal link; linked to an account when made logged in."""

    class Role(models.TextChoices):
        MENTEE = "mentee", _("Mentee")
        MENTOR = "mentor", _("Mentor")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        PROPOSED = "proposed", _("Proposal sent")
        MATCHED = "matched", _("In a pair")
        WAITING = "waiting", _("Waiting list")
        DECLINED = "declined", _("Not admitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        FINISHED = "finished", _("Finished")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE,
                                  related_name="applications")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.APPLIED)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="mentoring_applications")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), max_length=254)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    nonce = models.CharField(max_length=16, default=_nonce, editable=False)
    consent_at = models.DateTimeField(_("consent given"))
    # The profile (vocabulary keys from mentoring/vocabulary.py).
    fields = models.JSONField(_("fields of interest"), default=list, blank=True)
    bodies = models.JSONField(_("kinds of body"), default=list, blank=True)
    activities = models.JSONField(_("activities"), default=list, blank=True)
    times = models.JSONField(_("preferred times"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    needs = models.JSONField(_("accessibility needs"), default=list, blank=True)
    offers = models.JSONField(_("accessibility offered"), default=list, blank=True)
    requires = models.JSONField(_("binding wishes"), default=list, blank=True)
    hours_per_month = models.PositiveSmallIntegerField(
        _("hours per month"), validators=[MinValueValidator(1), MaxValueValidator(80)])
    district = models.CharField(_("district"), max_length=100, blank=True)
    gender = models.CharField(_("gender"), max_length=20, blank=True)
    goals = models.TextField(_("goals"), blank=True, max_length=4000)
    experience = models.TextField(_("experience"), blank=True, max_length=4000)
    other_commitments = models.TextField(_("other commitments"), blank=True, max_length=2000)
    # Free text for the coordinator, who turns it into forbid rules: the matching cannot read
    # names, and only the coordinator knows which application a name belongs to.
    avoid = models.TextField(_("people I would rather not be paired with"), blank=True,
                             max_length=1000)
    capacity = models.PositiveSmallIntegerField(
        _("mentees I can take"), default=1, validators=[MinValueValidator(1),
                                                         MaxValueValidator(10)])
    coordinator_note = models.TextField(_("coordinator's note"), blank=True, max_length=2000)
    waiting_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["programme", "role", "name"]
        indexes = [models.Index(fields=["programme", "role", "status"])]

    def __str__(self):
        return f"{self.name} ({self.get_role_display()})"


class PairRule(BaseModel):
    """The coordinator's hand on the matching: a pair that must be, or must never be."""

    class Kind(models.TextChoices):
        FIX = "fix", _("Fixed")
        FORBID = "forbid", _("Forbidden")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rules")
    mentee = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["mentee", "mentor"],
                                               name="mentoring_rule_unique")]

    def __str__(self):
        return f"{self.kind}: {self.mentee_id}–{self.mentor_id}"


class MatchRun(BaseModel):
    """A matching computed for the coordinator to look at; proposals go out only when sent."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="runs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    # {"pairs": [{mentee, mentor, score, explanation}], "unmatched": [{mentee, reason,
    #  ruled_out, compatible}], "greedy_score": int, "greedy_matched": int}
    result = models.JSONField(default=dict)
    total_score = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.programme} #{self.pk}"


class Pairing(BaseModel):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        DECLINED = "declined", _("Declined")
        ENDED = "ended", _("Ended")

    class Answer(models.TextChoices):
        OPEN = "", _("No answer yet")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="pairings")
    mentee = models.ForeignKey(Application, on_delete=models.CASCADE,
                               related_name="pairings_as_mentee")
    mentor = models.ForeignKey(Application, on_delete=models.CASCADE,
                               related_name="pairings_as_mentor")
    run = models.ForeignKey(MatchRun, on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="pairings")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    score = models.PositiveSmallIntegerField(default=0)
    explanation = models.JSONField(default=list)
    mentee_answer = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    mentor_answer = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["programme", "pk"]
        constraints = [
            # A mentee is in at most one open pair: the database says so, not only Python.
            models.UniqueConstraint(fields=["mentee"], condition=Q(status__in=["proposed",
                                                                               "active"]),
                                    name="mentoring_one_open_pair_per_mentee"),
        ]

    def __str__(self):
        return f"{self.mentee} – {self.mentor}"


class Meeting(BaseModel):
    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        ACCOMPANIED = "accompanied", _("Accompanied to a session")
        CALL = "call", _("Phone or video call")

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MEETING)
    minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60,
                                               validators=[MinValueValidator(5),
                                                           MaxValueValidator(720)])
    # What both partners see; the coordinator sees that a meeting took place, not this.
    summary = models.TextField(_("summary for both of us"), blank=True, max_length=4000)
    logged_by = models.CharField(max_length=10, choices=Application.Role.choices)

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self):
        return f"{self.pairing_id} {self.held_on}"


class Goal(BaseModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PROGRESS = "progress", _("In progress")
        REACHED = "reached", _("Reached")

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("goal"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.OPEN)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.title


class PrivateNote(BaseModel):
    """A partner's own notes: only the author reads them, not the partner, not the
    coordinator."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="notes")
    author = models.CharField(max_length=10, choices=Application.Role.choices)
    text = models.TextField(max_length=4000)

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.pairing_id} {self.author}"


class Feedback(BaseModel):
    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="feedback")
    author = models.CharField(max_length=10, choices=Application.Role.choices)
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1),
                                                                        MaxValueValidator(5)])
    text = models.TextField(_("feedback"), blank=True, max_length=4000)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["pairing", "author"],
                                               name="mentoring_feedback_once")]

    def __str__(self):
        return f"{self.pairing_id} {self.author}: {self.rating}"
