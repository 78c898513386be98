"""The public pages' rate limits (limits.py): a salt that never leaves the process, clients
counted by a keyed hash of their address (IPv6 by its /64), fixed hourly windows, and counting
that is decided by the increment itself."""

import base64
import pickle
from datetime import UTC, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from mitmachen.reports import limits

pytestmark = pytest.mark.django_db

ORG = 7


def request_from(address: str):
    return RequestFactory().post("/report/x/", REMOTE_ADDR=address)


def cache_rows() -> list[tuple[str, str, object]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key, value, expires FROM mitmachen_cache")
        return cursor.fetchall()


@pytest.fixture
def clock(monkeypatch):
    """The hour limits counts in, set by the test."""
    now = {"hour": 500_000}
    monkeypatch.setattr(limits, "_hour", lambda: now["hour"])
    return now


def test_the_salt_stays_in_the_process(clock):
    request = request_from("203.0.113.77")
    limits.bump(request, "submit", ORG)
    assert limits.take(request, "receipt", ORG)
    keys = [key for key, _value, _expires in cache_rows()]
    assert keys, "nothing counted"
    assert not any("salt" in key for key in keys)
    # Every value in the cache is a plain count.
    for _key, value, _expires in cache_rows():
        assert type(pickle.loads(base64.b64decode(value))) is int  # noqa: S301 (our cache)
    # Nothing of the address in a counter's name either.
    assert not any("203.0.113" in key for key in keys)


def test_every_hour_a_new_salt_and_the_old_one_is_gone(clock):
    request = request_from("203.0.113.77")
    first_salt, first_tag = limits._salt(), limits._client_tag(request)
    assert limits._salt() == first_salt  # the same all hour long
    clock["hour"] += 1
    assert limits._salt() != first_salt and limits._client_tag(request) != first_tag
    assert list(limits._salts.values()) == [limits._salt()]


def test_an_ipv6_client_is_its_64_network():
    def tag(address):
        return limits._client_tag(request_from(address))

    assert tag("2001:db8:1:2::1") == tag("2001:db8:1:2:ffff:ffff:ffff:fffe")
    assert tag("2001:db8:1:2::1") != tag("2001:db8:1:3::1")
    assert tag("::ffff:192.0.2.1") == tag("192.0.2.1")
    assert tag("192.0.2.1") != tag("192.0.2.2")
    assert limits._network("not an address") == "not an address"


def test_the_increment_decides_not_an_earlier_look(clock):
    per_client = limits.LIMITS["receipt"][0]
    request = request_from("192.0.2.1")
    for _ in range(per_client - 1):
        assert limits.take(request, "receipt", ORG)
    # Two requests at once both look and see room for one more...
    assert not limits.exceeded(request, "receipt", ORG)
    assert not limits.exceeded(request, "receipt", ORG)
    # ...but only one of them gets it; the refused one is not counted.
    assert limits.take(request, "receipt", ORG)
    assert limits.take(request, "receipt", ORG) is None
    assert limits.exceeded(request, "receipt", ORG)
    key = limits._keys(request, "receipt", ORG)[0]
    assert cache.get(key) == per_client


def test_a_slot_given_back_is_free_again_even_after_the_hour(clock):
    per_client = limits.LIMITS["submit"][0]
    request = request_from("192.0.2.1")
    slots = [limits.take(request, "submit", ORG) for _ in range(per_client)]
    assert all(slots) and limits.take(request, "submit", ORG) is None
    slots[0].give_back()
    assert not limits.exceeded(request, "submit", ORG)
    assert limits.take(request, "submit", ORG)
    # Given back after the full hour: the hour's counters it took from, not the new ones.
    client_key, org_key = limits._keys(request, "submit", ORG)
    clock["hour"] += 1
    slots[1].give_back()
    assert cache.get(client_key) == per_client - 1 and cache.get(org_key) == per_client - 1


def test_the_organisation_ceiling_refuses_without_counting_the_client(clock, monkeypatch):
    monkeypatch.setitem(limits.LIMITS, "submit", (5, 2))
    assert limits.take(request_from("192.0.2.1"), "submit", ORG)
    assert limits.take(request_from("192.0.2.2"), "submit", ORG)
    late = request_from("192.0.2.3")
    assert limits.take(late, "submit", ORG) is None
    assert cache.get(limits._keys(late, "submit", ORG)[0]) == 0
    # Another organisation has its own ceiling.
    assert limits.take(late, "submit", ORG + 1)


def test_receipts_have_no_organisation_ceiling():
    assert limits.LIMITS["receipt"][1] is None
    assert limits._keys(request_from("192.0.2.1"), "receipt", ORG)[1] is None


def test_a_counter_lasts_the_hour_in_the_database_cache(clock):
    request = request_from("192.0.2.1")
    for _ in range(3):
        limits.bump(request, "reply", ORG)
    limits.take(request, "reply", ORG).give_back()
    soon = timezone.now() + timedelta(minutes=50)
    rows = cache_rows()
    assert len(rows) == 2
    for _key, _value, expires in rows:
        if isinstance(expires, str):  # SQLite hands the column over as text
            expires = parse_datetime(expires)
        if timezone.is_naive(expires):
            expires = expires.replace(tzinfo=UTC)
        assert expires > soon
