"""The live view: the hall projector, the participants' phones, and the two ways they stay
current (Server-Sent Events, and polling as the fallback).

Every viewer is served from one cached JSON document per version (livestate.cached). The event
stream's viewers share one watcher per process and assembly that polls the version every
150 ms and wakes them all, so a thousand listeners cost one poll and one cache read per change
(docs/decisions/0017-live-updates.md).
"""

import asyncio
import contextlib
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from math import ceil

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mitmachen.assemblies import access, live, livestate, qr, selectors, speakers
from mitmachen.assemblies.models import Assembly, QuotaCategory, SpeakerRequest
from mitmachen.core.errors import text_of
from mitmachen.core.permissions import can
from mitmachen.core.roles import Perm
from mitmachen.core.throttle import form_limited

log = logging.getLogger(__name__)

POLL_SECONDS = 0.15      # how often a watcher looks at the version
ERROR_PAUSE_SECONDS = 2  # after a failed look (database away), so the log is not flooded
KEEPALIVE_SECONDS = 15   # a comment (and the server's clock) when nothing changed
LINGER_SECONDS = 5       # a watcher outlives its last listener briefly: reconnects are common
RETRY_MS = 2000          # the browser's wait before it reconnects a dropped stream
WSGI_STREAM_SECONDS = 25  # under WSGI a stream holds a thread: end it, the browser reconnects
GRANT_SECONDS = 60       # how long a checked link is trusted without a database read
VERSION_SECONDS = 0.1    # how long a polling answer may rely on the version last read
SPEAK_LIMIT = 60         # requests to speak per participant and address in 15 minutes
SYMBOLS = {"flinta": "▲", "open": "●"}  # the quota category is never told by colour alone

# One thread for every watcher's database reads: a single connection per process.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-watch")


# --- who may watch ---------------------------------------------------------------------------

_granted: dict[tuple[int, str], float] = {}


def _token_valid(assembly_id: int, token: str) -> bool:
    if not token or len(token) > 80:
        return False
    key = (assembly_id, token)
    if _granted.get(key, 0) > time.monotonic():
        return True
    assembly = Assembly.objects.filter(pk=assembly_id).only("pk", "projector_nonce").first()
    valid = assembly is not None and access.may_view(assembly, token)
    if valid:
        # Polling viewers would otherwise read the database once a second each. A revoked
        # link (new nonce) keeps showing the live view for at most GRANT_SECONDS.
        if len(_granted) > 10_000:
            _granted.clear()
        _granted[key] = time.monotonic() + GRANT_SECONDS
    return valid


def _staff_may_watch(user, assembly_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    assembly = Assembly.objects.select_related("organisation").filter(pk=assembly_id).first()
    return assembly is not None and (
        access.can_chair(user, assembly)
        or can(user, Perm.ASSEMBLY_CHECKIN, assembly.organisation))


def viewer_allowed(request, assembly_id: int) -> bool:
    """The projector's link, a participant's viewer token of this assembly, or staff who run
    it. Not the personal link: a query string ends up in every access log on the way."""
    return _token_valid(assembly_id, request.GET.get("t", "")) or _staff_may_watch(
        request.user, assembly_id)


def _check_stream_viewer(request, assembly_id: int) -> bool:
    try:
        return viewer_allowed(request, assembly_id)
    finally:
        # The stream lasts for hours; its request's thread must not keep a database
        # connection open all that time (a thousand viewers, a thousand connections).
        if not connection.in_atomic_block:
            connection.close()


# --- polling ---------------------------------------------------------------------------------

_versions: dict[int, tuple[float, int | None]] = {}
_documents: dict[int, tuple[int, bytes]] = {}
_refreshing = threading.Lock()


def _recent_version(assembly_id: int) -> int | None:
    """live.current_version, looked up at most once per VERSION_SECONDS in this process: a
    thousand phones polling every second then cost ten cache reads a second, not a thousand.
    One thread looks while the others answer with the last version: under load a lookup is
    slow, and a thousand threads looking at once would only make it slower."""
    now = time.monotonic()
    expires, version = _versions.get(assembly_id, (0.0, None))
    if expires > now:
        return version
    if not _refreshing.acquire(blocking=version is None):
        return version
    try:
        version = live.current_version(assembly_id)
        if len(_versions) > 1000:
            _versions.clear()
        _versions[assembly_id] = (time.monotonic() + VERSION_SECONDS, version)
    finally:
        _refreshing.release()
    return version


def _document(assembly_id: int, version: int) -> tuple[int, bytes] | None:
    """The cached document of `version` (or newer), kept in this process as well: a version's
    document never changes, and each poller fetches it once."""
    known = _documents.get(assembly_id)
    if known is not None and known[0] >= version:
        return known
    got = livestate.cached(assembly_id)
    if got is not None:
        if len(_documents) > 1000:
            _documents.clear()
        _documents[assembly_id] = got
    return got


def _server_time() -> str:
    return str(int(time.time() * 1000))


@require_GET
def live_json(request, pk):
    """The live view as JSON; 204 when `v` is already the current version. Once the link has
    been checked and the document fetched, an answer reads nothing: the version is the cache's,
    at most VERSION_SECONDS old, and this process keeps the document of the latest."""
    if not viewer_allowed(request, pk):
        raise Http404
    version = _recent_version(pk)
    if version is None:
        raise Http404
    etag = f'"{version}"'
    if request.GET.get("v", "") == str(version):
        response = HttpResponse(status=204)
    elif request.headers.get("If-None-Match", "") == etag:
        response = HttpResponse(status=304)
    else:
        got = _document(pk, version)
        if got is None:
            raise Http404
        version, payload = got
        response = HttpResponse(payload, content_type="application/json")
        etag = f'"{version}"'
    response["ETag"] = etag
    response["Cache-Control"] = "no-store"
    response["X-Server-Time"] = _server_time()
    return response


# --- Server-Sent Events ----------------------------------------------------------------------

def _state_event(version: int, payload: bytes) -> bytes:
    # json.dumps escapes line breaks inside strings: the document is one line, as SSE needs.
    return b"id: %d\nevent: state\ndata: %s\n\n" % (version, payload)


def _clock_event() -> bytes:
    return b"event: clock\ndata: %s\n\n" % _server_time().encode()


GONE = object()


def _poll(assembly_id: int, known: int | None):
    """In the watcher's thread: (version, payload) when the version moved, None when not,
    GONE when the assembly no longer exists. The thread keeps its database connection: a new
    one per poll would cost more than the poll (SQLite reads the schema on every connect)."""
    try:
        version = live.current_version(assembly_id)
        if version is None:
            return GONE
        if version == known:
            return None
        return livestate.cached(assembly_id) or GONE
    except Exception:
        connection.close()  # a broken connection is replaced at the next tick
        raise


def _release() -> None:
    connection.close()


class Watcher:
    """Looks at one assembly's version for all of its listeners in this process."""

    registry: dict[int, "Watcher"] = {}

    def __init__(self, assembly_id: int, loop: asyncio.AbstractEventLoop):
        self.assembly_id = assembly_id
        self.loop = loop
        self.listeners = 0
        self.version: int | None = None
        self.message = b""
        self.gone = False
        self.changed = asyncio.Event()
        self.task: asyncio.Task | None = None

    @classmethod
    def join(cls, assembly_id: int) -> "Watcher":
        loop = asyncio.get_running_loop()
        watcher = cls.registry.get(assembly_id)
        if watcher is None or watcher.loop is not loop or watcher.task is None \
                or watcher.task.done():
            watcher = cls(assembly_id, loop)
            cls.registry[assembly_id] = watcher
            watcher.task = loop.create_task(watcher.run())
        watcher.listeners += 1
        return watcher

    def leave(self) -> None:
        self.listeners -= 1

    def _wake(self) -> None:
        woken, self.changed = self.changed, asyncio.Event()
        woken.set()

    async def run(self) -> None:
        idle_since = None
        try:
            while True:
                if self.listeners > 0:
                    idle_since = None
                else:
                    idle_since = idle_since or self.loop.time()
                    if self.loop.time() - idle_since >= LINGER_SECONDS:
                        return
                pause = POLL_SECONDS
                try:
                    got = await self.loop.run_in_executor(_executor, _poll, self.assembly_id,
                                                          self.version)
                except Exception:
                    # A database hiccup: keep the listeners, try again a little later.
                    log.exception("live watcher of assembly %s", self.assembly_id)
                    got, pause = None, ERROR_PAUSE_SECONDS
                if got is GONE:
                    return
                if got is not None:
                    self.version, payload = got
                    self.message = _state_event(self.version, payload)
                    self._wake()
                await asyncio.sleep(pause)
        finally:
            self.gone = True
            self._wake()  # listeners end their streams; browsers reconnect to a new watcher
            if Watcher.registry.get(self.assembly_id) is self:
                del Watcher.registry[self.assembly_id]
            # The watcher's connection goes with it; when the loop is shutting down, never mind.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self.loop.run_in_executor(_executor, _release)


async def _stream(assembly_id: int, last_id: str):
    watcher = Watcher.join(assembly_id)
    try:
        yield b"retry: %d\n\n" % RETRY_MS + _clock_event()
        known = last_id
        while not watcher.gone:
            changed = watcher.changed  # taken before the check: a later change sets it
            if watcher.version is not None and str(watcher.version) != known:
                known = str(watcher.version)
                yield watcher.message
                continue
            try:
                async with asyncio.timeout(KEEPALIVE_SECONDS):
                    await changed.wait()
            except TimeoutError:
                yield b": keep-alive\n\n" + _clock_event()
    finally:
        watcher.leave()


def _wsgi_stream(assembly_id: int, last_id: str):
    """Under WSGI (runserver) each stream holds a thread: poll for a while, then end; the
    browser reconnects with Last-Event-ID."""
    deadline = time.monotonic() + WSGI_STREAM_SECONDS
    yield b"retry: %d\n\n" % RETRY_MS + _clock_event()
    known = last_id
    while True:
        got = livestate.cached(assembly_id)
        if got is None:
            return
        if str(got[0]) != known:
            known = str(got[0])
            yield _state_event(*got)
        if time.monotonic() >= deadline:
            return
        time.sleep(0.5)


async def live_events(request, pk):
    """Server-Sent Events: `event: state` with the JSON whenever the version changes."""
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    asgi = isinstance(request, ASGIRequest)
    # Under ASGI the check runs in the shared pool: a thread of the request's own would stay
    # for as long as the stream lasts. Under WSGI the request's thread is the one to use.
    check = sync_to_async(_check_stream_viewer, thread_sensitive=not asgi)
    if not await check(request, pk):
        raise Http404
    last_id = request.headers.get("Last-Event-ID", "") or request.GET.get("v", "")
    body = _stream(pk, last_id[:20]) if asgi else _wsgi_stream(pk, last_id[:20])
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
    return response


# --- pages -----------------------------------------------------------------------------------

def labels() -> dict:
    """The words the live view needs, in the viewer's language (the JSON carries codes)."""
    return {
        "status": {value: str(label) for value, label in Assembly.Status.choices},
        "category": {value: str(label) for value, label in QuotaCategory.choices},
        "symbol": SYMBOLS,
        "kind": {value: str(label) for value, label in SpeakerRequest.Kind.choices},
        "item": _("Item %(number)s: %(title)s"),
        "no_item": _("No agenda item is under discussion."),
        "nobody_speaking": _("Nobody is speaking."),
        "nobody_waiting": _("Nobody is waiting to speak."),
        "repeat": _("has spoken before"),
        "more": _("and %(n)s more"),
        "quorum": _("%(present)s of %(eligible)s voting members present"),
        "quorum_met": _("quorum of %(required)s met"),
        "quorum_missing": _("quorum of %(required)s not met"),
        "vote": _("Vote"),
        "election": _("Election"),
        "ballots_cast": _("ballots cast: %(cast)s of %(of)s"),
        "voting_open": _("voting is open"),
        "my_place": _("You are number %(n)s on the list."),
        "my_turn": _("You are speaking now."),
    }


def _fmt(template: str, **values) -> str:
    return template % values


def _row(entry: dict, words: dict, me: int | None) -> dict:
    notes = []
    if entry["kind"] != SpeakerRequest.Kind.REGULAR:
        notes.append(words["kind"].get(entry["kind"], entry["kind"]))
    if not entry["first_time"]:
        notes.append(words["repeat"])
    return {"name": entry["name"], "symbol": words["symbol"].get(entry["category"], ""),
            "category": words["category"].get(entry["category"], entry["category"]),
            "notes": " · ".join(notes), "mine": me is not None and entry["participant"] == me}


def countdown(started_ms: int, seconds: int, now_ms: int) -> str:
    """"2:05" left, or "+0:30" over time (live.js counts the same way)."""
    left = ceil((started_ms + seconds * 1000 - now_ms) / 1000)
    minutes, rest = divmod(abs(left), 60)
    return f"{'+' if left < 0 else ''}{minutes}:{rest:02d}"


def display(state: dict, words: dict, *, me: int | None = None, limit: int = 0,
            now_ms: int = 0) -> dict:
    """The first render of the live view, the same text live.js writes on every change."""
    item = state["item"]
    quorum = state["quorum"]
    quorum_text = _fmt(words["quorum"], **quorum)
    if quorum["required"] is not None:
        quorum_text += " · " + _fmt(words["quorum_met" if quorum["met"]
                                          else "quorum_missing"], **quorum)
    queue = [_row(entry, words, me) for entry in state["queue"]]
    place = next((n for n, row in enumerate(queue, start=1) if row["mine"]), None)
    speaker = state["speaker"]
    my_text = ""
    if speaker and me is not None and speaker["participant"] == me:
        my_text = words["my_turn"]
    elif place:
        my_text = _fmt(words["my_place"], n=place)
    ballots = [f"{words[b['kind']]}: {b['title']} – " + (
        _fmt(words["ballots_cast"], cast=b["cast"], of=b["of"]) if b["cast"] is not None
        else words["voting_open"]) for b in state["ballots"]]
    shown = queue[:limit] if limit else queue
    return {
        "status": words["status"].get(state["assembly"]["status"], ""),
        "item": _fmt(words["item"], number=item["number"], title=item["title"]) if item
        else words["no_item"],
        "list_closed": bool(item and item["list_closed"]),
        "speaker": _row(speaker, words, me) if speaker else None,
        "countdown": countdown(speaker["started_ms"], speaker["seconds"], now_ms)
        if speaker and speaker["started_ms"] else "",
        "queue": shown,
        "more": _fmt(words["more"], n=len(queue) - len(shown)) if len(queue) > len(shown)
        else "",
        "my_text": my_text,
        "quorum": quorum_text,
        "ballots": ballots,
    }


def _live_context(assembly: Assembly, viewer: str, *, me: int | None, limit: int) -> dict:
    """`viewer` is the read-only token the page's live view polls with (projector's or
    viewer_token), never a personal link."""
    got = livestate.cached(assembly.pk)
    if got is None:
        raise Http404
    version, payload = got
    state = json.loads(payload)
    words = labels()
    now = _server_time()
    return {
        "state": state, "words": words, "version": version,
        "live": display(state, words, me=me, limit=limit, now_ms=int(now)), "limit": limit,
        "me": me or "", "speaker": state["speaker"], "server_now": now,
        "events_url": reverse("assemblies:live_events", args=[assembly.pk]) + f"?t={viewer}",
        "json_url": reverse("assemblies:live_json", args=[assembly.pk]) + f"?t={viewer}",
    }


def _private(response):
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def projector(request, pk, token):
    """The hall's screen. No login: the link is the key, and a new nonce revokes it."""
    assembly = Assembly.objects.select_related("event").filter(pk=pk).first()
    if assembly is None or not access.projector_valid(assembly, token):
        raise Http404
    context = {"assembly": assembly, **_live_context(assembly, token, me=None, limit=5)}
    return _private(render(request, "assemblies/projector.html", context))


def _participant_or_none(token: str):
    try:
        return access.participant_by_token(token)
    except ValidationError:
        return None


def _invalid(request):
    return _private(render(request, "assemblies/participant_invalid.html", status=404))


def _checkin_svg(participant) -> str:
    try:
        return qr.checkin_svg(participant)
    except NoReverseMatch:  # the check-in page is not installed: the code as text still helps
        return ""


@require_GET
def participant(request, token):
    """A participant's phone: who they are, their check-in code, the live view, asking to
    speak, the agenda with its documents and the voting panel."""
    person = _participant_or_none(token)
    if person is None:
        return _invalid(request)
    return _participant_page(request, person, token)


def _participant_page(request, person, token, *, error: str = "", status: int = 200):
    assembly = Assembly.objects.select_related("event", "event__place", "organisation").get(
        pk=person.assembly_id)
    viewer = access.viewer_token(person)
    live_context = _live_context(assembly, viewer, me=person.pk, limit=0)
    state, words = live_context["state"], live_context["words"]
    # From the same document as the list, so the phone never contradicts itself.
    mine = [{"request": entry["request"], "kind_label": words["kind"].get(entry["kind"], "")}
            for entry in state["queue"] if entry["participant"] == person.pk]
    context = {
        # token: for the page's own forms (in the path); viewer: for every ?t= it links to.
        "assembly": assembly, "participant": person, "token": token, "viewer": viewer,
        "error": error,
        "my_requests": mine, "agenda": selectors.agenda(assembly),
        "checkin_code": "" if person.present else access.checkin_code(person),
        "checkin_svg": "" if person.present else _checkin_svg(person),
        "can_speak": state["assembly"]["status"] == Assembly.Status.IN_SESSION
        and state["item"] is not None,
        "kinds": SpeakerRequest.Kind.choices,
        **live_context,
    }
    return _private(render(request, "assemblies/participant.html", context, status=status))


@require_POST
def participant_speak(request, token):
    """Ask to speak (a kind of request) or withdraw one of one's own waiting requests."""
    person = _participant_or_none(token)
    if person is None:
        return _invalid(request)
    if form_limited(request, f"assembly-speak:{person.pk}", SPEAK_LIMIT):
        return _participant_page(request, person, token, status=429, error=_(
            "Too many requests from this phone. Please wait a few minutes."))
    action = request.POST.get("action", "")
    item = Assembly.objects.select_related("current_item").get(
        pk=person.assembly_id).current_item
    try:
        if action == "withdraw":
            done = _withdraw(person, request.POST.get("request", ""))
        elif action in SpeakerRequest.Kind.values:
            if item is None:
                raise ValidationError(_("No agenda item is under discussion."))
            speakers.speaker_request(item=item, participant=person, kind=action, actor=None)
            done = _("You are on the list of speakers.")
        else:
            raise ValidationError(_("Please use one of the buttons on this page."))
    except ValidationError as exc:
        person.refresh_from_db()
        return _participant_page(request, person, token, status=400, error=text_of(exc))
    messages.success(request, done)
    # 303: the phone's back button must not send the request again.
    return HttpResponseRedirect(reverse("assemblies:participant", args=[token]) + "#speak",
                                status=303)


def _withdraw(person, request_id: str) -> str:
    request = SpeakerRequest.objects.filter(
        pk=int(request_id) if request_id.isascii() and request_id.isdigit()
        and len(request_id) < 19 else 0,
        participant=person, status=SpeakerRequest.Status.WAITING).first()
    if request is None:
        raise ValidationError(_("You have no such request to speak waiting."))
    speakers.speaker_withdraw(request=request, participant=person)
    return _("Your request to speak is withdrawn.")


urlpatterns = [
    path("assembly/<int:pk>/live.json", live_json, name="live_json"),
    path("assembly/<int:pk>/live/events", live_events, name="live_events"),
    path("assembly/<int:pk>/projector/<str:token>/", projector, name="projector"),
    path("a/<str:token>/", participant, name="participant"),
    path("a/<str:token>/speak/", participant_speak, name="participant_speak"),
]
