"""The mentoring API: public programmes and applying, the applicant's and mentor's own actions
with the personal token, and the coordinator's work; who may do what, bad input, and what
never leaves: private notes, meeting summaries, a partner's contact before both accepted."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from mitmachen.core.models import AuditEntry
from mitmachen.core.roles import Role
from mitmachen.mentoring import access, services
from mitmachen.mentoring.models import (
    Application,
    Feedback,
    Goal,
    MatchRun,
    Meeting,
    Pairing,
    PairRule,
    PrivateNote,
    Programme,
)
from mitmachen.organisations.models import Organisation

from .conftest import mentee_data, mentor_data, programme_data

pytestmark = pytest.mark.django_db

A = Application.Status
P = Pairing.Status
BASE = "/api/v1/mentoring"
NOTE = "Bea wirkt müde, ich spreche das nächstes Mal an."
SUMMARY = "Wir haben die Ratssitzung vom Dienstag vorbereitet."


def call(client, method, url, body=None, *, token=None, headers=None, english=True):
    """A request; `token` is a personal token (X-Mentoring-Token)."""
    kwargs = dict(headers or {})
    if token is not None:
        kwargs["HTTP_X_MENTORING_TOKEN"] = token
    if english:
        kwargs["HTTP_ACCEPT_LANGUAGE"] = "en"
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **kwargs)


def fields_of(response) -> dict:
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"]
    return error["fields"]


def body_for(role, name=None, **overrides) -> dict:
    data = (mentee_data if role == "mentee" else mentor_data)(name, **overrides)
    return {"role": role, "consent": True, **data}


def manage(programme, part=""):
    return f"{BASE}/{programme.organisation.slug}/manage/programmes/{programme.pk}{part}"


@pytest.fixture
def staff(token_for):
    return token_for("duesseldorf_mentoring")


@pytest.fixture
def member_token(world, token_for):
    """member_token(organisation) → headers with a token of the member's own account, which has
    no staff role, only contacts in Düsseldorf and Kassel."""
    from mitmachen.people import services as people

    user = world.users["duesseldorf_member"]
    for organisation in (world.duesseldorf, world.kassel):
        contact = people.contact_create(organisation=organisation, actor=None, data={
            "first_name": "Mira", "email": user.email}, status="member")
        contact.user = user
        contact.save()
    return lambda organisation=world.duesseldorf: token_for("duesseldorf_member", organisation)


@pytest.fixture
def pair(programme, apply, coordinator):
    """Ada (mentee) and Bea (mentor) in an active pair; their personal tokens."""
    ada = apply(programme, "mentee", "Ada Muster")
    bea = apply(programme, "mentor", "Bea Beispiel")
    run = services.matching_run(programme=programme, actor=coordinator)
    (pairing,) = services.matching_send(run=run, actor=coordinator)
    services.proposal_answer(pairing=pairing, side="mentee", accept=True)
    services.proposal_answer(pairing=pairing, side="mentor", accept=True)
    return pairing, access.personal_token(ada), access.personal_token(bea)


# --- public ----------------------------------------------------------------------------------

def test_only_open_programmes_are_listed_and_drafts_stay_hidden(client, make_programme):
    open_ = make_programme(title="Offen")
    draft = make_programme(status=Programme.Status.DRAFT, title="Entwurf")
    running = make_programme(status=Programme.Status.RUNNING, title="Läuft")
    listed = call(client, "get", f"{BASE}/duesseldorf/programmes").json()
    assert [p["slug"] for p in listed["items"]] == [open_.slug]
    assert listed["items"][0]["apply"] == [{"role": "mentee", "open": True, "problem": ""},
                                           {"role": "mentor", "open": True, "problem": ""}]
    detail = call(client, "get", f"{BASE}/duesseldorf/programmes/{running.slug}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["apply"][0] == {"role": "mentee", "open": False,
                                "problem": "This programme takes no applications at the "
                                           "moment."}
    keys = {item["key"] for item in body["vocabulary"]["fields"]}
    assert {"housing", "equality"} <= keys and "id" not in body and "coordinator" not in body
    assert call(client, "get", f"{BASE}/duesseldorf/programmes/{draft.slug}").status_code == 404
    assert call(client, "get", f"{BASE}/kassel/programmes/{open_.slug}").status_code == 404
    assert call(client, "get", f"{BASE}/nowhere/programmes").status_code == 404


def test_a_hidden_organisation_shows_no_programmes(client, world, programme):
    Organisation.objects.filter(pk=world.duesseldorf.pk).update(is_public=False)
    assert call(client, "get", f"{BASE}/duesseldorf/programmes").status_code == 404
    assert call(client, "get",
                f"{BASE}/duesseldorf/programmes/{programme.slug}").status_code == 404


def test_applying_returns_the_token_once_and_it_opens_the_own_page(client, programme):
    response = call(client, "post", f"{BASE}/duesseldorf/programmes/{programme.slug}/"
                    "applications", body_for("mentee", "Ada Muster"))
    assert response.status_code == 201, response.content
    body = response.json()
    application = Application.objects.get()
    assert body["token"] == access.personal_token(application)
    assert body["application"]["status"] == "applied" and body["application"]["role"] == \
        "mentee"
    assert application.user is None and application.consent_at is not None
    me = call(client, "get", f"{BASE}/me", token=body["token"]).json()
    assert me["application"]["name"] == "Ada Muster" and me["programme"]["slug"] == \
        programme.slug
    assert me["proposals"] == [] and me["pairs"] == []
    assert "token" not in json.dumps(me) and application.nonce not in json.dumps(me)


def test_applying_with_an_own_token_links_the_account(client, world, programme, member_token):
    user = world.users["duesseldorf_member"]
    body = body_for("mentor", "Mira Mentorin")
    del body["name"], body["email"]  # taken from the account
    response = call(client, "post", f"{BASE}/duesseldorf/programmes/{programme.slug}/"
                    "applications", body,
                    headers=member_token())
    assert response.status_code == 201, response.content
    application = Application.objects.get()
    assert application.user == user and application.email == user.email
    # A token bounded to another organisation reaches nothing here.
    other = call(client, "post", f"{BASE}/duesseldorf/programmes/{programme.slug}/"
                 "applications", body_for("mentee"),
                 headers=member_token(world.kassel))
    assert other.status_code == 404
    assert Application.objects.count() == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"consent": False}, "consent"),
    ({"consent": "yes"}, "consent"),
    ({"audience_confirmed": False}, "audience_confirmed"),
    ({"languages": []}, "languages"),
    ({"fields": ["castles"]}, "fields.0"),
    ({"fields": "housing"}, "fields"),
    ({"hours_per_month": "4"}, "hours_per_month"),
    ({"hours_per_month": 81}, "hours_per_month"),
    ({"hours_per_month": None}, "hours_per_month"),
    ({"name": ""}, "name"),
    ({"name": "a\x00b"}, "name"),
    ({"email": "nope"}, "email"),
    ({"requires": ["mentor_rich"]}, "requires.0"),
    ({"offers": ["step_free"]}, "offers"),
    ({"role": "boss"}, "role"),
    ({"field": ["housing"]}, "field"),
])
def test_bad_applications_get_clear_errors_and_change_nothing(client, programme, change,
                                                               field):
    body = {**body_for("mentee"), **change}
    response = call(client, "post", f"{BASE}/duesseldorf/programmes/{programme.slug}/"
                    "applications", body)
    fields = fields_of(response)
    assert field in fields and all(fields[field]), fields
    assert not Application.objects.exists()
    assert not AuditEntry.objects.filter(object_type="mentoring.application").exists()


def test_applying_outside_the_window_or_twice_is_refused(client, make_programme):
    today = timezone.localdate()
    closed = make_programme(mentor_window_closes=today - timedelta(days=1))
    url = f"{BASE}/duesseldorf/programmes/{closed.slug}/applications"
    response = call(client, "post", url, body_for("mentor"))
    assert "Applications closed on" in fields_of(response)["__all__"][0]
    first = call(client, "post", url, body_for("mentee", "Ada Muster"))
    assert first.status_code == 201 and first.json()["token"]
    # The same address again: no second application, and no word that there is one; the
    # link goes to the address only.
    again = call(client, "post", url, body_for("mentee", "Ada Muster"))
    assert again.status_code == 202, again.content
    assert set(again.json()) == {"detail"} and "already" not in again.content.decode()
    assert Application.objects.count() == 1


def test_applications_from_one_address_are_limited(client, programme, monkeypatch):
    from mitmachen.mentoring import api

    monkeypatch.setattr(api, "APPLY_LIMIT", 2)
    url = f"{BASE}/duesseldorf/programmes/{programme.slug}/applications"
    statuses = [call(client, "post", url, body_for("mentee")).status_code for _ in range(3)]
    assert statuses == [201, 201, 422]
    assert Application.objects.count() == 2


# --- the personal token ----------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "1-" + "0" * 32, "x" * 200, "abc"])
def test_without_a_valid_personal_token_nothing_is_shown(client, programme, apply, token):
    apply(programme, "mentee", "Ada Muster")
    response = call(client, "get", f"{BASE}/me", token=token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_bearer_token_is_no_personal_token(client, programme, apply, member_token, world):
    apply(programme, "mentee", "Ada Muster", user=world.users["duesseldorf_member"])
    response = call(client, "get", f"{BASE}/me", headers=member_token())
    assert response.status_code == 401


def test_a_new_nonce_ends_every_token_sent_before(client, programme, apply):
    application = apply(programme, "mentee", "Ada Muster")
    token = access.personal_token(application)
    assert call(client, "get", f"{BASE}/me", token=token).status_code == 200
    Application.objects.filter(pk=application.pk).update(nonce="0123456789abcdef")
    assert call(client, "get", f"{BASE}/me", token=token).status_code == 401


def test_profile_changes_before_a_proposal_only(client, programme, apply, coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentor", "Bea Beispiel")
    token = access.personal_token(ada)
    ok = call(client, "patch", f"{BASE}/me", {"hours_per_month": 6, "times": ["weekend"]},
              token=token)
    assert ok.status_code == 200, ok.content
    assert ok.json()["application"]["hours_per_month"] == 6
    bad = call(client, "patch", f"{BASE}/me", {"languages": [], "hours_per_month": 9},
               token=token)
    assert "languages" in fields_of(bad)
    for body in [{"email": "neu@example.org"}, {"coordinator_note": "x"}, {"name": None}]:
        assert fields_of(call(client, "patch", f"{BASE}/me", body, token=token)), body
    ada.refresh_from_db()
    assert ada.hours_per_month == 6 and ada.languages == ["de"]
    services.matching_send(run=services.matching_run(programme=programme, actor=coordinator),
                           actor=coordinator)
    late = call(client, "patch", f"{BASE}/me", {"hours_per_month": 2}, token=token)
    assert "before a proposal" in fields_of(late)["__all__"][0]


# --- proposals -------------------------------------------------------------------------------

def test_a_proposal_shows_first_name_and_reasons_and_contacts_only_after_both_accept(
        client, programme, apply, coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    bea = apply(programme, "mentor", "Bea Beispiel")
    services.matching_send(run=services.matching_run(programme=programme, actor=coordinator),
                           actor=coordinator)
    ada_token, bea_token = access.personal_token(ada), access.personal_token(bea)
    me = call(client, "get", f"{BASE}/me", token=ada_token).json()
    (proposal,) = me["proposals"]
    assert proposal["partner_first_name"] == "Bea"
    assert proposal["my_answer"] == "" and proposal["partner_answered"] is False
    assert any(line.startswith("Common fields of interest:") for line in
               proposal["explanation"])
    assert bea.email not in json.dumps(me) and "Beispiel" not in json.dumps(me)
    answered = call(client, "post", f"{BASE}/me/answer", {"accept": True}, token=ada_token)
    assert answered.status_code == 200, answered.content
    assert answered.json()["proposals"][0]["my_answer"] == "accepted"
    again = call(client, "post", f"{BASE}/me/answer", {"accept": True}, token=ada_token)
    assert "already answered" in fields_of(again)["__all__"][0]
    both = call(client, "post", f"{BASE}/me/answer", {"accept": True}, token=bea_token).json()
    assert both["proposals"] == []
    assert both["pairs"][0]["partner"] == {"name": "Ada Muster", "email": ada.email,
                                           "phone": ada.phone}
    assert both["application"]["status"] == "matched"


def test_a_decline_rematches_the_mentee(client, programme, apply, coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    bea = apply(programme, "mentor", "Bea Beispiel", fields=["housing"])
    cleo = apply(programme, "mentor", "Cleo Clara", fields=["budget"], bodies=[],
                 activities=[], times=["weekday_morning"], district="Benrath")
    services.matching_send(run=services.matching_run(programme=programme, actor=coordinator),
                           actor=coordinator)
    assert Pairing.objects.get().mentor == bea
    response = call(client, "post", f"{BASE}/me/answer", {"accept": False},
                    token=access.personal_token(bea))
    assert response.status_code == 200
    me = call(client, "get", f"{BASE}/me", token=access.personal_token(ada)).json()
    assert me["proposals"][0]["partner_first_name"] == "Cleo"
    assert Pairing.objects.get(status=P.PROPOSED).mentor == cleo


def test_a_mentor_with_two_proposals_says_which_one(client, programme, apply, coordinator):
    bea = apply(programme, "mentor", "Bea Beispiel", capacity=2)
    ada = apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentee", "Eva Erna")
    services.matching_send(run=services.matching_run(programme=programme, actor=coordinator),
                           actor=coordinator)
    token = access.personal_token(bea)
    unclear = call(client, "post", f"{BASE}/me/answer", {"accept": True}, token=token)
    assert "proposal_id" in fields_of(unclear)
    assert "proposal_id" in fields_of(call(client, "post", f"{BASE}/me/answer",
                                           {"accept": True, "proposal_id": 999999},
                                           token=token))
    assert not Pairing.objects.exclude(mentor_answer="").exists()
    ada_proposal = Pairing.objects.get(mentee=ada)
    ok = call(client, "post", f"{BASE}/me/answer",
              {"accept": True, "proposal_id": ada_proposal.pk}, token=token)
    assert ok.status_code == 200
    ada_proposal.refresh_from_db()
    assert ada_proposal.mentor_answer == "accepted"


def test_answering_without_a_proposal_or_with_a_bad_answer(client, programme, apply):
    token = access.personal_token(apply(programme, "mentee"))
    assert "__all__" in fields_of(call(client, "post", f"{BASE}/me/answer", {"accept": True},
                                       token=token))
    assert "accept" in fields_of(call(client, "post", f"{BASE}/me/answer", {"accept": "ja"},
                                      token=token))
    assert "accept" in fields_of(call(client, "post", f"{BASE}/me/answer", {}, token=token))


# --- accompaniment ---------------------------------------------------------------------------

def test_meetings_goals_notes_and_feedback_of_a_pair(client, pair):
    pairing, ada, bea = pair
    today = timezone.localdate().isoformat()
    meeting = call(client, "post", f"{BASE}/me/meetings",
                   {"held_on": today, "kind": "accompanied", "minutes": 90, "summary": SUMMARY},
                   token=ada)
    assert meeting.status_code == 201, meeting.content
    assert meeting.json()["logged_by"] == "mentee" and meeting.json()["summary"] == SUMMARY
    goal = call(client, "post", f"{BASE}/me/goals", {"title": "Im Rat reden"}, token=ada)
    assert goal.status_code == 201 and goal.json()["status"] == "open"
    # The partner changes the shared goal.
    reached = call(client, "patch", f"{BASE}/me/goals/{goal.json()['id']}",
                   {"status": "reached"}, token=bea)
    assert reached.status_code == 200 and reached.json()["status"] == "reached"
    note = call(client, "post", f"{BASE}/me/notes", {"text": NOTE}, token=ada)
    assert note.status_code == 201 and note.json()["text"] == NOTE
    # Feedback once the pair has ended: Ada ends it.
    early = call(client, "post", f"{BASE}/me/feedback", {"rating": 4}, token=bea)
    assert "once your mentoring has ended" in fields_of(early)["__all__"][0]
    ended = call(client, "post", f"{BASE}/me/end", {}, token=ada)
    assert ended.status_code == 200, ended.content
    assert ended.json()["pairs"][0]["status"] == "ended"
    assert ended.json()["application"]["status"] == "finished"
    assert "__all__" in fields_of(call(client, "post", f"{BASE}/me/end", {}, token=bea))
    feedback = call(client, "post", f"{BASE}/me/feedback", {"rating": 4, "text": "Gut"},
                    token=bea)
    assert feedback.status_code == 201 and feedback.json()["rating"] == 4
    twice = call(client, "post", f"{BASE}/me/feedback", {"rating": 5}, token=bea)
    assert "already given" in fields_of(twice)["__all__"][0]
    mine = call(client, "get", f"{BASE}/me", token=ada).json()["pairs"][0]
    assert [m["summary"] for m in mine["meetings"]] == [SUMMARY]
    assert [g["status"] for g in mine["goals"]] == ["reached"]
    assert [n["text"] for n in mine["notes"]] == [NOTE]
    assert mine["feedback"] == {"given": False, "mine": None}
    theirs = call(client, "get", f"{BASE}/me", token=bea).json()["pairs"][0]
    assert theirs["feedback"]["given"] is True and theirs["feedback"]["mine"]["rating"] == 4
    assert Feedback.objects.get().author == "mentor"


def test_a_private_note_never_reaches_the_partner_or_the_coordinator(client, pair, staff,
                                                                     programme):
    pairing, ada, bea = pair
    call(client, "post", f"{BASE}/me/notes", {"text": NOTE}, token=ada)
    call(client, "post", f"{BASE}/me/meetings", {"held_on": timezone.localdate().isoformat(),
                                                 "summary": SUMMARY}, token=bea)
    assert PrivateNote.objects.get().text == NOTE
    partner = call(client, "get", f"{BASE}/me", token=bea)
    assert NOTE not in partner.content.decode() and SUMMARY in partner.content.decode()
    assert partner.json()["pairs"][0]["notes"] == []
    run = services.matching_run(programme=programme, actor=None)
    for url in [manage(programme, "/pool"), manage(programme, "/pairs"),
                manage(programme, f"/applications/{pairing.mentee_id}"),
                manage(programme, f"/applications/{pairing.mentor_id}"),
                manage(programme, f"/runs/{run.pk}"), manage(programme, "/rules"),
                f"{BASE}/duesseldorf/manage/programmes"]:
        response = call(client, "get", url, headers=staff)
        assert response.status_code == 200, (url, response.content)
        text = response.content.decode()
        assert NOTE not in text and SUMMARY not in text, url


def test_the_coordinator_sees_progress_not_content(client, pair, staff, programme):
    pairing, ada, bea = pair
    call(client, "post", f"{BASE}/me/meetings", {"held_on": timezone.localdate().isoformat(),
                                                 "minutes": 45, "summary": SUMMARY}, token=ada)
    call(client, "post", f"{BASE}/me/goals", {"title": "Einen Antrag schreiben"}, token=bea)
    call(client, "post", f"{BASE}/me/end", {}, token=ada)
    call(client, "post", f"{BASE}/me/feedback", {"rating": 5, "text": "Danke!"}, token=ada)
    (row,) = call(client, "get", manage(programme, "/pairs"), headers=staff).json()["items"]
    assert row["id"] == pairing.pk and row["status"] == "ended"
    assert row["mentee"] == {"id": pairing.mentee_id, "name": "Ada Muster"}
    assert row["meetings"] == 1 and row["minutes"] == 45
    assert row["goals"] == [{"title": "Einen Antrag schreiben", "status": "open",
                             "status_label": "Open"}]
    assert row["feedback"] == {"mentee": 5, "mentor": None}
    # The feedback form says that the coordinator reads the text.
    assert row["feedback_text"] == {"mentee": "Danke!", "mentor": None}
    assert SUMMARY not in json.dumps(row)


def test_accompaniment_needs_an_accepted_pair(client, programme, apply, coordinator):
    token = access.personal_token(apply(programme, "mentee", "Ada Muster"))
    apply(programme, "mentor", "Bea Beispiel")
    services.matching_send(run=services.matching_run(programme=programme, actor=coordinator),
                           actor=coordinator)
    today = timezone.localdate().isoformat()
    for url, body in [("meetings", {"held_on": today}), ("goals", {"title": "Reden"}),
                      ("notes", {"text": "x"}), ("feedback", {"rating": 3})]:
        response = call(client, "post", f"{BASE}/me/{url}", body, token=token)
        assert "accepted the proposal" in fields_of(response)["__all__"][0], url
    assert not (Meeting.objects.exists() or Goal.objects.exists()
                or PrivateNote.objects.exists() or Feedback.objects.exists())


@pytest.mark.parametrize(("url", "body", "field"), [
    ("meetings", {"held_on": "2999-01-01"}, "held_on"),
    ("meetings", {"held_on": "gestern"}, "held_on"),
    ("meetings", {"held_on": "2024-01-01", "minutes": 2}, "minutes"),
    ("meetings", {"held_on": "2024-01-01", "kind": "party"}, "kind"),
    ("meetings", {"held_on": "2024-01-01", "summary": "x" * 4001}, "summary"),
    ("meetings", {"held_on": "2024-01-01", "pair_id": 999999}, "pair_id"),
    ("goals", {"title": ""}, "title"),
    ("goals", {"title": "   "}, "title"),
    ("notes", {"text": ""}, "text"),
    ("notes", {"text": "a\x00"}, "text"),
    ("feedback", {"rating": 6}, "rating"),
    ("feedback", {"rating": True}, "rating"),
])
def test_bad_accompaniment_input_changes_nothing(client, pair, url, body, field):
    _pairing, ada, _bea = pair
    response = call(client, "post", f"{BASE}/me/{url}", body, token=ada)
    assert field in fields_of(response), response.content
    assert not (Meeting.objects.exists() or Goal.objects.exists()
                or PrivateNote.objects.exists() or Feedback.objects.exists())


def test_a_goal_of_another_pair_is_not_found(client, pair, programme, apply, coordinator):
    _pairing, ada, _bea = pair
    apply(programme, "mentee", "Fay Fremd")
    apply(programme, "mentor", "Gina Gast")
    (other,) = services.matching_send(
        run=services.matching_run(programme=programme, actor=coordinator), actor=coordinator)
    services.proposal_answer(pairing=other, side="mentee", accept=True)
    services.proposal_answer(pairing=other, side="mentor", accept=True)
    goal = services.goal_add(pairing=other, side="mentee", title="Fremdes Ziel")
    response = call(client, "patch", f"{BASE}/me/goals/{goal.pk}", {"status": "reached"},
                    token=ada)
    assert response.status_code == 404
    goal.refresh_from_db()
    assert goal.status == "open"
    bad = call(client, "patch", f"{BASE}/me/goals/{goal.pk}", {"status": "done"},
               token=access.personal_token(other.mentee))
    assert "status" in fields_of(bad)


def test_withdrawing_ends_the_pair_and_tells_the_partner_nothing_private(client, pair):
    pairing, ada, bea = pair
    response = call(client, "post", f"{BASE}/me/withdraw", token=bea)
    assert response.status_code == 200
    assert response.json()["application"]["status"] == "withdrawn"
    pairing.refresh_from_db()
    assert pairing.status == P.ENDED
    again = call(client, "post", f"{BASE}/me/withdraw", token=bea)
    assert "no longer active" in fields_of(again)["__all__"][0]


# --- the coordinator -------------------------------------------------------------------------

@pytest.mark.parametrize(("persona", "status"), [
    (None, 401), ("duesseldorf_board", 403), ("duesseldorf_officer", 403),
    ("kassel_board", 404), ("duesseldorf_member", 404), ("duesseldorf_mentoring", 200)])
def test_who_may_coordinate(client, token_for, member_token, programme, persona, status):
    # The member's token is issued for Düsseldorf: the organisation is in scope, a role is not.
    headers = {} if persona is None else member_token() if persona == "duesseldorf_member" \
        else token_for(persona)
    for url in [f"{BASE}/duesseldorf/manage/programmes", manage(programme, "/pool"),
                manage(programme, "/pairs"), manage(programme, "/rules")]:
        response = call(client, "get", url, headers=headers)
        assert response.status_code == status, (url, response.content)


def test_a_coordinator_reaches_no_other_organisation(client, world, staff, token_for):
    from tests.mentoring.conftest import programme_data as data

    kassel = services.programme_create(organisation=world.kassel, actor=None,
                                       data=data(slug="kassel"))
    before = AuditEntry.objects.count()
    assert call(client, "get", manage(kassel, "/pool"), headers=staff).status_code == 404
    # Under her own organisation's address, another organisation's programme is not found.
    url = f"{BASE}/duesseldorf/manage/programmes/{kassel.pk}/pool"
    assert call(client, "get", url, headers=staff).status_code == 404
    patch = call(client, "patch", f"{BASE}/duesseldorf/manage/programmes/{kassel.pk}",
                 {"title": "Übernommen"}, headers=staff)
    assert patch.status_code == 404
    assert AuditEntry.objects.count() == before
    kassel.refresh_from_db()
    assert kassel.title != "Übernommen"
    # A coordinator of Kassel with a token for Kassel only cannot reach Düsseldorf.
    from mitmachen.core import services as core

    core.role_grant(user=world.users["kassel_board"], organisation=world.kassel,
                    role=Role.MENTORING_COORDINATOR, actor=None)
    assert call(client, "get", manage(kassel, "/pool"),
                headers=token_for("kassel_board")).status_code == 200


def _programme_body(**overrides):
    return {key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in programme_data(**overrides).items()}


def test_programmes_are_created_changed_and_opened(client, staff, coordinator):
    url = f"{BASE}/duesseldorf/manage/programmes"
    created = call(client, "post", url, _programme_body(slug="herbst"), headers=staff)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["coordinator"]["id"] == coordinator.pk
    programme = Programme.objects.get(pk=body["id"])
    changed = call(client, "patch", manage(programme), {"title": "Herbst 2026",
                                                        "max_mentees_per_mentor": 2},
                   headers=staff)
    assert changed.status_code == 200 and changed.json()["title"] == "Herbst 2026"
    opened = call(client, "post", manage(programme, "/status"), {"status": "open"},
                  headers=staff)
    assert opened.json()["status"] == "open"
    listed = call(client, "get", url, headers=staff).json()
    assert [p["id"] for p in listed["items"]] == [programme.pk]
    assert AuditEntry.objects.filter(object_type="mentoring.programme", via="api",
                                     action="update").count() == 2


@pytest.mark.parametrize(("change", "field"), [
    ({"cohort_ends": "2000-01-01"}, "cohort_ends"),
    ({"slug": "mit leerzeichen"}, "slug"),
    ({"slug": ""}, "slug"),
    ({"title": "x" * 201}, "title"),
    ({"audience": "men"}, "audience"),
    ({"max_mentees_per_mentor": 11}, "max_mentees_per_mentor"),
    ({"contact_email": "nope"}, "contact_email"),
    ({"coordinator_id": 999999}, "coordinator_id"),
    ({"cohort_starts": "bald"}, "cohort_starts"),
    ({"status": "open"}, "status"),
])
def test_bad_programmes_are_refused_and_nothing_is_created(client, staff, change, field):
    body = {**_programme_body(slug="herbst"), **change}
    response = call(client, "post", f"{BASE}/duesseldorf/manage/programmes", body,
                    headers=staff)
    assert field in fields_of(response)
    assert not Programme.objects.exists()


def test_a_coordinator_must_hold_the_role(client, world, staff):
    body = _programme_body(slug="herbst")
    body["coordinator_id"] = world.users["duesseldorf_board"].pk
    assert "coordinator_id" in fields_of(call(client, "post",
                                           f"{BASE}/duesseldorf/manage/programmes", body,
                                           headers=staff))


@pytest.mark.parametrize("change", [
    {"title": None}, {"cohort_ends": None}, {"cohort_ends": "2000-01-01"},
    {"slug": "a b"}, {"status": "finished"}, {"max_mentees_per_mentor": "3"},
])
def test_bad_programme_changes_change_nothing(client, staff, programme, change):
    response = call(client, "patch", manage(programme), change, headers=staff)
    assert fields_of(response)
    fresh = Programme.objects.get(pk=programme.pk)
    assert (fresh.title, fresh.slug, fresh.cohort_ends, fresh.max_mentees_per_mentor) == (
        programme.title, programme.slug, programme.cohort_ends,
        programme.max_mentees_per_mentor)


def test_status_changes_follow_the_allowed_steps(client, staff, programme):
    response = call(client, "post", manage(programme, "/status"), {"status": "finished"},
                    headers=staff)
    assert "cannot go from" in fields_of(response)["status"][0]
    assert Programme.objects.get(pk=programme.pk).status == "open"


def test_the_pool_shows_each_mentors_workload_and_is_logged(client, world, staff, programme,
                                                            apply):
    busy = world.users["duesseldorf_board"]
    from mitmachen.core import services as core

    core.role_grant(user=busy, organisation=world.duesseldorf, role=Role.TREASURER, actor=None)
    # A role above the organisation is not listed.
    core.role_grant(user=busy, organisation=world.nrw, role=Role.BOARD, actor=None)
    apply(programme, "mentor", "Bea Beispiel", user=busy, hours_per_month=2, capacity=2,
          other_commitments="Stadträtin")
    ada = apply(programme, "mentee", "Ada Muster")
    response = call(client, "get", manage(programme, "/pool"), headers=staff)
    assert response.status_code == 200
    pool = response.json()
    (mentor,) = pool["mentors"]
    assert mentor["capacity"] == 2 and mentor["free_places"] == 2
    assert mentor["hours_per_mentee"] == 1.0 and mentor["warning"] is True
    assert len(mentor["other_roles"]) == 2 and mentor["other_commitments"] == "Stadträtin"
    assert {r["organisation"] for r in mentor["other_roles"]} == {"Duesseldorf"}
    assert mentor["roles_known"] is True and mentor["other_programmes"] == []
    assert any("hours a month per mentee" in w for w in mentor["warnings"])
    assert any("other roles" in w for w in mentor["warnings"])
    assert pool["mentees"][0]["application"]["id"] == ada.pk
    assert pool["mentees"][0]["open_pairing"] is None
    assert "email" not in pool["mentees"][0]["application"]
    assert AuditEntry.objects.filter(action="view", via="api", object_id=str(programme.pk),
                                     object_type="mentoring.programme").exists()


def test_an_application_read_is_logged_and_decline_works_once(client, staff, programme,
                                                              apply):
    ada = apply(programme, "mentee", "Ada Muster")
    response = call(client, "get", manage(programme, f"/applications/{ada.pk}"),
                    headers=staff)
    body = response.json()
    assert body["email"] == ada.email and body["goals"] == ada.goals
    assert body["pairings"] == [] and body["coordinator_note"] == ""
    assert AuditEntry.objects.filter(action="view", object_type="mentoring.application",
                                     object_id=str(ada.pk), via="api").exists()
    declined = call(client, "post", manage(programme, f"/applications/{ada.pk}/decline"),
                    {"note": "Zu spät"}, headers=staff)
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    assert declined.json()["coordinator_note"] == "Zu spät"
    again = call(client, "post", manage(programme, f"/applications/{ada.pk}/decline"), {},
                 headers=staff)
    assert "__all__" in fields_of(again)
    assert call(client, "get", manage(programme, "/applications/999999"),
                headers=staff).status_code == 404


def test_rules_are_set_listed_and_removed(client, staff, programme, apply, make_programme):
    ada = apply(programme, "mentee", "Ada Muster")
    bea = apply(programme, "mentor", "Bea Beispiel")
    url = manage(programme, "/rules")
    created = call(client, "post", url, {"mentee_id": ada.pk, "mentor_id": bea.pk,
                                         "kind": "fix", "reason": "Kennen sich gut"},
                   headers=staff)
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["kind"] == "fix" and rule["mentee"] == {"id": ada.pk, "name": "Ada Muster"}
    listed = call(client, "get", url, headers=staff).json()
    assert [r["id"] for r in listed["items"]] == [rule["id"]]
    removed = call(client, "delete", f"{url}/{rule['id']}", headers=staff)
    assert removed.status_code == 204
    assert not PairRule.objects.exists()
    assert call(client, "delete", f"{url}/{rule['id']}", headers=staff).status_code == 404


def test_bad_rules_are_refused(client, staff, programme, apply, make_programme):
    ada = apply(programme, "mentee", "Ada Muster")
    bea = apply(programme, "mentor", "Bea Beispiel", languages=["tr"])
    other = make_programme()
    stranger = apply(other, "mentor", "Sara Fremd")
    url = manage(programme, "/rules")
    for body, field in [
        ({"mentee_id": bea.pk, "mentor_id": bea.pk, "kind": "fix"}, "mentee_id"),
        ({"mentee_id": ada.pk, "mentor_id": stranger.pk, "kind": "forbid"}, "mentor_id"),
        ({"mentee_id": ada.pk, "mentor_id": bea.pk, "kind": "maybe"}, "kind"),
        ({"mentee_id": ada.pk, "mentor_id": bea.pk, "kind": "fix"}, "__all__"),
        ({"mentee_id": "eins", "mentor_id": bea.pk, "kind": "fix"}, "mentee_id"),
    ]:
        response = call(client, "post", url, body, headers=staff)
        assert field in fields_of(response), (body, response.content)
    assert "no common language" in call(
        client, "post", url, {"mentee_id": ada.pk, "mentor_id": bea.pk, "kind": "fix"},
        headers=staff).json()["error"]["fields"]["__all__"][0]
    assert not PairRule.objects.exists()


def test_a_run_explains_pairs_and_the_unmatched_and_compares_with_greedy(client, staff,
                                                                         programme, apply):
    ada = apply(programme, "mentee", "Ada Muster")
    eva = apply(programme, "mentee", "Eva Erna", languages=["tr"])
    bea = apply(programme, "mentor", "Bea Beispiel")
    created = call(client, "post", manage(programme, "/runs"), headers=staff)
    assert created.status_code == 201, created.content
    run = created.json()
    assert run["sent_at"] is None and run["latest"] is True and run["matched"] == 1
    (pair,) = run["pairs"]
    assert pair["mentee"] == {"id": ada.pk, "name": "Ada Muster"}
    assert pair["mentor"]["id"] == bea.pk and pair["fixed"] is False
    assert pair["score"] > 0 and any(line.startswith("Common languages")
                                     for line in pair["explanation"])
    (left,) = run["unmatched"]
    assert left["mentee"]["id"] == eva.pk and left["reason"] == "no_compatible_mentor"
    assert left["ruled_out"] == [{"constraint": "no_common_language",
                                  "label": "no common language", "mentors": 1}]
    assert left["reason_text"] == "No mentor fits: no common language (1)."
    assert run["greedy"] == {"score": run["total_score"], "matched": 1}
    assert run["remaining"] == [{"mentor": {"id": bea.pk, "name": "Bea Beispiel"},
                                 "places": 0}]
    assert not Pairing.objects.exists()  # a draft: nothing sent
    fetched = call(client, "get", manage(programme, f"/runs/{run['id']}"), headers=staff)
    assert fetched.json() == run


def test_the_unmatched_for_want_of_places_say_so(client, staff, programme, apply):
    apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentee", "Eva Erna")
    apply(programme, "mentor", "Bea Beispiel")
    run = call(client, "post", manage(programme, "/runs"), headers=staff).json()
    (left,) = run["unmatched"]
    assert left["reason"] == "capacity_exhausted"
    assert left["reason_text"] == "1 mentor would fit, but the place went to someone else."


def test_sending_proposes_and_puts_the_rest_on_the_waiting_list(client, staff, programme,
                                                                apply):
    ada = apply(programme, "mentee", "Ada Muster")
    eva = apply(programme, "mentee", "Eva Erna", languages=["tr"])
    apply(programme, "mentor", "Bea Beispiel")
    old = call(client, "post", manage(programme, "/runs"), headers=staff).json()
    run = call(client, "post", manage(programme, "/runs"), headers=staff).json()
    stale = call(client, "post", manage(programme, f"/runs/{old['id']}/send"), headers=staff)
    assert "newer matching" in fields_of(stale)["__all__"][0]
    assert not Pairing.objects.exists()
    sent = call(client, "post", manage(programme, f"/runs/{run['id']}/send"), headers=staff)
    assert sent.status_code == 200, sent.content
    assert sent.json()["sent_at"] is not None
    assert Pairing.objects.get().mentee == ada
    eva.refresh_from_db()
    assert eva.status == A.WAITING
    me = call(client, "get", f"{BASE}/me", token=access.personal_token(eva)).json()
    assert me["waiting"] is True and me["waiting_position"] == 1
    again = call(client, "post", manage(programme, f"/runs/{run['id']}/send"), headers=staff)
    assert "already been sent" in fields_of(again)["__all__"][0]
    assert Pairing.objects.count() == 1
    assert call(client, "get", manage(programme, "/runs/999999"),
                headers=staff).status_code == 404


def test_a_run_is_refused_for_a_draft_programme(client, staff, make_programme):
    draft = make_programme(status=Programme.Status.DRAFT)
    response = call(client, "post", manage(draft, "/runs"), headers=staff)
    assert "Matching is possible" in fields_of(response)["__all__"][0]
    assert not MatchRun.objects.exists()


def test_messages_follow_the_language(client, programme):
    url = f"{BASE}/duesseldorf/programmes/{programme.slug}/applications"
    german = call(client, "post", url, body_for("mentee", consent=False), english=False,
                  headers={"HTTP_ACCEPT_LANGUAGE": "de"})
    english = call(client, "post", url, body_for("mentee", consent=False))
    assert "nichts" in german.json()["error"]["message"]
    assert "Nothing was changed" in english.json()["error"]["message"]
    assert "Please agree" in english.json()["error"]["fields"]["consent"][0]
