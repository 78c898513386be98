"""Rate limits for the public report pages without keeping anybody's address.

A client is counted under a keyed hash of its address; the key is random, lives only in the
cache and changes every hour, so after two hours no stored value can be linked to an address,
not even by trying all 2^32 IPv4 addresses. An organisation-wide ceiling stops floods from
many addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from django.core.cache import cache

from mitmachen.core.throttle import client_ip

WINDOW = 60 * 60

# (per client, per organisation) within WINDOW.
LIMITS = {
    "submit": (5, 60),
    "receipt": (10, 300),  # wrong receipts only
    "reply": (20, 300),
}


def _salt() -> bytes:
    hour = int(time.time() // WINDOW)
    key = f"reports:salt:{hour}"
    cache.add(key, secrets.token_hex(32), 2 * WINDOW)
    return bytes.fromhex(cache.get(key) or secrets.token_hex(32))


def _client_tag(request) -> str:
    return hmac.new(_salt(), client_ip(request).encode(), hashlib.sha256).hexdigest()[:24]


def _keys(request, kind: str, organisation_id: int) -> tuple[str, str]:
    return (f"reports:{kind}:{organisation_id}:{_client_tag(request)}",
            f"reports:{kind}:{organisation_id}:all")


def _count(key: str) -> int:
    return int(cache.get(key, 0) or 0)


def exceeded(request, kind: str, organisation_id: int) -> bool:
    per_client, per_org = LIMITS[kind]
    client_key, org_key = _keys(request, kind, organisation_id)
    return _count(client_key) >= per_client or _count(org_key) >= per_org


def bump(request, kind: str, organisation_id: int) -> None:
    for key in _keys(request, kind, organisation_id):
        if not cache.add(key, 1, WINDOW):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, WINDOW)
