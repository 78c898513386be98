"""Every write of the mentoring programme: programmes, applications, the coordinator's rules,
matching runs, proposals and the accompaniment of a pair.

Each service validates first, then writes in one transaction and audits it; bad input raises a
ValidationError and changes nothing. Applicants act through their personal link, so their
actor is None.

**Locks.** Every write that touches statuses or pairings locks the programme row first, then
the applications it changes (mentors, then mentees, each in primary-key order). The programme
lock makes all such writes of one programme run one after the other on PostgreSQL (SQLite
write transactions start IMMEDIATE and queue anyway); mentor places are always counted after
the locks are held, from the open pairings in the database. So two coordinators sending, many
people answering and a withdrawal at the same moment can never give a mentor more open pairs
than the places they offered; the database's unique constraint keeps a mentee in one open pair.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.core.permissions import can
from mitmachen.core.roles import Perm
from mitmachen.mentoring import matching, scoring, vocabulary
from mitmachen.mentoring.access import personal_token, personal_url
from mitmachen.mentoring.models import (
    Application,
    Feedback,
    Goal,
    MatchRun,
    Meeting,
    Pairing,
    PairRule,
    PrivateNote,
    Programme,
)

A = Application.Status
P = Pairing.Status
MENTEE, MENTOR = Application.Role.MENTEE, Application.Role.MENTOR
SIDES = (MENTEE.value, MENTOR.value)
OPEN_PAIR = (P.PROPOSED, P.ACTIVE)
# Applications that take no further part: never matched, never counted as free places.
GONE = (A.WITHDRAWN, A.DECLINED, A.FINISHED)
# Mentees the matching may pair.
MATCHABLE_MENTEE = (A.APPLIED, A.WAITING)
# Programme statuses in which matching and proposals happen.
MATCHING_STATUSES = (Programme.Status.OPEN, Programme.Status.RUNNING)
ACCOMPANIED = (P.ACTIVE, P.ENDED)

# --- programmes ------------------------------------------------------------------------------

PROGRAMME_FIELDS = (
    "title", "slug", "description", "audience", "audience_applies_to_mentors", "cohort_starts",
    "cohort_ends", "mentee_window_opens", "mentee_window_closes", "mentor_window_opens",
    "mentor_window_closes", "coordinator", "contact_email", "max_mentees_per_mentor",
)
PROGRAMME_DATES = ("cohort_starts", "cohort_ends", "mentee_window_opens",
                   "mentee_window_closes", "mentor_window_opens", "mentor_window_closes")
# Where a programme may go next. A finished programme can be reopened as running (say, the
# cohort was extended); a running one back to open for late applications.
PROGRAMME_TRANSITIONS = {
    Programme.Status.DRAFT: {Programme.Status.OPEN},
    Programme.Status.OPEN: {Programme.Status.DRAFT, Programme.Status.RUNNING},
    Programme.Status.RUNNING: {Programme.Status.OPEN, Programme.Status.FINISHED},
    Programme.Status.FINISHED: {Programme.Status.RUNNING},
}


def _unknown_keys(data: dict, allowed) -> None:
    if not isinstance(data, dict):
        raise ValidationError(_("The data could not be read."))
    unknown = sorted(str(key) for key in set(data) - set(allowed))
    if unknown:
        raise ValidationError(_("Unknown field(s): %(names)s.") % {"names": ", ".join(unknown)})


def _date(value, field: str, errors: dict):
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) <= 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    errors[field] = [_("Please enter a valid date.")] if value not in (None, "") else [
        _("This field is required.")]
    return None


def _coordinator(value):
    from django.contrib.auth import get_user_model

    if value is None or value == "" or hasattr(value, "pk"):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return get_user_model().objects.filter(pk=value).first() or False
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return get_user_model().objects.filter(pk=int(value)).first() or False
    return False


def _programme_clean(programme: Programme, data: dict) -> None:
    """Set `data` on the (unsaved or fresh) programme and validate it all; raises with every
    problem at once."""
    _unknown_keys(data, PROGRAMME_FIELDS)
    errors: dict[str, list] = {}
    for name, value in data.items():
        if name in PROGRAMME_DATES:
            value = _date(value, name, errors)
        elif name == "coordinator":
            value = _coordinator(value)
            if value is False:
                errors[name] = [_("Please choose a person with the role of mentoring "
                                  "coordinator.")]
                continue
        elif isinstance(value, str):
            value = value.strip()
        setattr(programme, name, value)
    if "slug" not in errors:
        try:
            validate_slug(programme.slug or "")
        except ValidationError:
            errors["slug"] = [_("Please use only letters, digits, hyphens and underscores.")]
    d = {name: getattr(programme, name) for name in PROGRAMME_DATES}
    if all(isinstance(v, dt.date) for v in d.values()) and not (set(errors) & set(d)):
        if d["cohort_ends"] <= d["cohort_starts"]:
            errors["cohort_ends"] = [_("The cohort must end after it starts.")]
        for role in ("mentee", "mentor"):
            opens, closes = d[f"{role}_window_opens"], d[f"{role}_window_closes"]
            if closes < opens:
                errors[f"{role}_window_closes"] = [_("Applications must close after they "
                                                     "open.")]
            elif closes >= d["cohort_ends"]:
                errors[f"{role}_window_closes"] = [_("Applications must close before the "
                                                     "cohort ends.")]
    coordinator = programme.coordinator
    if coordinator is not None and "coordinator" not in errors and not can(
            coordinator, Perm.MENTORING_MANAGE, programme.organisation):
        errors["coordinator"] = [_("Please choose a person with the role of mentoring "
                                   "coordinator.")]
    if programme.slug and "slug" not in errors and Programme.objects.filter(
            organisation=programme.organisation, slug=programme.slug).exclude(
            pk=programme.pk).exists():
        errors["slug"] = [_("Another programme of this organisation already uses this short "
                            "name.")]
    try:
        programme.full_clean(exclude=list(errors), validate_unique=False,
                             validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def programme_create(*, organisation, actor, data: dict) -> Programme:
    """A new programme (status draft). Without a coordinator in `data`, an actor who holds the
    coordinator role becomes it."""
    programme = Programme(organisation=organisation)
    data = dict(data or {})
    if "coordinator" not in data and actor is not None and can(actor, Perm.MENTORING_MANAGE,
                                                               organisation):
        data["coordinator"] = actor
    _programme_clean(programme, data)
    with transaction.atomic():
        programme.save()
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=programme)
    return programme


def programme_update(*, programme: Programme, actor, data: dict) -> Programme:
    """Change the fields in `data`; the others keep their value. Returns the programme (also
    refreshed in place)."""
    from mitmachen.core.audit import changes_between, snapshot

    with transaction.atomic():
        fresh = _lock_programme(programme.pk)
        before = snapshot(fresh, [f for f in PROGRAMME_FIELDS if f != "coordinator"]
                          + ["coordinator_id"])
        _programme_clean(fresh, dict(data or {}))
        changes = changes_between(before, snapshot(fresh, list(before)))
        if changes:
            fresh.save()
            audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=fresh,
                         changes=changes)
    programme.refresh_from_db()
    return fresh


def programme_set_status(*, programme: Programme, status: str, actor) -> Programme:
    if status not in Programme.Status.values:
        raise ValidationError({"status": _("Please choose a status. Nothing was changed.")})
    with transaction.atomic():
        fresh = _lock_programme(programme.pk)
        if fresh.status == status:
            return fresh
        if status not in PROGRAMME_TRANSITIONS[fresh.status]:
            raise ValidationError({"status": _(
                "A programme cannot go from “%(old)s” to “%(new)s”.") % {
                "old": fresh.get_status_display(),
                "new": Programme.Status(status).label}})
        changes = {"status": [fresh.status, status]}
        fresh.status = status
        fresh.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=fresh, changes=changes)
    programme.refresh_from_db()
    return fresh


def _lock_programme(pk) -> Programme:
    # of=self: the organisation row stays free for everything else the organisation does.
    return Programme.objects.select_for_update(of=("self",)).select_related(
        "organisation", "coordinator").get(pk=pk)


# --- profiles --------------------------------------------------------------------------------

# (field, vocabulary) of the list-valued profile fields.
LIST_FIELDS = {
    "fields": vocabulary.Field, "bodies": vocabulary.Body, "activities": vocabulary.Activity,
    "times": vocabulary.TimeSlot, "languages": vocabulary.Language, "needs": vocabulary.Need,
    "offers": vocabulary.Need, "requires": vocabulary.Requirement,
}
# (field, max length, required)
TEXT_FIELDS = {
    "name": (200, True), "phone": (40, False), "district": (100, False), "goals": (4000, False),
    "experience": (4000, False), "other_commitments": (2000, False), "avoid": (1000, False),
}
PROFILE_FIELDS = (*TEXT_FIELDS, *LIST_FIELDS, "hours_per_month", "gender", "capacity")
SUBMIT_FIELDS = (*PROFILE_FIELDS, "email", "audience_confirmed")
HOURS = (1, 80)


def _label(field: str) -> str:
    return capfirst(str(Application._meta.get_field(field).verbose_name))


def _text(value, field: str, max_length: int, required: bool, errors: dict) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = [_("Please enter text.")]
        return ""
    value = value.strip()
    if "\x00" in value:
        errors[field] = [_("The text contains a character that is not allowed.")]
    elif len(value) > max_length:
        errors[field] = [_("Please use at most %(n)d characters.") % {"n": max_length}]
    elif required and not value:
        errors[field] = [_("This field is required.")]
    return value


def _keys(value, field: str, errors: dict) -> list[str]:
    """Vocabulary keys, deduplicated in the order given."""
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple | set | frozenset):
        errors[field] = [_("%(field)s: please choose from the list.") % {
            "field": _label(field)}]
        return []
    allowed = set(LIST_FIELDS[field].values)
    keys = []
    for item in value:
        if not isinstance(item, str) or item not in allowed:
            shown = item if isinstance(item, str) else repr(item)
            errors[field] = [_("%(field)s: “%(value)s” is not one of the choices.") % {
                "field": _label(field), "value": shown[:40].replace("\x00", "")}]
            return []
        if item not in keys:
            keys.append(item)
    return keys


def _number(value, field: str, low: int, high: int, errors: dict) -> int | None:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(
            value.strip()) < 6:
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        errors[field] = [_("Please enter a whole number from %(low)d to %(high)d.") % {
            "low": low, "high": high}]
        return None
    return value


def _profile(programme: Programme, role: str, data: dict, current: Application | None,
             errors: dict) -> dict:
    """The cleaned profile fields of `data`; fields missing from it keep `current`'s value
    (or the default for a new application)."""
    cleaned = {}

    def given(name):
        return name in data or current is None

    for name, (max_length, required) in TEXT_FIELDS.items():
        if given(name):
            cleaned[name] = _text(data.get(name), name, max_length, required, errors)
    for name in LIST_FIELDS:
        if given(name):
            cleaned[name] = _keys(data.get(name), name, errors)
    if given("gender"):
        gender = data.get("gender") or ""
        if not isinstance(gender, str) or gender not in vocabulary.Gender.values:
            errors["gender"] = [_("%(field)s: please choose from the list.") % {
                "field": _label("gender")}]
        cleaned["gender"] = gender if isinstance(gender, str) else ""
    if given("hours_per_month"):
        cleaned["hours_per_month"] = _number(data.get("hours_per_month"), "hours_per_month",
                                             *HOURS, errors)
    if role == MENTOR:
        if given("capacity"):
            cleaned["capacity"] = _number(data.get("capacity", 1), "capacity", 1,
                                          programme.max_mentees_per_mentor, errors)
    else:
        # A mentee is one person with one mentor; there is nothing to choose.
        cleaned["capacity"] = 1

    merged = {name: (cleaned[name] if name in cleaned else getattr(current, name, None))
              for name in PROFILE_FIELDS}
    if "languages" not in errors and not merged["languages"]:
        errors["languages"] = [_("Please choose at least one language.")]
    if role == MENTOR and merged["requires"] and "requires" not in errors:
        errors["requires"] = [_("Only mentees can make wishes binding.")]
    if role == MENTEE and merged["offers"] and "offers" not in errors:
        # What a mentor offers for meetings; a mentee states needs instead.
        errors["offers"] = [_("Only mentors offer accessibility.")]
    return cleaned


def _audience_check(programme: Programme, role: str, data: dict, gender: str,
                    errors: dict) -> None:
    """A programme for an audience asks mentees (and, if it says so, mentors) to confirm they
    belong to it. Only the confirmation is asked for; nothing about it is stored."""
    if programme.audience == Programme.Audience.EVERYONE:
        return
    asked = role == MENTEE or programme.audience_applies_to_mentors
    if asked and data.get("audience_confirmed") is not True:
        errors["audience_confirmed"] = [_(
            "This programme is for: %(audience)s. Please confirm that you belong to it.")
            % {"audience": programme.get_audience_display()}]
    if (role == MENTOR and programme.audience == Programme.Audience.WOMEN
            and programme.audience_applies_to_mentors
            and gender not in scoring.MENTOR_WOMAN_GENDERS):
        # The matching reads the mentor's gender for this rule, so it must say so.
        errors["gender"] = [_("Mentors in this programme are women/FLINTA*: please state your "
                              "gender.")]


def _window(programme: Programme, role: str) -> tuple[dt.date, dt.date]:
    return (getattr(programme, f"{role}_window_opens"),
            getattr(programme, f"{role}_window_closes"))


def application_problem(programme: Programme, role: str, today=None) -> str | None:
    """Why nobody can apply in this role now, or None (for pages to show before the form)."""
    today = today or timezone.localdate()
    if programme.status != Programme.Status.OPEN:
        return _("This programme takes no applications at the moment.")
    opens, closes = _window(programme, role)
    if today < opens:
        return _("Applications open on %(date)s.") % {"date": opens.strftime("%d.%m.%Y")}
    if today > closes:
        return _("Applications closed on %(date)s.") % {"date": closes.strftime("%d.%m.%Y")}
    return None


def application_submit(*, programme: Programme, role: str, data: dict, consent: bool,
                       user=None, today=None) -> tuple[Application | None, str]:
    """An application as mentee or mentor. Returns it and the token of its personal link,
    which is also e-mailed to the applicant.

    An address that has already applied in this role gets no second application, and the
    answer does not say so: who applies to a women*'s programme is nobody's business, least
    of all of someone typing in another person's address. The existing application's link goes
    to that address by e-mail, and the caller gets (None, "") and says only that an e-mail is
    on its way."""
    if role not in SIDES:
        raise ValidationError({"role": _("Please apply as mentee or mentor.")})
    _unknown_keys(data, SUBMIT_FIELDS)
    data = dict(data)
    if user is not None:
        data.setdefault("name", user.name)
        data.setdefault("email", user.email)
    errors: dict[str, list] = {}
    problem = application_problem(programme, role, today)
    if problem:
        raise ValidationError(problem)
    if consent is not True:
        errors["consent"] = [_("Please agree to the processing of your data for the "
                               "programme.")]
    profile = _profile(programme, role, data, None, errors)
    email = _text(data.get("email"), "email", 254, True, errors)
    if "email" not in errors:
        try:
            EmailValidator()(email)
        except ValidationError as exc:
            errors["email"] = exc.messages
    _audience_check(programme, role, data, profile.get("gender", ""), errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        programme = _lock_programme(programme.pk)  # two submissions of one address queue here
        language = translation.get_language() or settings.LANGUAGE_CODE
        existing = programme.applications.filter(role=role, email__iexact=email).exclude(
            status=A.WITHDRAWN).order_by("pk").first()
        if existing is not None:
            _email(existing, "again", language=language)
            return None, ""
        application = Application(programme=programme, role=role, user=user, email=email,
                                  consent_at=timezone.now(), **profile)
        application.full_clean()
        application.save()
        audit_record(actor=None, action=AuditEntry.Action.CREATE, obj=application,
                     organisation=programme.organisation)
        token = personal_token(application)
        _email(application, "received", language=language)
    return application, token


def _lock_application(pk) -> Application:
    return Application.objects.select_for_update(of=("self",)).select_related(
        "programme", "programme__organisation", "user").get(pk=pk)


def application_update(*, application: Application, data: dict, actor=None) -> Application:
    """Profile changes while the application is applied or waiting (a proposal or a pair is
    made on the profile as it was). The coordinator (an actor) may also set coordinator_note."""
    allowed = (*PROFILE_FIELDS, "coordinator_note") if actor is not None else PROFILE_FIELDS
    _unknown_keys(data, allowed)
    from mitmachen.core.audit import changes_between, snapshot

    with transaction.atomic():
        programme = _lock_programme(application.programme_id)
        fresh = _lock_application(application.pk)
        if fresh.status not in MATCHABLE_MENTEE:
            raise ValidationError(_("The profile can only be changed before a proposal is "
                                    "made."))
        errors: dict[str, list] = {}
        profile = _profile(programme, fresh.role, data, fresh, errors)
        if "coordinator_note" in data:
            profile["coordinator_note"] = _text(data["coordinator_note"], "coordinator_note",
                                                2000, False, errors)
        if errors:
            raise ValidationError(errors)
        fields = [*profile]
        before = snapshot(fresh, fields)
        for name, value in profile.items():
            setattr(fresh, name, value)
        fresh.full_clean()
        changes = changes_between(before, snapshot(fresh, fields))
        if changes:
            fresh.save()
            # Which fields changed, not their content: profiles are personal.
            audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=fresh,
                         organisation=programme.organisation,
                         changes={name: ["…", "…"] for name in changes})
    application.refresh_from_db()
    return fresh


def application_withdraw(*, application: Application, actor=None) -> Application:
    """The applicant leaves (or the coordinator records it). Open proposals are declined and
    active pairs end. A place freed with a mentor goes to the waiting list (longest waiting
    first); a mentee left without her mentor joins that queue (see _serve)."""
    with transaction.atomic():
        programme = _lock_programme(application.programme_id)
        fresh = _lock_application(application.pk)
        if fresh.status in GONE:
            raise ValidationError(_("This application is no longer active."))
        own = "mentee" if fresh.role == MENTEE else "mentor"
        pairings = list(Pairing.objects.select_for_update(of=("self",)).filter(
            **{own: fresh}, status__in=OPEN_PAIR).select_related("mentee", "mentor")
            .order_by("pk"))
        partners = _lock_many({p.mentor_id if own == "mentee" else p.mentee_id
                               for p in pairings})
        now = timezone.now()
        for pairing in pairings:
            if pairing.status == P.PROPOSED:
                # Declined, so a later matching never proposes this pair again.
                pairing.status = P.DECLINED
                setattr(pairing, f"{own}_answer", Pairing.Answer.DECLINED)
            else:
                pairing.status = P.ENDED
            pairing.ended_at = now
            pairing.save()
        old = fresh.status
        fresh.status = A.WITHDRAWN
        fresh.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=fresh,
                     organisation=programme.organisation, changes={"status": [old, A.WITHDRAWN]})
        freed = []
        for pairing in pairings:
            partner = partners[pairing.mentor_id if own == "mentee" else pairing.mentee_id]
            _email(partner, "partner_left", matching=programme.status in MATCHING_STATUSES)
            if partner.role == MENTOR:
                _refresh_mentor(partner)
            else:
                partner.status = A.APPLIED
                partner.save(update_fields=["status", "updated_at"])
                freed.append(partner)
        if pairings:
            # A mentee's leaving frees her mentor's place; a mentor's leaving frees her
            # mentees: either way the waiting list is served first.
            _serve(programme, freed, actor)
        if actor is None:
            _notify_coordinator(programme, "withdrawn", application=fresh)
        else:
            # Recorded by the coordinator from what the person told her: the person learns
            # that it was done (and can object if it was a misunderstanding).
            _email(fresh, "withdrawn")
    application.refresh_from_db()
    return fresh


def application_decline(*, application: Application, actor, note: str = "") -> Application:
    """The coordinator does not admit an application (only before it is in a proposal)."""
    errors: dict = {}
    note = _text(note, "coordinator_note", 2000, False, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        programme = _lock_programme(application.programme_id)
        fresh = _lock_application(application.pk)
        if fresh.status not in (A.APPLIED, A.WAITING) or Pairing.objects.filter(
                **{fresh.role: fresh}, status__in=OPEN_PAIR).exists():
            raise ValidationError(_("Only applications that are not in a proposal or a pair "
                                    "can be declined."))
        old = fresh.status
        fresh.status = A.DECLINED
        if note:
            fresh.coordinator_note = note
        fresh.save(update_fields=["status", "coordinator_note", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=fresh,
                     organisation=programme.organisation, changes={"status": [old, A.DECLINED]})
        _email(fresh, "not_admitted")
    application.refresh_from_db()
    return fresh


def application_new_link(*, application: Application) -> Application:
    """A new personal link, e-mailed to the applicant's address; every link sent before stops
    working (the token is derived from the nonce). For a link that was forwarded or seen by
    someone else: whoever had it gets nothing new, the new one goes only to the address."""
    from mitmachen.mentoring.models import _nonce

    with transaction.atomic():
        fresh = _lock_application(application.pk)
        fresh.nonce = _nonce()
        # Only the nonce: a new link is no change of the application that would make a draft
        # matching with it stale.
        fresh.save(update_fields=["nonce"])
        audit_record(actor=None, action=AuditEntry.Action.UPDATE, obj=fresh,
                     organisation=fresh.programme.organisation,
                     changes={"personal_link": ["…", "new"]})
        _email(fresh, "new_link")
    application.nonce = fresh.nonce
    return fresh


# --- the coordinator's rules -----------------------------------------------------------------

def rule_set(*, programme: Programme, mentee: Application, mentor: Application, kind: str,
             reason: str, actor) -> PairRule:
    """Fix or forbid a pair for the next matching (replaces an earlier rule on the pair)."""
    errors: dict = {}
    reason = _text(reason, "reason", 300, False, errors)
    if kind not in PairRule.Kind.values:
        errors["kind"] = [_("Please choose whether the pair is fixed or forbidden.")]
    if mentee.programme_id != programme.pk or mentee.role != MENTEE:
        errors["mentee"] = [_("Please choose a mentee of this programme.")]
    if mentor.programme_id != programme.pk or mentor.role != MENTOR:
        errors["mentor"] = [_("Please choose a mentor of this programme.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        programme = _lock_programme(programme.pk)
        mentor, mentee = _lock_application(mentor.pk), _lock_application(mentee.pk)
        if kind == PairRule.Kind.FIX:
            _check_fix(programme, mentee, mentor)
        rule, created = PairRule.objects.update_or_create(
            mentee=mentee, mentor=mentor,
            defaults={"programme": programme, "kind": kind, "reason": reason,
                      "created_by": actor if getattr(actor, "is_authenticated", False)
                      else None})
        audit_record(actor=actor, action=AuditEntry.Action.CREATE if created
                     else AuditEntry.Action.UPDATE, obj=rule,
                     organisation=programme.organisation, changes={"kind": [None, kind]})
    return rule


def _check_fix(programme: Programme, mentee: Application, mentor: Application) -> None:
    if mentee.status in GONE or mentor.status in GONE:
        raise ValidationError(_("Only active applications can be fixed to each other."))
    if _same_person(mentee, mentor):
        raise ValidationError(_("%(mentee)s and %(mentor)s are the same person: nobody can "
                                "mentor herself.") % {"mentee": mentee.name,
                                                      "mentor": mentor.name})
    other = PairRule.objects.filter(mentee=mentee, kind=PairRule.Kind.FIX).exclude(
        mentor=mentor).select_related("mentor").first()
    if other is not None:
        raise ValidationError(_("%(mentee)s is already fixed to %(mentor)s.") % {
            "mentee": mentee.name, "mentor": other.mentor.name})
    broken = scoring.violations(_person(mentee), _person(mentor, remaining=1))
    if broken:
        raise ValidationError(_("%(mentee)s and %(mentor)s cannot be a pair: %(reasons)s.") % {
            "mentee": mentee.name, "mentor": mentor.name,
            "reasons": ", ".join(constraint_label(code) for code in broken)})
    # Places: the open pairs plus the other fixed mentees who are still to be matched.
    taken = Pairing.objects.filter(mentor=mentor, status__in=OPEN_PAIR).count()
    fixed = PairRule.objects.filter(mentor=mentor, kind=PairRule.Kind.FIX,
                                    mentee__status__in=MATCHABLE_MENTEE).exclude(
        mentee=mentee).count()
    if taken + fixed >= _capacity(programme, mentor):
        raise ValidationError(_("%(mentor)s has no free place for another fixed pair.") % {
            "mentor": mentor.name})


def rule_remove(*, rule: PairRule, actor) -> None:
    with transaction.atomic():
        programme = _lock_programme(rule.programme_id)
        audit_record(actor=actor, action=AuditEntry.Action.DELETE, obj=rule,
                     organisation=programme.organisation, changes={"kind": [rule.kind, None]})
        PairRule.objects.filter(pk=rule.pk).delete()


def constraint_label(code: str) -> str:
    """A hard constraint's code (scoring.CONSTRAINTS) in words."""
    labels = {
        scoring.EXCLUDED_BY_MENTEE: _("excluded by the mentee"),
        scoring.EXCLUDED_BY_MENTOR: _("excluded by the mentor"),
        scoring.FORBIDDEN: _("forbidden, declined before, or the same person"),
        scoring.NO_COMMON_LANGUAGE: _("no common language"),
        scoring.MENTOR_WOMAN: _("the mentee wishes a woman/FLINTA* as mentor"),
        scoring.SAME_LANGUAGE: _("the mentee wishes a mentor who speaks all her languages"),
        scoring.STEP_FREE: _("the mentee needs step-free meeting places"),
    }
    return str(labels.get(code, code))


# --- matching --------------------------------------------------------------------------------

def _capacity(programme: Programme, mentor: Application) -> int:
    # The programme's limit may have been lowered after the mentor applied; the lower counts.
    return max(0, min(mentor.capacity, programme.max_mentees_per_mentor))


def _person(app: Application, *, remaining: int = 1,
            programme: Programme | None = None) -> scoring.Person:
    """The application as the matching reads it; a mentor with `remaining` places."""
    common = {
        "fields": app.fields, "bodies": app.bodies, "activities": app.activities,
        "times": app.times, "languages": app.languages, "accessibility": app.needs,
        "hours_per_month": app.hours_per_month, "district": app.district.strip() or None,
        "gender": app.gender or "",
    }
    if app.role == MENTEE:
        return scoring.Person.mentee(
            app.pk, requires=[r for r in app.requires if r in scoring.REQUIREMENTS], **common)
    # scoring reads a mentor's hours per mentee as hours / capacity, and the capacity here is
    # the places left, not all she offered: scale the hours to those places, so that the
    # quotient stays her hours per mentee of all places. The floor keeps it exact: for whole
    # wishes, wish x left <= floor(hours x left / places) exactly when wish x places <= hours.
    places = _capacity(programme or app.programme, app)
    if places:
        common["hours_per_month"] = app.hours_per_month * min(remaining, places) // places
    return scoring.Person.mentor(app.pk, capacity=remaining, offers=app.offers, **common)


def _open_counts(programme: Programme) -> dict[int, int]:
    return dict(Pairing.objects.filter(programme=programme, status__in=OPEN_PAIR)
                .values("mentor_id").annotate(n=Count("pk")).values_list("mentor_id", "n"))


def _mentor_queryset(programme: Programme):
    mentors = programme.applications.filter(role=MENTOR).exclude(status__in=GONE)
    if programme.audience == Programme.Audience.WOMEN and programme.audience_applies_to_mentors:
        mentors = mentors.filter(gender__in=scoring.MENTOR_WOMAN_GENDERS)
    return mentors.order_by("pk")


def _free_mentors(programme: Programme, mentors) -> dict[int, tuple[Application, int]]:
    """{pk: (mentor, free places)} for the mentors with at least one free place."""
    open_counts = _open_counts(programme)
    free = {}
    for mentor in mentors:
        places = _capacity(programme, mentor) - open_counts.get(mentor.pk, 0)
        if places > 0:
            free[mentor.pk] = (mentor, places)
    return free


def _forbidden(programme: Programme) -> set[tuple[int, int]]:
    """Pairs never to propose: the coordinator's, every pair already declined or ended, and
    one person applying on both sides."""
    pairs = set(PairRule.objects.filter(programme=programme, kind=PairRule.Kind.FORBID)
                .values_list("mentee_id", "mentor_id"))
    pairs |= set(Pairing.objects.filter(programme=programme,
                                        status__in=(P.DECLINED, P.ENDED))
                 .values_list("mentee_id", "mentor_id"))
    return pairs | _self_pairs(programme)


def _identities(app: Application) -> set:
    keys = {("email", (app.email or "").strip().lower())}
    if app.user_id is not None:
        keys.add(("user", app.user_id))
    return keys


def _same_person(mentee: Application, mentor: Application) -> bool:
    """One address (in any case) or one account on both sides."""
    return bool(_identities(mentee) & _identities(mentor))


def _self_pairs(programme: Programme) -> set[tuple[int, int]]:
    """(mentee, mentor) of every person who applied as both."""
    sides: dict[tuple, tuple[set, set]] = {}
    for pk, role, email, user_id in programme.applications.exclude(status__in=GONE).values_list(
            "pk", "role", "email", "user_id"):
        keys = {("email", (email or "").strip().lower())}
        if user_id is not None:
            keys.add(("user", user_id))
        for key in keys:
            sides.setdefault(key, (set(), set()))[role == MENTOR].add(pk)
    return {(mentee, mentor) for mentees, mentors in sides.values()
            for mentee in mentees for mentor in mentors}


def _matching_error(error: matching.MatchingError, names: dict[int, str]) -> ValidationError:
    # Ids mean nothing to a coordinator: name the people instead.
    params = {key: names.get(value, value) if key in ("mentee", "mentor", "other") else value
              for key, value in error.params.items()}
    if error.code == "fixed_infeasible":
        params["constraints"] = ", ".join(constraint_label(c.strip())
                                          for c in str(error.params["constraints"]).split(","))
    return ValidationError(_(error.msgid) % params, code=error.code)


def matching_run(*, programme: Programme, actor) -> MatchRun:
    """Compute the optimal matching of everyone waiting for a mentor and store it as a draft
    for the coordinator to look at. Nothing is sent.

    Only the objective counts (most pairs, then most compatibility): how long someone has
    waited gives no points, or one early applicant could outweigh two good pairs. The waiting
    list has its own rule: a place that frees up between matchings is offered to it in order
    (_serve), and the matching page shows the coordinator how long people have waited."""
    with transaction.atomic():
        programme = _lock_programme(programme.pk)
        if programme.status not in MATCHING_STATUSES:
            raise ValidationError(_("Matching is possible while applications are open or the "
                                    "programme is running."))
        mentees = list(programme.applications.filter(role=MENTEE, status__in=MATCHABLE_MENTEE)
                       .exclude(pairings_as_mentee__status__in=OPEN_PAIR).order_by("pk"))
        free = _free_mentors(programme, _mentor_queryset(programme))
        names = {a.pk: a.name for a in mentees} | {pk: m.name for pk, (m, _n) in free.items()}
        mentee_ids = {a.pk for a in mentees}
        fixed = []
        for rule in PairRule.objects.filter(programme=programme, kind=PairRule.Kind.FIX,
                                            mentee_id__in=mentee_ids).select_related("mentor"):
            if rule.mentor_id not in free:
                raise ValidationError(_(
                    "%(mentee)s is fixed to %(mentor)s, who has no free place or no longer "
                    "takes part. Please remove the rule or free a place.") % {
                    "mentee": names[rule.mentee_id], "mentor": rule.mentor.name})
            fixed.append((rule.mentee_id, rule.mentor_id))
        forbidden = _forbidden(programme)
        people = [_person(a) for a in mentees]
        mentors = [_person(m, remaining=n, programme=programme) for m, n in free.values()]
        try:
            result = matching.match(people, mentors, fixed=fixed, forbidden=forbidden)
            baseline = matching.greedy(people, mentors, fixed=fixed, forbidden=forbidden)
        except matching.MatchingError as error:
            raise _matching_error(error, names) from None
        run = MatchRun.objects.create(
            programme=programme,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            total_score=result.total_score, matched=result.matched,
            unmatched=len(result.unmatched),
            result={
                "pairs": [{"mentee": p.mentee_id, "mentor": p.mentor_id, "score": p.score,
                           "explanation": _plain_explanation(p.explanation)}
                          for p in result.pairs],
                "unmatched": [{"mentee": u.mentee_id, "reason": u.reason,
                               "ruled_out": [list(item) for item in u.ruled_out],
                               "compatible": u.compatible} for u in result.unmatched],
                "remaining": {str(k): v for k, v in result.remaining.items()},
                "greedy_score": baseline.total_score, "greedy_matched": baseline.matched,
                "fixed": [list(pair) for pair in fixed],
            })
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=run,
                     organisation=programme.organisation,
                     changes={"matched": [None, run.matched],
                              "unmatched": [None, run.unmatched]})
    return run


def _plain_explanation(items) -> list:
    """scoring.explain items as JSON: [key, data] with tuples as lists."""
    return [[key, list(data) if isinstance(data, tuple | list) else data] for key, data in items]


def _lock_many(pks) -> dict[int, Application]:
    """Lock applications in primary-key order (the order every writer keeps)."""
    return {a.pk: a for a in Application.objects.select_for_update(of=("self",))
            .select_related("programme", "programme__organisation", "user")
            .filter(pk__in=sorted(pks)).order_by("pk")}


def matching_send(*, run: MatchRun, actor) -> list[Pairing]:
    """Send the proposals of the programme's latest run: each side gets an e-mail with the
    partner's first name, why they fit and the link to answer. Mentees left over go onto the
    waiting list. Refused (nothing sent) if anything changed since the run was computed: an
    application of the run saved after it (a profile edit can make a pair break a binding
    wish), a pair that breaks a hard rule now, a place taken."""
    with transaction.atomic():
        programme = _lock_programme(run.programme_id)
        run = MatchRun.objects.select_for_update().get(pk=run.pk)
        if run.sent_at is not None:
            raise ValidationError(_("This matching has already been sent."))
        latest = MatchRun.objects.filter(programme=programme).order_by("-pk").values_list(
            "pk", flat=True).first()
        if latest != run.pk:
            raise ValidationError(_("There is a newer matching for this programme; please "
                                    "send that one."))
        if programme.status not in MATCHING_STATUSES:
            raise ValidationError(_("Matching is possible while applications are open or the "
                                    "programme is running."))
        pairs = run.result.get("pairs", [])
        left = [u["mentee"] for u in run.result.get("unmatched", [])]
        mentors = _lock_many({p["mentor"] for p in pairs})
        mentees = _lock_many({p["mentee"] for p in pairs} | set(left))
        # Counted with the locks held: nobody can take a place between this count and the
        # insert below.
        open_counts = _open_counts(programme)
        busy = set(Pairing.objects.filter(programme=programme, status__in=OPEN_PAIR,
                                          mentee_id__in=list(mentees))
                   .values_list("mentee_id", flat=True))
        forbidden = _forbidden(programme)
        eligible_mentors = set(_mentor_queryset(programme).filter(pk__in=list(mentors))
                               .values_list("pk", flat=True))
        stale, used = [], {}
        for pair in pairs:
            mentee, mentor = mentees.get(pair["mentee"]), mentors.get(pair["mentor"])
            if mentee is None or mentor is None:
                stale.append(str(pair["mentee"]))
                continue
            used[mentor.pk] = used.get(mentor.pk, 0) + 1
            if (mentee.status not in MATCHABLE_MENTEE or mentee.pk in busy
                    or mentor.pk not in eligible_mentors
                    or (mentee.pk, mentor.pk) in forbidden
                    or _same_person(mentee, mentor)
                    or mentee.updated_at > run.created_at
                    or mentor.updated_at > run.created_at
                    or open_counts.get(mentor.pk, 0) + used[mentor.pk]
                    > _capacity(programme, mentor)
                    # The hard rules once more, on the profiles as they are now: whatever
                    # slipped through above must never reach two people's inboxes.
                    or scoring.violations(_person(mentee),
                                          _person(mentor, programme=programme))):
                stale.append(mentee.name)
        stale += [mentee.name for pk in left if (mentee := mentees.get(pk)) is not None
                  and mentee.updated_at > run.created_at]
        if stale:
            raise ValidationError(_(
                "Some applications have changed since this matching was computed (%(names)s). "
                "Please run the matching again; nothing was sent.") % {
                "names": ", ".join(sorted(set(stale)))})
        now = timezone.now()
        created = []
        for pair in pairs:
            mentee, mentor = mentees[pair["mentee"]], mentors[pair["mentor"]]
            created.append(_propose(programme, mentee, mentor, pair["score"],
                                    pair["explanation"], run=run))
        for mentor in mentors.values():
            _refresh_mentor(mentor)
        for pk in left:
            mentee = mentees.get(pk)
            if mentee is not None and mentee.status in MATCHABLE_MENTEE and pk not in busy:
                _to_waiting(mentee, now)
        run.sent_at = now
        run.save(update_fields=["sent_at", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=run,
                     organisation=programme.organisation,
                     changes={"sent_at": [None, now.isoformat()],
                              "proposals": [None, len(created)]})
    return created


def _propose(programme: Programme, mentee: Application, mentor: Application, score: int,
             explanation: list, run: MatchRun | None = None) -> Pairing:
    """A proposal to both sides (locks held by the caller)."""
    pairing = Pairing.objects.create(programme=programme, mentee=mentee, mentor=mentor, run=run,
                                     score=score, explanation=explanation)
    mentee.status = A.PROPOSED
    mentee.save(update_fields=["status", "updated_at"])
    for me, partner in ((mentee, mentor), (mentor, mentee)):
        _email(me, "proposal", partner_first_name=first_name(partner.name),
               explanation=explanation, score=score)
    return pairing


def _to_waiting(mentee: Application, now) -> None:
    if mentee.status == A.WAITING and mentee.waiting_since is not None:
        # Nothing changes: no save, so that a draft matching that includes her stays valid.
        return
    newly = mentee.status != A.WAITING
    mentee.status = A.WAITING
    # The place on the list is kept from the first time: a second round does not reset it.
    if mentee.waiting_since is None:
        mentee.waiting_since = now
    mentee.save(update_fields=["status", "waiting_since", "updated_at"])
    if newly:
        _email(mentee, "waiting")


def _refresh_mentor(mentor: Application) -> None:
    """A mentor's status follows their open pairs (one mentor, several mentees)."""
    if mentor.status in GONE:
        return
    statuses = set(Pairing.objects.filter(mentor=mentor, status__in=OPEN_PAIR)
                   .values_list("status", flat=True))
    status = (A.MATCHED if P.ACTIVE in statuses else A.PROPOSED if P.PROPOSED in statuses
              else A.APPLIED)
    if status != mentor.status:
        mentor.status = status
        mentor.save(update_fields=["status", "updated_at"])


def _side(side) -> str:
    if side not in SIDES:
        raise ValidationError(_("Please say whether you answer as mentee or mentor."))
    return str(side)


def _lock_pair(pairing: Pairing) -> tuple[Programme, Pairing]:
    """The programme, both applications and the pairing, locked in the order every writer
    keeps; the pairing carries the locked applications."""
    programme = _lock_programme(pairing.programme_id)
    apps = _lock_many({pairing.mentee_id, pairing.mentor_id})
    pairing = Pairing.objects.select_for_update(of=("self",)).get(pk=pairing.pk)
    pairing.mentee, pairing.mentor = apps[pairing.mentee_id], apps[pairing.mentor_id]
    return programme, pairing


def proposal_answer(*, pairing: Pairing, side: str, accept: bool) -> Pairing:
    """One side's answer to a proposal. Both accept: the pair starts and both get each other's
    contact details. A decline: the pair is off and the coordinator is told; the mentor's
    freed place goes to the waiting list first, and the mentee joins that queue (_serve)."""
    side = _side(side)
    if not isinstance(accept, bool):
        raise ValidationError(_("Please accept or decline the proposal."))
    with transaction.atomic():
        programme, pairing = _lock_pair(pairing)
        mentee, mentor = pairing.mentee, pairing.mentor
        if pairing.status != P.PROPOSED:
            raise ValidationError(_("This proposal is no longer open."))
        if getattr(pairing, f"{side}_answer"):
            raise ValidationError(_("You have already answered this proposal."))
        setattr(pairing, f"{side}_answer",
                Pairing.Answer.ACCEPTED if accept else Pairing.Answer.DECLINED)
        now = timezone.now()
        if not accept:
            pairing.status = P.DECLINED
            pairing.ended_at = now
        elif pairing.mentee_answer == pairing.mentor_answer == Pairing.Answer.ACCEPTED:
            pairing.status = P.ACTIVE
            pairing.started_at = now
        pairing.save()
        audit_record(actor=None, action=AuditEntry.Action.UPDATE, obj=pairing,
                     organisation=programme.organisation,
                     changes={f"{side}_answer": ["", getattr(pairing, f"{side}_answer")],
                              "status": [P.PROPOSED, pairing.status]})
        if pairing.status == P.ACTIVE:
            mentee.status = A.MATCHED
            mentee.save(update_fields=["status", "updated_at"])
            _refresh_mentor(mentor)
            for me, partner in ((mentee, mentor), (mentor, mentee)):
                _email(me, "active", partner=partner)
        elif pairing.status == P.DECLINED:
            partner = mentor if side == MENTEE else mentee
            _email(partner, "declined", matching=programme.status in MATCHING_STATUSES)
            _notify_coordinator(programme, "declined", pairing=pairing, side=side)
            _refresh_mentor(mentor)
            mentee.status = A.APPLIED
            mentee.save(update_fields=["status", "updated_at"])
            _serve(programme, [mentee], None)
    return pairing


def proposal_retract(*, pairing: Pairing, actor) -> Pairing:
    """The coordinator takes back an open proposal (say, she learnt the two know each other):
    declined on the coordinator's behalf, so it is never proposed again; both are told, the
    mentor's place goes to the waiting list and the mentee joins the queue."""
    with transaction.atomic():
        programme, pairing = _lock_pair(pairing)
        if pairing.status != P.PROPOSED:
            raise ValidationError(_("Only an open proposal can be retracted."))
        mentee, mentor = pairing.mentee, pairing.mentor
        pairing.status = P.DECLINED
        pairing.ended_at = timezone.now()
        pairing.save(update_fields=["status", "ended_at", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=pairing,
                     organisation=programme.organisation,
                     changes={"status": [P.PROPOSED, P.DECLINED], "by": [None, "coordinator"]})
        matching_open = programme.status in MATCHING_STATUSES
        for me in (mentee, mentor):
            _email(me, "retracted", matching=matching_open)
        _refresh_mentor(mentor)
        mentee.status = A.APPLIED
        mentee.save(update_fields=["status", "updated_at"])
        _serve(programme, [mentee], actor)
    return pairing


def rematch(*, application: Application, actor=None) -> Pairing | None:
    """Match one mentee against the mentors with free places (pairs declined before are
    forbidden; her fixed pair, if it still fits, comes first; places held for other mentees'
    fixed pairs are not offered). Proposes the best pair like a sent matching, or puts her on
    the waiting list. Returns the proposal or None."""
    with transaction.atomic():
        programme = _lock_programme(application.programme_id)
        mentee = _lock_application(application.pk)
        if mentee.role != MENTEE or mentee.status not in MATCHABLE_MENTEE or \
                Pairing.objects.filter(mentee=mentee, status__in=OPEN_PAIR).exists():
            raise ValidationError(_("Only mentees who are waiting for a mentor can be matched "
                                    "again."))
        if programme.status not in MATCHING_STATUSES:
            raise ValidationError(_("Matching is possible while applications are open or the "
                                    "programme is running."))
        return _rematch(programme, mentee, actor)


def _rematch(programme: Programme, mentee: Application, actor) -> Pairing | None:
    """rematch with the programme and the mentee locked by the caller. Outside a matching
    status (a finished programme) nobody is proposed: she goes onto the waiting list."""
    pairing = None
    if programme.status in MATCHING_STATUSES:
        mentors = list(_mentor_queryset(programme).select_for_update(of=("self",)))
        pairing = _match_one(programme, mentee, mentors, _forbidden(programme))
    if pairing is None:
        _to_waiting(mentee, timezone.now())
    _audit_rematch(programme, mentee, pairing, actor)
    return pairing


def _audit_rematch(programme: Programme, mentee: Application, pairing, actor) -> None:
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=mentee,
                 organisation=programme.organisation,
                 changes={"rematch": [None, pairing.mentor_id if pairing else "waiting"]})


def _free_places(programme: Programme, mentors, mentee: Application) -> dict:
    """{pk: (mentor, places)} a re-match may offer `mentee`: the free places, less those held
    for other mentees' fixed pairs (a coordinator's fixed pair must still fit at the next
    matching)."""
    free = _free_mentors(programme, mentors)
    if not free:
        return free
    held: dict[int, int] = {}
    for mentor_id in (PairRule.objects.filter(programme=programme, kind=PairRule.Kind.FIX,
                                              mentor_id__in=list(free),
                                              mentee__status__in=MATCHABLE_MENTEE)
                      .exclude(mentee=mentee)
                      .exclude(mentee__pairings_as_mentee__status__in=OPEN_PAIR)
                      .values_list("mentor_id", flat=True)):
        held[mentor_id] = held.get(mentor_id, 0) + 1
    return {pk: (mentor, places - held.get(pk, 0)) for pk, (mentor, places) in free.items()
            if places > held.get(pk, 0)}


def _match_one(programme: Programme, mentee: Application, mentors, forbidden) -> Pairing | None:
    """Propose the best mentor with a free place to one mentee, or None (locks held by the
    caller)."""
    free = _free_places(programme, mentors, mentee)
    if not free:
        return None
    person = _person(mentee)
    people = [_person(m, remaining=n, programme=programme) for m, n in free.values()]
    fixed = [(mentee.pk, pk) for pk in PairRule.objects.filter(
        mentee=mentee, kind=PairRule.Kind.FIX, mentor_id__in=list(free)).values_list(
        "mentor_id", flat=True)][:1]
    try:
        result = matching.match([person], people, fixed=fixed, forbidden=forbidden)
    except matching.MatchingError:
        # The fixed pair no longer fits (declined, say): the best other pair instead.
        result = matching.match([person], people, forbidden=forbidden)
    if not result.pairs:
        return None
    best = result.pairs[0]
    mentor = free[best.mentor_id][0]
    pairing = _propose(programme, mentee, mentor, best.score,
                       _plain_explanation(best.explanation))
    _refresh_mentor(mentor)
    return pairing


def _serve(programme: Programme, freed: list[Application], actor) -> list[Pairing]:
    """After a place was freed or a pair broke up: offer the free places to the waiting list,
    longest waiting first, with the mentees in `freed` (applied, locked by the caller) joining
    the queue by their own waiting time (those who never waited at its end). Whoever finds no
    fitting mentor waits. Outside a matching status nobody is proposed; `freed` wait.

    A new mentor's places are not offered here: they wait for the coordinator's next
    matching, which looks at everyone at once."""
    now = timezone.now()
    if programme.status not in MATCHING_STATUSES:
        for mentee in freed:
            _to_waiting(mentee, now)
            _audit_rematch(programme, mentee, None, actor)
        return []
    freed_ids = {mentee.pk for mentee in freed}
    waiting = list(programme.applications.select_for_update(of=("self",))
                   .filter(role=MENTEE, status=A.WAITING)
                   .exclude(pk__in=freed_ids)
                   .exclude(pairings_as_mentee__status__in=OPEN_PAIR)
                   .select_related("programme", "programme__organisation", "user")
                   .order_by("waiting_since", "pk"))
    queue = sorted(waiting + list(freed), key=lambda a: (a.waiting_since or now, a.pk))
    mentors = list(_mentor_queryset(programme).select_for_update(of=("self",)))
    forbidden = _forbidden(programme)
    created = []
    for mentee in queue:
        pairing = _match_one(programme, mentee, mentors, forbidden)
        if pairing is not None:
            created.append(pairing)
        elif mentee.pk in freed_ids:
            _to_waiting(mentee, now)
        if pairing is not None or mentee.pk in freed_ids:
            _audit_rematch(programme, mentee, pairing, actor)
    return created


# --- accompaniment ---------------------------------------------------------------------------

def _accompanied(pairing: Pairing, side) -> tuple[Pairing, str]:
    side = _side(side)
    pairing = Pairing.objects.select_related("programme", "programme__organisation").get(
        pk=pairing.pk)
    if pairing.status not in ACCOMPANIED:
        raise ValidationError(_("This is possible once both of you have accepted the "
                                "proposal."))
    return pairing, side


def _not_future(value, field: str, errors: dict):
    value = _date(value, field, errors)
    if value is not None and value > timezone.localdate():
        errors[field] = [_("The date cannot be in the future.")]
    return value


def meeting_log(*, pairing: Pairing, side: str, held_on, kind: str, minutes: int,
                summary: str) -> Meeting:
    """A meeting (or a session the mentee was accompanied to). The summary is for both
    partners; the coordinator sees only that it took place and how long."""
    pairing, side = _accompanied(pairing, side)
    errors: dict = {}
    held_on = _not_future(held_on, "held_on", errors)
    started = timezone.localdate(pairing.started_at) if pairing.started_at else None
    if held_on is not None and "held_on" not in errors and started and held_on < started:
        errors["held_on"] = [_("The date cannot be before your mentoring started "
                               "(%(date)s).") % {"date": started.strftime("%d.%m.%Y")}]
    if kind not in Meeting.Kind.values:
        errors["kind"] = [_("Please choose the kind of meeting.")]
    minutes = _number(minutes, "minutes", 5, 720, errors)
    summary = _text(summary, "summary", 4000, False, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = Meeting(pairing=pairing, held_on=held_on, kind=kind, minutes=minutes,
                          summary=summary, logged_by=side)
        meeting.full_clean()
        meeting.save()
        audit_record(actor=None, action=AuditEntry.Action.CREATE, obj=meeting,
                     organisation=pairing.programme.organisation,
                     object_repr=f"{pairing} {held_on}")
    return meeting


def goal_add(*, pairing: Pairing, side: str, title: str) -> Goal:
    pairing, side = _accompanied(pairing, side)
    errors: dict = {}
    title = _text(title, "title", 200, True, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        goal = Goal.objects.create(pairing=pairing, title=title)
        audit_record(actor=None, action=AuditEntry.Action.CREATE, obj=goal,
                     organisation=pairing.programme.organisation,
                     object_repr=f"{pairing}: {goal.pk}", changes={"by": [None, side]})
    return goal


def goal_update(*, goal: Goal, side: str, status: str) -> Goal:
    pairing, side = _accompanied(goal.pairing, side)
    if status not in Goal.Status.values:
        raise ValidationError({"status": _("Please choose a status. Nothing was changed.")})
    with transaction.atomic():
        goal = Goal.objects.select_for_update().get(pk=goal.pk)
        old = goal.status
        if old != status:
            goal.status = status
            goal.save(update_fields=["status", "updated_at"])
            audit_record(actor=None, action=AuditEntry.Action.UPDATE, obj=goal,
                         organisation=pairing.programme.organisation,
                         object_repr=f"{pairing}: {goal.pk}",
                         changes={"status": [old, status], "by": [None, side]})
    return goal


def note_add(*, pairing: Pairing, side: str, text: str) -> PrivateNote:
    """A note only its author reads. Not audited with content; not shown to anybody else."""
    pairing, side = _accompanied(pairing, side)
    errors: dict = {}
    text = _text(text, "text", 4000, True, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        note = PrivateNote.objects.create(pairing=pairing, author=side, text=text)
        audit_record(actor=None, action=AuditEntry.Action.CREATE, obj=note,
                     organisation=pairing.programme.organisation,
                     object_repr=f"{pairing.pk} {side}")
    return note


def feedback_submit(*, pairing: Pairing, side: str, rating: int, text: str) -> Feedback:
    """Each side's feedback, once, when the pair has ended: on a running pair it would be
    read by the coordinator (who sees it) while the two still work together."""
    pairing, side = _accompanied(pairing, side)
    if pairing.status != P.ENDED:
        raise ValidationError(_("You can give your feedback once your mentoring has ended."))
    errors: dict = {}
    rating = _number(rating, "rating", 1, 5, errors)
    text = _text(text, "text", 4000, False, errors)
    if errors:
        raise ValidationError(errors)
    already = ValidationError(_("You have already given your feedback."))
    if Feedback.objects.filter(pairing=pairing, author=side).exists():
        raise already
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(pairing=pairing, author=side, rating=rating,
                                               text=text)
            audit_record(actor=None, action=AuditEntry.Action.CREATE, obj=feedback,
                         organisation=pairing.programme.organisation,
                         object_repr=f"{pairing.pk} {side}")
    except IntegrityError:
        raise already from None  # the same feedback sent twice at once
    return feedback


def pairing_end(*, pairing: Pairing, actor=None, side: str | None = None,
                mentee_continues: bool = True) -> Pairing:
    """An active pair ends: one side ends it (`side`), or the coordinator (an actor, no side).

    In a finished programme both are finished. Before that, an early end is not the end of
    taking part: the mentor returns to the pool with her place free again (offered to the
    waiting list at once), and so does the mentee, who joins the queue for a new mentor,
    unless she ended it herself, or the coordinator says she does not continue; then she is
    finished. The partner (both, when the coordinator ends it) is told."""
    if side is not None:
        side = _side(side)
    if not isinstance(mentee_continues, bool):
        raise ValidationError(_("Please say whether the mentee would like a new mentor."))
    with transaction.atomic():
        programme, pairing = _lock_pair(pairing)
        if pairing.status != P.ACTIVE:
            raise ValidationError(_("Only an active pair can be ended."))
        mentee, mentor = pairing.mentee, pairing.mentor
        pairing.status = P.ENDED
        pairing.ended_at = timezone.now()
        pairing.save(update_fields=["status", "ended_at", "updated_at"])
        over = programme.status == Programme.Status.FINISHED
        if side is not None:
            mentee_continues = side == MENTOR
        mentee_continues = mentee_continues and not over
        mentee.status = A.APPLIED if mentee_continues else A.FINISHED
        mentee.save(update_fields=["status", "updated_at"])
        if over and not Pairing.objects.filter(mentor=mentor, status__in=OPEN_PAIR).exists():
            mentor.status = A.FINISHED
            mentor.save(update_fields=["status", "updated_at"])
        else:
            _refresh_mentor(mentor)
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=pairing,
                     organisation=programme.organisation,
                     changes={"status": [P.ACTIVE, P.ENDED],
                              "by": [None, side or "coordinator"],
                              "mentee_continues": [None, mentee_continues]})
        matching_open = programme.status in MATCHING_STATUSES
        for me in (mentee, mentor):
            if me.role != side:
                _email(me, "ended", by="coordinator" if side is None else "partner",
                       continues=mentee_continues if me.role == MENTEE else not over,
                       matching=matching_open)
        if side is not None and not over:
            # An early end: the coordinator may want to talk with both.
            _notify_coordinator(programme, "ended", pairing=pairing, side=side,
                                mentee_continues=mentee_continues)
        if not over:
            _serve(programme, [mentee] if mentee_continues else [], actor)
    return pairing


# --- e-mails ---------------------------------------------------------------------------------

def first_name(name: str) -> str:
    parts = (name or "").split()
    return parts[0] if parts else ""


def _language(application: Application) -> str:
    user = application.user
    return getattr(user, "language", None) or settings.LANGUAGE_CODE


def _email(application: Application, template: str, *, language: str | None = None,
           **context) -> None:
    """An e-mail to an applicant, with her personal link. Marked sensitive: the link is a key
    to the application, and profiles are nobody else's business."""
    from mitmachen.mentoring.selectors import explanation_lines
    from mitmachen.messaging.outbox import email_from_templates

    programme = application.programme
    language = language or _language(application)
    if "explanation" in context:
        with translation.override(language):
            context["explanation_lines"] = explanation_lines(context["explanation"])
    email_from_templates(
        to=application.email, template=f"mentoring/email/{template}", language=language,
        organisation=programme.organisation, sensitive=True,
        context={"application": application, "programme": programme,
                 "organisation": programme.organisation,
                 "first_name": first_name(application.name),
                 "url": settings.SITE_URL + personal_url(application), **context})


def _notify_coordinator(programme: Programme, what: str, **context) -> None:
    from mitmachen.messaging.outbox import email_from_templates

    coordinator = programme.coordinator
    to = coordinator.email if coordinator is not None else programme.contact_email
    if not to:
        return
    email_from_templates(
        to=to, template=f"mentoring/email/coordinator_{what}",
        language=getattr(coordinator, "language", None) or settings.LANGUAGE_CODE,
        organisation=programme.organisation, sensitive=True,
        context={"programme": programme, "organisation": programme.organisation,
                 "coordinator": coordinator, **context})
