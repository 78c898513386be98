"""What the live view shows (the hall projector and the participants' phones), as one JSON
document per version of the assembly.

The document is rendered once per version and kept in the cache, so a thousand viewers cost one
render per change (docs/decisions/0017-live-updates.md). It holds codes, numbers and the names
of the people who asked to speak, nothing else about anybody: no contact data, never a choice
in a vote. Labels are left to the page, so one document serves German and English viewers.
"""

import json
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from mitmachen.assemblies import live, selectors, speakers
from mitmachen.assemblies.models import Assembly, Election, SpeakerRequest, Vote

STATE_KEY = "assembly:{pk}:live:{version}"
STATE_TIMEOUT = 60 * 60
# Votes whose ballots the system counts; for the others the chair enters the result.
COUNTED_VOTES = (Vote.Method.ELECTRONIC, Vote.Method.SECRET)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def _person(request: SpeakerRequest) -> dict:
    return {
        "request": request.pk,
        "participant": request.participant_id,  # lets a phone find its own place
        "name": request.participant.name,
        "category": request.category or "open",
        "kind": request.kind,
        "first_time": request.first_time,
    }


def _speaker(item, now: datetime) -> dict | None:
    current = speakers.speech(item, now)
    if current is None:
        return None
    return {
        **_person(current.request),
        "started_at": _iso(current.request.started_at),
        "started_ms": _ms(current.request.started_at),
        # The speaking time with any extension the chair gave: the phones count down from it.
        "seconds": current.allowed,
    }


def _ballots(assembly: Assembly, present: int) -> list[dict]:
    """Open votes and elections with how many have voted so far; never what anyone chose."""
    rows = []
    votes = Vote.objects.filter(assembly=assembly, status=Vote.Status.OPEN).annotate(
        n_cast=Count("casts")).order_by("opened_at", "pk")
    for vote in votes:
        rows.append({"key": f"vote:{vote.pk}", "kind": "vote", "id": vote.pk,
                     "title": vote.question, "method": vote.method,
                     "cast": vote.n_cast if vote.method in COUNTED_VOTES else None,
                     "of": present})
    elections = Election.objects.filter(assembly=assembly, status=Election.Status.VOTING
                                        ).annotate(n_cast=Count("casts")).order_by("opened_at",
                                                                                   "pk")
    for election in elections:
        rows.append({"key": f"election:{election.pk}", "kind": "election", "id": election.pk,
                     "title": election.title, "method": election.method,
                     "cast": election.n_cast if election.method == Election.Method.SECRET
                     else None,
                     "of": present})
    return rows


def state(assembly: Assembly) -> dict:
    """The live view of `assembly`. Load the assembly just before: its live_version is read
    first, so everything below is at least as new as the version the document carries."""
    now = timezone.now()
    item = assembly.current_item
    speaker, queue, item_data = None, [], None
    if item is not None:
        item_data = {"id": item.pk, "number": selectors.item_number(item), "title": item.title,
                     "list_closed": item.list_closed}
        item.assembly = assembly  # saves the queries for the rules
        speaker = _speaker(item, now)
        queue = [_person(request) for request in speakers.queue(item)]
    quorum = selectors.quorum(assembly)
    return {
        "version": assembly.live_version,
        "rendered_at": _iso(now),
        "assembly": {"id": assembly.pk, "title": assembly.event.title,
                     "status": assembly.status},
        "item": item_data,
        "speaker": speaker,
        "queue": queue,
        "quorum": {"present": quorum.present, "eligible": quorum.eligible,
                   "required": quorum.required, "met": quorum.met},
        "ballots": _ballots(assembly, quorum.present),
    }


def dumps(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _load(assembly_id: int) -> Assembly | None:
    return Assembly.objects.select_related("event", "current_item").filter(
        pk=assembly_id).first()


def cached(assembly_id: int) -> tuple[int, bytes] | None:
    """(version, JSON) of the current live view; None when the assembly does not exist.

    Stored under the version the render actually read, which may be newer than the cached
    version number for a moment after a commit: the document is never labelled older than
    its contents."""
    version = live.current_version(assembly_id)
    if version is None:
        return None
    payload = cache.get(STATE_KEY.format(pk=assembly_id, version=version))
    if payload is not None:
        return version, payload
    assembly = _load(assembly_id)
    if assembly is None:
        return None
    data = state(assembly)
    payload = dumps(data)
    cache.set(STATE_KEY.format(pk=assembly_id, version=data["version"]), payload,
              STATE_TIMEOUT)
    return data["version"], payload
