"""Meeting series: an RFC 5545 rule with exceptions ("every two months", "quarterly"), or a
yearly plan given as a list of dates.

Occurrences are materialised as Event rows up to HORIZON ahead, so each one can have its own
venue, topic and registrations. Rules expand in Berlin wall-clock time: a plenum at 19:00
stays at 19:00 across daylight saving time.
"""

from __future__ import annotations

import warnings
from collections import deque
from datetime import UTC, datetime, timedelta

from dateutil.rrule import rrulestr
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mitmachen.core.updates import create_audited
from mitmachen.events.models import Event, EventSeries

HORIZON = timedelta(days=730)
PROBE = timedelta(days=5 * 366)
MAX_STEPS = 20_000
MAX_OCCURRENCES = 200
ALLOWED_FREQ = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# What an occurrence copies from its series when it is made.
SERIES_DEFAULTS = ("kind", "visibility", "group", "description")


def _berlin(value: datetime) -> datetime:
    return timezone.localtime(value, timezone.get_default_timezone())


def parse_rule(rule: str, dtstart: datetime):
    """The dateutil rule for `rule`, or a ValidationError a person can act on."""
    rule = (rule or "").strip().upper()
    if rule.startswith("RRULE:"):
        rule = rule[6:]
    if not rule or "\x00" in rule or len(rule) > 500 or "\n" in rule:
        raise ValidationError({"rrule": _("Please enter a recurrence rule.")})
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    if parts.get("FREQ") not in ALLOWED_FREQ:
        raise ValidationError({"rrule": _(
            "The rule needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY.")})
    if "DTSTART" in rule:
        raise ValidationError({"rrule": _("Give the first date separately, not in the rule.")})
    unreadable = ValidationError({"rrule": _(
        "This recurrence rule cannot be read. Example: FREQ=MONTHLY;INTERVAL=2")})
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValidationError({"rrule": _("Use COUNT or UNTIL, not both.")})
    for name in ("INTERVAL", "COUNT"):
        value = parts.get(name, "1")
        if not (value.isascii() and value.isdigit() and 1 <= int(value) <= 1000):
            raise unreadable
    local = _berlin(dtstart).replace(tzinfo=None)
    stored = rule
    if "UNTIL" in parts:
        until = _until(parts["UNTIL"])
        if until is None:
            raise unreadable
        # Stored (and exported) in UTC as RFC 5545 wants next to a DTSTART with a time zone;
        # expanded in Berlin wall time like the rest of the rule.
        stored = rule.replace(f"UNTIL={parts['UNTIL']}",
                              f"UNTIL={until.astimezone(UTC):%Y%m%dT%H%M%SZ}")
        rule = rule.replace(f"UNTIL={parts['UNTIL']}",
                            f"UNTIL={_berlin(until).replace(tzinfo=None):%Y%m%dT%H%M%S}")
    try:
        parsed = rrulestr(rule, dtstart=local)
        # A rule that can be read may still fail or find nothing when it is expanded
        # (BYDAY=99MO, the 31st of February): try a few years now, not in a feed later.
        first = next(bounded(parsed, local + PROBE), None)
    except Exception:  # noqa: BLE001 (dateutil raises several kinds for odd rules)
        raise unreadable from None
    if first is None:
        raise ValidationError({"rrule": _("This rule gives no dates in the next years.")})
    return stored, parsed


def _until(value: str) -> datetime | None:
    """UNTIL as an aware datetime: UTC with a Z, else Berlin wall time; a date means its end."""
    for pattern in ("%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S", "%Y%m%d"):
        try:
            moment = datetime.strptime(value, pattern)  # noqa: DTZ007 (zone set below)
        except ValueError:
            continue
        if pattern.endswith("Z"):
            return moment.replace(tzinfo=UTC)
        if pattern == "%Y%m%d":
            moment = moment.replace(hour=23, minute=59, second=59)
        return moment.replace(tzinfo=timezone.get_default_timezone())
    return None


def bounded(rule, until_local: datetime):
    """The rule's starts up to `until_local` (naive Berlin time), never running on to 9999."""
    if rule._until is not None and rule._until < until_local:
        until_local = rule._until
    with warnings.catch_warnings():
        # With COUNT the extra UNTIL only stops the search early, which is what we want.
        warnings.simplefilter("ignore", DeprecationWarning)
        return iter(rule.replace(until=until_local))


def parse_exdates(values) -> list[str]:
    """Exceptions as local ISO date-times ("2026-12-23T19:00")."""
    cleaned = []
    for value in values or []:
        try:
            moment = datetime.fromisoformat(str(value).strip()) if not isinstance(
                value, datetime) else value
        except ValueError:
            raise ValidationError({"exdates": _("“%(value)s” is not a date and time.") % {
                "value": str(value)[:40]}}) from None
        if moment.tzinfo is not None:
            moment = _berlin(moment).replace(tzinfo=None)
        cleaned.append(moment.replace(second=0, microsecond=0).isoformat(timespec="minutes"))
    return sorted(set(cleaned))


def starts_of(series: EventSeries, *, until: datetime) -> list[datetime]:
    """The rule's starts (aware, Berlin) up to `until`, without the exceptions."""
    if not series.rrule:
        return []
    _rule, rule = parse_rule(series.rrule, series.dtstart)
    berlin = timezone.get_default_timezone()
    excluded = set(series.exdates)
    limit = _berlin(until).replace(tzinfo=None)
    today = _berlin(timezone.now()).replace(tzinfo=None)
    # Past and future dates are limited apart (the latest past ones are kept): a daily series
    # must not run dry after its first 200 days.
    past, ahead = deque(maxlen=MAX_OCCURRENCES), []
    for steps, moment in enumerate(bounded(rule, limit)):
        if steps > MAX_STEPS:  # BYMINUTE=0..59 from years back: do not walk it all
            break
        if moment.isoformat(timespec="minutes") in excluded:
            continue
        if moment < today:
            past.append(moment)
        elif len(ahead) < MAX_OCCURRENCES:
            ahead.append(moment)
        else:
            break
    return [moment.replace(tzinfo=berlin) for moment in [*past, *ahead]]


def _remind_later(event: Event) -> None:
    if event.reminder_hours:
        from mitmachen.events.services import schedule_reminders

        transaction.on_commit(lambda pk=event.pk: schedule_reminders(pk))


def _occurrence(series: EventSeries, start: datetime, end: datetime | None,
                **overrides) -> Event:
    fields = {name: getattr(series, name) for name in SERIES_DEFAULTS}
    fields.update(overrides)
    return Event(organisation=series.organisation, series=series, title=series.title,
                 starts_at=start, recurrence_id=start,
                 ends_at=end or start + timedelta(minutes=series.duration_minutes), **fields)


def series_extend(series: EventSeries, *, now=None, template: dict | None = None) -> int:
    """Materialise the rule's occurrences up to the horizon. Safe to run twice."""
    now = now or timezone.now()
    existing = set(series.occurrences.values_list("recurrence_id", flat=True))
    added = 0
    topics = list(series.topics.all())
    for start in starts_of(series, until=now + HORIZON):
        if start in existing:
            continue
        try:
            with transaction.atomic():
                event = _occurrence(series, start, None, **(template or {}))
                event.full_clean(validate_constraints=False)
                event.save()
                event.topics.set(topics)
                _remind_later(event)
        except IntegrityError:
            continue  # made by a parallel run
        added += 1
    return added


def series_create(*, organisation, title: str, kind: str, dtstart: datetime, actor,
                  rrule: str = "", exdates=(), dates=(), duration_minutes: int = 120,
                  topics=(), **template) -> EventSeries:
    """A series by rule (`rrule`, `exdates`), or a plan of `dates`: (start, end) pairs.

    `template` fields (place, is_online, registration, capacity, …) go to every occurrence."""
    if not rrule and not dates:
        raise ValidationError({"rrule": _("Give a recurrence rule or a list of dates.")})
    if len(dates) > MAX_OCCURRENCES:
        raise ValidationError({"dates": _("At most %(n)d dates.") % {"n": MAX_OCCURRENCES}})
    from mitmachen.events.services import check_references

    check_references(organisation, template)  # another organisation's place or group: refused
    rule = parse_rule(rrule, dtstart)[0] if rrule else ""
    series = EventSeries(organisation=organisation, title=title, kind=kind, dtstart=dtstart,
                         rrule=rule, exdates=parse_exdates(exdates),
                         duration_minutes=duration_minutes,
                         **{k: template.pop(k) for k in ("visibility", "group", "description")
                            if k in template})
    with transaction.atomic():
        create_audited(instance=series, actor=actor)
        series.topics.set([t for t in topics if t.organisation_id == organisation.pk])
        if rule:
            series_extend(series, template=template)
        taken = set(series.occurrences.values_list("starts_at", flat=True))
        for start, end in dates:
            if end is not None and end < start:
                raise ValidationError({"dates": _("An end lies before its start.")})
            if start in taken:
                raise ValidationError({"dates": _("%(date)s appears twice.") % {
                    "date": _berlin(start).strftime("%d.%m.%Y %H:%M")}})
            taken.add(start)
            event = _occurrence(series, start, end, **template)
            event.full_clean(validate_constraints=False)
            event.save()
            event.topics.set(series.topics.all())
            _remind_later(event)
    return series


COPIED_FROM_LAST = ("place", "is_online", "venue_note", "registration", "capacity",
                    "reminder_hours", "accessibility_note", "contact_name", "contact_email")


def _template_of(series: EventSeries) -> dict:
    """New occurrences look like the latest one (its venue, registration settings, …)."""
    sample = series.occurrences.order_by("-starts_at").first()
    return {} if sample is None else {k: getattr(sample, k) for k in COPIED_FROM_LAST}


def series_update_rule(*, series: EventSeries, actor, rrule: str | None = None,
                       exdates=None) -> EventSeries:
    """Change the rule or its exceptions. Future occurrences that were not edited on their
    own and have no registrations are remade; the others stay, so nobody loses a seat."""
    from mitmachen.core.updates import update_audited

    if not series.rrule and rrule is None:
        # A plan of dates has no rule to follow: remaking it would delete its dates.
        raise ValidationError({"rrule": _("This series is a plan of dates; edit its dates "
                                          "one by one.")})
    data = {}
    if rrule is not None:
        data["rrule"] = parse_rule(rrule, series.dtstart)[0]
    if exdates is not None:
        data["exdates"] = parse_exdates(exdates)
    now = timezone.now()
    with transaction.atomic():
        update_audited(instance=series, data=data, fields=["rrule", "exdates"], actor=actor)
        wanted = set(starts_of(series, until=now + HORIZON))
        stale = series.occurrences.filter(starts_at__gt=now, customised=False,
                                          registrations__isnull=True)
        template = _template_of(series)
        stale.exclude(recurrence_id__in=wanted).delete()
        series_extend(series, template=template)
    return series


def series_extend_all(*, now=None) -> int:
    total = 0
    for series in EventSeries.objects.exclude(rrule="").iterator():
        total += series_extend(series, now=now, template=_template_of(series))
    return total


def next_dates(series: EventSeries, *, limit: int = 6, now=None):
    now = now or timezone.now()
    return series.occurrences.filter(starts_at__gte=now).select_related("place")[:limit]
