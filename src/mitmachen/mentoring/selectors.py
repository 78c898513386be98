"""Reads of the mentoring programme for the coordinator's and the applicants' pages.

What the coordinator gets never holds a meeting's summary or a private note: `progress` gives
counts, dates, goals and ratings, and keys instead of model objects, so that a template cannot
reach the summaries through a relation either.
"""

from __future__ import annotations

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from mitmachen.mentoring import vocabulary
from mitmachen.mentoring.models import Application, Feedback, Goal, Pairing, Programme

A = Application.Status
P = Pairing.Status
OPEN_PAIR = (P.PROPOSED, P.ACTIVE)
# Below this many hours a month per mentee, mentoring becomes one more thing squeezed in.
HOURS_PER_MENTEE_MIN = 2
ROLES_WARNING = 2

_VOCABULARIES = {
    "fields": vocabulary.Field, "bodies": vocabulary.Body, "activities": vocabulary.Activity,
    "times": vocabulary.TimeSlot, "accessibility": vocabulary.Need,
    "languages": vocabulary.Language,
}


def _labels(kind, keys) -> str:
    choices = dict(_VOCABULARIES[kind].choices)
    return ", ".join(str(choices.get(key, key)) for key in keys)


def explanation_lines(explanation) -> list[str]:
    """A pair's explanation (scoring.explain items, as stored) as sentences in the current
    language, in the order of the items."""
    lines = []
    for key, data in explanation or []:
        if key == "fields":
            lines.append(_("Common fields of interest: %(items)s") % {
                "items": _labels(key, data)})
        elif key == "bodies":
            lines.append(_("Common kinds of body: %(items)s") % {"items": _labels(key, data)})
        elif key == "activities":
            lines.append(_("Common activities: %(items)s") % {"items": _labels(key, data)})
        elif key == "times":
            lines.append(_("Common times: %(items)s") % {"items": _labels(key, data)})
        elif key == "district":
            lines.append(_("Same district: %(district)s") % {"district": data})
        elif key == "hours":
            wish, offer = data
            lines.append(_("Time: %(wish)d hours a month wished, %(offer)d offered per "
                           "mentee") % {"wish": wish, "offer": offer})
        elif key == "accessibility":
            lines.append(_("Accessibility: %(items)s") % {"items": _labels(key, data)})
        elif key == "languages":
            lines.append(_("Common languages: %(items)s") % {"items": _labels(key, data)})
    return lines


def _capacity(programme: Programme, mentor: Application) -> int:
    return max(0, min(mentor.capacity, programme.max_mentees_per_mentor))


def _other_roles(users: set[int], organisation) -> tuple[dict, dict]:
    """Per user: their role assignments and the groups they coordinate, in `organisation` and
    the organisations below it. What someone does elsewhere (another Land, another party
    branch) is not this coordinator's business, and the workload guard needs the local view."""
    from mitmachen.core.models import RoleAssignment
    from mitmachen.groups.models import GroupMember

    roles: dict[int, list] = {}
    for assignment in RoleAssignment.objects.filter(
            user_id__in=users, organisation__path__startswith=organisation.path).select_related(
            "organisation").order_by("organisation__name", "role"):
        roles.setdefault(assignment.user_id, []).append(
            {"role": str(assignment.get_role_display()),
             "organisation": assignment.organisation.name})
    groups: dict[int, list] = {}
    for member in GroupMember.objects.filter(
            contact__user_id__in=users, role=GroupMember.Role.COORDINATOR,
            group__organisation__path__startswith=organisation.path).select_related(
            "group", "group__organisation", "contact").order_by("group__name"):
        groups.setdefault(member.contact.user_id, []).append(
            {"group": member.group.name, "organisation": member.group.organisation.name})
    return roles, groups


def _other_programmes(programme: Programme, applications) -> dict[int, list]:
    """Per application: the person's open pairs (as mentee or mentor) in the organisation's
    other programmes, found by account or by e-mail address (in any case).
    {application pk: [{"programme", "open_pairings"}]}"""
    users = {a.user_id for a in applications if a.user_id}
    emails = {a.email.strip().lower() for a in applications if a.email}
    if not users and not emails:
        return {}
    counts: dict[tuple, dict[int, int]] = {}
    titles: dict[int, str] = {}
    others = Pairing.objects.filter(programme__organisation=programme.organisation,
                                    status__in=OPEN_PAIR).exclude(programme=programme)
    for side in ("mentee", "mentor"):
        rows = others.annotate(address=Lower(f"{side}__email")).filter(
            Q(**{f"{side}__user_id__in": users}) | Q(address__in=emails)).values_list(
            "programme_id", "programme__title", f"{side}__user_id", "address")
        for programme_id, title, user_id, email in rows:
            titles[programme_id] = title
            for key in ({("user", user_id)} if user_id else set()) | {
                    ("email", (email or "").strip().lower())}:
                per = counts.setdefault(key, {})
                per[programme_id] = per.get(programme_id, 0) + 1
    result: dict[int, list] = {}
    for app in applications:
        keys = {("email", app.email.strip().lower())} | (
            {("user", app.user_id)} if app.user_id else set())
        found: dict[int, int] = {}
        for key in keys:
            for programme_id, n in counts.get(key, {}).items():
                # One pair found by account and by address is still one pair.
                found[programme_id] = max(found.get(programme_id, 0), n)
        if found:
            result[app.pk] = [{"programme": titles[pk], "open_pairings": n}
                              for pk, n in sorted(found.items(), key=lambda kv: titles[kv[0]])]
    return result


def pool(programme: Programme) -> dict:
    """Everyone who applied, with the workload guard for mentors.

    {"mentees": [{"application", "open_pairing"}], "mentors": [{"application",
    "hours_per_month", "capacity", "open_pairings", "free_places", "hours_per_mentee",
    "roles_known", "other_roles": [{"role", "organisation"}], "group_coordinations":
    [{"group", "organisation"}], "other_programmes": [{"programme", "open_pairings"}],
    "other_commitments", "warning", "warnings": [text]}]}

    Roles are known only for an application linked to an account (made while logged in):
    an address alone is not proof of who someone is, so `roles_known` is False otherwise and
    the page says so rather than showing "no roles". Open pairs in the organisation's other
    programmes are found by account or address: counting them needs no proof, only care.
    """
    applications = list(programme.applications.select_related("user").order_by("role", "name",
                                                                                 "pk"))
    open_pairings = list(Pairing.objects.filter(programme=programme, status__in=OPEN_PAIR)
                         .order_by("pk"))
    by_mentee = {p.mentee_id: p for p in open_pairings}
    counts: dict[int, int] = {}
    for pairing in open_pairings:
        counts[pairing.mentor_id] = counts.get(pairing.mentor_id, 0) + 1
    mentor_apps = [a for a in applications if a.role == Application.Role.MENTOR]
    roles, groups = _other_roles({a.user_id for a in mentor_apps if a.user_id},
                                 programme.organisation)
    elsewhere = _other_programmes(programme, mentor_apps)
    mentees, mentors = [], []
    for app in applications:
        if app.role == Application.Role.MENTEE:
            mentees.append({"application": app, "open_pairing": by_mentee.get(app.pk)})
            continue
        capacity = _capacity(programme, app)
        hours_per_mentee = round(app.hours_per_month / capacity, 1) if capacity else 0
        other_roles = roles.get(app.user_id, []) if app.user_id else []
        coordinations = groups.get(app.user_id, []) if app.user_id else []
        other_programmes = elsewhere.get(app.pk, [])
        warnings = []
        if hours_per_mentee < HOURS_PER_MENTEE_MIN:
            warnings.append(_("Less than %(n)d hours a month per mentee.") % {
                "n": HOURS_PER_MENTEE_MIN})
        if len(other_roles) + len(coordinations) >= ROLES_WARNING:
            warnings.append(_("Holds %(n)d other roles.") % {
                "n": len(other_roles) + len(coordinations)})
        if other_programmes:
            warnings.append(_("Already in %(n)d open pairs in other programmes of the "
                              "organisation.") % {
                "n": sum(item["open_pairings"] for item in other_programmes)})
        mentors.append({
            "application": app, "hours_per_month": app.hours_per_month, "capacity": capacity,
            "open_pairings": counts.get(app.pk, 0),
            "free_places": max(0, capacity - counts.get(app.pk, 0))
            if app.status not in (A.WITHDRAWN, A.DECLINED, A.FINISHED) else 0,
            "hours_per_mentee": hours_per_mentee, "roles_known": app.user_id is not None,
            "other_roles": other_roles, "group_coordinations": coordinations,
            "other_programmes": other_programmes,
            "other_commitments": app.other_commitments,
            "warning": bool(warnings), "warnings": warnings,
        })
    return {"mentees": mentees, "mentors": mentors}


def progress(programme: Programme, only=None) -> list[dict]:
    """Per pair (proposed, active or ended): how it goes, never what was said in a meeting or
    a private note. The feedback (given once the pair has ended) is for the coordinator, and
    its form says so: rating and text.

    [{"pk", "mentee": {"pk", "name"}, "mentor": {"pk", "name"}, "status", "started", "ended",
    "meetings", "last_meeting", "minutes", "goals": [{"title", "status"}],
    "feedback": {"mentee": rating or None, "mentor": rating or None},
    "feedback_text": {"mentee": text or None, "mentor": text or None}}]
    """
    pairings = Pairing.objects.filter(programme=programme)
    # The coordinator's list leaves out declined proposals; `only` (pairing keys) gives
    # those rows whatever their status, for the answer to an action on one of them.
    pairings = pairings.filter(pk__in=only) if only is not None else pairings.exclude(
        status=P.DECLINED)
    pairings = list(
        pairings.select_related("mentee", "mentor")
        .annotate(meeting_count=Count("meetings"), last_meeting=Max("meetings__held_on"),
                  total_minutes=Sum("meetings__minutes"))
        .order_by("pk"))
    ids = [p.pk for p in pairings]
    goals: dict[int, list] = {}
    for goal in Goal.objects.filter(pairing_id__in=ids).order_by("pk").values(
            "pairing_id", "title", "status"):
        goals.setdefault(goal["pairing_id"], []).append(
            {"title": goal["title"], "status": goal["status"],
             "status_label": str(Goal.Status(goal["status"]).label)})
    ratings: dict[int, dict] = {}
    texts: dict[int, dict] = {}
    for feedback in Feedback.objects.filter(pairing_id__in=ids).values("pairing_id", "author",
                                                                        "rating", "text"):
        ratings.setdefault(feedback["pairing_id"], {})[feedback["author"]] = feedback["rating"]
        texts.setdefault(feedback["pairing_id"], {})[feedback["author"]] = (
            feedback["text"] or None)
    return [{
        "pk": p.pk,
        "mentee": {"pk": p.mentee_id, "name": p.mentee.name},
        "mentor": {"pk": p.mentor_id, "name": p.mentor.name},
        "status": p.status, "status_label": str(p.get_status_display()),
        "score": p.score, "started": p.started_at, "ended": p.ended_at,
        "meetings": p.meeting_count, "last_meeting": p.last_meeting,
        "minutes": p.total_minutes or 0, "goals": goals.get(p.pk, []),
        "feedback": {"mentee": ratings.get(p.pk, {}).get("mentee"),
                     "mentor": ratings.get(p.pk, {}).get("mentor")},
        "feedback_text": {"mentee": texts.get(p.pk, {}).get("mentee"),
                          "mentor": texts.get(p.pk, {}).get("mentor")},
    } for p in pairings]


def waiting_list(programme: Programme) -> list[Application]:
    """Mentees waiting for a mentor, longest waiting first."""
    return list(programme.applications.filter(role=Application.Role.MENTEE, status=A.WAITING)
                .order_by("waiting_since", "pk"))


def waiting_times(programme: Programme, today=None) -> list[dict]:
    """The waiting list with how long each has waited, for the coordinator's matching page:
    the matching itself gives waiting no weight, so the coordinator sees it here and can fix
    a pair for someone who has waited long. [{"application", "since", "days"}]"""
    from django.utils import timezone

    today = today or timezone.localdate()
    return [{"application": app, "since": app.waiting_since,
             "days": (today - timezone.localdate(app.waiting_since)).days
             if app.waiting_since else 0}
            for app in waiting_list(programme)]


def partner_view(application: Application) -> dict:
    """What the applicant's personal page shows.

    {"application", "programme", "role", "proposals": [{"pk", "partner_first_name",
    "explanation_lines", "my_answer", "partner_answered"}], "pairs": [{"pairing", "status",
    "partner": {"name", "email", "phone"}, "meetings" (with summaries), "goals",
    "notes" (own only), "feedback": {"mine", "given", "can_give"}}], "waiting"}
    """
    from mitmachen.mentoring.models import Meeting, PrivateNote
    from mitmachen.mentoring.services import first_name

    me = application.role
    partner_role = "mentor" if me == Application.Role.MENTEE else "mentee"
    pairings = list(Pairing.objects.filter(Q(mentee=application) | Q(mentor=application))
                    .exclude(status=P.DECLINED).select_related("mentee", "mentor")
                    .order_by("pk"))
    proposals, pairs = [], []
    for pairing in pairings:
        partner = getattr(pairing, partner_role)
        if pairing.status == P.PROPOSED:
            # The key, not the object: through it a template could reach the partner's full
            # name and address, which are shown only once both have accepted.
            proposals.append({
                "pk": pairing.pk, "partner_first_name": first_name(partner.name),
                "explanation": pairing.explanation,
                "explanation_lines": explanation_lines(pairing.explanation),
                "my_answer": getattr(pairing, f"{me}_answer"),
                "partner_answered": bool(getattr(pairing, f"{partner_role}_answer")),
            })
            continue
        mine = Feedback.objects.filter(pairing=pairing, author=me).first()
        ended = pairing.status == P.ENDED
        pairs.append({
            "pairing": pairing, "status": pairing.status,
            "partner": {"name": partner.name, "email": partner.email, "phone": partner.phone},
            "meetings": list(Meeting.objects.filter(pairing=pairing)),
            "goals": list(Goal.objects.filter(pairing=pairing)),
            # The author's own notes only: the partner's never reach this page.
            "notes": list(PrivateNote.objects.filter(pairing=pairing, author=me)),
            "feedback": {"mine": mine, "given": mine is not None,
                         "can_give": mine is None and ended},
        })
    return {"application": application, "programme": application.programme, "role": me,
            "proposals": proposals, "pairs": pairs,
            "waiting": application.status == A.WAITING}
