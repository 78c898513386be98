"""The speakers' list of an agenda item: asking to speak, calling the next speaker, the chair's
overrides, and the reads the chair's console, the phones and the projector share.

Nobody sorts by hand: the order is always `rules.speakers.order` over the waiting requests. The
chair's only tools are pinning a request (it goes before the regular list) and striking one,
both logged with a reason as a ChairAction, as are closing and reopening the list and extra
speaking time.

Every write locks the assembly row, then the item's row (the order every assembly service
locks in), checks under the lock, writes its audit row and bumps the live version, so a rush of
phones asking while the chair presses "next" is serialised and nobody is listed or called twice.

`actor` is the logged-in user. The chair's services refuse anyone who may not chair the
assembly (access.can_chair); None is the system (commands, tasks). A participant acts through
their personal link: the phone's view passes `participant=` (checked against the request) and
no actor.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from mitmachen.assemblies import live
from mitmachen.assemblies.access import can_chair
from mitmachen.assemblies.models import (
    AgendaItem,
    Assembly,
    ChairAction,
    Participant,
    SpeakerRequest,
)
from mitmachen.assemblies.rules import speakers as rules
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.core.validators import reject_nul

K = SpeakerRequest.Kind
S = SpeakerRequest.Status
REASON_MAX = 500
EXTEND_MAX = 3600

PIN, REMOVE, CLOSE, REOPEN = "pin", "remove", "close", "reopen"
# Extra speaking time is stored as "extend:<seconds>": ChairAction has no number field.
EXTEND = "extend:"


# --- reads -----------------------------------------------------------------------------------

def current(item: AgendaItem) -> SpeakerRequest | None:
    """Who is speaking on the item now (the database allows one at a time)."""
    return item.speakers.filter(status=S.SPEAKING).select_related("participant").first()


def queue(item: AgendaItem) -> list[SpeakerRequest]:
    """The waiting requests in the order they will be called."""
    return _ordered(item, item.assembly)


def own_requests(item: AgendaItem, participant: Participant) -> list[tuple[int, SpeakerRequest]]:
    """A participant's waiting requests on the item with their places in the queue (1 = next),
    for the phone."""
    return [(place, r) for place, r in enumerate(queue(item), start=1)
            if r.participant_id == participant.pk]


@dataclass(frozen=True)
class Speech:
    request: SpeakerRequest
    allowed: int        # seconds: the assembly's speaking time plus the chair's extensions
    ends_at: datetime
    left: int           # seconds, negative when the speaker is over time

    @property
    def left_text(self) -> str:
        """"2:05" left, or "+0:30" over time."""
        minutes, seconds = divmod(abs(self.left), 60)
        return f"{'+' if self.left < 0 else ''}{minutes}:{seconds:02d}"


def speech(item: AgendaItem, now: datetime | None = None) -> Speech | None:
    """The current speech with its time, or None when nobody speaks."""
    request = current(item)
    if request is None:
        return None
    extra = sum(_extension(a.action) for a in item.chair_actions.filter(
        request=request, action__startswith=EXTEND))
    allowed = item.assembly.speaking_seconds + extra
    ends_at = request.started_at + timedelta(seconds=allowed)
    left = ceil((ends_at - (now or timezone.now())).total_seconds())
    return Speech(request=request, allowed=allowed, ends_at=ends_at, left=left)


def time_left(item: AgendaItem, now: datetime | None = None) -> int | None:
    """Seconds the current speaker has left (negative: over time); None when nobody speaks."""
    current_speech = speech(item, now)
    return current_speech.left if current_speech else None


@dataclass(frozen=True)
class LogEntry:
    at: datetime
    speech: SpeakerRequest | None = None
    action: ChairAction | None = None
    text: str = ""  # the chair action as a sentence


def history(item: AgendaItem) -> list[LogEntry]:
    """Who spoke and what the chair decided on the item, in order of time."""
    entries = [LogEntry(at=r.started_at, speech=r) for r in item.speakers.filter(
        status__in=[S.SPEAKING, S.DONE]).select_related("participant")]
    entries += [LogEntry(at=a.at, action=a, text=action_text(a))
                for a in item.chair_actions.select_related("request__participant", "actor")]
    return sorted(entries, key=lambda e: (e.at, e.action is not None))


def action_text(action: ChairAction) -> str:
    """A chair action as a sentence for the log and the minutes (without the reason)."""
    name = action.request.participant.name if action.request_id else ""
    if action.action == PIN:
        return _("put %(name)s next") % {"name": name}
    if action.action == REMOVE:
        return _("struck %(name)s from the list") % {"name": name}
    if action.action == CLOSE:
        return _("closed the list of speakers")
    if action.action == REOPEN:
        return _("reopened the list of speakers")
    if action.action.startswith(EXTEND):
        return _("gave %(name)s %(seconds)d seconds more speaking time") % {
            "name": name, "seconds": _extension(action.action)}
    return action.action


# --- the participant's side ------------------------------------------------------------------

def speaker_request(*, item: AgendaItem, participant: Participant, kind: str = K.REGULAR,
                    actor=None) -> SpeakerRequest:
    """Put a participant on the item's list. Without an actor the participant asks themself
    (their phone); with one, staff ask for them (someone without a phone)."""
    _need(item, AgendaItem, _("Choose an agenda item of this assembly."))
    _need(participant, Participant, _("Choose a participant of this assembly."))
    if not isinstance(kind, str) or kind not in K.values:
        raise ValidationError({"kind": _("Choose a valid kind of request.")})
    with transaction.atomic():
        assembly, item = _lock(item)
        _may_chair(actor, assembly)
        participant = Participant.objects.filter(pk=participant.pk).first()
        if participant is None or participant.assembly_id != assembly.pk:
            raise ValidationError(_("This participant does not take part in this assembly."))
        _in_session(assembly)
        if assembly.current_item_id != item.pk:
            raise ValidationError(_("This agenda item is not under discussion."))
        if not participant.present:
            raise ValidationError(_("Only participants who are checked in can ask to speak."))
        # A point of order is about how the assembly proceeds; it cannot be closed out.
        if item.list_closed and kind != K.POINT_OF_ORDER:
            raise ValidationError(_("The list of speakers is closed."))
        already = _("%(name)s is already on the list (%(kind)s).") % {
            "name": participant.name, "kind": K(kind).label}
        if item.speakers.filter(participant=participant, kind=kind, status=S.WAITING).exists():
            raise ValidationError(already)
        spoken = item.speakers.filter(participant=participant,
                                      status__in=[S.SPEAKING, S.DONE]).exists()
        try:
            # The lock makes a second press wait and see the first; the constraint stays the
            # last word should anything write without it.
            with transaction.atomic():
                request = SpeakerRequest.objects.create(
                    item=item, participant=participant, kind=kind,
                    category=rules.category_of(participant.quota_category),
                    first_time=not spoken, requested_at=timezone.now())
        except IntegrityError:
            raise ValidationError(already) from None
        _audit(actor, AuditEntry.Action.CREATE, request, assembly, {
            "kind": kind, "participant": participant.pk, "first_time": not spoken,
            "by": "staff" if actor is not None else "participant"})
        live.bump(assembly.pk)
    return request


def speaker_withdraw(*, request: SpeakerRequest, actor=None,
                     participant: Participant | None = None) -> SpeakerRequest:
    """Take a waiting request back: the participant themself (pass `participant`, whose
    request it must be) or the chair (pass the actor)."""
    _need(request, SpeakerRequest, _("Choose a request on the list."))
    if participant is not None:
        _need(participant, Participant, _("Choose a participant of this assembly."))
    with transaction.atomic():
        assembly, locked = _lock_request(request)
        if participant is not None:
            if locked.participant_id != participant.pk:
                raise ValidationError(_("This is not your request."))
        else:
            _may_chair(actor, assembly)
        _in_session(assembly)
        _waiting(locked)
        _set(locked, actor, assembly, status=S.WITHDRAWN)
        live.bump(assembly.pk)
    return locked


# --- the chair's side ------------------------------------------------------------------------

def speaker_next(*, item: AgendaItem, actor) -> SpeakerRequest | None:
    """End the current speech and call the first of the computed order; None when nobody is
    waiting (the current speech still ends)."""
    _need(item, AgendaItem, _("Choose an agenda item of this assembly."))
    with transaction.atomic():
        assembly, item = _lock(item)
        _may_chair(actor, assembly)
        _in_session(assembly)
        _current(assembly, item)
        now = timezone.now()
        ended = _end_current(item, actor, assembly, now)
        ordered = _ordered(item, assembly)
        called = ordered[0] if ordered else None
        if called is not None:
            _set(called, actor, assembly, status=S.SPEAKING, started_at=now)
            # Having spoken once, their other requests on the item no longer count as first.
            item.speakers.filter(participant_id=called.participant_id,
                                 status=S.WAITING).update(first_time=False)
        if ended is not None or called is not None:
            live.bump(assembly.pk)
    return called


def speaker_end(*, item: AgendaItem, actor) -> SpeakerRequest:
    """End the current speech without calling anyone."""
    _need(item, AgendaItem, _("Choose an agenda item of this assembly."))
    with transaction.atomic():
        assembly, item = _lock(item)
        _may_chair(actor, assembly)
        _in_session(assembly)
        ended = _end_current(item, actor, assembly, timezone.now())
        if ended is None:
            raise ValidationError(_("Nobody is speaking."))
        live.bump(assembly.pk)
    return ended


def speaker_pin(*, request: SpeakerRequest, actor, reason: str) -> SpeakerRequest:
    """The chair's override: this request goes before the regular list and the speeches for
    and against (after earlier pins, and after points of order, which always come first)."""
    _need(request, SpeakerRequest, _("Choose a request on the list."))
    reason = _reason(reason, required=True)
    with transaction.atomic():
        assembly, locked = _lock_request(request)
        _may_chair(actor, assembly)
        _in_session(assembly)
        _waiting(locked)
        if locked.kind == K.POINT_OF_ORDER:
            raise ValidationError(_("Points of order are called first anyway."))
        if locked.pinned is not None:
            raise ValidationError(_("This request is already put next."))
        # Pins count up on the item, so they are called in the order the chair set them.
        last = SpeakerRequest.objects.filter(item_id=locked.item_id).aggregate(
            m=Max("pinned"))["m"] or 0
        _set(locked, actor, assembly, pinned=last + 1)
        _chair_action(locked.item_id, PIN, reason, actor, request=locked)
        live.bump(assembly.pk)
    return locked


def speaker_remove(*, request: SpeakerRequest, actor, reason: str) -> SpeakerRequest:
    """The chair strikes a waiting request from the list."""
    _need(request, SpeakerRequest, _("Choose a request on the list."))
    reason = _reason(reason, required=True)
    with transaction.atomic():
        assembly, locked = _lock_request(request)
        _may_chair(actor, assembly)
        _in_session(assembly)
        _waiting(locked)
        _set(locked, actor, assembly, status=S.WITHDRAWN)
        _chair_action(locked.item_id, REMOVE, reason, actor, request=locked)
        live.bump(assembly.pk)
    return locked


def list_close(*, item: AgendaItem, actor, reason: str = "") -> AgendaItem:
    """Nobody new gets on the list (points of order still do); who is waiting still speaks."""
    return _list_set(item=item, actor=actor, closed=True, reason=_reason(reason))


def list_reopen(*, item: AgendaItem, actor, reason: str) -> AgendaItem:
    return _list_set(item=item, actor=actor, closed=False,
                     reason=_reason(reason, required=True))


def speaker_extend(*, item: AgendaItem, seconds: int, actor) -> ChairAction:
    """Give the current speaker extra time."""
    _need(item, AgendaItem, _("Choose an agenda item of this assembly."))
    if isinstance(seconds, bool) or not isinstance(seconds, int) \
            or not 1 <= seconds <= EXTEND_MAX:
        raise ValidationError({"seconds": _("Give between 1 and %(max)d seconds.") % {
            "max": EXTEND_MAX}})
    with transaction.atomic():
        assembly, item = _lock(item)
        _may_chair(actor, assembly)
        _in_session(assembly)
        _current(assembly, item)
        speaking = item.speakers.filter(status=S.SPEAKING).first()
        if speaking is None:
            raise ValidationError(_("Nobody is speaking."))
        action = _chair_action(item.pk, f"{EXTEND}{seconds}", "", actor, request=speaking)
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=speaking,
                     organisation=assembly.organisation, changes={"extended_by": seconds})
        live.bump(assembly.pk)
    return action


# --- helpers ---------------------------------------------------------------------------------

def _need(value, model, message: str) -> None:
    if not isinstance(value, model) or value.pk is None:
        raise ValidationError(message)


def _reason(value, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({"reason": _("Enter the reason as text.")})
    try:
        reject_nul(value)
    except ValidationError as exc:
        raise ValidationError({"reason": exc.messages}) from None
    value = value.strip()
    if required and not value:
        raise ValidationError({"reason": _("Give a reason for the record.")})
    if len(value) > REASON_MAX:
        raise ValidationError({"reason": _("The reason may be at most %(max)d characters "
                                           "long.") % {"max": REASON_MAX}})
    return value


def _current(assembly: Assembly, item: AgendaItem) -> None:
    """Speeches happen on the item under discussion only; a done item's list stays as it was."""
    if assembly.current_item_id != item.pk:
        raise ValidationError(_("This item is not under discussion: call it first."))


def _lock(item: AgendaItem) -> tuple[Assembly, AgendaItem]:
    # The assembly first, then the item: attendance, agenda and votes lock the assembly too,
    # so no two services ever wait for each other's rows in opposite order.
    assembly = Assembly.objects.select_for_update(of=("self",)).select_related(
        "organisation").filter(pk=item.assembly_id).first()
    locked = AgendaItem.objects.select_for_update().filter(
        pk=item.pk, assembly_id=item.assembly_id).first()
    if assembly is None or locked is None:
        raise ValidationError(_("Choose an agenda item of this assembly."))
    return assembly, locked


def _lock_request(request: SpeakerRequest) -> tuple[Assembly, SpeakerRequest]:
    item = AgendaItem.objects.filter(pk=request.item_id).first()
    if item is None:
        raise ValidationError(_("Choose a request on the list."))
    assembly, _item = _lock(item)
    locked = SpeakerRequest.objects.select_related("participant").filter(
        pk=request.pk).first()
    if locked is None:
        raise ValidationError(_("Choose a request on the list."))
    return assembly, locked


def _may_chair(actor, assembly: Assembly) -> None:
    if actor is not None and not can_chair(actor, assembly):
        raise PermissionDenied


def _in_session(assembly: Assembly) -> None:
    if assembly.status != Assembly.Status.IN_SESSION:
        raise ValidationError(_("The assembly is not in session."))


def _waiting(request: SpeakerRequest) -> None:
    if request.status != S.WAITING:
        raise ValidationError(_("This request is no longer waiting."))


def _ordered(item: AgendaItem, assembly: Assembly) -> list[SpeakerRequest]:
    waiting = list(item.speakers.filter(status=S.WAITING).select_related("participant"))
    if not waiting:
        return []
    # The last speech (the current one counts: it ends before the next is called).
    last_regular = item.speakers.filter(kind=K.REGULAR, status__in=[S.SPEAKING, S.DONE]) \
        .order_by("-started_at", "-pk").values_list("category", flat=True).first()
    last_side = item.speakers.filter(kind__in=[K.PRO, K.CONTRA],
                                     status__in=[S.SPEAKING, S.DONE]) \
        .order_by("-started_at", "-pk").values_list("kind", flat=True).first()
    # Keys are given in the order of asking, which the item's lock makes the order of pks.
    ordered = rules.order(
        [rules.Request(id=r.pk, category=r.category, kind=r.kind, first_time=r.first_time,
                       seq=r.pk, pinned=r.pinned) for r in waiting],
        rules=rules.Rules(alternate=assembly.alternate,
                          first_time_first=assembly.first_time_first),
        last_category=last_regular, last_debate_side=last_side)
    by_id = {r.pk: r for r in waiting}
    return [by_id[r.id] for r in ordered]


def _end_current(item, actor, assembly, now) -> SpeakerRequest | None:
    speaking = item.speakers.filter(status=S.SPEAKING).first()
    if speaking is not None:
        _set(speaking, actor, assembly, status=S.DONE, ended_at=now)
    return speaking


def _set(request: SpeakerRequest, actor, assembly: Assembly, **changes) -> None:
    before = {name: getattr(request, name) for name in changes}
    for name, value in changes.items():
        setattr(request, name, value)
    request.save(update_fields=list(changes))
    _audit(actor, AuditEntry.Action.UPDATE, request, assembly, {
        name: [_plain(before[name]), _plain(value)] for name, value in changes.items()})


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _audit(actor, action, request, assembly, changes) -> None:
    audit_record(actor=actor, action=action, obj=request, organisation=assembly.organisation,
                 changes=changes)


def _chair_action(item_id: int, action: str, reason: str, actor, *,
                  request: SpeakerRequest | None = None) -> ChairAction:
    return ChairAction.objects.create(
        item_id=item_id, action=action, reason=reason, request=request,
        actor=actor if getattr(actor, "is_authenticated", False) else None, at=timezone.now())


def _list_set(*, item, actor, closed: bool, reason: str) -> AgendaItem:
    _need(item, AgendaItem, _("Choose an agenda item of this assembly."))
    with transaction.atomic():
        assembly, item = _lock(item)
        _may_chair(actor, assembly)
        _in_session(assembly)
        if item.list_closed == closed:
            raise ValidationError(_("The list of speakers is already closed.") if closed
                                  else _("The list of speakers is open."))
        item.list_closed = closed
        item.save(update_fields=["list_closed", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=item,
                     organisation=assembly.organisation,
                     changes={"list_closed": [not closed, closed], "reason": reason})
        _chair_action(item.pk, CLOSE if closed else REOPEN, reason, actor)
        live.bump(assembly.pk)
    return item


def _extension(action: str) -> int:
    value = action.removeprefix(EXTEND)
    return int(value) if value.isascii() and value.isdigit() else 0
