"""What tells live viewers that something changed.

Every write that changes what the hall sees calls `bump` inside its transaction; the version
becomes visible with the commit, and the live endpoints compare versions instead of re-reading
the record (docs/decisions/0017-live-updates.md)."""

from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from mitmachen.assemblies.models import Assembly

VERSION_KEY = "assembly:{pk}:version"


def bump(assembly_id: int) -> None:
    Assembly.objects.filter(pk=assembly_id).update(live_version=F("live_version") + 1)

    def publish():
        # Two commits close together may publish out of order; reading the row again after
        # writing makes the last writer leave the newest version in the cache.
        published = None
        for _attempt in range(3):
            version = Assembly.objects.filter(pk=assembly_id).values_list(
                "live_version", flat=True).first()
            if version is None or version == published:
                return
            cache.set(VERSION_KEY.format(pk=assembly_id), version, timeout=None)
            published = version

    transaction.on_commit(publish)


def current_version(assembly_id: int) -> int | None:
    version = cache.get(VERSION_KEY.format(pk=assembly_id))
    if version is None:
        version = Assembly.objects.filter(pk=assembly_id).values_list(
            "live_version", flat=True).first()
        if version is not None:
            cache.set(VERSION_KEY.format(pk=assembly_id), version, timeout=None)
    return version
