"""The assemblies API end to end: calling an assembly, its agenda, voters, invitations, the door,
the speakers' list asked for from the participants' own keys, a vote with its resolution, a
secret election, the minutes; and what it refuses: bad input, another organisation's ids, a key
of another assembly, a secret ballot's choice. Who may call which operation at all is in
tests/api/test_api.py (OPERATIONS)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from mitmachen.assemblies import access, services
from mitmachen.assemblies.models import (
    AgendaItem,
    Assembly,
    Ballot,
    Minutes,
    Motion,
    Participant,
    Resolution,
    SpeakerRequest,
    Vote,
    VoteCast,
)
from mitmachen.core import services as core
from mitmachen.core.models import AuditEntry
from mitmachen.events.services import event_create
from mitmachen.people.models import Contact

from .conftest import MEMBERS, member, voter

pytestmark = pytest.mark.django_db
API = "/api/v1"


def send(client, method, url, headers=None, body=None, **extra):
    kwargs = {**(headers or {}), **extra}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"{API}{url}", **kwargs)


def key(participant) -> dict:
    """The participant's phone: their personal key in the header."""
    return {"HTTP_X_PARTICIPANT_TOKEN": access.participant_token(participant)}


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content
    return response.json() if response.content else {}


def in_session(assembly, *names):
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    from mitmachen.assemblies import attendance

    for name in names:
        attendance.check_in(participant=voter(assembly, name), actor=None)
    assembly.refresh_from_db()
    return assembly


# --- the whole of it, by API ------------------------------------------------------------------

def test_an_assembly_from_calling_to_minutes_by_api(world, client, token_for):
    board = token_for("kassel_board")
    for row in MEMBERS:
        member(world.kassel, *row)
    ok(send(client, "put", f"/organisations/{world.kassel.pk}/assembly-rules", board, {
        "lead_days": 21, "reminder_days": 3, "quorum_kind": "share", "quorum_value": 50,
        "alternate": True, "first_time_first": True, "speaking_seconds": 120}))
    starts = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT19:00")
    event = ok(send(client, "post", "/events", board, {
        "organisation": "kassel", "title": "Kreismitgliederversammlung", "kind": "assembly",
        "starts_at": starts}), 201)
    created = ok(send(client, "post", f"/organisations/{world.kassel.pk}/assemblies", board,
                      {"event_id": event["id"]}), 201)
    pk = created["id"]
    assert created["status"] == "preparing" and created["quorum_value"] == 50
    assert created["speaking_seconds"] == 120 and created["lead_time_warning"] == ""
    listed = ok(send(client, "get", f"/organisations/{world.kassel.pk}/assemblies", board))
    assert [row["id"] for row in listed["items"]] == [pk]

    # The agenda, with a sub-item, numbered.
    first = ok(send(client, "post", f"/assemblies/{pk}/items", board,
                    {"title": "Aussprache", "minutes_estimate": 30}), 201)
    ok(send(client, "post", f"/assemblies/{pk}/items", board,
            {"title": "Bericht", "parent_id": first["id"]}), 201)
    last = ok(send(client, "post", f"/assemblies/{pk}/items", board,
                   {"title": "Wahl", "kind": "election"}), 201)
    ok(send(client, "post", f"/agenda-items/{last['id']}/move", board, {"direction": "up"}))
    agenda = ok(send(client, "get", f"/assemblies/{pk}/items", board))
    assert [(row["number"], row["title"]) for row in agenda] == [
        ("1", "Wahl"), ("2", "Aussprache"), ("2.1", "Bericht")]

    # Voters, invitations with proof.
    assert ok(send(client, "post", f"/assemblies/{pk}/participants/build-voters",
                   board)) == {"added": 6}
    assert ok(send(client, "post", f"/assemblies/{pk}/participants/build-voters",
                   board)) == {"added": 0}
    summary = ok(send(client, "post", f"/assemblies/{pk}/invitations", board, {}))
    assert summary == {"sent_email": 5, "sent_letter": 1, "unreachable": 0,
                       "skipped_already": 0}
    proof = ok(send(client, "get", f"/assemblies/{pk}/invitations", board))
    assert proof["count"] == 6
    assert {row["channel"] for row in proof["items"]} == {"email", "letter"}
    assert all(len(row["content_sha256"]) == 64 for row in proof["items"])
    assert "/a/" not in json.dumps(proof)  # never a personal link
    assert AuditEntry.objects.filter(action="view", via="api",
                                     object_repr__startswith="proof of invitation").exists()

    # In session: the door.
    assert ok(send(client, "post", f"/assemblies/{pk}/status", board,
                   {"status": "in_session"}))["status"] == "in_session"
    assembly = Assembly.objects.get(pk=pk)
    people = {p.name.split()[0]: p for p in assembly.participants.all()}
    door = token_for("kassel_events")
    for name in ["Rosa", "Clara", "Karl"]:
        assert ok(send(client, "post", f"/participants/{people[name].pk}/check-in", door,
                       {}))["present"] is True
    ok(send(client, "post", f"/assemblies/{pk}/check-in-code", door,
            {"code": access.checkin_code(people["Paul"]).upper()}))
    quorum = ok(send(client, "get", f"/assemblies/{pk}/quorum", door))
    assert quorum == {"eligible": 6, "present": 4, "guests_present": 0, "required": 3,
                      "met": True, "missing": 0}
    log = ok(send(client, "get", f"/assemblies/{pk}/attendance", door))
    assert log["count"] == 4 and log["items"][-1]["via_code"] is True

    # The speakers' list: the participants ask from their phones, the rules order them.
    ok(send(client, "post", f"/agenda-items/{first['id']}/call", board))
    karl = ok(send(client, "post", f"/assemblies/{pk}/me/speaker-requests", key(people["Karl"]),
                   {"kind": "regular"}), 201)
    assert karl["place"] == 1 and karl["category"] == "open"
    rosa = ok(send(client, "post", f"/assemblies/{pk}/me/speaker-requests",
                   key(people["Rosa"]), {}), 201)
    queue = ok(send(client, "get", f"/agenda-items/{first['id']}/speakers", board))
    assert [row["name"] for row in queue["queue"]] == [rosa["name"], karl["name"]]
    assert [row["place"] for row in queue["queue"]] == [1, 2]
    called = ok(send(client, "post", f"/agenda-items/{first['id']}/speakers/next", board))
    assert called["speaking"]["id"] == rosa["id"]
    mine = ok(send(client, "get", f"/assemblies/{pk}/me", key(people["Karl"])))
    assert mine["requests"] == [{"id": karl["id"], "kind": "regular", "place": 1}]
    assert mine["item"]["number"] == "2" and mine["participant"]["present"] is True
    live = ok(send(client, "get", f"/assemblies/{pk}/live", key(people["Karl"])))
    assert live["speaker"]["request"] == rosa["id"]
    assert [row["request"] for row in live["queue"]] == [karl["id"]]
    assert live["quorum"]["present"] == 4 and live["version"] >= 1

    # A motion, a secret vote on the phones, the resolution.
    motion = ok(send(client, "post", f"/assemblies/{pk}/motions", board, {
        "title": "Mietendeckel", "text": "Wir fordern ihn.", "submitter_name": "AG Wohnen"}),
        201)
    assert motion["number"] == "A1"
    ok(send(client, "post", f"/motions/{motion['id']}/recommendation", board,
            {"recommendation": "adopt", "text": "Gut."}))
    ok(send(client, "post", f"/motions/{motion['id']}/status", board, {"status": "admitted"}))
    vote = ok(send(client, "post", f"/assemblies/{pk}/votes", board, {
        "motion_id": motion["id"], "method": "secret", "majority": "simple"}), 201)
    ok(send(client, "post", f"/votes/{vote['id']}/open", board))
    for name, choice in [("Rosa", "yes"), ("Clara", "yes"), ("Karl", "no"), ("Paul", "yes")]:
        done = ok(send(client, "post", f"/assemblies/{pk}/me/votes/{vote['id']}",
                       key(people[name]), {"choice": choice}))
        assert choice not in json.dumps(done)  # no echo of the choice
    again = send(client, "post", f"/assemblies/{pk}/me/votes/{vote['id']}", key(people["Karl"]),
                 {"choice": "yes"})
    assert again.status_code == 422
    tally = ok(send(client, "get", f"/votes/{vote['id']}", board))
    assert tally["cast"] == 4 and tally["status"] == "open"
    closed = ok(send(client, "post", f"/votes/{vote['id']}/close", board))
    assert (closed["yes"], closed["no"], closed["abstain"], closed["adopted"]) == (3, 1, 0, True)
    assert closed["resolution"] and closed["explanation"]
    register = ok(send(client, "get", f"/organisations/{world.kassel.pk}/resolutions",
                       token_for("kassel_treasurer")))
    assert [row["number"] for row in register["items"]] == [closed["resolution"]]
    assert ok(send(client, "get", f"/motions/{motion['id']}", board))["status"] == "adopted"

    # A secret board election with a reserved place.
    election = ok(send(client, "post", f"/assemblies/{pk}/elections", board, {
        "title": "Vorstand", "seats": 2, "reserved": "odd", "method": "secret"}), 201)
    ids = {name: ok(send(client, "post", f"/elections/{election['id']}/candidates", board,
                         {"participant_id": people[name].pk}), 201)["id"]
           for name in ["Rosa", "Karl", "Paul"]}
    ok(send(client, "post", f"/elections/{election['id']}/open", board))
    ballots = {"Rosa": ["Rosa", "Karl"], "Clara": ["Karl", "Paul"], "Karl": ["Karl", "Paul"],
               "Paul": []}
    for name, chosen in ballots.items():
        ok(send(client, "post", f"/assemblies/{pk}/me/elections/{election['id']}/ballot",
                key(people[name]), {"candidate_ids": [ids[c] for c in chosen],
                                    "abstain": not chosen}))
    counted = ok(send(client, "post", f"/elections/{election['id']}/count", board))
    assert counted["status"] == "counted" and counted["ballots_cast"] == 4
    result = ok(send(client, "get", f"/elections/{election['id']}/result", board))
    places = {place["number"]: place["candidate"]["name"] if place["candidate"] else None
              for place in result["places"]}
    # Place 1 is reserved for women/FLINTA*: Rosa, though Paul had more votes.
    assert places == {1: people["Rosa"].name, 2: people["Karl"].name}
    assert result["tally"]["ok"] is True and result["quota_met"] is True

    # Minutes, closing.
    ok(send(client, "post", f"/assemblies/{pk}/status", board, {"status": "closed"}))
    draft = ok(send(client, "post", f"/assemblies/{pk}/minutes", board, {}), 201)
    assert "Mietendeckel" in draft["text"]
    edited = ok(send(client, "put", f"/assemblies/{pk}/minutes", board,
                     {"text": draft["text"] + "\nErgänzt."}))
    assert edited["text"].endswith("Ergänzt.")
    assert ok(send(client, "post", f"/assemblies/{pk}/minutes/approve", board))["approved_at"]
    refused = send(client, "put", f"/assemblies/{pk}/minutes", board, {"text": "Neu"})
    assert refused.status_code == 422
    assert Minutes.objects.get(assembly_id=pk).text.endswith("Ergänzt.")


# --- the participant's key ----------------------------------------------------------------------

@pytest.fixture
def session(assembly):
    return in_session(assembly, "Rosa", "Karl")


def test_a_key_of_another_assembly_is_refused_and_changes_nothing(world, client, session,
                                                                  make_assembly):
    other = make_assembly(organisation=world.duesseldorf, title="Kreisparteitag",
                          members=[("Ida", "Rhein", "flinta", "ida@example.org", "")])
    stranger = other.participants.get()
    services.item_call(assembly=session, item=services.item_create(
        assembly=session, title="Aussprache", actor=None), actor=None)
    vote = Vote.objects.create(assembly=session, question="Pause?", method="secret",
                               status=Vote.Status.OPEN)
    audit = AuditEntry.objects.count()
    for method, url, body in [
            ("get", f"/assemblies/{session.pk}/me", None),
            ("get", f"/assemblies/{session.pk}/live", None),
            ("post", f"/assemblies/{session.pk}/me/speaker-requests", {}),
            ("post", f"/assemblies/{session.pk}/me/votes/{vote.pk}", {"choice": "yes"}),
            ("post", f"/assemblies/{session.pk}/me/motions", {"title": "X", "text": "Y"})]:
        response = send(client, method, url, key(stranger), body)
        assert response.status_code == 404, (url, response.content)
    # A vote of another assembly, addressed through one's own: 404 as well.
    own = voter(session, "Rosa")
    foreign_vote = Vote.objects.create(assembly=other, question="Pause?", method="secret",
                                       status=Vote.Status.OPEN)
    assert send(client, "post", f"/assemblies/{session.pk}/me/votes/{foreign_vote.pk}",
                key(own), {"choice": "yes"}).status_code == 404
    assert AuditEntry.objects.count() == audit
    assert not SpeakerRequest.objects.exists() and not VoteCast.objects.exists()
    assert not Motion.objects.exists()


@pytest.mark.parametrize("header", ["", "12-abc", "x" * 200, "0-" + "0" * 32])
def test_a_wrong_key_is_unauthenticated(world, client, session, header):
    response = send(client, "get", f"/assemblies/{session.pk}/me",
                    HTTP_X_PARTICIPANT_TOKEN=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_renewed_nonce_ends_the_old_key(world, client, session):
    rosa = voter(session, "Rosa")
    old = key(rosa)
    Participant.objects.filter(pk=rosa.pk).update(nonce="renewed")
    assert send(client, "get", f"/assemblies/{session.pk}/me", old).status_code == 401


def test_a_members_own_account_acts_as_their_participant(world, client, session,
                                                         kassel_member, token_for):
    rosa = voter(session, "Rosa")
    Contact.objects.filter(pk=rosa.contact_id).update(user=kassel_member)
    _t, plaintext = core.token_create(user=kassel_member, organisation=world.kassel,
                                      name="phone")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    mine = ok(send(client, "get", f"/assemblies/{session.pk}/me", headers))
    assert mine["participant"]["id"] == rosa.pk
    # Their account is not staff: the chair's operations stay closed.
    item = services.item_create(assembly=session, title="Aussprache", actor=None)
    assert send(client, "post", f"/agenda-items/{item.pk}/speakers/next",
                headers).status_code == 404
    # A staff token of someone without a participation gets no "me".
    assert send(client, "get", f"/assemblies/{session.pk}/me",
                token_for("kassel_board")).status_code == 404


def test_the_named_chair_runs_the_session_but_does_not_prepare(world, client, session,
                                                               kassel_member):
    Contact.objects.filter(pk=voter(session, "Rosa").contact_id).update(user=kassel_member)
    services.assembly_update(assembly=session, data={"chair": kassel_member}, actor=None)
    _t, plaintext = core.token_create(user=kassel_member, organisation=world.kassel,
                                      name="chair")
    chair = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    item = services.item_create(assembly=session, title="Aussprache", actor=None)
    ok(send(client, "post", f"/agenda-items/{item.pk}/call", chair))
    ok(send(client, "post", f"/agenda-items/{item.pk}/speakers", chair,
            {"participant_id": voter(session, "Karl").pk}), 201)
    assert ok(send(client, "post", f"/agenda-items/{item.pk}/speakers/next",
                   chair))["speaking"]["name"] == voter(session, "Karl").name
    assert ok(send(client, "get", f"/assemblies/{session.pk}/live", chair))["speaker"]
    # Preparing stays the board's: the chair holds no role in Kassel, so 404, and no change.
    for method, url, body in [("patch", f"/assemblies/{session.pk}", {"invitation_text": "x"}),
                              ("post", f"/assemblies/{session.pk}/items", {"title": "Neu"}),
                              ("post", f"/assemblies/{session.pk}/participants/build-voters",
                               None)]:
        assert send(client, method, url, chair, body).status_code == 404
    assert session.items.count() == 1


def test_speaking_requests_are_rate_limited(world, client, session, monkeypatch):
    from mitmachen.assemblies import api_participant

    monkeypatch.setattr(api_participant, "SPEAK_LIMIT", 1)
    item = services.item_create(assembly=session, title="Aussprache", actor=None)
    services.item_call(assembly=session, item=item, actor=None)
    karl = key(voter(session, "Karl"))
    ok(send(client, "post", f"/assemblies/{session.pk}/me/speaker-requests", karl,
            {"kind": "pro"}), 201)
    refused = send(client, "post", f"/assemblies/{session.pk}/me/speaker-requests", karl,
                   {"kind": "contra"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422
    assert "Too many requests" in json.dumps(refused.json())
    assert SpeakerRequest.objects.count() == 1


# --- secrecy ---------------------------------------------------------------------------------

def test_no_answer_links_a_secret_ballot_to_its_voter(world, client, session, token_for):
    board = token_for("kassel_board")
    vote = Vote.objects.create(assembly=session, question="Satzung?", method="secret",
                               subject="other")
    ok(send(client, "post", f"/votes/{vote.pk}/open", board))
    rosa, karl = voter(session, "Rosa"), voter(session, "Karl")
    ok(send(client, "post", f"/assemblies/{session.pk}/me/votes/{vote.pk}", key(rosa),
            {"choice": "abstain"}))
    ok(send(client, "post", f"/assemblies/{session.pk}/me/votes/{vote.pk}", key(karl),
            {"choice": "no"}))
    seen = [send(client, "get", f"/assemblies/{session.pk}/me", key(rosa)),
            send(client, "get", f"/votes/{vote.pk}", board),
            send(client, "get", f"/assemblies/{session.pk}/votes", board),
            send(client, "get", f"/assemblies/{session.pk}/live", board),
            send(client, "get", f"/assemblies/{session.pk}/participants", board)]
    ballot_keys = [str(pk) for pk in Ballot.objects.values_list("pk", flat=True)]
    for response in seen:
        text = response.content.decode()
        assert response.status_code == 200
        assert "choice" not in text and not any(pk in text for pk in ballot_keys)
    me, detail = seen[0].json(), seen[1].json()
    assert me["votes"] == [{"id": vote.pk, "question": "Satzung?", "method": "secret",
                            "voted": True, "refusal": ""}]
    # While it is open, only how many have voted; the counts come with the close.
    assert (detail["cast"], detail["yes"], detail["no"], detail["abstain"]) == (2, 0, 0, 0)
    assert VoteCast.objects.filter(vote=vote, choice="").count() == 2


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    {},
    {"title": ""},
    {"title": "x" * 201},
    {"title": "a\x00b"},
    {"title": 42},
    {"title": ["Liste"]},
    {"title": "Ok", "kind": "party"},
    {"title": "Ok", "minutes_estimate": "zehn"},
    {"title": "Ok", "minutes_estimate": 601},
    {"title": "Ok", "parent_id": 2**70},
    {"title": "Ok", "description": "x" * 10001},
])
def test_bad_item_input_changes_nothing(world, client, assembly, token_for, body):
    response = send(client, "post", f"/assemblies/{assembly.pk}/items",
                    token_for("kassel_board"), body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["fields"]
    assert not AgendaItem.objects.exists()


def test_another_assemblys_ids_in_a_body_are_refused(world, client, assembly, make_assembly,
                                                     token_for):
    board = token_for("kassel_board")
    other = make_assembly(title="Sommerfest", members=[])
    foreign = services.item_create(assembly=other, title="Fremd", actor=None)
    stranger_event = event_create(organisation=world.duesseldorf, title="Parteitag",
                                  kind="assembly", actor=None,
                                  starts_at=timezone.now() + timedelta(days=40))
    duesseldorf_voter = make_assembly(organisation=world.duesseldorf, title="Parteitag 2",
                                      members=[("Ida", "Rhein", "", "i@example.org", "")]
                                      ).participants.get()
    for url, body, field in [
            (f"/assemblies/{assembly.pk}/items", {"title": "Sub", "parent_id": foreign.pk},
             "parent_id"),
            (f"/organisations/{world.kassel.pk}/assemblies", {"event_id": stranger_event.pk},
             "event_id"),
            (f"/organisations/{world.kassel.pk}/assemblies",
             {"event_id": assembly.event_id, "chair_id": world.users["duesseldorf_board"].pk},
             "chair_id"),
            (f"/assemblies/{assembly.pk}/guests",
             {"name": "Ida", "contact_id": duesseldorf_voter.contact_id}, "contact_id"),
            (f"/assemblies/{assembly.pk}/motions",
             {"title": "X", "text": "Y", "amends_id": 10**9}, "amends_id")]:
        response = send(client, "post", url, board, body, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 422, (url, response.content)
        assert field in response.json()["error"]["fields"], response.content
    assert AgendaItem.objects.filter(assembly=assembly).count() == 0
    assert Assembly.objects.filter(event=stranger_event).count() == 0
    assert not assembly.participants.filter(kind="guest").exists()
    assert not Motion.objects.exists()


def test_patch_with_null_or_bad_values_changes_nothing(world, client, assembly, token_for):
    board = token_for("kassel_board")
    item = services.item_create(assembly=assembly, title="Aussprache", actor=None)
    for body in [{"title": None}, {"kind": None}, {"title": "a\x00"}, {"parent_id": item.pk},
                 {"minutes_estimate": -1}]:
        response = send(client, "patch", f"/agenda-items/{item.pk}", board, body)
        assert response.status_code == 422, (body, response.content)
    for body in [{"reference_date": None}, {"lead_days": None}, {"quorum_kind": "most"},
                 {"reference_date": "1066-10-14"}, {"invitation_text": "x" * 20001},
                 {"quorum_kind": "share", "quorum_value": 101}]:
        response = send(client, "patch", f"/assemblies/{assembly.pk}", board, body)
        assert response.status_code == 422, (body, response.content)
    item.refresh_from_db()
    assembly.refresh_from_db()
    assert item.title == "Aussprache" and item.parent_id is None
    assert assembly.quorum_kind == "share" and assembly.quorum_value == 10


@pytest.mark.parametrize("body", [
    {"choice": "vielleicht"}, {"choice": ""}, {"choice": None}, {}, {"choice": ["yes"]},
    {"choice": "yes\x00"},
])
def test_bad_votes_are_refused_and_not_counted(world, client, session, body):
    vote = Vote.objects.create(assembly=session, question="Pause?", method="electronic",
                               subject="other", status=Vote.Status.OPEN)
    response = send(client, "post", f"/assemblies/{session.pk}/me/votes/{vote.pk}",
                    key(voter(session, "Rosa")), body)
    assert response.status_code == 422
    assert not VoteCast.objects.exists()


@pytest.mark.parametrize("body", [
    {"candidate_ids": ["eins"]}, {"candidate_ids": [1, 1]}, {"candidate_ids": 5},
    {"candidate_ids": [10**9]}, {"abstain": "ja"}, {"candidate_ids": [True]},
])
def test_bad_ballots_are_refused_and_not_counted(world, client, session, body):
    from mitmachen.assemblies import elections

    election = elections.election_create(
        assembly=session, title="Vorstand", kind="board", seats=1, reserved="none",
        min_share=0, fallback="vacant", method="secret", actor=None)
    elections.candidate_add(election=election, participant=voter(session, "Karl"), actor=None)
    elections.election_open(election=election, actor=None)
    response = send(client, "post",
                    f"/assemblies/{session.pk}/me/elections/{election.pk}/ballot",
                    key(voter(session, "Rosa")), body)
    assert response.status_code == 422, response.content
    assert not Ballot.objects.exists() and not VoteCast.objects.exists()


def test_a_guest_cannot_vote_and_the_absent_cannot_ask_to_speak(world, client, session,
                                                                token_for):
    board = token_for("kassel_board")
    guest = ok(send(client, "post", f"/assemblies/{session.pk}/guests", board,
                    {"name": "Presse", "quota_category": "open"}), 201)
    guest = Participant.objects.get(pk=guest["id"])
    ok(send(client, "post", f"/participants/{guest.pk}/check-in", token_for("kassel_events"),
            {}))
    vote = Vote.objects.create(assembly=session, question="Pause?", method="electronic",
                               subject="other", status=Vote.Status.OPEN)
    refused = send(client, "post", f"/assemblies/{session.pk}/me/votes/{vote.pk}", key(guest),
                   {"choice": "yes"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422 and "Guests do not vote" in refused.content.decode()
    item = services.item_create(assembly=session, title="Aussprache", actor=None)
    services.item_call(assembly=session, item=item, actor=None)
    absent = send(client, "post", f"/assemblies/{session.pk}/me/speaker-requests",
                  key(voter(session, "Emma")), {}, HTTP_ACCEPT_LANGUAGE="en")
    assert absent.status_code == 422 and "checked in" in absent.content.decode()
    assert not VoteCast.objects.exists() and not SpeakerRequest.objects.exists()


# --- another organisation ---------------------------------------------------------------------

def test_duesseldorfs_token_gets_404_for_kassels_assembly_and_changes_nothing(
        world, client, session, token_for):
    headers = token_for("duesseldorf_board")
    item = services.item_create(assembly=session, title="Aussprache", actor=None)
    rosa = voter(session, "Rosa")
    audit = AuditEntry.objects.count()
    calls = [
        ("get", f"/assemblies/{session.pk}", None),
        ("patch", f"/assemblies/{session.pk}", {"invitation_text": "Übernommen"}),
        ("post", f"/assemblies/{session.pk}/status", {"status": "closed"}),
        ("get", f"/assemblies/{session.pk}/participants", None),
        ("get", f"/assemblies/{session.pk}/live", None),
        ("post", f"/participants/{rosa.pk}/check-out", {}),
        ("delete", f"/agenda-items/{item.pk}", None),
        ("post", f"/agenda-items/{item.pk}/call", None),
        ("post", f"/assemblies/{session.pk}/invitations", {"confirm_late": True}),
        ("get", f"/organisations/{world.kassel.pk}/assembly-rules", None),
        ("get", f"/organisations/{world.kassel.pk}/resolutions", None),
    ]
    for method, url, body in calls:
        response = send(client, method, url, headers, body)
        assert response.status_code == 404, (url, response.content)
        assert response.json()["error"]["code"] == "not_found"
    assert AuditEntry.objects.count() == audit
    session.refresh_from_db()
    rosa.refresh_from_db()
    assert session.status == "in_session" and session.invitation_text == ""
    assert rosa.present and AgendaItem.objects.filter(pk=item.pk).exists()


def test_a_token_for_kassel_nord_does_not_reach_kassel(world, client, assembly, token_for):
    below = token_for("hessen_board", world.ortsverband)
    assert send(client, "get", f"/assemblies/{assembly.pk}", below).status_code == 404
    above = token_for("hessen_board", world.hessen)
    assert send(client, "get", f"/assemblies/{assembly.pk}", above).status_code == 200


def test_reading_the_participants_is_logged(world, client, assembly, token_for):
    page = ok(send(client, "get", f"/assemblies/{assembly.pk}/participants?kind=voter&q=Ro",
                   token_for("kassel_events")))
    assert [row["name"] for row in page["items"]] == ["Rosa Roth"]
    entry = AuditEntry.objects.filter(action="view").latest("pk")
    assert entry.via == "api" and entry.organisation == world.kassel
    assert entry.actor == world.users["kassel_events"]


def test_the_live_state_is_the_cached_document(world, client, session, token_for):
    from mitmachen.assemblies import livestate

    body = ok(send(client, "get", f"/assemblies/{session.pk}/live", token_for("kassel_events")))
    version, payload = livestate.cached(session.pk)
    assert body == json.loads(payload) and body["version"] == version
    assert body["quorum"] == {"present": 2, "eligible": 6, "required": 1, "met": True}


def test_the_result_of_an_uncounted_election_is_empty(world, client, session, token_for):
    from mitmachen.assemblies import elections

    election = elections.election_create(
        assembly=session, title="Vorstand", kind="board", seats=1, reserved="none",
        min_share=0, fallback="vacant", method="paper", actor=None)
    result = ok(send(client, "get", f"/elections/{election.pk}/result",
                     token_for("kassel_board")))
    assert result["counted"] is False and result["places"] == [] and result["notes"] == []


def test_resolutions_filter_by_year_and_text(world, client, session, token_for):
    vote = Vote.objects.create(assembly=session, question="Pause?", method="cards",
                               subject="other", status=Vote.Status.CLOSED, yes=3,
                               adopted=True)
    for number, title, year in [("2025/01", "Mieten", 2025), ("2026/01", "Busse", 2026)]:
        Resolution.objects.create(organisation=world.kassel, assembly=session, number=number,
                                  title=title, text="…", result="adopted",
                                  decided_on=f"{year}-05-01",
                                  vote=vote if year == 2026 else None)
    headers = token_for("kassel_board")
    url = f"/organisations/{world.kassel.pk}/resolutions"
    assert [r["number"] for r in ok(send(client, "get", f"{url}?year=2025",
                                         headers))["items"]] == ["2025/01"]
    assert [r["title"] for r in ok(send(client, "get", f"{url}?q=bus",
                                        headers))["items"]] == ["Busse"]
    assert send(client, "get", f"{url}?year=99999", headers).status_code == 422


def test_a_late_assembly_is_flagged_and_needs_confirmation_to_invite(world, client,
                                                                     make_assembly, token_for):
    board = token_for("kassel_board")
    late = make_assembly(days=10)
    services.item_create(assembly=late, title="Aussprache", actor=None)
    shown = ok(send(client, "get", f"/assemblies/{late.pk}", board, HTTP_ACCEPT_LANGUAGE="en"))
    assert "the statutes require 21 days" in shown["lead_time_warning"]
    refused = send(client, "post", f"/assemblies/{late.pk}/invitations", board, {},
                   HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422
    assert "confirm_late" in refused.json()["error"]["fields"]
    assert not late.participants.filter(invitations__isnull=False).exists()
    sent = ok(send(client, "post", f"/assemblies/{late.pk}/invitations", board,
                   {"confirm_late": True}))
    assert sent["sent_email"] + sent["sent_letter"] == 6


@pytest.mark.parametrize("url, body", [
    ("/votes/{vote}/counts", {"yes": True, "no": 0, "abstain": 0}),
    ("/votes/{vote}/counts", {"yes": "3", "no": 0, "abstain": 0}),
    ("/votes/{vote}/counts", {"yes": -1, "no": 0, "abstain": 0}),
    ("/votes/{vote}/counts", {"yes": 2.5, "no": 0, "abstain": 0}),
    ("/votes/{vote}/counts", {"yes": 7, "no": 0, "abstain": 0}),  # more than were present
    ("/assemblies/{assembly}/elections", {"title": "Vorstand", "seats": "3"}),
    ("/assemblies/{assembly}/elections", {"title": "Vorstand", "seats": 0}),
    ("/assemblies/{assembly}/elections", {"title": "Vorstand", "seats": 2,
                                          "votes_per_ballot": 3}),
    ("/assemblies/{assembly}/elections", {"title": "Vorstand", "seats": 2,
                                          "reserved": "every"}),
    ("/assemblies/{assembly}/votes", {"question": "Pause?", "method": "hands"}),
    ("/assemblies/{assembly}/votes", {"method": "secret", "motion_id": 10**9}),
    ("/assemblies/{assembly}/invitations", {"confirm_late": "yes"}),
    ("/agenda-items/{item}/speakers", {"participant_id": "1"}),
    ("/agenda-items/{item}/speakers/extend", {"seconds": 0}),
    ("/speaker-requests/{request}/pin", {"reason": ""}),
    ("/speaker-requests/{request}/pin", {"reason": "x" * 501}),
    ("/speaker-requests/{request}/remove", {"reason": "a\x00b"}),
])
def test_bad_session_input_changes_nothing(world, client, session, token_for, url, body):
    from mitmachen.assemblies import speakers, votes

    item = services.item_create(assembly=session, title="Aussprache", actor=None)
    services.item_call(assembly=session, item=item, actor=None)
    waiting = speakers.speaker_request(item=item, participant=voter(session, "Rosa"))
    vote = votes.vote_open(vote=votes.vote_create(assembly=session, question="Pause?",
                                                  method="cards", actor=None), actor=None)
    board = token_for("kassel_board")
    before = (AuditEntry.objects.count(), session.elections.count(), session.votes.count())
    response = send(client, "post", url.format(vote=vote.pk, assembly=session.pk, item=item.pk,
                                               request=waiting.pk), board, body)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "invalid"
    assert (AuditEntry.objects.count(), session.elections.count(),
            session.votes.count()) == before
    vote.refresh_from_db()
    waiting.refresh_from_db()
    assert (vote.yes, vote.no, vote.abstain) == (0, 0, 0)
    assert waiting.pinned is None and waiting.status == "waiting"


# --- the chair's withdrawal is a removal: reason required, logged ----------------------------

def test_the_chair_takes_a_request_off_the_list_only_with_a_reason(world, client, session,
                                                                   token_for):
    from mitmachen.assemblies.models import ChairAction

    board = token_for("kassel_board")
    item = services.item_create(assembly=session, title="Aussprache", actor=None)
    services.item_call(assembly=session, item=item, actor=None)
    waiting = ok(send(client, "post", f"/assemblies/{session.pk}/me/speaker-requests",
                      key(voter(session, "Karl")), {"kind": "regular"}), 201)
    url = f"/speaker-requests/{waiting['id']}/withdraw"
    audit = AuditEntry.objects.count()
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        refused = send(client, "post", url, board, body, HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 422, refused.content
    assert SpeakerRequest.objects.get(pk=waiting["id"]).status == "waiting"
    assert not ChairAction.objects.exists() and AuditEntry.objects.count() == audit
    done = ok(send(client, "post", url, board, {"reason": "Hat sich erledigt"}))
    assert done["status"] == "withdrawn"
    action = ChairAction.objects.get()
    assert (action.action, action.reason, action.request_id, action.actor) == (
        "remove", "Hat sich erledigt", waiting["id"], world.users["kassel_board"])


def test_the_participant_withdraws_their_own_request_without_a_reason(world, client,
                                                                      session):
    from mitmachen.assemblies.models import ChairAction

    item = services.item_create(assembly=session, title="Aussprache", actor=None)
    services.item_call(assembly=session, item=item, actor=None)
    karl = key(voter(session, "Karl"))
    waiting = ok(send(client, "post", f"/assemblies/{session.pk}/me/speaker-requests", karl,
                      {"kind": "regular"}), 201)
    done = ok(send(client, "post", f"/assemblies/{session.pk}/me/speaker-requests/"
                   f"{waiting['id']}/withdraw", karl))
    assert done["status"] == "withdrawn" and not ChairAction.objects.exists()


# --- a participant's motion actions: throttled, capped -----------------------------------------

def test_motion_actions_are_rate_limited_with_the_phone_page(world, client, session,
                                                             monkeypatch):
    from mitmachen.assemblies import motions

    monkeypatch.setattr(motions, "PARTICIPANT_ACTIONS", 3)
    motion = motions.motion_submit(assembly=session, title="Mietendeckel", text="Text",
                                   submitter=None, submitter_name="Vorstand", actor=None)
    rosa = voter(session, "Rosa")
    url = f"/assemblies/{session.pk}/me/motions/{motion.pk}/support"
    ok(send(client, "post", url, key(rosa)))
    ok(send(client, "delete", url, key(rosa)))
    # The phone page counts under the same key.
    phone = client.post(f"/a/{access.participant_token(rosa)}/motions/",
                        {"action": "support", "motion": motion.pk})
    assert phone.status_code == 302
    audit = AuditEntry.objects.count()
    for method, path, body in [
            ("delete", url, None),
            ("post", f"/assemblies/{session.pk}/me/motions/{motion.pk}/withdraw", None),
            ("post", f"/assemblies/{session.pk}/me/motions",
             {"title": "Flut", "text": "x" * 50000})]:
        refused = send(client, method, path, key(rosa), body, HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 422, refused.content
        assert "Too many requests" in json.dumps(refused.json())
    assert list(motion.supporters.values_list("contact", flat=True)) == [rosa.contact_id]
    assert Motion.objects.count() == 1 and AuditEntry.objects.count() == audit
    # Karl's phone is counted apart.
    ok(send(client, "post", url, key(voter(session, "Karl"))))


def test_a_member_submits_at_most_ten_motions_by_api(world, client, session):
    from mitmachen.assemblies import motions

    karl = key(voter(session, "Karl"))
    url = f"/assemblies/{session.pk}/me/motions"
    for n in range(motions.MAX_PER_MEMBER):
        ok(send(client, "post", url, karl, {"title": f"Antrag {n}", "text": "Text"}), 201)
    refused = send(client, "post", url, karl, {"title": "Einer zu viel", "text": "Text"},
                   HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422
    assert "the most one member can submit" in json.dumps(refused.json())
    assert Motion.objects.count() == motions.MAX_PER_MEMBER


# --- a motion under vote does not change ---------------------------------------------------------

def test_a_motion_under_vote_is_frozen_by_api(world, client, session, token_for):
    from mitmachen.assemblies import motions

    board = token_for("kassel_board")
    rosa = voter(session, "Rosa")
    motion = ok(send(client, "post", f"/assemblies/{session.pk}/motions", board,
                     {"title": "Mietendeckel", "text": "Text",
                      "submitter_id": rosa.contact_id}), 201)
    ok(send(client, "post", f"/motions/{motion['id']}/status", board, {"status": "admitted"}))
    vote = ok(send(client, "post", f"/assemblies/{session.pk}/votes", board,
                   {"method": "secret", "motion_id": motion["id"]}), 201)
    ok(send(client, "post", f"/votes/{vote['id']}/open", board))
    audit = AuditEntry.objects.count()
    for method, url, headers, body in [
            ("patch", f"/motions/{motion['id']}", board, {"text": "Anders"}),
            ("post", f"/motions/{motion['id']}/withdraw", board, None),
            ("post", f"/motions/{motion['id']}/status", board, {"status": "referred"}),
            ("post", f"/motions/{motion['id']}/recommendation", board,
             {"recommendation": "reject"}),
            ("post", f"/assemblies/{session.pk}/me/motions/{motion['id']}/withdraw", key(rosa),
             None),
            ("post", f"/assemblies/{session.pk}/me/motions", key(voter(session, "Karl")),
             {"title": "Änderung", "text": "Text", "amends_id": motion["id"]})]:
        refused = send(client, method, url, headers, body, HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 422, (url, refused.content)
        assert "being voted on" in json.dumps(refused.json())
    assert AuditEntry.objects.count() == audit
    ok(send(client, "post", f"/assemblies/{session.pk}/me/votes/{vote['id']}", key(rosa),
            {"choice": "yes"}))
    closed = ok(send(client, "post", f"/votes/{vote['id']}/close", board))
    assert closed["adopted"] is True and closed["resolution"]
    assert Motion.objects.get(pk=motion["id"]).status == motions.S.ADOPTED


@pytest.mark.parametrize("tail", ["²/support", "١/withdraw", "1²/support"])
def test_non_ascii_digits_in_a_path_are_not_found(world, client, session, tail):
    response = send(client, "post", f"/assemblies/{session.pk}/me/motions/{tail}",
                    key(voter(session, "Rosa")))
    assert response.status_code in (404, 422)
