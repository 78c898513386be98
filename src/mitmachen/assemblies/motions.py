"""Motions: submitted by members or entered by staff, supported, amended, recommended by the
board, admitted, withdrawn. Votes on them and their resolutions are in votes.py.

Numbers are given per assembly under the assembly's row lock: "A1", "A2", ... for motions and
"A1-Ä1", "A1-Ä2", ... for the amendments to A1. A number is never given twice, also after a
withdrawal, so the motion book and the minutes keep citing the same numbers.

While a vote on a motion or on one of its amendments is open, the motion and its amendments do
not change (wording, recommendation, status, new amendments): the hall votes on the text it
sees, and the close records the outcome of exactly that text. Motion services check this under
the assembly's row lock, which vote_open takes too, so an opening and a change never cross.
"""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mitmachen.assemblies.models import AgendaItem, Assembly, Motion, MotionSupporter
from mitmachen.core.audit import audit_record, changes_between, snapshot
from mitmachen.core.models import AuditEntry
from mitmachen.people.models import Contact

S = Motion.Status
MAX_MOTIONS = 500  # per assembly: a bound on what a personal link can add
MAX_PER_MEMBER = 10  # motions a member submits themself per assembly, withdrawn ones included
# Motion actions (submit, support, unsupport, withdraw) per participant and client address in
# 15 minutes, on the phone page and in the API alike (core.throttle.form_limited).
PARTICIPANT_ACTIONS = 30
EDITABLE = ["title", "text", "reasoning", "submitter_name", "item"]
OPEN_STATUSES = (S.SUBMITTED, S.ADMITTED)
TOP_NUMBER = re.compile(r"^A(\d+)$")
AMENDMENT_SUFFIX = re.compile(r"-Ä(\d+)$")
TEXT_LIMITS = {"title": 200, "text": 50000, "reasoning": 20000, "submitter_name": 200,
               "recommendation_text": 5000}


def clean_text(value, field: str, *, required: bool = True) -> str:
    """A stripped string within the field's limit, or a ValidationError naming the field."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Enter text.")})
    value = value.strip()
    if "\x00" in value:
        raise ValidationError({field: _("Null characters are not allowed.")})
    if required and not value:
        raise ValidationError({field: _("This field cannot be empty.")})
    limit = TEXT_LIMITS.get(field, 500)
    if len(value) > limit:
        raise ValidationError({field: _("At most %(n)d characters, please.") % {"n": limit}})
    return value


def _audit(motion: Motion, actor, action=AuditEntry.Action.UPDATE, changes=None):
    # Motions have no organisation of their own: file the row under the assembly's.
    audit_record(actor=actor, action=action, obj=motion,
                 organisation=motion.assembly.organisation, changes=changes or {})


def _check_open(assembly: Assembly) -> None:
    if assembly.status == Assembly.Status.CLOSED:
        raise ValidationError(_("The assembly is closed; its record can no longer change."))


def _check_item(assembly: Assembly, item) -> None:
    if item is not None and (not isinstance(item, AgendaItem)
                             or item.assembly_id != assembly.pk):
        raise ValidationError({"item": _("Choose an item of this assembly.")})


def throttle_key(participant) -> str:
    """The throttle's key for a participant's motion actions, shared by the page and the API."""
    return f"assembly-motion:{participant.pk}"


def _check_no_open_vote(motion: Motion) -> None:
    """Refuse a change while the hall votes on the motion, on its motion (for an amendment) or
    on one of its amendments. Call under the assembly's row lock."""
    from mitmachen.assemblies.models import Vote

    family = {motion.pk} | ({motion.amends_id} if motion.amends_id else set())
    family |= set(Motion.objects.filter(amends_id=motion.pk).values_list("pk", flat=True))
    voting = Vote.objects.filter(motion_id__in=family, status=Vote.Status.OPEN).select_related(
        "motion").first()
    if voting is not None:
        raise ValidationError(_(
            "Motion %(number)s is being voted on; nothing about it can change until the vote "
            "is closed.") % {"number": voting.motion.number})


def _next_number(assembly: Assembly, amends: Motion | None) -> str:
    if amends is None:
        taken = [TOP_NUMBER.match(n) for n in Motion.objects.filter(
            assembly=assembly, amends=None).values_list("number", flat=True)]
        return f"A{max([int(m.group(1)) for m in taken if m] or [0]) + 1}"
    taken = [AMENDMENT_SUFFIX.search(n) for n in Motion.objects.filter(
        amends=amends).values_list("number", flat=True)]
    return f"{amends.number}-Ä{max([int(m.group(1)) for m in taken if m] or [0]) + 1}"


def motion_submit(*, assembly: Assembly, title, text, reasoning="", submitter: Contact | None,
                  submitter_name="", actor, amends: Motion | None = None,
                  item: AgendaItem | None = None, by_member: bool = False) -> Motion:
    """A new motion or, with `amends`, an amendment to a motion of the same assembly.

    `submitter` is the member's contact (through their personal link, or chosen by staff);
    `submitter_name` may name a group or several people instead ("Kreisvorstand").
    `by_member`: the member submits themself (personal link, own account), at most
    MAX_PER_MEMBER per assembly; staff entering motions for a member are not capped."""
    if not isinstance(by_member, bool):
        raise ValueError("by_member must be a bool")
    if by_member and not isinstance(submitter, Contact):
        raise ValidationError({"submitter": _("Choose a member of this organisation.")})
    if submitter is not None and (not isinstance(submitter, Contact)
                                  or submitter.organisation_id != assembly.organisation_id
                                  or submitter.erased_at is not None):
        raise ValidationError({"submitter": _("Choose a member of this organisation.")})
    data = {
        "title": clean_text(title, "title"),
        "text": clean_text(text, "text"),
        "reasoning": clean_text(reasoning, "reasoning", required=False),
        "submitter_name": clean_text(submitter_name or (submitter.full_name if submitter
                                                        else ""), "submitter_name"),
    }
    _check_item(assembly, item)
    if amends is not None:
        if not isinstance(amends, Motion) or amends.assembly_id != assembly.pk:
            raise ValidationError({"amends": _("Choose a motion of this assembly.")})
        if amends.amends_id is not None:
            raise ValidationError({"amends": _(
                "An amendment amends a motion, not another amendment.")})
        if amends.status not in OPEN_STATUSES:
            raise ValidationError({"amends": _(
                "Motion %(number)s has been decided or withdrawn; it can no longer be "
                "amended.") % {"number": amends.number}})
        item = item or amends.item
    with transaction.atomic():
        locked = Assembly.objects.select_for_update().select_related("organisation").get(
            pk=assembly.pk)
        _check_open(locked)
        if Motion.objects.filter(assembly=locked).count() >= MAX_MOTIONS:
            raise ValidationError(_("An assembly takes at most %(n)d motions.")
                                  % {"n": MAX_MOTIONS})
        # Counted under the assembly's lock: two submissions at once cannot both be the tenth.
        if by_member and Motion.objects.filter(assembly=locked,
                                               submitter=submitter).count() >= MAX_PER_MEMBER:
            raise ValidationError(_(
                "You have submitted %(n)d motions and amendments to this assembly, the most "
                "one member can submit. Please ask the board to enter further ones.")
                % {"n": MAX_PER_MEMBER})
        if amends is not None:
            # Read again under the lock: a withdrawal or a vote may have come in meanwhile.
            amends = Motion.objects.get(pk=amends.pk)
            if amends.status not in OPEN_STATUSES:
                raise ValidationError({"amends": _(
                    "Motion %(number)s has been decided or withdrawn; it can no longer be "
                    "amended.") % {"number": amends.number}})
            _check_no_open_vote(amends)
        motion = Motion(assembly=locked, amends=amends, item=item, submitter=submitter,
                        number=_next_number(locked, amends), **data)
        motion.full_clean()
        motion.save()
        _audit(motion, actor, AuditEntry.Action.CREATE)
    return motion


def motion_update(*, motion: Motion, data: dict, actor) -> Motion:
    """Correct a motion's wording (title, text, reasoning, submitter's name, agenda item)
    before it is decided."""
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise ValueError(f"fields not editable here: {sorted(unknown)}")
    cleaned = {}
    for name, value in data.items():
        if name == "item":
            _check_item(motion.assembly, value)
            cleaned[name] = value
        else:
            cleaned[name] = clean_text(value, name, required=name != "reasoning")
    with transaction.atomic():
        Assembly.objects.select_for_update().get(pk=motion.assembly_id)
        locked = Motion.objects.select_related("assembly__organisation").get(pk=motion.pk)
        _check_open(locked.assembly)
        if locked.status not in OPEN_STATUSES:
            raise ValidationError(_("A decided or withdrawn motion can no longer be changed."))
        _check_no_open_vote(locked)
        before = snapshot(locked, EDITABLE)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        locked.full_clean()
        changes = changes_between(before, snapshot(locked, EDITABLE))
        if changes:
            locked.save()
            _audit(locked, actor, changes=changes)
    return locked


def motion_recommend(*, motion: Motion, recommendation, text="", actor) -> Motion:
    """The board's recommendation to the assembly (adopt, reject, adopt with changes, refer)."""
    if not isinstance(recommendation, str) or recommendation not in Motion.Recommendation.values:
        raise ValidationError({"recommendation": _("Choose a valid recommendation.")})
    text = clean_text(text, "recommendation_text", required=False)
    return _set(motion, actor, recommendation=recommendation, recommendation_text=text)


def motion_admit(*, motion: Motion, actor) -> Motion:
    """The chair or the board admits the motion to the vote (after checking it is in order)."""
    return motion_status_change(motion=motion, status=S.ADMITTED, actor=actor)


def motion_status_change(*, motion: Motion, status, actor) -> Motion:
    """Admit or refer a motion. Adopted and rejected come from votes, withdrawn from the
    submitter or the chair (motion_withdraw)."""
    allowed = {S.SUBMITTED: {S.ADMITTED, S.REFERRED}, S.ADMITTED: {S.REFERRED}}
    if not isinstance(status, str) or status not in S.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    return _set(motion, actor, allowed=allowed, status=status)


def motion_withdraw(*, motion: Motion, actor, contact: Contact | None = None) -> Motion:
    """Withdraw a motion: its submitter (their contact, through the personal link, or their
    account) or the chair. Amendments to it fall with it."""
    from mitmachen.assemblies.access import can_chair

    by_submitter = motion.submitter_id is not None and (
        (contact is not None and contact.pk == motion.submitter_id)
        or (getattr(actor, "is_authenticated", False)
            and Contact.objects.filter(pk=motion.submitter_id, user=actor).exists()))
    if not by_submitter and not can_chair(actor, motion.assembly):
        raise ValidationError(_("Only the submitter or the chair can withdraw a motion."))
    with transaction.atomic():
        locked = _set(motion, actor, allowed={S.SUBMITTED: {S.WITHDRAWN},
                                              S.ADMITTED: {S.WITHDRAWN}},
                      status=S.WITHDRAWN)
        for amendment in Motion.objects.filter(amends=locked, status__in=OPEN_STATUSES):
            _set(amendment, actor, status=S.WITHDRAWN)
    return locked


def _set(motion: Motion, actor, allowed: dict | None = None, **values) -> Motion:
    """Change a few fields under the assembly's lock, checking the status transition."""
    with transaction.atomic():
        Assembly.objects.select_for_update().get(pk=motion.assembly_id)
        locked = Motion.objects.select_related("assembly__organisation").get(pk=motion.pk)
        _check_open(locked.assembly)
        if "status" in values and allowed is not None and values["status"] not in allowed.get(
                locked.status, set()):
            raise ValidationError(_("Motion %(number)s cannot go from “%(a)s” to “%(b)s”.") % {
                "number": locked.number, "a": locked.get_status_display(),
                "b": S(values["status"]).label})
        if "status" not in values and locked.status not in OPEN_STATUSES:
            raise ValidationError(_("A decided or withdrawn motion can no longer be changed."))
        _check_no_open_vote(locked)
        before = snapshot(locked, list(values))
        for name, value in values.items():
            setattr(locked, name, value)
        locked.full_clean()
        changes = changes_between(before, values)
        if changes:
            locked.save(update_fields=[*values, "updated_at"])
            _audit(locked, actor, changes=changes)
    return locked


# --- supporters ------------------------------------------------------------------------------

def motion_support(*, motion: Motion, contact: Contact, actor) -> MotionSupporter:
    """A member of the organisation supports the motion, once; not the submitter."""
    assembly = motion.assembly
    if not isinstance(contact, Contact) or contact.organisation_id != assembly.organisation_id \
            or contact.erased_at is not None or contact.status != Contact.Status.MEMBER:
        raise ValidationError(_("Only members of the organisation can support a motion."))
    if contact.pk == motion.submitter_id:
        raise ValidationError(_("You submitted this motion; support comes from others."))
    try:
        with transaction.atomic():
            Assembly.objects.select_for_update().get(pk=assembly.pk)
            locked = Motion.objects.select_related("assembly__organisation").get(pk=motion.pk)
            _check_open(locked.assembly)
            if locked.status not in OPEN_STATUSES:
                raise ValidationError(_("This motion has been decided or withdrawn."))
            supporter = MotionSupporter.objects.create(motion=locked, contact=contact)
            _audit(locked, actor, changes={"supporter_added": [None, contact.pk]})
    except IntegrityError:
        raise ValidationError(_("You already support this motion.")) from None
    return supporter


def motion_unsupport(*, motion: Motion, contact: Contact, actor) -> None:
    with transaction.atomic():
        Assembly.objects.select_for_update().get(pk=motion.assembly_id)
        locked = Motion.objects.select_related("assembly__organisation").get(pk=motion.pk)
        _check_open(locked.assembly)
        if locked.status not in OPEN_STATUSES:
            raise ValidationError(_("This motion has been decided or withdrawn."))
        deleted, _rows = MotionSupporter.objects.filter(
            motion=locked, contact_id=getattr(contact, "pk", None)).delete()
        if not deleted:
            raise ValidationError(_("You do not support this motion."))
        _audit(locked, actor, changes={"supporter_removed": [contact.pk, None]})
