"""Twenty reporters press "send" at the same moment, each on a database connection of its own
(PostgreSQL): every report gets its own number, 1 to 20 without a gap or a twice-given one,
its own key file, and every one of them is counted and readable.

The rows must be committed for the other threads to see them, hence transaction=True.
"""

import threading
from collections import Counter

import pytest
from django.db import connection

from mitmachen.reports import keystore, selectors, services
from mitmachen.reports.models import Category, ChannelSettings, Report, ReportKey, Wish

from .conftest import make_officer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]
THREADS = 20  # well below PostgreSQL's 100 connections, which other test runs share


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.REPORTS_KEY_DIR = tmp_path / "report-keys"
    return settings.REPORTS_KEY_DIR


def in_parallel(jobs):
    """Run each job in a thread of its own, all released at once. (results, exceptions)."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)
    errors = []

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection; leave none open

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.parametrize("settings_exist", [False, True])
def test_twenty_reports_at_once_get_numbers_one_to_twenty(world, key_dir, settings_exist):
    officer = world.users["duesseldorf_officer"]
    private_key = make_officer(officer)
    if settings_exist:
        services.channel_settings(world.duesseldorf)
    categories = [Category.RACISM, Category.SEXISM, Category.OTHER, Category.AGE]

    def reporting(n):
        return lambda: services.report_submit(
            organisation=world.duesseldorf, what=f"Bericht {n}", wish=Wish.ADVICE,
            category=categories[n % 4])

    results, errors = in_parallel([reporting(n) for n in range(THREADS)])

    assert errors == []
    reports = [report for report, _receipt in results]
    assert sorted(r.number for r in reports) == list(range(1, THREADS + 1))
    assert Report.objects.filter(organisation=world.duesseldorf).count() == THREADS
    assert sorted(Report.objects.values_list("number", flat=True)) == list(range(1, THREADS + 1))
    assert ChannelSettings.objects.filter(organisation=world.duesseldorf).count() == 1
    assert len({receipt for _report, receipt in results}) == THREADS
    # One key file per report, each the report's own.
    assert keystore.names() == set(Report.objects.values_list("key_name", flat=True))
    assert len(list(key_dir.glob("*.key"))) == THREADS
    assert ReportKey.objects.filter(officer=officer).count() == THREADS
    # Every report counted once, in its category.
    year = reports[0].received_on.year
    stats = selectors.statistics(organisation=world.duesseldorf, year=year)
    quarter = reports[0].quarter
    counted = {row["category"]: row["cells"][quarter - 1] for row in stats["rows"]}
    assert {c: counted[c] for c in categories} == dict(Counter(categories[n % 4]
                                                               for n in range(THREADS)))
    # And every one readable, with its own text.
    texts = {services.report_open(report=r, officer=officer,
                                  private_key=private_key).content["what"] for r in reports}
    assert texts == {f"Bericht {n}" for n in range(THREADS)}


def test_of_officers_setting_up_keys_at_once_only_one_is_the_first_reader(world):
    """The first officer of a channel is approved without anyone's approval; with several
    setting up their keys at the same moment, exactly one may be that first."""
    from mitmachen.core import services as core
    from mitmachen.core.roles import Role
    from mitmachen.reports import access
    from mitmachen.reports.models import Reader

    from .conftest import PASSPHRASE, enrol

    officers = [world.users["duesseldorf_officer"]]
    for n in range(4):
        user = core.user_create(email=f"officer{n}@example.org", name=f"Officer {n}",
                                password=None)
        core.role_grant(user=user, organisation=world.duesseldorf,
                        role=Role.ANTIDISCRIMINATION_OFFICER, actor=None)
        officers.append(user)
    for user in officers:
        enrol(user)

    def setting_up(user):
        return lambda: access.officer_key_create(user=user, passphrase=PASSPHRASE)

    _results, errors = in_parallel([setting_up(user) for user in officers])

    assert errors == []
    assert Reader.objects.filter(organisation=world.duesseldorf).count() == 1
    assert len(access.pending_readers(world.duesseldorf)) == len(officers) - 1
