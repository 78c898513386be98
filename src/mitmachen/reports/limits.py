"""Rate limits for the public report pages without keeping anybody's address.

A client is counted under a keyed hash of its address (an IPv6 address by its /64 network,
which one connection usually has to itself). The key (the salt) is random, changes every hour
and lives only in this process's memory: not in the cache, not in the database, not on disk.
The counters may stay in Django's cache (database or Redis), since without the salt nobody can
link a counter to an address, not even by trying all 2^32 IPv4 addresses, and after the hour
the salt is gone for good.

The price: with several worker processes, each has its own salt, so each counts a client on its
own and a client gets the per-client allowance once per process it happens to reach. The
organisation-wide ceilings do not depend on the salt and are shared by all processes.

Counting is as atomic as the cache allows: `cache.add` creates a counter, `cache.incr` raises
it and the value that incr returns decides, so parallel requests cannot all slip under a limit
by reading the same old count. Redis increments atomically; Django's database cache (no Redis
configured) implements incr as a read and a write, so there a few requests at the very same
moment may still pass together.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass

from django.core.cache import cache

from mitmachen.core.throttle import client_ip

WINDOW = 60 * 60

# (per client, per organisation or None) within one hour.
LIMITS = {
    # Accepted reports only: a post with errors costs nothing, so empty posts cannot use up the
    # organisation's ceiling. The ceiling stops floods from many addresses and is high, since
    # anybody reaching it closes the channel for everybody until the hour is over.
    "submit": (5, 200),
    # Wrong receipts only. No ceiling for the organisation: guessing a 100-bit receipt is
    # hopeless anyway, and a ceiling would only let anyone lock every reporter out.
    "receipt": (10, None),
    "reply": (20, 300),
}

_salts: dict[int, bytes] = {}
_salt_lock = threading.Lock()


def _hour() -> int:
    return int(time.time() // WINDOW)


def _salt() -> bytes:
    """This hour's salt, made on first use in this process; earlier ones are forgotten."""
    hour = _hour()
    with _salt_lock:
        salt = _salts.get(hour)
        if salt is None:
            _salts.clear()
            salt = _salts[hour] = secrets.token_bytes(32)
    return salt


def _network(address: str) -> str:
    """The part of an address that stands for one client: an IPv6 address's /64 network (a
    home or phone connection gets a whole /64 and may use any address in it)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False).network_address) + "/64"
    return str(ip)


def _client_tag(request) -> str:
    address = _network(client_ip(request))
    return hmac.new(_salt(), address.encode(), hashlib.sha256).hexdigest()[:24]


def _keys(request, kind: str, organisation_id: int) -> tuple[str, str | None]:
    hour = _hour()
    per_org = LIMITS[kind][1]
    # The hour is part of the keys: a window is a clock hour, whatever the cache does with a
    # counter's expiry on increment (the database cache resets it).
    return (f"reports:{kind}:{organisation_id}:{hour}:{_client_tag(request)}",
            f"reports:{kind}:{organisation_id}:{hour}:all" if per_org is not None else None)


def _count(key: str | None) -> int:
    return int(cache.get(key, 0) or 0) if key else 0


def _incr(key: str) -> int:
    if cache.add(key, 1, WINDOW):
        return 1
    try:
        value = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 0, WINDOW)
        value = cache.incr(key)
    # The database cache's incr writes the row with the default timeout (minutes).
    cache.touch(key, WINDOW)
    return value


def _decr(key: str) -> None:
    try:
        cache.decr(key)
    except ValueError:  # expired meanwhile: nothing left to give back
        return
    cache.touch(key, WINDOW)


@dataclass(frozen=True)
class Slot:
    """One counted request; `give_back` uncounts it (the keys are those counted, even if the
    hour has turned since)."""

    keys: tuple[str, ...]

    def give_back(self) -> None:
        for key in self.keys:
            _decr(key)


def exceeded(request, kind: str, organisation_id: int) -> bool:
    """Is a limit reached already? A cheap look before any work; `take` decides."""
    per_client, per_org = LIMITS[kind]
    client_key, org_key = _keys(request, kind, organisation_id)
    return _count(client_key) >= per_client or (
        per_org is not None and _count(org_key) >= per_org)


def take(request, kind: str, organisation_id: int) -> Slot | None:
    """Count one request; None, with nothing counted, when that would pass a limit."""
    per_client, per_org = LIMITS[kind]
    client_key, org_key = _keys(request, kind, organisation_id)
    if _incr(client_key) > per_client:
        _decr(client_key)
        return None
    if org_key is not None and _incr(org_key) > per_org:
        _decr(org_key)
        _decr(client_key)
        return None
    return Slot(tuple(key for key in (client_key, org_key) if key is not None))


def bump(request, kind: str, organisation_id: int) -> None:
    """Count one request, whether or not a limit is passed (a failure already made)."""
    for key in _keys(request, kind, organisation_id):
        if key is not None:
            _incr(key)
