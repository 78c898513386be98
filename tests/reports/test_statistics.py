"""Statistics for the annual report: counts per quarter and category in which no cell says
anything about fewer than three people; they follow a change of category and outlive the
reports themselves."""

from collections import Counter
from datetime import date
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mitmachen.reports import retention, selectors, services
from mitmachen.reports.models import Category, Report, Wish

pytestmark = pytest.mark.django_db
YEAR = 2025
CATEGORIES = [Category.RACISM, Category.SEXISM, Category.OTHER, Category.AGE]


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.REPORTS_KEY_DIR = tmp_path / "report-keys"
    return settings.REPORTS_KEY_DIR


def submit_on(organisation, day: date, category: str) -> Report:
    # The services' idea of today, and nothing else's (freezegun would upset pydantic).
    today = SimpleNamespace(localdate=lambda: day, now=timezone.now)
    with mock.patch.object(services, "timezone", today):
        report, _receipt = services.report_submit(
            organisation=organisation, what="Vorfall", wish=Wish.DOCUMENT, category=category)
    return report


def cells(stats) -> dict:
    return {(row["category"], quarter): value for row in stats["rows"]
            for quarter, value in enumerate(row["cells"], start=1)}


def quarter_day(quarter: int, n: int = 0) -> date:
    return date(YEAR, 3 * quarter - 2, 1 + n % 28)


@pytest.mark.parametrize("count", range(0, 8))
def test_suppress(count):
    assert selectors.suppress(count) == (count if count >= 3 else None)


reports_st = st.lists(st.tuples(st.sampled_from(CATEGORIES), st.integers(1, 4)), max_size=14)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(reports=reports_st)
def test_every_published_cell_is_suppressed_or_true_and_at_least_three(world, officer,
                                                                       reports):
    with transaction.atomic():
        for n, (category, quarter) in enumerate(reports):
            submit_on(world.duesseldorf, quarter_day(quarter, n), category)
        # Reports of the year before count in that year only.
        for n in range(3):
            submit_on(world.duesseldorf, date(YEAR - 1, 12, 1 + n), CATEGORIES[n % 2])
        truth = Counter(reports)
        stats = selectors.statistics(organisation=world.duesseldorf, year=YEAR)
        published = cells(stats)
        assert len(published) == len(Category.values) * 4
        for (category, quarter), value in published.items():
            true = truth.get((category, quarter), 0)
            assert value is None or value >= 3
            assert value == (true if true >= 3 else None), (category, quarter, true, value)
        assert stats["threshold"] == 3
        assert not any("total" in key for key in stats)  # a total would reveal the hidden
        assert selectors.statistics(organisation=world.kassel, year=YEAR)["rows"] and all(
            v is None for v in cells(selectors.statistics(organisation=world.kassel,
                                                          year=YEAR)).values())
        transaction.set_rollback(True)  # each example starts from no reports


def test_cells_of_zero_one_and_two_are_hidden_three_shown(world, officer):
    for category, n in [(Category.RACISM, 1), (Category.SEXISM, 2), (Category.AGE, 3),
                        (Category.OTHER, 4)]:
        for k in range(n):
            submit_on(world.duesseldorf, quarter_day(2, k), category)
    published = cells(selectors.statistics(organisation=world.duesseldorf, year=YEAR))
    assert published[("racism", 2)] is None
    assert published[("sexism", 2)] is None
    assert published[("age", 2)] == 3
    assert published[("other", 2)] == 4
    assert published[("religion", 2)] is None  # zero
    assert all(published[(c, q)] is None for c in Category.values for q in (1, 3, 4))
    assert selectors.statistics(organisation=world.duesseldorf, year=YEAR - 1)["rows"]
    assert YEAR in selectors.statistics_years(world.duesseldorf)


def test_a_change_of_category_moves_the_count(world, officer):
    user, private_key = officer
    made = [submit_on(world.duesseldorf, quarter_day(1, k), Category.RACISM) for k in range(3)]
    made += [submit_on(world.duesseldorf, quarter_day(1, k), Category.SEXISM) for k in range(2)]
    before = cells(selectors.statistics(organisation=world.duesseldorf, year=YEAR))
    assert (before[("racism", 1)], before[("sexism", 1)]) == (3, None)

    services.report_update(report=made[0], officer=user, private_key=private_key,
                           category=Category.SEXISM, reason="falsch eingeordnet")
    after = cells(selectors.statistics(organisation=world.duesseldorf, year=YEAR))
    assert (after[("racism", 1)], after[("sexism", 1)]) == (None, 3)
    # The quarter of receipt stays; a later change does not move it to today's quarter.
    made[0].refresh_from_db()
    assert made[0].received_on.year == YEAR and made[0].quarter == 1


def test_statistics_outlive_the_reports(world, officer, django_capture_on_commit_callbacks):
    for k in range(4):
        submit_on(world.duesseldorf, quarter_day(3, k), Category.VIOLENCE)
    before = selectors.statistics(organisation=world.duesseldorf, year=YEAR)
    assert cells(before)[("violence", 3)] == 4
    with django_capture_on_commit_callbacks(execute=True):
        retention.expire(today=date(YEAR + 5, 1, 1))  # nothing goes unwarned: warns first
        deleted, _warned = retention.expire(today=date(YEAR + 5, 3, 1))
    assert deleted == 4 and not Report.objects.exists()
    assert selectors.statistics(organisation=world.duesseldorf, year=YEAR) == before
    assert YEAR in selectors.statistics_years(world.duesseldorf)
