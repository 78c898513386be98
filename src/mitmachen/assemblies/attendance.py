"""Who is in the hall: check-in and check-out at the door, and the record of it for the minutes.

`Participant.present` is what the quorum and the votes read; the AttendanceEntry rows are the
log ("present 19:02–20:15, 20:40–"). Both change together in one transaction, so the flag always
equals "the last row is an arrival" and the rows alternate, starting with an arrival.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mitmachen.assemblies import live
from mitmachen.assemblies.models import Assembly, AttendanceEntry, Participant
from mitmachen.assemblies.selectors import required_for
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry

A = AttendanceEntry.Action


# --- writes ----------------------------------------------------------------------------------

def check_in(*, participant: Participant, actor, via_code: bool = False,
             at: datetime | None = None) -> Participant:
    """Record an arrival. Checking in someone who is already in is refused (no second row)."""
    if not isinstance(via_code, bool):
        raise ValidationError(_("Choose whether the check-in was by QR code."))
    return _record(participant=participant, actor=actor, arriving=True, via_code=via_code,
                   at=at)


def check_out(*, participant: Participant, actor, at: datetime | None = None) -> Participant:
    """Record a departure. Checking out someone who is not in is refused (no second row)."""
    return _record(participant=participant, actor=actor, arriving=False, via_code=False, at=at)


def _checked_time(at) -> datetime:
    now = timezone.now()
    if at is None:
        return now
    if not isinstance(at, datetime) or timezone.is_naive(at):
        raise ValidationError({"at": _("Enter a valid time.")})
    if at > now:
        raise ValidationError({"at": _("The time cannot lie in the future.")})
    return at


def _record(*, participant, actor, arriving: bool, via_code: bool, at) -> Participant:
    if not isinstance(participant, Participant) or participant.pk is None:
        raise ValidationError(_("Choose a participant of this assembly."))
    at = _checked_time(at)
    with transaction.atomic():
        # The assembly first (the order every assembly service locks in): closing it waits for
        # a check-in under way, and a check-in after the close sees the closed status.
        assembly = Assembly.objects.select_for_update(of=("self",)).select_related(
            "organisation").get(pk=participant.assembly_id)
        if assembly.status == Assembly.Status.CLOSED:
            raise ValidationError(_("The assembly is closed; attendance can no longer change."))
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.present and arriving:
            raise ValidationError(_("%(name)s is already checked in.") % {"name": locked.name})
        if not locked.present and not arriving:
            raise ValidationError(_("%(name)s is not checked in.") % {"name": locked.name})
        last = AttendanceEntry.objects.filter(participant=locked).order_by("-at", "-pk").first()
        if last is not None and at < last.at:
            # The log is read in order of time: an earlier time would break its alternation.
            raise ValidationError({"at": _(
                "The time lies before %(name)s's last arrival or departure (%(time)s).") % {
                "name": locked.name, "time": timezone.localtime(last.at).strftime("%H:%M")}})
        entry = AttendanceEntry.objects.create(
            participant=locked, action=A.ARRIVED if arriving else A.LEFT, at=at,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            via_code=via_code)
        locked.present = arriving
        locked.save(update_fields=["present", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                     organisation=assembly.organisation,
                     changes={"present": [not arriving, arriving], "at": at.isoformat(),
                              "via_code": via_code, "entry": entry.pk})
        live.bump(assembly.pk)
    return locked


# --- reads for the door and the minutes ------------------------------------------------------

@dataclass(frozen=True)
class Presence:
    participant: Participant
    intervals: list[tuple[datetime, datetime | None]]  # (arrived, left); None: still there

    @property
    def text(self) -> str:
        return intervals_text(self.intervals)


def intervals_text(intervals) -> str:
    """ "19:02–20:15, 20:40–" in local time."""
    def hm(value):
        return timezone.localtime(value).strftime("%H:%M")

    return ", ".join(f"{hm(start)}–{hm(end) if end else ''}" for start, end in intervals)


def presence_log(assembly: Assembly) -> list[Presence]:
    """Everyone who came, in the order of the participant list, with the times they were in."""
    rows: dict[int, Presence] = {}
    entries = AttendanceEntry.objects.filter(participant__assembly=assembly).select_related(
        "participant").order_by("participant__name", "participant_id", "at", "pk")
    for entry in entries:
        row = rows.setdefault(entry.participant_id, Presence(entry.participant, []))
        if entry.action == A.ARRIVED:
            row.intervals.append((entry.at, None))
        elif row.intervals and row.intervals[-1][1] is None:
            row.intervals[-1] = (row.intervals[-1][0], entry.at)
    return list(rows.values())


@dataclass(frozen=True)
class Point:
    at: datetime
    name: str
    action: str
    present: int          # voting members present after this arrival or departure
    required: int | None  # None: no quorum required
    met: bool


def timeline(assembly: Assembly) -> list[Point]:
    """The number of present voters after every arrival and departure of a voter. Guests are
    left out: they never count. The quorum is measured against today's list of voters."""
    eligible = assembly.participants.filter(kind=Participant.Kind.VOTER).count()
    required = required_for(assembly.quorum_kind, assembly.quorum_value, eligible)
    points, present = [], 0
    entries = AttendanceEntry.objects.filter(
        participant__assembly=assembly, participant__kind=Participant.Kind.VOTER).values_list(
        "at", "action", "participant__name").order_by("at", "pk")
    for at, action, name in entries:
        present += 1 if action == A.ARRIVED else -1
        points.append(Point(at=at, name=name, action=action, present=present,
                            required=required, met=required is None or present >= required))
    return points


def quorate_periods(points: list[Point]) -> list[tuple[datetime, datetime | None]]:
    """When the assembly had its quorum ("quorate from 19:10"): from the point it was reached to
    the point it was lost, None for still quorate at the end of the record."""
    periods: list[tuple[datetime, datetime | None]] = []
    for point in points:
        open_now = bool(periods) and periods[-1][1] is None
        if point.met and not open_now:
            periods.append((point.at, None))
        elif not point.met and open_now:
            periods[-1] = (periods[-1][0], point.at)
    return periods


def recent_entries(assembly: Assembly, limit: int = 100):
    """The door's log, newest first."""
    return AttendanceEntry.objects.filter(participant__assembly=assembly).select_related(
        "participant", "recorded_by").order_by("-at", "-pk")[:limit]
