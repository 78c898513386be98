"""API of the mentoring programme (issue 8): public programmes and applying, the applicant's
and mentor's own page through their personal token, and the coordinator's work.

Three kinds of caller:

- **Anyone** reads a public organisation's open programmes and applies. The answer carries
  the personal token once (it is also e-mailed as a link). A bearer token of one's own account
  links the application to it, as the logged-in form does (the workload guard then sees the
  person's other roles).
- **An applicant or mentor** acts through the personal token in the `X-Mentoring-Token`
  header (the part after `/mentoring/p/` in the personal link), never in a path: the request
  log writes paths. It acts only as that one application; the services get no staff actor.
- **The coordinator** (bearer token, Perm.MENTORING_MANAGE in the organisation: 404 for
  strangers, 403 for other roles) works under `/mentoring/{slug}/manage/…`. Programmes are
  addressed there by id and publicly by their short name; one path template for both would
  make `…/programmes/12` mean two different programmes.

Nothing the coordinator receives holds a meeting's summary or a private note
(selectors.progress gives counts, dates, goals and ratings), and an applicant's own view holds
only their own notes (selectors.partner_view): the partner's never reach it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import APIKeyHeader
from pydantic import ConfigDict

from mitmachen.api.auth import bearer
from mitmachen.api.schemas import Choice, Error, Text
from mitmachen.core import permissions, throttle
from mitmachen.core.audit import audit_read
from mitmachen.core.models import ApiToken
from mitmachen.core.roles import Perm
from mitmachen.mentoring import access, matching, selectors, services, vocabulary
from mitmachen.mentoring.models import (
    Application,
    Goal,
    MatchRun,
    Meeting,
    Pairing,
    PairRule,
    Programme,
)
from mitmachen.organisations.models import Organisation

router = Router(tags=["mentoring"])
ERRORS = {401: Error, 403: Error, 404: Error, 422: Error}
PUBLIC_ERRORS = {401: Error, 404: Error, 422: Error}
APPLY_LIMIT = 10  # applications per address in 15 minutes, as other public forms
LIST_MAX = 50  # entries of one profile list: more than any vocabulary has

P = Pairing.Status
# Programmes the public may look at: a draft is the coordinator's until it opens.
PUBLIC_STATUSES = (Programme.Status.OPEN, Programme.Status.RUNNING, Programme.Status.FINISHED)


def Whole(low: int, high: int):  # noqa: N802  (reads like a type)
    """A whole number in a request body: a JSON number, not `true` and not `"3"`."""
    return Annotated[int, Field(ge=low, le=high, strict=True)]


def Keys(choices):  # noqa: N802  (reads like a type)
    """A list of vocabulary keys."""
    return Annotated[list[Choice(choices)], Field(max_length=LIST_MAX)]


Id = Whole(1, 2**63 - 1)
Flag = Annotated[bool, Field(strict=True)]  # true or false, not "yes"


# --- the applicant's personal token ----------------------------------------------------------

class MentoringKey(APIKeyHeader):
    param_name = "X-Mentoring-Token"
    openapi_description = (
        "The personal token of a mentoring application: returned once when applying, and the "
        "part after `/mentoring/p/` in the personal link from the e-mails. It acts only as "
        "that one application (mentee or mentor) and only on `/mentoring/me…`.")

    def authenticate(self, request, key):
        if not key:
            return None
        try:
            return access.application_by_token(key)
        except ValidationError:
            return None


mentoring_key = MentoringKey()
AS_APPLICANT = {"auth": mentoring_key, "tags": ["mentoring: applicants"]}
AS_COORDINATOR = {"auth": bearer, "tags": ["mentoring: coordinator"]}


def _public_caller(request):
    """No Authorization header at all. A header with a wrong token still answers 401."""
    return "Authorization" not in request.headers


# Public operations that a token widens: the token is optional.
OPTIONAL_TOKEN = {"auth": [bearer, _public_caller], "openapi_extra": {"security": [{}]}}


# --- output ----------------------------------------------------------------------------------

class ChoiceOut(Schema):
    key: str
    label: str


class ApplyOut(Schema):
    role: str
    open: bool
    problem: str = Field(..., description="Why nobody can apply in this role now; empty when "
                         "applications are open.")


class ProgrammePublicOut(Schema):
    organisation: str
    slug: str
    title: str
    description: str
    audience: str
    audience_label: str
    audience_applies_to_mentors: bool
    status: str
    cohort_starts: date
    cohort_ends: date
    mentee_window_opens: date
    mentee_window_closes: date
    mentor_window_opens: date
    mentor_window_closes: date
    contact_email: str
    max_mentees_per_mentor: int
    apply: list[ApplyOut]

    @staticmethod
    def resolve_organisation(obj):
        return obj.organisation.slug

    @staticmethod
    def resolve_audience_label(obj):
        return str(obj.get_audience_display())

    @staticmethod
    def resolve_apply(obj):
        result = []
        for role in services.SIDES:
            problem = services.application_problem(obj, role)
            result.append({"role": role, "open": problem is None, "problem": problem or ""})
        return result


class ProgrammeDetailOut(ProgrammePublicOut):
    vocabulary: dict[str, list[ChoiceOut]] = Field(
        ..., description="The keys a profile is made of, with their labels: fields, bodies, "
        "activities, times, languages, genders, needs (also for offers), requires.")

    @staticmethod
    def resolve_vocabulary(obj):
        lists = {"fields": vocabulary.Field, "bodies": vocabulary.Body,
                 "activities": vocabulary.Activity, "times": vocabulary.TimeSlot,
                 "languages": vocabulary.Language, "genders": vocabulary.Gender,
                 "needs": vocabulary.Need, "requires": vocabulary.Requirement}
        return {name: [{"key": key, "label": str(label)} for key, label in choices.choices]
                for name, choices in lists.items()}


class PersonRef(Schema):
    id: int
    name: str


class ProgrammeOut(ProgrammePublicOut):
    """The coordinator's view of a programme."""

    id: int
    coordinator: PersonRef | None

    @staticmethod
    def resolve_coordinator(obj):
        user = obj.coordinator
        return {"id": user.pk, "name": str(user.name)} if user is not None else None


class ProfileOut(Schema):
    name: str
    phone: str
    fields: list[str]
    bodies: list[str]
    activities: list[str]
    times: list[str]
    languages: list[str]
    needs: list[str]
    offers: list[str]
    requires: list[str]
    hours_per_month: int
    district: str
    gender: str
    goals: str
    experience: str
    other_commitments: str
    capacity: int


class MyApplicationOut(ProfileOut):
    """An applicant's own application: the profile, no coordinator's note."""

    avoid: str = Field(..., description="People the applicant would rather not be paired with "
                       "(free text for the coordinator, who turns it into forbidden pairs).")
    id: int
    role: str
    status: str
    status_label: str
    email: str
    consent_at: datetime
    created_at: datetime
    waiting_since: datetime | None

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())


class PairingBrief(Schema):
    id: int
    status: str
    partner: PersonRef
    score: int


class ApplicationOut(MyApplicationOut):
    """What the coordinator reads of one application (the read is audit-logged)."""

    coordinator_note: str
    user_id: int | None
    pairings: list[PairingBrief]

    @staticmethod
    def resolve_pairings(obj):
        own, other = ("mentee", "mentor") if obj.role == Application.Role.MENTEE else (
            "mentor", "mentee")
        pairings = Pairing.objects.filter(**{own: obj}).select_related(other).order_by("pk")
        return [{"id": p.pk, "status": p.status, "score": p.score,
                 "partner": {"id": getattr(p, f"{other}_id"), "name": getattr(p, other).name}}
                for p in pairings]


class AcceptedOut(Schema):
    detail: str


class AppliedOut(Schema):
    application: MyApplicationOut
    token: str = Field(..., description="The personal token (send it as X-Mentoring-Token). "
                       "Shown only here; the e-mail carries it as a link.")


class PoolApplication(Schema):
    id: int
    role: str
    status: str
    name: str
    hours_per_month: int
    district: str
    created_at: datetime
    waiting_since: datetime | None


class PoolMentee(Schema):
    application: PoolApplication
    open_pairing: PairingBrief | None
    waiting_position: int | None


class OtherRole(Schema):
    role: str
    organisation: str


class GroupCoordination(Schema):
    group: str
    organisation: str


class OtherProgramme(Schema):
    programme: str
    open_pairings: int


class PoolMentor(Schema):
    application: PoolApplication
    hours_per_month: int
    capacity: int
    open_pairings: int
    free_places: int
    hours_per_mentee: float = Field(..., description="Hours per month / the places the "
                                    "programme lets the mentor offer.")
    roles_known: bool = Field(..., description="False for an application made without an "
                              "account: other roles are then unknown, not absent.")
    other_roles: list[OtherRole] = Field(..., description="Roles in this organisation and the "
                                         "ones below it.")
    group_coordinations: list[GroupCoordination]
    other_programmes: list[OtherProgramme] = Field(..., description="Open pairs in the "
                                                   "organisation's other programmes (same "
                                                   "account or e-mail address).")
    other_commitments: str
    warning: bool
    warnings: list[str]


class PoolOut(Schema):
    mentees: list[PoolMentee]
    mentors: list[PoolMentor]


class RuleOut(Schema):
    id: int
    kind: str
    mentee: PersonRef
    mentor: PersonRef
    reason: str
    created_at: datetime


class RunPair(Schema):
    mentee: PersonRef
    mentor: PersonRef
    score: int
    fixed: bool
    explanation: list[str]


class RuledOut(Schema):
    constraint: str
    label: str
    mentors: int


class RunUnmatched(Schema):
    mentee: PersonRef
    reason: str = Field(..., description="no_compatible_mentor or capacity_exhausted")
    reason_text: str
    ruled_out: list[RuledOut]
    compatible: int


class RunRemaining(Schema):
    mentor: PersonRef
    places: int


class GreedyOut(Schema):
    score: int
    matched: int


class RunOut(Schema):
    id: int
    created_at: datetime
    sent_at: datetime | None
    latest: bool = Field(..., description="Only the programme's latest run can be sent.")
    total_score: int
    matched: int
    pairs: list[RunPair]
    unmatched: list[RunUnmatched]
    remaining: list[RunRemaining]
    greedy: GreedyOut = Field(..., description="What taking the best pairs first would have "
                              "given, for comparison.")


class GoalProgress(Schema):
    title: str
    status: str
    status_label: str


class RatingsOut(Schema):
    mentee: int | None
    mentor: int | None


class FeedbackTextOut(Schema):
    mentee: str | None
    mentor: str | None


class PairProgressOut(Schema):
    """How a pair goes, never what was said: no summaries, no notes."""

    id: int
    mentee: PersonRef
    mentor: PersonRef
    status: str
    status_label: str
    score: int
    started: datetime | None
    ended: datetime | None
    meetings: int
    last_meeting: date | None
    minutes: int
    goals: list[GoalProgress]
    feedback: RatingsOut
    feedback_text: FeedbackTextOut = Field(..., description="What each side wrote with the "
                                           "rating (the feedback form says the coordinator "
                                           "reads it).")


class MeProgramme(Schema):
    organisation: str
    slug: str
    title: str
    status: str
    cohort_starts: date
    cohort_ends: date
    contact_email: str

    @staticmethod
    def resolve_organisation(obj):
        return obj.organisation.slug


class ProposalOut(Schema):
    id: int
    partner_first_name: str
    explanation: list[str]
    my_answer: str
    partner_answered: bool


class ContactOut(Schema):
    name: str
    email: str
    phone: str


class MeetingOut(Schema):
    id: int
    held_on: date
    kind: str
    minutes: int
    summary: str
    logged_by: str


class GoalOut(Schema):
    id: int
    title: str
    status: str


class NoteOut(Schema):
    id: int
    text: str
    created_at: datetime


class FeedbackOut(Schema):
    rating: int
    text: str
    created_at: datetime


class MyFeedback(Schema):
    given: bool
    mine: FeedbackOut | None


class PairOut(Schema):
    id: int
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    partner: ContactOut
    meetings: list[MeetingOut]
    goals: list[GoalOut]
    notes: list[NoteOut] = Field(..., description="Your own private notes; nobody else reads "
                                 "them.")
    feedback: MyFeedback


class MeOut(Schema):
    application: MyApplicationOut
    programme: MeProgramme
    waiting: bool
    waiting_position: int | None
    proposals: list[ProposalOut]
    pairs: list[PairOut]


# --- input -----------------------------------------------------------------------------------

class ProfileIn(Schema):
    """Profile fields; a PATCH changes only those sent. Keys come from the programme's
    `vocabulary`."""

    model_config = ConfigDict(extra="forbid")  # a misspelt binding wish must not vanish

    name: Text(200) = ""
    phone: Text(40) = ""
    district: Text(100) = ""
    goals: Text(4000) = ""
    experience: Text(4000) = ""
    other_commitments: Text(2000) = ""
    avoid: Text(1000) = Field("", description="People you would rather not be paired with; "
                              "only the coordinator reads it.")
    fields: Keys(vocabulary.Field) = []
    bodies: Keys(vocabulary.Body) = []
    activities: Keys(vocabulary.Activity) = []
    times: Keys(vocabulary.TimeSlot) = []
    languages: Keys(vocabulary.Language) = []
    needs: Keys(vocabulary.Need) = []
    offers: Keys(vocabulary.Need) = Field([], description="Mentors only.")
    requires: Keys(vocabulary.Requirement) = Field([], description="Mentees only: wishes that "
                                                   "bind the matching.")
    hours_per_month: Whole(*services.HOURS) | None = None
    gender: Choice(vocabulary.Gender) = ""
    capacity: Whole(1, 10) = Field(1, description="Mentors only: mentees they can take.")


class ApplicationIn(ProfileIn):
    role: Choice(Application.Role)
    email: Text(254) = ""
    consent: Flag = Field(False, description="Agreement to the processing of the data for the "
                          "programme; required.")
    audience_confirmed: Flag = Field(False, description="Confirms belonging to the programme's "
                                     "audience, where it asks for it.")


class ProgrammeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: Text(200, 1)
    slug: Text(80, 1)
    description: Text(10000) = ""
    audience: Choice(Programme.Audience) = Programme.Audience.EVERYONE
    audience_applies_to_mentors: Flag = False
    cohort_starts: date
    cohort_ends: date
    mentee_window_opens: date
    mentee_window_closes: date
    mentor_window_opens: date
    mentor_window_closes: date
    coordinator_id: Id | None = Field(None, description="A mentoring coordinator of the "
                                      "organisation; default: you, if you are one.")
    contact_email: Text(254) = ""
    max_mentees_per_mentor: Whole(1, 10) = 3


class ProgrammePatch(Schema):
    """Only the fields sent change; a coordinator_id of null removes the coordinator."""

    model_config = ConfigDict(extra="forbid")

    title: Text(200, 1) | None = None
    slug: Text(80, 1) | None = None
    description: Text(10000) | None = None
    audience: Choice(Programme.Audience) | None = None
    audience_applies_to_mentors: Flag | None = None
    cohort_starts: date | None = None
    cohort_ends: date | None = None
    mentee_window_opens: date | None = None
    mentee_window_closes: date | None = None
    mentor_window_opens: date | None = None
    mentor_window_closes: date | None = None
    coordinator_id: Id | None = None
    contact_email: Text(254) | None = None
    max_mentees_per_mentor: Whole(1, 10) | None = None


class StatusIn(Schema):
    status: Choice(Programme.Status)


class DeclineIn(Schema):
    note: Text(2000) = Field("", description="For the coordinators; the applicant is not "
                             "shown it.")


class EndIn(Schema):
    mentee_continues: Flag = Field(True, description="The mentee would like a new mentor "
                                   "(before the programme has finished); else she is "
                                   "finished.")


class RuleIn(Schema):
    mentee_id: Id
    mentor_id: Id
    kind: Choice(PairRule.Kind)
    reason: Text(300) = ""


class AnswerIn(Schema):
    accept: Flag
    proposal_id: Id | None = Field(None, description="Needed only with several open "
                                   "proposals (a mentor with more than one place).")


class PairChoice(Schema):
    pair_id: Id | None = Field(None, description="Needed only when you are in several pairs.")


class MeetingIn(PairChoice):
    held_on: date
    kind: Choice(Meeting.Kind) = Meeting.Kind.MEETING
    minutes: Whole(5, 720) = 60
    summary: Text(4000) = Field("", description="Both partners read it; the coordinator does "
                                "not.")


class GoalIn(PairChoice):
    title: Text(200, 1)


class GoalPatch(Schema):
    status: Choice(Goal.Status)


class NoteIn(PairChoice):
    text: Text(4000, 1)


class EndPairIn(PairChoice):
    pass


class FeedbackIn(PairChoice):
    rating: Whole(1, 5)
    text: Text(4000) = ""


# --- lookups ---------------------------------------------------------------------------------

def _caller(request):
    return request.user if isinstance(getattr(request, "auth", None), ApiToken) else None


def _public_organisation(slug: str) -> Organisation:
    return get_object_or_404(Organisation, slug=slug, is_public=True)


def _public_programme(slug: str, pslug: str) -> Programme:
    return get_object_or_404(Programme.objects.select_related("organisation"),
                             organisation=_public_organisation(slug), slug=pslug,
                             status__in=PUBLIC_STATUSES)


def _organisation(request, slug: str) -> Organisation:
    """The organisation, if the caller coordinates mentoring there: 404 for strangers, 403 for
    other roles."""
    organisation = get_object_or_404(Organisation, slug=slug)
    permissions.require(request, Perm.MENTORING_MANAGE, organisation)
    return organisation


def _programme(request, slug: str, programme_id: int) -> Programme:
    organisation = _organisation(request, slug)
    return get_object_or_404(Programme.objects.select_related("organisation", "coordinator"),
                             organisation=organisation, pk=programme_id)


def _fresh_programme(programme: Programme) -> Programme:
    return Programme.objects.select_related("organisation", "coordinator").get(pk=programme.pk)


def _application(programme: Programme, application_id: int) -> Application:
    return get_object_or_404(Application.objects.select_related("programme__organisation"),
                             programme=programme, pk=application_id)


def _reference(programme: Programme, pk: int, field: str, role: str) -> Application:
    """An application of this programme named in a body; the same error whether the id
    exists elsewhere or not."""
    found = Application.objects.filter(programme=programme, pk=pk, role=role).first()
    if found is None:
        message = (_("Please choose a mentee of this programme.") if role == services.MENTEE
                   else _("Please choose a mentor of this programme."))
        raise ValidationError({field: message})
    return found


def _coordinator_id(data: dict) -> dict:
    """The body's coordinator_id as the services' coordinator."""
    if "coordinator_id" in data:
        data["coordinator"] = data.pop("coordinator_id")
    return data


def _as_sent(exc: ValidationError) -> ValidationError:
    """The services name the coordinator `coordinator`; the request named it coordinator_id."""
    if hasattr(exc, "error_dict") and "coordinator" in exc.error_dict:
        errors = dict(exc.error_dict)
        errors["coordinator_id"] = errors.pop("coordinator")
        return ValidationError(errors)
    return exc


def _not_null(data: dict, *fields: str) -> dict:
    """A PATCH may leave a field out, but not blank a field that must have a value."""
    for name in fields:
        if name in data and data[name] is None:
            raise ValidationError({name: _("This field cannot be empty.")})
    return data


def _me(request) -> Application:
    application = request.auth
    if not isinstance(application, Application):
        raise Http404
    # Fresh from the database: another request may have changed it since the token was read.
    return Application.objects.select_related("programme", "programme__organisation",
                                              "user").get(pk=application.pk)


def _mine(application: Application):
    return Pairing.objects.filter(Q(mentee=application) | Q(mentor=application))


def _my_proposal(application: Application, proposal_id) -> Pairing:
    proposals = list(_mine(application).filter(status=P.PROPOSED).order_by("pk"))
    if proposal_id is not None:
        found = next((p for p in proposals if p.pk == proposal_id), None)
        if found is None:
            raise ValidationError({"proposal_id": _("Please choose one of your open "
                                                    "proposals.")})
        return found
    if not proposals:
        raise ValidationError(_("You have no open proposal."))
    unanswered = [p for p in proposals if not getattr(p, f"{application.role}_answer")]
    if len(proposals) == 1 or len(unanswered) == 1:
        return (unanswered or proposals)[0]
    raise ValidationError({"proposal_id": _("You have several open proposals: please say "
                                            "which one you answer.")})


def _my_pair(application: Application, pair_id) -> Pairing:
    """The pair a meeting, goal, note or feedback is for: the one named, or the only one."""
    pairs = list(_mine(application).filter(status__in=services.ACCOMPANIED).order_by("pk"))
    if pair_id is not None:
        found = next((p for p in pairs if p.pk == pair_id), None)
        if found is None:
            raise ValidationError({"pair_id": _("Please choose one of your pairs.")})
        return found
    active = [p for p in pairs if p.status == P.ACTIVE]
    candidates = active or pairs
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ValidationError(_("This is possible once both of you have accepted the "
                                "proposal."))
    raise ValidationError({"pair_id": _("You are in several pairs: please say which one.")})


# --- building answers ------------------------------------------------------------------------

def _person(pk, names: dict) -> dict:
    return {"id": pk, "name": names.get(pk, "")}


def _unmatched_text(item: dict) -> str:
    if item.get("reason") == matching.CAPACITY_EXHAUSTED:
        n = item.get("compatible", 0)
        return ngettext("%(n)d mentor would fit, but the place went to someone else.",
                        "%(n)d mentors would fit, but their places went to others.", n) % {
            "n": n}
    ruled_out = item.get("ruled_out") or []
    if not ruled_out:
        return _("There is no mentor with a free place.")
    return _("No mentor fits: %(reasons)s.") % {"reasons": ", ".join(
        f"{services.constraint_label(code)} ({count})" for code, count in ruled_out)}


def _run_out(run: MatchRun) -> dict:
    result = run.result or {}
    pairs = result.get("pairs", [])
    unmatched = result.get("unmatched", [])
    remaining = result.get("remaining", {})
    ids = ({p["mentee"] for p in pairs} | {p["mentor"] for p in pairs}
           | {u["mentee"] for u in unmatched} | {int(k) for k in remaining})
    names = dict(Application.objects.filter(pk__in=ids).values_list("pk", "name"))
    fixed = {tuple(pair) for pair in result.get("fixed", [])}
    latest = MatchRun.objects.filter(programme_id=run.programme_id).order_by("-pk").values_list(
        "pk", flat=True).first()
    return {
        "id": run.pk, "created_at": run.created_at, "sent_at": run.sent_at,
        "latest": latest == run.pk, "total_score": run.total_score, "matched": run.matched,
        "pairs": [{"mentee": _person(p["mentee"], names), "mentor": _person(p["mentor"], names),
                   "score": p["score"], "fixed": (p["mentee"], p["mentor"]) in fixed,
                   "explanation": selectors.explanation_lines(p["explanation"])}
                  for p in pairs],
        "unmatched": [{"mentee": _person(u["mentee"], names), "reason": u["reason"],
                       "reason_text": _unmatched_text(u),
                       "ruled_out": [{"constraint": code,
                                      "label": services.constraint_label(code),
                                      "mentors": count} for code, count in u["ruled_out"]],
                       "compatible": u.get("compatible", 0)} for u in unmatched],
        "remaining": [{"mentor": _person(int(pk), names), "places": places}
                      for pk, places in sorted(remaining.items(), key=lambda kv: int(kv[0]))],
        "greedy": {"score": result.get("greedy_score", 0),
                   "matched": result.get("greedy_matched", 0)},
    }


def _pairing_brief(pairing: Pairing | None, partner: str) -> dict | None:
    if pairing is None:
        return None
    other = getattr(pairing, partner)
    return {"id": pairing.pk, "status": pairing.status, "score": pairing.score,
            "partner": {"id": other.pk, "name": other.name}}


def _pool_out(programme: Programme) -> dict:
    pool = selectors.pool(programme)
    places = {a.pk: n for n, a in enumerate(selectors.waiting_list(programme), start=1)}
    open_ids = [e["open_pairing"].pk for e in pool["mentees"] if e["open_pairing"]]
    with_mentor = {p.pk: p for p in Pairing.objects.filter(pk__in=open_ids)
                   .select_related("mentor")}
    mentees = [{"application": e["application"],
                "open_pairing": _pairing_brief(with_mentor.get(e["open_pairing"].pk), "mentor")
                if e["open_pairing"] else None,
                "waiting_position": places.get(e["application"].pk)} for e in pool["mentees"]]
    return {"mentees": mentees, "mentors": pool["mentors"]}


def _progress_out(programme: Programme, only=None) -> list[dict]:
    def ref(person):
        return {"id": person["pk"], "name": person["name"]}

    return [{**row, "id": row["pk"], "mentee": ref(row["mentee"]), "mentor": ref(row["mentor"])}
            for row in selectors.progress(programme, only=only)]


def _me_out(application: Application) -> dict:
    view = selectors.partner_view(application)
    position = None
    if view["waiting"]:
        position = next((n for n, a in enumerate(selectors.waiting_list(
            application.programme), start=1) if a.pk == application.pk), None)
    return {
        "application": application, "programme": application.programme,
        "waiting": view["waiting"], "waiting_position": position,
        "proposals": [{"id": p["pk"], "partner_first_name": p["partner_first_name"],
                       "explanation": p["explanation_lines"], "my_answer": p["my_answer"],
                       "partner_answered": p["partner_answered"]} for p in view["proposals"]],
        "pairs": [{"id": pair["pairing"].pk, "status": pair["status"],
                   "started_at": pair["pairing"].started_at,
                   "ended_at": pair["pairing"].ended_at, "partner": pair["partner"],
                   "meetings": pair["meetings"], "goals": pair["goals"],
                   "notes": pair["notes"],
                   "feedback": {"given": pair["feedback"]["given"],
                                "mine": pair["feedback"]["mine"]}}
                  for pair in view["pairs"]],
    }


# --- public: programmes and applying ---------------------------------------------------------

@router.get("/mentoring/{slug}/programmes", response={200: list[ProgrammePublicOut],
            **PUBLIC_ERRORS}, auth=None, summary="An organisation's programmes open for "
            "applications (public)")
@paginate(PageNumberPagination)
def programme_list(request, slug: str):
    organisation = _public_organisation(slug)
    return Programme.objects.filter(organisation=organisation, status=Programme.Status.OPEN
                                    ).select_related("organisation")


@router.get("/mentoring/{slug}/programmes/{pslug}",
            response={200: ProgrammeDetailOut, **PUBLIC_ERRORS}, auth=None,
            summary="A programme, whether applying is possible, and the profile vocabulary "
            "(public)")
def programme_detail(request, slug: str, pslug: str):
    return _public_programme(slug, pslug)


@router.post("/mentoring/{slug}/programmes/{pslug}/applications",
             response={201: AppliedOut, 202: AcceptedOut, **PUBLIC_ERRORS},
             summary="Apply as mentee or mentor (the answer carries the personal token once)",
             description="201 with the personal token for a new application. An address that "
             "has already applied in this role gets 202 and the link by e-mail only: the "
             "answer does not say whether it had applied.", **OPTIONAL_TOKEN)
def application_create(request, slug: str, pslug: str, payload: ApplicationIn):
    programme = _public_programme(slug, pslug)
    user = _caller(request)
    if user is not None:
        scope = permissions.request_scope(request)
        if scope is not None and not programme.organisation.path.startswith(scope.path):
            raise Http404
    if throttle.form_limited(request, "mentoring-apply", APPLY_LIMIT):
        raise ValidationError(_("Too many applications from here. Please try again later."))
    data = payload.dict(exclude_unset=True)
    role, consent = data.pop("role"), data.pop("consent", False)
    application, token = services.application_submit(programme=programme, role=role,
                                                     data=data, consent=consent, user=user)
    if application is None:
        return Status(202, {"detail": _("Thank you. We have sent you an e-mail with your "
                                        "personal link.")})
    return Status(201, {"application": application, "token": token})


# --- the applicant or mentor, with the personal token ----------------------------------------

@router.get("/mentoring/me", response={200: MeOut, **ERRORS},
            summary="Your application, proposals, pairs with meetings, goals and your notes",
            **AS_APPLICANT)
def me(request):
    return _me_out(_me(request))


@router.patch("/mentoring/me", response={200: MeOut, **ERRORS},
              summary="Change your profile (only before a proposal is made)", **AS_APPLICANT)
def me_update(request, payload: ProfileIn):
    application = _me(request)
    data = payload.dict(exclude_unset=True)
    services.application_update(application=application, data=data)
    return _me_out(_me(request))


@router.post("/mentoring/me/answer", response={200: MeOut, **ERRORS},
             summary="Accept or decline a proposal (both accept: the pair starts)",
             **AS_APPLICANT)
def me_answer(request, payload: AnswerIn):
    application = _me(request)
    pairing = _my_proposal(application, payload.proposal_id)
    services.proposal_answer(pairing=pairing, side=application.role, accept=payload.accept)
    return _me_out(_me(request))


@router.post("/mentoring/me/meetings", response={201: MeetingOut, **ERRORS},
             summary="Log a meeting or an accompanied session (both partners see it)",
             **AS_APPLICANT)
def me_meeting(request, payload: MeetingIn):
    application = _me(request)
    pairing = _my_pair(application, payload.pair_id)
    meeting = services.meeting_log(pairing=pairing, side=application.role,
                                   held_on=payload.held_on, kind=payload.kind,
                                   minutes=payload.minutes, summary=payload.summary)
    return Status(201, meeting)


@router.post("/mentoring/me/goals", response={201: GoalOut, **ERRORS},
             summary="Add a shared goal", **AS_APPLICANT)
def me_goal(request, payload: GoalIn):
    application = _me(request)
    pairing = _my_pair(application, payload.pair_id)
    return Status(201, services.goal_add(pairing=pairing, side=application.role,
                                         title=payload.title))


@router.patch("/mentoring/me/goals/{goal_id}", response={200: GoalOut, **ERRORS},
              summary="Mark a shared goal open, in progress or reached", **AS_APPLICANT)
def me_goal_update(request, goal_id: int, payload: GoalPatch):
    application = _me(request)
    goal = get_object_or_404(Goal.objects.select_related("pairing"),
                             Q(pairing__mentee=application) | Q(pairing__mentor=application),
                             pk=goal_id)
    return services.goal_update(goal=goal, side=application.role, status=payload.status)


@router.post("/mentoring/me/notes", response={201: NoteOut, **ERRORS},
             summary="A private note: only you read it", **AS_APPLICANT)
def me_note(request, payload: NoteIn):
    application = _me(request)
    pairing = _my_pair(application, payload.pair_id)
    return Status(201, services.note_add(pairing=pairing, side=application.role,
                                         text=payload.text))


@router.post("/mentoring/me/feedback", response={201: FeedbackOut, **ERRORS},
             summary="Your feedback on the mentoring (once)", **AS_APPLICANT)
def me_feedback(request, payload: FeedbackIn):
    application = _me(request)
    pairing = _my_pair(application, payload.pair_id)
    return Status(201, services.feedback_submit(pairing=pairing, side=application.role,
                                                rating=payload.rating, text=payload.text))


@router.post("/mentoring/me/withdraw", response={200: MeOut, **ERRORS},
             summary="Leave the programme (open proposals are declined, pairs end)",
             **AS_APPLICANT)
def me_withdraw(request):
    services.application_withdraw(application=_me(request))
    return _me_out(_me(request))


@router.post("/mentoring/me/end", response={200: MeOut, **ERRORS},
             summary="End your active mentoring pair (your partner is told)",
             description="A mentee who ends her pair is finished in the programme; a mentor's "
             "place is free again (offered to the waiting list), and her mentee can be matched "
             "again.", **AS_APPLICANT)
def me_end(request, payload: EndPairIn):
    application = _me(request)
    pairs = list(_mine(application).filter(status=P.ACTIVE).order_by("pk"))
    if payload.pair_id is not None:
        pairing = next((p for p in pairs if p.pk == payload.pair_id), None)
        if pairing is None:
            raise ValidationError({"pair_id": _("Please choose one of your active pairs.")})
    elif len(pairs) == 1:
        pairing = pairs[0]
    elif not pairs:
        raise ValidationError(_("Only an active pair can be ended."))
    else:
        raise ValidationError({"pair_id": _("You are in several pairs: please say which "
                                            "one.")})
    services.pairing_end(pairing=pairing, side=application.role)
    return _me_out(_me(request))


@router.post("/mentoring/me/link", response={202: AcceptedOut, **ERRORS},
             summary="A new personal link by e-mail; every earlier token stops working",
             description="The new token is not in the answer: it goes to the application's "
             "e-mail address only, so that someone else holding the old one gets nothing.",
             **AS_APPLICANT)
def me_new_link(request):
    services.application_new_link(application=_me(request))
    return Status(202, {"detail": _("We have sent a new link to your e-mail address. This "
                                    "token no longer works.")})


# --- the coordinator -------------------------------------------------------------------------

@router.get("/mentoring/{slug}/manage/programmes", response={200: list[ProgrammeOut],
            **ERRORS}, summary="All programmes of the organisation, drafts included",
            **AS_COORDINATOR)
@paginate(PageNumberPagination)
def manage_programme_list(request, slug: str):
    organisation = _organisation(request, slug)
    return Programme.objects.filter(organisation=organisation).select_related("organisation",
                                                                             "coordinator")


@router.post("/mentoring/{slug}/manage/programmes", response={201: ProgrammeOut, **ERRORS},
             summary="Create a programme (as a draft)", **AS_COORDINATOR)
def manage_programme_create(request, slug: str, payload: ProgrammeIn):
    organisation = _organisation(request, slug)
    try:
        programme = services.programme_create(
            organisation=organisation, actor=request.user,
            data=_coordinator_id(payload.dict(exclude_unset=True)))
    except ValidationError as exc:
        raise _as_sent(exc) from None
    return Status(201, _fresh_programme(programme))


@router.patch("/mentoring/{slug}/manage/programmes/{programme_id}",
              response={200: ProgrammeOut, **ERRORS},
              summary="Change a programme (only the fields sent)", **AS_COORDINATOR)
def manage_programme_update(request, slug: str, programme_id: int, payload: ProgrammePatch):
    programme = _programme(request, slug, programme_id)
    data = _not_null(payload.dict(exclude_unset=True), *(
        name for name in ProgrammePatch.model_fields if name != "coordinator_id"))
    try:
        services.programme_update(programme=programme, actor=request.user,
                                  data=_coordinator_id(data))
    except ValidationError as exc:
        raise _as_sent(exc) from None
    return _fresh_programme(programme)


@router.post("/mentoring/{slug}/manage/programmes/{programme_id}/status",
             response={200: ProgrammeOut, **ERRORS},
             summary="Open, run, finish (or take back) a programme", **AS_COORDINATOR)
def manage_programme_status(request, slug: str, programme_id: int, payload: StatusIn):
    programme = _programme(request, slug, programme_id)
    services.programme_set_status(programme=programme, status=payload.status,
                                  actor=request.user)
    return _fresh_programme(programme)


@router.get("/mentoring/{slug}/manage/programmes/{programme_id}/pool",
            response={200: PoolOut, **ERRORS},
            summary="Everyone who applied, with each mentor's workload (logged)",
            **AS_COORDINATOR)
def manage_pool(request, slug: str, programme_id: int):
    programme = _programme(request, slug, programme_id)
    audit_read(actor=request.user, obj=programme, organisation=programme.organisation,
               what=f"mentoring pool of {programme} (API)")
    return _pool_out(programme)


@router.get("/mentoring/{slug}/manage/programmes/{programme_id}/applications/{application_id}",
            response={200: ApplicationOut, **ERRORS},
            summary="One application with its profile (logged)", **AS_COORDINATOR)
def manage_application(request, slug: str, programme_id: int, application_id: int):
    programme = _programme(request, slug, programme_id)
    application = _application(programme, application_id)
    audit_read(actor=request.user, obj=application, organisation=programme.organisation,
               what=f"mentoring application {application.pk} (API)")
    return application


@router.post("/mentoring/{slug}/manage/programmes/{programme_id}/applications/"
             "{application_id}/decline", response={200: ApplicationOut, **ERRORS},
             summary="Do not admit an application (before it is in a proposal)",
             **AS_COORDINATOR)
def manage_application_decline(request, slug: str, programme_id: int, application_id: int,
                               payload: DeclineIn):
    programme = _programme(request, slug, programme_id)
    application = _application(programme, application_id)
    declined = services.application_decline(application=application, actor=request.user,
                                            note=payload.note)
    _audit(request, application, programme, f"mentoring application {application.pk} (API)")
    return declined


@router.post("/mentoring/{slug}/manage/programmes/{programme_id}/applications/"
             "{application_id}/withdraw", response={200: ApplicationOut, **ERRORS},
             summary="Record a withdrawal the person told you of (as if they had withdrawn "
             "themselves; they get an e-mail)", **AS_COORDINATOR)
def manage_application_withdraw(request, slug: str, programme_id: int, application_id: int):
    programme = _programme(request, slug, programme_id)
    application = _application(programme, application_id)
    services.application_withdraw(application=application, actor=request.user)
    _audit(request, application, programme, f"mentoring application {application.pk} (API)")
    return _application(programme, application_id)


@router.post("/mentoring/{slug}/manage/programmes/{programme_id}/applications/"
             "{application_id}/rematch", response={200: ApplicationOut, **ERRORS},
             summary="Match a waiting mentee again now: the best mentor with a free place is "
             "proposed at once, or she stays on the waiting list", **AS_COORDINATOR)
def manage_application_rematch(request, slug: str, programme_id: int, application_id: int):
    programme = _programme(request, slug, programme_id)
    application = _application(programme, application_id)
    services.rematch(application=application, actor=request.user)
    _audit(request, application, programme, f"mentoring application {application.pk} (API)")
    return _application(programme, application_id)


def _rule_out(rule: PairRule) -> dict:
    return {"id": rule.pk, "kind": rule.kind, "reason": rule.reason,
            "created_at": rule.created_at,
            "mentee": {"id": rule.mentee_id, "name": rule.mentee.name},
            "mentor": {"id": rule.mentor_id, "name": rule.mentor.name}}


@router.get("/mentoring/{slug}/manage/programmes/{programme_id}/rules",
            response={200: list[RuleOut], **ERRORS},
            summary="The fixed and forbidden pairs for the next matching", **AS_COORDINATOR)
@paginate(PageNumberPagination)
def manage_rules(request, slug: str, programme_id: int):
    programme = _programme(request, slug, programme_id)
    _audit(request, programme, programme, f"mentoring rules of {programme} (API)")
    return [_rule_out(rule) for rule in
            programme.rules.select_related("mentee", "mentor").order_by("pk")]


@router.post("/mentoring/{slug}/manage/programmes/{programme_id}/rules",
             response={201: RuleOut, **ERRORS},
             summary="Fix or forbid a pair (replaces an earlier rule on the pair)",
             **AS_COORDINATOR)
def manage_rule_set(request, slug: str, programme_id: int, payload: RuleIn):
    programme = _programme(request, slug, programme_id)
    mentee = _reference(programme, payload.mentee_id, "mentee_id", services.MENTEE)
    mentor = _reference(programme, payload.mentor_id, "mentor_id", services.MENTOR)
    rule = services.rule_set(programme=programme, mentee=mentee, mentor=mentor,
                             kind=payload.kind, reason=payload.reason, actor=request.user)
    return Status(201, _rule_out(PairRule.objects.select_related("mentee", "mentor").get(
        pk=rule.pk)))


@router.delete("/mentoring/{slug}/manage/programmes/{programme_id}/rules/{rule_id}",
               response={204: None, **ERRORS}, summary="Remove a rule", **AS_COORDINATOR)
def manage_rule_remove(request, slug: str, programme_id: int, rule_id: int):
    programme = _programme(request, slug, programme_id)
    rule = get_object_or_404(PairRule, programme=programme, pk=rule_id)
    services.rule_remove(rule=rule, actor=request.user)
    return Status(204, None)


@router.post("/mentoring/{slug}/manage/programmes/{programme_id}/runs",
             response={201: RunOut, **ERRORS},
             summary="Compute the optimal matching as a draft (nothing is sent)",
             **AS_COORDINATOR)
def manage_run(request, slug: str, programme_id: int):
    programme = _programme(request, slug, programme_id)
    run = services.matching_run(programme=programme, actor=request.user)
    _audit(request, run, programme, f"mentoring matching {run.pk} (API)")
    return Status(201, _run_out(run))


@router.get("/mentoring/{slug}/manage/programmes/{programme_id}/runs/{run_id}",
            response={200: RunOut, **ERRORS},
            summary="A matching: pairs with explanations, the unmatched with reasons, the "
            "greedy comparison", **AS_COORDINATOR)
def manage_run_detail(request, slug: str, programme_id: int, run_id: int):
    programme = _programme(request, slug, programme_id)
    run = get_object_or_404(MatchRun, programme=programme, pk=run_id)
    _audit(request, run, programme, f"mentoring matching {run.pk} (API)")
    return _run_out(run)


@router.post("/mentoring/{slug}/manage/programmes/{programme_id}/runs/{run_id}/send",
             response={200: RunOut, **ERRORS},
             summary="Send the latest matching's proposals; the unmatched go onto the waiting "
             "list", **AS_COORDINATOR)
def manage_run_send(request, slug: str, programme_id: int, run_id: int):
    programme = _programme(request, slug, programme_id)
    run = get_object_or_404(MatchRun, programme=programme, pk=run_id)
    services.matching_send(run=run, actor=request.user)
    _audit(request, run, programme, f"mentoring matching {run.pk} (API)")
    return _run_out(MatchRun.objects.get(pk=run.pk))


@router.get("/mentoring/{slug}/manage/programmes/{programme_id}/pairs",
            response={200: list[PairProgressOut], **ERRORS},
            summary="How each pair goes: meetings, goals, ratings; never summaries or notes",
            **AS_COORDINATOR)
@paginate(PageNumberPagination)
def manage_pairs(request, slug: str, programme_id: int):
    programme = _programme(request, slug, programme_id)
    _audit(request, programme, programme, f"mentoring pairs of {programme} (API)")
    return _progress_out(programme)


def _pairing(programme: Programme, pair_id: int) -> Pairing:
    return get_object_or_404(Pairing, programme=programme, pk=pair_id)


@router.post("/mentoring/{slug}/manage/programmes/{programme_id}/pairs/{pair_id}/retract",
             response={200: PairProgressOut, **ERRORS},
             summary="Take back an open proposal: declined for good, both are told, the place "
             "goes to the waiting list and the mentee joins it", **AS_COORDINATOR)
def manage_pair_retract(request, slug: str, programme_id: int, pair_id: int):
    programme = _programme(request, slug, programme_id)
    pairing = services.proposal_retract(pairing=_pairing(programme, pair_id),
                                        actor=request.user)
    _audit(request, programme, programme, f"mentoring pairs of {programme} (API)")
    return _progress_row(programme, pairing.pk)


@router.post("/mentoring/{slug}/manage/programmes/{programme_id}/pairs/{pair_id}/end",
             response={200: PairProgressOut, **ERRORS},
             summary="End an active pair (both are told; before the programme has finished "
             "the mentor's place goes to the waiting list)", **AS_COORDINATOR)
def manage_pair_end(request, slug: str, programme_id: int, pair_id: int, payload: EndIn):
    programme = _programme(request, slug, programme_id)
    pairing = services.pairing_end(pairing=_pairing(programme, pair_id), actor=request.user,
                                   mentee_continues=payload.mentee_continues)
    _audit(request, programme, programme, f"mentoring pairs of {programme} (API)")
    return _progress_row(programme, pairing.pk)


def _progress_row(programme: Programme, pk: int) -> dict:
    return _progress_out(programme, only=[pk])[0]


def _audit(request, obj, programme: Programme, what: str) -> None:
    """A coordinator's read of personal data through the API (names, profiles, pairs)."""
    audit_read(actor=request.user, obj=obj, organisation=programme.organisation, what=what)
