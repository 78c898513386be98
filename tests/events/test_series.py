from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mitmachen.events.models import EventSeries
from mitmachen.events.series import parse_rule, series_create, starts_of

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("rule", [
    "FREQ=WEEKLY;INTERVAL=0", "FREQ=WEEKLY;INTERVAL=-1", "FREQ=MONTHLY;BYDAY=99MO",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", "FREQ=WEEKLY;COUNT=0", "FREQ=WEEKLY;UNTIL=soon",
    "FREQ=HOURLY", "FREQ=WEEKLY;DTSTART=20260101", "", "FREQ=WEEKLY\x00",
])
def test_rules_that_would_hang_or_fail_later_are_refused_now(rule):
    with pytest.raises(ValidationError):
        parse_rule(rule, timezone.now())


def test_until_is_stored_in_utc_and_expanded_in_berlin_time():
    start = datetime(2026, 3, 5, 19, tzinfo=BERLIN)
    stored, rule = parse_rule("FREQ=WEEKLY;UNTIL=20260402T190000", start)
    assert stored == "FREQ=WEEKLY;UNTIL=20260402T170000Z"  # summer time: UTC+2
    assert len(list(rule)) == 5
    assert parse_rule(stored, start)[0] == stored


def test_a_daily_series_does_not_run_dry(world):
    series = EventSeries(organisation=world.kassel, title="Täglich", kind="meeting",
                         rrule="FREQ=DAILY", dtstart=timezone.now() - timedelta(days=400))
    starts = starts_of(series, until=timezone.now() + timedelta(days=730))
    assert sum(1 for s in starts if s > timezone.now()) == 200
    assert starts[-1] > timezone.now() + timedelta(days=150)


def test_wall_clock_time_holds_across_daylight_saving(world):
    series = series_create(organisation=world.kassel, title="Plenum", kind="plenum",
                           dtstart=datetime(2027, 1, 7, 19, tzinfo=BERLIN),
                           rrule="FREQ=MONTHLY;INTERVAL=2", actor=None,
                           exdates=["2027-05-07T19:00"])
    hours = {timezone.localtime(e.starts_at, BERLIN).hour for e in series.occurrences.all()}
    assert hours == {19}
    months = [e.starts_at.astimezone(BERLIN).month for e in series.occurrences.all()[:4]]
    assert months == [1, 3, 7, 9]  # May was an exception


def test_a_plan_with_a_date_twice_is_refused(world):
    start = datetime(2027, 2, 12, 13, tzinfo=BERLIN)
    with pytest.raises(ValidationError):
        series_create(organisation=world.kassel, title="Plan", kind="meeting", dtstart=start,
                      dates=[(start, None), (start, start + timedelta(hours=3))], actor=None)
    assert not EventSeries.objects.exists()


def test_count_and_until_together_are_refused():
    with pytest.raises(ValidationError):
        parse_rule("FREQ=WEEKLY;COUNT=3;UNTIL=20300101", timezone.now())


def test_a_minutely_rule_from_years_back_stops_early(world):
    series = EventSeries(organisation=world.kassel, title="Zu oft", kind="meeting",
                         rrule="FREQ=DAILY;BYHOUR=0,12;BYMINUTE=0,30",
                         dtstart=timezone.now() - timedelta(days=3650))
    import time

    started = time.perf_counter()
    starts_of(series, until=timezone.now() + timedelta(days=730))
    assert time.perf_counter() - started < 5
