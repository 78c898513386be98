"""Throttling failed logins per client address, and per address and account.

Counting per (client, account) means nobody can lock a board member out from another machine;
counting per client caps guessing across many accounts. A password reset clears the lock.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

WINDOW = 15 * 60
PER_ACCOUNT = 10
PER_CLIENT = 50


def client_ip(request) -> str:
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _keys(request, email: str) -> tuple[str, str]:
    ip = client_ip(request)
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"login-fail:{ip}:{account}", f"login-fail:{ip}"


def _bump(key: str) -> None:
    if not cache.add(key, 1, WINDOW):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW)
        else:
            # The database cache's incr rewrites the row with the default timeout (5 minutes):
            # the window runs again from the latest failure.
            cache.touch(key, WINDOW)


def record_failure(request, email: str) -> None:
    for key in _keys(request, email):
        _bump(key)


def is_locked(request, email: str) -> bool:
    account_key, client_key = _keys(request, email)
    return (cache.get(account_key, 0) >= PER_ACCOUNT) or (cache.get(client_key, 0) >= PER_CLIENT)


def clear(request, email: str) -> None:
    cache.delete(_keys(request, email)[0])


FORM_LIMIT = 10


def form_limited(request, form: str, limit: int | None = None) -> bool:
    """At most `limit` (default ten) submissions of a public form per client address in
    15 minutes; a limit of 0 switches the check off."""
    limit = FORM_LIMIT if limit is None else limit
    if limit <= 0:
        return False
    key = f"form:{form}:{client_ip(request)}"
    _bump(key)
    return cache.get(key, 0) > limit
