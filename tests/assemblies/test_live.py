"""The live view: its JSON, the cache, the event stream, the projector and the phone."""

import asyncio
import contextlib
import gc
import json
from unittest import mock

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import AsyncClient, Client
from django.utils import timezone, translation

from mitmachen.assemblies import (
    access,
    attendance,
    live,
    live_views,
    livestate,
    services,
    speakers,
)
from mitmachen.assemblies.models import (
    Assembly,
    Ballot,
    Participant,
    SpeakerRequest,
    Vote,
    VoteCast,
)
from tests.assemblies.conftest import participant_client, voter

PRESENT = ("Rosa", "Clara", "Karl", "August")


def english(client):
    """Pages speak German unless the language switch (a cookie) says otherwise."""
    client.cookies["django_language"] = "en"
    return client


def phone(participant):
    client, url = participant_client(participant)
    return english(client), url


@pytest.fixture(autouse=True)
def fresh_process_memory(monkeypatch):
    """What a process remembers between requests (checked links, the last version read) would
    carry over from one test's database to the next."""
    live_views._granted.clear()
    live_views._versions.clear()
    live_views._documents.clear()
    monkeypatch.setattr(live_views, "VERSION_SECONDS", 0)


@pytest.fixture
def session(assembly):
    """The assembly in session, its first item called, four of six voters checked in."""
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    services.item_create(assembly=assembly, title="Begrüßung", actor=None)
    item = services.item_create(assembly=assembly, title="Bericht des Vorstands", actor=None)
    services.item_call(assembly=assembly, item=item, actor=None)
    for first in PRESENT:
        attendance.check_in(participant=voter(assembly, first), actor=None)
    assembly.refresh_from_db()
    item.refresh_from_db()
    return assembly, item


def ask(item, first, kind=SpeakerRequest.Kind.REGULAR):
    return speakers.speaker_request(item=item, participant=voter(item.assembly, first),
                                    kind=kind)


def json_url(assembly, token, version=None):
    url = f"/assembly/{assembly.pk}/live.json?t={token}"
    return url if version is None else f"{url}&v={version}"


def events_url(assembly, token):
    return f"/assembly/{assembly.pk}/live/events?t={token}"


def state_of(assembly):
    return json.loads(livestate.cached(assembly.pk)[1])


# --- what the live view holds ----------------------------------------------------------------

def test_state_shows_item_speaker_queue_quorum(session, django_capture_on_commit_callbacks):
    assembly, item = session
    with django_capture_on_commit_callbacks(execute=True):
        ask(item, "Karl")
        ask(item, "Rosa")
        speakers.speaker_next(item=item, actor=None)  # Rosa: women/FLINTA* first
        ask(item, "August")
        ask(item, "Clara", SpeakerRequest.Kind.POINT_OF_ORDER)
        ask(item, "Karl", SpeakerRequest.Kind.PRO)
    state = state_of(assembly)
    assert state["version"] == Assembly.objects.get(pk=assembly.pk).live_version
    assert state["assembly"] == {"id": assembly.pk, "title": "Kreismitgliederversammlung",
                                 "status": "in_session"}
    assert state["item"] == {"id": item.pk, "number": "2", "title": "Bericht des Vorstands",
                             "list_closed": False}
    speaker = state["speaker"]
    assert speaker["name"] == "Rosa Roth" and speaker["category"] == "flinta"
    assert speaker["kind"] == "regular" and speaker["seconds"] == assembly.speaking_seconds
    assert speaker["started_ms"] > 0 and speaker["started_at"]
    # The order is the speakers module's, not one of our own.
    assert [e["request"] for e in state["queue"]] == [r.pk for r in speakers.queue(item)]
    assert [(e["name"], e["kind"]) for e in state["queue"]][0] == ("Clara Zeller",
                                                                   "point_of_order")
    assert state["quorum"] == {"present": 4, "eligible": 6, "required": 1, "met": True}
    assert state["ballots"] == []


def test_state_holds_no_contact_data_and_only_people_who_asked(session,
                                                               django_capture_on_commit_callbacks):
    assembly, item = session
    with django_capture_on_commit_callbacks(execute=True):
        ask(item, "Karl")
    payload = livestate.cached(assembly.pk)[1].decode()
    assert "@" not in payload
    for participant in assembly.participants.select_related("contact"):
        contact = participant.contact
        for value in (contact.email, contact.phone, contact.street, contact.postcode):
            if value:
                assert value not in payload
    assert "Karl Lieb" in payload
    assert "Rosa Roth" not in payload  # present, but she did not ask to speak


def test_state_counts_ballots_but_never_shows_a_choice(session,
                                                       django_capture_on_commit_callbacks):
    assembly, item = session
    # Rows as votes.py writes them (a cast without its choice, a ballot without its voter).
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        vote = Vote.objects.create(assembly=assembly, question="Wollen wir Kuchen?",
                                   method=Vote.Method.SECRET, status=Vote.Status.OPEN,
                                   opened_at=timezone.now(), eligible_at_open=4)
        VoteCast.objects.create(vote=vote, participant=voter(assembly, "Karl"))
        Ballot.objects.create(vote=vote, choice="yes")
        live.bump(assembly.pk)
    state = state_of(assembly)
    assert state["ballots"] == [{"key": f"vote:{vote.pk}", "kind": "vote", "id": vote.pk,
                                 "title": "Wollen wir Kuchen?", "method": "secret",
                                 "cast": 1, "of": 4}]
    assert '"yes"' not in livestate.cached(assembly.pk)[1].decode()


def test_state_without_a_current_item(assembly):
    state = state_of(assembly)
    assert state["item"] is None and state["speaker"] is None and state["queue"] == []
    assert state["quorum"]["present"] == 0


# --- the cache and the JSON endpoint ---------------------------------------------------------

def test_one_render_per_version(session, django_capture_on_commit_callbacks):
    assembly, item = session
    with mock.patch.object(livestate, "state", wraps=livestate.state) as render:
        first = livestate.cached(assembly.pk)
        assert livestate.cached(assembly.pk) == first
        assert livestate.cached(assembly.pk) == first
        assert render.call_count == 1
        with django_capture_on_commit_callbacks(execute=True):
            ask(item, "Karl")
        second = livestate.cached(assembly.pk)
        livestate.cached(assembly.pk)
        assert render.call_count == 2
    assert second[0] > first[0]


def test_json_is_204_for_the_known_version_and_200_after_a_change(
        session, django_capture_on_commit_callbacks):
    assembly, item = session
    client = Client()
    token = access.projector_token(assembly)
    response = client.get(json_url(assembly, token))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert int(response["X-Server-Time"]) > 0
    version = response.json()["version"]
    assert response["ETag"] == f'"{version}"'
    assert client.get(json_url(assembly, token, version)).status_code == 204
    assert client.get(json_url(assembly, token), HTTP_IF_NONE_MATCH=f'"{version}"'
                      ).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        ask(item, "Karl")
    response = client.get(json_url(assembly, token, version))
    assert response.status_code == 200
    assert response.json()["version"] == version + 1
    assert [e["name"] for e in response.json()["queue"]] == ["Karl Lieb"]


def test_204_reads_nothing_but_the_cache(session, django_assert_max_num_queries):
    assembly, _item = session
    client = Client()
    token = access.projector_token(assembly)
    version = client.get(json_url(assembly, token)).json()["version"]
    # One query: the cache table (the link is trusted for a minute once checked) ...
    with django_assert_max_num_queries(1):
        assert client.get(json_url(assembly, token, version)).status_code == 204
    # ... and none while the version last read is recent.
    live_views.VERSION_SECONDS = 60
    client.get(json_url(assembly, token, version))
    with django_assert_max_num_queries(0):
        assert client.get(json_url(assembly, token, version)).status_code == 204
        # A phone that is behind gets the document this process already holds.
        assert client.get(json_url(assembly, token, version - 1)).json()["version"] == version


def test_json_and_events_for_a_participants_viewer_token(session):
    assembly, _item = session
    emma = voter(assembly, "Emma")
    client = Client()
    response = client.get(json_url(assembly, access.viewer_token(emma)))
    assert response.status_code == 200 and response.json()["item"]["title"] == (
        "Bericht des Vorstands")
    response = client.get(events_url(assembly, access.viewer_token(emma)))
    assert response.status_code == 200
    response.close()


def test_live_endpoints_refuse_the_personal_link(session):
    """The personal link can speak and vote; in a query string it would end up in every access
    log on the way. Even a link checked a moment ago as a viewer's is not let in."""
    assembly, _item = session
    emma = voter(assembly, "Emma")
    client = Client()
    assert client.get(json_url(assembly, access.viewer_token(emma))).status_code == 200
    personal = access.participant_token(emma)
    assert client.get(json_url(assembly, personal)).status_code == 404
    assert client.get(events_url(assembly, personal)).status_code == 404


def test_viewer_token_is_no_personal_link(session):
    """The viewer token opens neither the phone's page nor asking to speak."""
    assembly, _item = session
    rosa = voter(assembly, "Rosa")
    viewer = access.viewer_token(rosa)
    assert viewer != access.participant_token(rosa) and viewer != access.checkin_code(rosa)
    assert Client().get(f"/a/{viewer}/").status_code == 404
    assert Client().post(f"/a/{viewer}/speak/", {"action": "regular"}).status_code == 404
    assert Client().get(f"/checkin/{viewer}/").status_code == 404
    assert SpeakerRequest.objects.count() == 0
    assert access.participant_by_viewer_token(viewer) == rosa
    with pytest.raises(ValidationError):
        access.participant_by_token(viewer)


def test_a_new_nonce_revokes_the_viewer_token(session):
    assembly, _item = session
    emma = voter(assembly, "Emma")
    viewer = access.viewer_token(emma)
    Participant.objects.filter(pk=emma.pk).update(nonce="renewed")
    assert Client().get(json_url(assembly, viewer)).status_code == 404
    emma.refresh_from_db()
    assert Client().get(json_url(assembly, access.viewer_token(emma))).status_code == 200


# --- who may watch ---------------------------------------------------------------------------

@pytest.fixture
def other(make_assembly, world):
    return make_assembly(organisation=world.duesseldorf, title="Mitgliederversammlung",
                         members=[("Dora", "Dreher", "flinta", "dora@example.org", "")])


def bad_tokens(assembly, other):
    projector = access.projector_token(assembly)
    return {
        "none": "",
        "other projector": access.projector_token(other),
        "tampered projector": projector[:-1] + ("0" if projector[-1] != "0" else "1"),
        "personal link": access.participant_token(voter(assembly, "Rosa")),
        "check-in code": access.checkin_code(voter(assembly, "Rosa")),
        "other viewer": access.viewer_token(other.participants.first()),
        "tampered viewer": access.viewer_token(voter(assembly, "Rosa"))[:-2] + "00",
        "not a number": "x-" + projector,
        "superscript digit": "²-x",
        "superscript pk, valid mac": "²" + access.viewer_token(voter(assembly, "Rosa"))[1:],
        "arabic-indic digits": "٣-" + "0" * 32,
        "overlong": projector * 3,
        "nul": projector + "\x00",
    }


def test_live_endpoints_refuse_bad_links(session, other):
    assembly, _item = session
    client = Client()
    for label, token in bad_tokens(assembly, other).items():
        assert client.get(json_url(assembly, token)).status_code == 404, label
        assert client.get(events_url(assembly, token)).status_code == 404, label
    assert client.get(f"/assembly/{assembly.pk}/projector/"
                      f"{access.projector_token(other)}/").status_code == 404
    assert client.get(json_url(other, access.projector_token(assembly))).status_code == 404
    assert client.get("/assembly/999999/live.json?t=x").status_code == 404


def test_a_new_projector_nonce_revokes_the_link(session):
    assembly, _item = session
    old = access.projector_token(assembly)
    Assembly.objects.filter(pk=assembly.pk).update(projector_nonce="renewed")
    live_views._granted.clear()
    assert Client().get(f"/assembly/{assembly.pk}/projector/{old}/").status_code == 404
    assert Client().get(json_url(assembly, old)).status_code == 404


@pytest.mark.parametrize(("persona", "status"), [
    ("kassel_board", 200), ("kassel_events", 200), ("kassel_treasurer", 404),
    ("duesseldorf_board", 404), ("duesseldorf_member", 404), (None, 404)])
def test_staff_watch_without_a_link(session, login, persona, status):
    assembly, _item = session
    assert login(persona).get(f"/assembly/{assembly.pk}/live.json").status_code == status


def test_the_chair_without_a_role_may_watch(session, world, login):
    assembly, _item = session
    services.assembly_update(assembly=assembly, data={"chair": world.users["kassel_groups"]},
                             actor=None)
    assert login("kassel_groups").get(f"/assembly/{assembly.pk}/live.json").status_code == 200


# --- Server-Sent Events ----------------------------------------------------------------------

async def next_state(stream, buffer: list):
    """The next `event: state` of the stream, as a dict (buffer keeps what follows it)."""
    while True:
        text = b"".join(buffer)
        blocks = text.split(b"\n\n")
        for n, block in enumerate(blocks[:-1]):
            lines = block.split(b"\n")
            if b"event: state" in lines:
                buffer[:] = [b"\n\n".join(blocks[n + 1:])]
                data = next(line for line in lines if line.startswith(b"data: "))
                event_id = next(line for line in lines if line.startswith(b"id: "))
                state = json.loads(data[6:])
                assert int(event_id[4:]) == state["version"]
                return state
        buffer[:] = [blocks[-1]] if not text.endswith(b"\n\n") else []
        buffer.append(await anext(stream))


@pytest.mark.django_db(transaction=True)
def test_event_stream_sends_the_state_and_then_each_change(session):
    assembly, item = session
    karl = voter(assembly, "Karl")

    async def scenario():
        response = await AsyncClient().get(events_url(assembly, access.projector_token(
            assembly)))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        assert response["Cache-Control"] == "no-store"
        stream, buffer = aiter(response.streaming_content), []
        del response  # as a server does once it has sent the response
        try:
            first_chunk = await asyncio.wait_for(anext(stream), 5)
            assert first_chunk.startswith(b"retry: ") and b"event: clock" in first_chunk
            first = await asyncio.wait_for(next_state(stream, buffer), 5)
            await sync_to_async(speakers.speaker_request)(item=item, participant=karl)
            second = await asyncio.wait_for(next_state(stream, buffer), 5)
            await sync_to_async(speakers.speaker_next)(item=item, actor=None)
            third = await asyncio.wait_for(next_state(stream, buffer), 5)
        finally:
            await stream.aclose()
            del stream
            watcher = live_views.Watcher.registry.get(assembly.pk)
            assert watcher is not None
            for _ in range(50):  # the closed generator is finalised on the loop
                gc.collect()
                if watcher.listeners == 0:
                    break
                await asyncio.sleep(0.02)
            assert watcher.listeners == 0
            watcher.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher.task
        return first, second, third

    first, second, third = async_to_sync(scenario)()
    assert first["queue"] == [] and first["speaker"] is None
    assert second["version"] > first["version"]
    assert [e["name"] for e in second["queue"]] == ["Karl Lieb"]
    assert third["speaker"]["name"] == "Karl Lieb" and third["queue"] == []


@pytest.mark.django_db(transaction=True)
def test_event_stream_skips_the_version_the_browser_has(session):
    assembly, _item = session
    version = live.current_version(assembly.pk)
    live_views.KEEPALIVE_SECONDS, keepalive = 0.3, live_views.KEEPALIVE_SECONDS

    async def scenario():
        response = await AsyncClient().get(events_url(assembly, access.projector_token(
            assembly)), headers={"Last-Event-ID": str(version)})
        stream = aiter(response.streaming_content)
        try:
            chunks = [await asyncio.wait_for(anext(stream), 5) for _ in range(2)]
        finally:
            await stream.aclose()
            watcher = live_views.Watcher.registry[assembly.pk]
            watcher.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher.task
        return chunks

    try:
        chunks = async_to_sync(scenario)()
    finally:
        live_views.KEEPALIVE_SECONDS = keepalive
    # Nothing new: the clock at the start, then a keep-alive comment, no state.
    assert b"event: state" not in b"".join(chunks)
    assert chunks[1].startswith(b": keep-alive\n\n")


def test_event_stream_under_wsgi_sends_the_state(session):
    """runserver and the test client are WSGI: a short stream of its own, no watcher."""
    assembly, _item = session
    response = Client().get(events_url(assembly, access.projector_token(assembly)))
    assert response.status_code == 200
    chunks = iter(response.streaming_content)
    assert next(chunks).startswith(b"retry: ")
    event = next(chunks)
    assert event.startswith(f"id: {live.current_version(assembly.pk)}\nevent: state\n".encode())
    response.close()


def test_event_stream_refuses_post(session):
    assembly, _item = session
    response = Client().post(events_url(assembly, access.projector_token(assembly)))
    assert response.status_code == 405


# --- the projector ---------------------------------------------------------------------------

def test_projector_shows_speaker_next_five_and_quorum(session, world,
                                                     django_capture_on_commit_callbacks):
    assembly, item = session
    services.guest_add(assembly=assembly, name="Gerd Gast", quota_category="open", actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        ask(item, "Rosa")
        speakers.speaker_next(item=item, actor=None)
        for first in ("Karl", "Clara", "August"):
            ask(item, first)
        ask(item, "Rosa", SpeakerRequest.Kind.CONTRA)
        ask(item, "Karl", SpeakerRequest.Kind.PRO)
        ask(item, "August", SpeakerRequest.Kind.POINT_OF_ORDER)
    client = english(Client())
    response = client.get(f"/assembly/{assembly.pk}/projector/"
                          f"{access.projector_token(assembly)}/")
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    html = response.content.decode()
    assert "Rosa Roth" in html and "Item 2: Bericht des Vorstands" in html
    assert "▲" in html and "●" in html  # the quota category as a symbol and as text
    assert "women/FLINTA*" in html
    assert "4 of 6 voting members present · quorum of 1 met" in html
    assert 'role="timer"' in html and 'aria-live="polite"' in html
    assert "assemblies/live.js" in html
    assert html.count("<li><span class=\"live-name\">") == 5  # the next five of six
    assert "and 1 more" in html
    # The first render and live.js start from the same document.
    state = json.loads(html.split('id="live-state" type="application/json">')[1]
                       .split("</script>")[0])
    assert state == state_of(assembly)


def test_projector_in_german(session):
    assembly, _item = session
    html = Client().get(f"/assembly/{assembly.pk}/projector/"
                        f"{access.projector_token(assembly)}/").content.decode()
    assert "Bericht des Vorstands" in html and 'lang="de"' in html


# --- the participant's phone -----------------------------------------------------------------

def test_phone_of_someone_not_checked_in_shows_the_code(session):
    assembly, _item = session
    emma = voter(assembly, "Emma")
    client, url = phone(emma)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hello Emma Ihrig." in html and "You are not checked in yet." in html
    assert access.checkin_code(emma) in html
    assert "<svg" in html  # the QR code
    assert response["Cache-Control"] == "private, no-store"
    # The live view polls with the read-only viewer token; the personal link is in no query.
    viewer = access.viewer_token(emma)
    assert f'data-events-url="/assembly/{assembly.pk}/live/events?t={viewer}"' in html
    assert f'data-json-url="/assembly/{assembly.pk}/live.json?t={viewer}"' in html
    assert "?t=" + access.participant_token(emma) not in html
    assert "t=" + access.participant_token(emma) not in html


def test_phone_of_someone_present_hides_the_code(session):
    assembly, _item = session
    rosa = voter(assembly, "Rosa")
    client, url = phone(rosa)
    html = client.get(url).content.decode()
    assert "You are checked in." in html
    assert access.checkin_code(rosa) not in html and "<svg" not in html
    assert "Request to speak" in html and "Point of order" in html


def test_phone_link_invalid(session, other):
    assembly, _item = session
    for token in ("1-abc", "nonsense", access.participant_token(voter(assembly, "Rosa"))[:-1],
                  "9" * 30 + "-" + "0" * 32):
        response = english(Client()).get(f"/a/{token}/")
        assert response.status_code == 404
        assert "This link is not valid" in response.content.decode()
        assert Client().post(f"/a/{token}/speak/", {"action": "regular"}).status_code == 404
    assert SpeakerRequest.objects.count() == 0


def test_phone_asks_to_speak_and_sees_its_place(session, django_capture_on_commit_callbacks):
    assembly, item = session
    ask(item, "Karl")
    rosa = voter(assembly, "Rosa")
    client, url = phone(rosa)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "speak/", {"action": "regular"})
    assert response.status_code == 303
    request = SpeakerRequest.objects.get(participant=rosa)
    assert (request.kind, request.status, request.item_id) == ("regular", "waiting", item.pk)
    html = client.get(url).content.decode()
    assert "You are on the list of speakers." in html
    # Women/FLINTA* first: Rosa goes before Karl, who asked earlier.
    assert "You are number 1 on the list." in html
    assert 'class="mine" aria-current="true"' in html
    assert f'name="request" value="{request.pk}"' in html


def test_phone_point_of_order_and_withdraw(session, django_capture_on_commit_callbacks):
    assembly, item = session
    karl = voter(assembly, "Karl")
    client, url = phone(karl)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url + "speak/", {"action": "point_of_order"})
    request = SpeakerRequest.objects.get(participant=karl)
    assert request.kind == "point_of_order"
    response = client.post(url + "speak/", {"action": "withdraw", "request": request.pk})
    assert response.status_code == 303
    request.refresh_from_db()
    assert request.status == "withdrawn"


def test_phone_refuses_when_not_checked_in(session):
    assembly, _item = session
    client, url = phone(voter(assembly, "Emma"))
    response = client.post(url + "speak/", {"action": "regular"})
    assert response.status_code == 400
    assert "Only participants who are checked in can ask to speak." in response.content.decode()
    assert SpeakerRequest.objects.count() == 0


def test_phone_refuses_twice_and_a_closed_list(session, world):
    assembly, item = session
    client, url = phone(voter(assembly, "Clara"))
    client.post(url + "speak/", {"action": "regular"})
    response = client.post(url + "speak/", {"action": "regular"})
    assert response.status_code == 400
    assert "already on the list" in response.content.decode()
    speakers.list_close(item=item, actor=world.users["kassel_board"])
    response = client.post(url + "speak/", {"action": "pro"})
    assert response.status_code == 400
    assert "The list of speakers is closed." in response.content.decode()
    assert SpeakerRequest.objects.filter(participant__name="Clara Zeller").count() == 1
    # A point of order is always possible.
    assert client.post(url + "speak/", {"action": "point_of_order"}).status_code == 303


@pytest.mark.parametrize("data", [
    {}, {"action": ""}, {"action": "shout"}, {"action": "regular\x00"}, {"action": "x" * 5000},
    {"action": "withdraw"}, {"action": "withdraw", "request": "abc"},
    {"action": "withdraw", "request": "9" * 40}, {"action": "withdraw", "request": "\x00"},
    {"action": "withdraw", "request": "²"}, {"action": "withdraw", "request": "١٢"}])
def test_phone_bad_input_changes_nothing(session, data):
    assembly, item = session
    waiting = ask(item, "Karl")
    client, url = phone(voter(assembly, "Rosa"))
    response = client.post(url + "speak/", data)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert list(SpeakerRequest.objects.values_list("pk", "status")) == [(waiting.pk, "waiting")]


def test_phone_cannot_withdraw_someone_elses_request(session):
    assembly, item = session
    karls = ask(item, "Karl")
    client, url = phone(voter(assembly, "Rosa"))
    response = client.post(url + "speak/", {"action": "withdraw", "request": karls.pk})
    assert response.status_code == 400
    assert "You have no such request to speak waiting." in response.content.decode()
    karls.refresh_from_db()
    assert karls.status == "waiting"


def test_phone_of_another_assembly_cannot_speak_here(session, other):
    _assembly, item = session
    dora = other.participants.get()
    attendance.check_in(participant=dora, actor=None)
    services.status_change(assembly=other, status=Assembly.Status.IN_SESSION, actor=None)
    client, url = phone(dora)
    response = client.post(url + "speak/", {"action": "regular"})
    assert response.status_code == 400  # her own assembly has no item under discussion
    assert not SpeakerRequest.objects.filter(item=item).exists()


def test_phone_speaking_is_only_possible_in_session(assembly):
    rosa = voter(assembly, "Rosa")
    client, url = phone(rosa)
    html = client.get(url).content.decode()
    assert 'data-live="speak-form" hidden' in html
    response = client.post(url + "speak/", {"action": "regular"})
    assert response.status_code == 400
    assert "No agenda item is under discussion." in response.content.decode()


def test_phone_posts_are_limited(session, settings):
    assembly, _item = session
    client, url = phone(voter(assembly, "Emma"))
    with mock.patch.object(live_views, "SPEAK_LIMIT", 2):
        for _ in range(2):
            assert client.post(url + "speak/", {"action": "regular"}).status_code == 400
        response = client.post(url + "speak/", {"action": "regular"})
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()


@pytest.fixture
def document(session, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    _assembly, item = session
    pdf = SimpleUploadedFile("bericht.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"
                             b"trailer<<>>\n%%EOF\n", content_type="application/pdf")
    return services.document_add(item=item, title="Rechenschaftsbericht", upload=pdf,
                                 actor=None)


def test_phone_agenda_links_documents_with_the_viewer_token(session, document):
    assembly, _item = session
    rosa = voter(assembly, "Rosa")
    client, url = phone(rosa)
    html = client.get(url).content.decode()
    assert "Rechenschaftsbericht" in html
    link = (f"/staff/{assembly.organisation.slug}/assemblies/{assembly.pk}/agenda/documents/"
            f"{document.pk}/?t={access.viewer_token(rosa)}")
    assert f'href="{link}"' in html
    assert "t=" + access.participant_token(rosa) not in html
    # The phone follows the link (views.document accepts the viewer token), the projector's
    # token opens it too.
    for url in (link, link.split("?")[0] + f"?t={access.projector_token(assembly)}"):
        response = Client().get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_document_refuses_another_assemblys_viewer_token(session, other, document):
    assembly, _item = session
    url = (f"/staff/{assembly.organisation.slug}/assemblies/{assembly.pk}/agenda/documents/"
           f"{document.pk}/")
    for token in (access.viewer_token(other.participants.get()), access.projector_token(other),
                  "²-x", access.viewer_token(voter(assembly, "Rosa"))[:-1] + "\x00"):
        assert Client().get(url, {"t": token}).status_code == 404, token


def test_labels_match_the_msgids_live_js_formats():
    with translation.override("en"):
        words = live_views.labels()
    state = {"assembly": {"status": "in_session"}, "item": None, "speaker": None,
             "queue": [{"request": 1, "participant": 7, "name": "A", "category": "open",
                        "kind": "pro", "first_time": False}],
             "quorum": {"present": 3, "eligible": 9, "required": 5, "met": False},
             "ballots": [{"kind": "election", "title": "Vorstand", "cast": None, "of": 3}]}
    shown = live_views.display(state, words, me=7)
    assert shown["item"] == "No agenda item is under discussion."
    assert shown["queue"][0]["notes"] == "speech for · has spoken before"
    assert shown["my_text"] == "You are number 1 on the list."
    assert shown["quorum"] == "3 of 9 voting members present · quorum of 5 not met"
    assert shown["ballots"] == ["Election: Vorstand – voting is open"]
    assert live_views.countdown(1000, 60, 1000) == "1:00"
    assert live_views.countdown(1000, 60, 62_500) == "+0:01"


def test_members_page_links_to_their_assembly(assembly, kassel_member):
    from django.test import Client

    from mitmachen.assemblies.access import participant_token
    from tests.assemblies.conftest import voter

    rosa = voter(assembly, "Rosa")
    rosa.contact.user = kassel_member
    rosa.contact.save()
    client = Client()
    client.force_login(kassel_member)
    html = client.get("/me/kassel/").content.decode()
    assert f"/a/{participant_token(rosa)}/" in html
    assert participant_token(voter(assembly, "Karl")) not in html


# --- digits that are not ASCII ---------------------------------------------------------------

NOT_ASCII_DIGITS = ["²-x", "²" + "-" + "0" * 32, "٣-" + "0" * 32, "１-" + "0" * 16]


@pytest.mark.parametrize("token", NOT_ASCII_DIGITS)
def test_links_with_digits_int_refuses_are_invalid_not_an_error(session, login, token):
    """"²".isdigit() is True but int("²") fails: every such link is a clear 404, never a 500."""
    assembly, _item = session
    present = set(assembly.participants.filter(present=True).values_list("pk", flat=True))
    client = english(Client(raise_request_exception=False))
    response = client.get(f"/a/{token}/")
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert client.post(f"/a/{token}/speak/", {"action": "regular"}).status_code == 404
    assert client.get(f"/checkin/{token}/").status_code == 404
    board = login("kassel_board")
    board.raise_request_exception = False
    assert board.get(f"/checkin/{token}/").status_code == 404
    assert board.post(f"/checkin/{token}/").status_code == 404
    assert client.get(json_url(assembly, token)).status_code == 404
    assert client.get(events_url(assembly, token)).status_code == 404
    assert SpeakerRequest.objects.count() == 0
    assert set(assembly.participants.filter(present=True).values_list("pk", flat=True)) == (
        present)


@pytest.mark.parametrize("reader", [access.participant_by_token, access.participant_by_viewer_token,
                                    access.participant_by_checkin_code])
@pytest.mark.parametrize("value", [*NOT_ASCII_DIGITS, "", "-", "1", "1-", "x" * 81, None, 12,
                                   "1-\x00"])
def test_readers_refuse_what_is_no_link(db, reader, value):
    with translation.override("en"), pytest.raises(ValidationError, match="not valid"):
        reader(value)


def test_the_chairs_rights_end_with_leaving_and_with_closing(assembly, world):
    from mitmachen.assemblies import access, services
    from mitmachen.core.models import RoleAssignment

    chair = world.users["kassel_events"]
    services.assembly_update(assembly=assembly, actor=None, data={"chair": chair})
    assert access.can_chair(chair, assembly)
    RoleAssignment.objects.filter(user=chair).delete()  # left the organisation's team
    assert not access.can_chair(chair, assembly)
    RoleAssignment.objects.create(user=chair, organisation=world.kassel, role="event_organiser")
    services.status_change(assembly=assembly, status="in_session", actor=None)
    services.status_change(assembly=assembly, status="closed", actor=None)
    assembly.refresh_from_db()
    assert not access.can_chair(chair, assembly)
