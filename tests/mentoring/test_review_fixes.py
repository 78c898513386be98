"""The defects a review of the mentoring programme found, each pinned by a test: stale drafts,
self-pairing, unaudited reads, freed places and the waiting list, fixed pairs during a
re-match, finished programmes, the workload guard, early ends, feedback and meeting dates, new
personal links, the coordinator's actions, feedback text, duplicate applications, and the
people an applicant would rather not meet."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from mitmachen.core import services as core
from mitmachen.core.models import AuditEntry
from mitmachen.core.roles import Role
from mitmachen.mentoring import access, scoring, selectors, services
from mitmachen.mentoring.models import Application, MatchRun, Pairing, PairRule
from mitmachen.messaging.models import Message

from .conftest import mentee_data

pytestmark = pytest.mark.django_db

A = Application.Status
P = Pairing.Status
BASE = "/api/v1/mentoring"


def english(client=None):
    client = client or Client()
    client.cookies["django_language"] = "en"
    return client


def text(response) -> str:
    return response.content.decode()


def staff_url(name, programme, *args):
    return reverse(f"mentoring:{name}", args=[programme.organisation.slug, programme.pk, *args])


def personal(application, name="personal"):
    return reverse(f"mentoring:{name}", args=[access.personal_token(application)])


def manage(programme, part=""):
    return f"{BASE}/{programme.organisation.slug}/manage/programmes/{programme.pk}{part}"


def api(client, method, url, body=None, **headers):
    kwargs = {"HTTP_ACCEPT_LANGUAGE": "en", **headers}
    if body is not None or method == "post":
        kwargs.update(data=json.dumps(body or {}), content_type="application/json")
    return getattr(client, method)(url, **kwargs)


def views() -> int:
    return AuditEntry.objects.filter(action=AuditEntry.Action.VIEW).count()


def send(programme, coordinator):
    run = services.matching_run(programme=programme, actor=coordinator)
    return services.matching_send(run=run, actor=coordinator)


def accept(pairing):
    services.proposal_answer(pairing=pairing, side="mentee", accept=True)
    return services.proposal_answer(pairing=pairing, side="mentor", accept=True)


def fresh(application):
    application.refresh_from_db()
    return application


def mails_to(address):
    return list(Message.objects.filter(to_address=address).order_by("pk"))


# --- 1. a stale draft never sends a pair that breaks a hard rule ---------------------------

def test_a_profile_saved_after_the_run_makes_the_run_unsendable(programme, apply, coordinator):
    bea = apply(programme, "mentee", "Bea Muster")
    apply(programme, "mentor", "Tom Mentor", gender="man")
    run = services.matching_run(programme=programme, actor=coordinator)
    assert run.matched == 1
    services.application_update(application=bea, data={"requires": ["mentor_woman"]})
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.matching_send(run=run, actor=coordinator)
    assert "Bea Muster" in " ".join(exc.value.messages)
    assert not Pairing.objects.exists()
    assert MatchRun.objects.get().sent_at is None


def test_the_hard_rules_are_checked_again_when_sending(programme, apply, coordinator):
    # A change that did not go through the services (and left updated_at alone) is still
    # caught: the pair's hard rules are checked on the profiles as they are now.
    bea = apply(programme, "mentee", "Bea Muster")
    tina = apply(programme, "mentor", "Tina Mentorin")
    run = services.matching_run(programme=programme, actor=coordinator)
    Application.objects.filter(pk=tina.pk).update(languages=["tr"])
    with pytest.raises(ValidationError):
        services.matching_send(run=run, actor=coordinator)
    assert not Pairing.objects.exists()
    assert scoring.violations(services._person(fresh(bea)), services._person(fresh(tina)))


def test_an_unmatched_mentee_changed_after_the_run_makes_it_unsendable(programme, apply,
                                                                       coordinator):
    apply(programme, "mentee", "Ada Muster")
    eva = apply(programme, "mentee", "Eva Erna", languages=["tr"])
    apply(programme, "mentor", "Tina Mentorin")
    run = services.matching_run(programme=programme, actor=coordinator)
    assert [u["mentee"] for u in run.result["unmatched"]] == [eva.pk]
    services.application_update(application=eva, data={"languages": ["de"]})
    with pytest.raises(ValidationError):
        services.matching_send(run=run, actor=coordinator)
    assert not Pairing.objects.exists() and fresh(eva).status == A.APPLIED


# --- 2. nobody mentors herself ------------------------------------------------------------

def test_one_address_on_both_sides_is_never_paired(programme, apply, coordinator):
    ada = apply(programme, "mentee", "Ada Same", email="ada@example.org")
    same = apply(programme, "mentor", "Ada Same", email="ADA@Example.org")
    run = services.matching_run(programme=programme, actor=coordinator)
    assert run.matched == 0
    assert run.result["unmatched"][0]["ruled_out"] == [["forbidden", 1]]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.rule_set(programme=programme, mentee=ada, mentor=same, kind="fix", reason="",
                          actor=coordinator)
    assert "the same person" in " ".join(exc.value.messages)
    assert not PairRule.objects.exists()


def test_one_account_on_both_sides_is_never_paired_by_a_rematch(programme, apply, coordinator,
                                                                 world):
    user = world.users["duesseldorf_member"]
    ada = apply(programme, "mentee", "Ada Muster", user=user)
    send(programme, coordinator)
    assert fresh(ada).status == A.WAITING
    apply(programme, "mentor", "Ada als Mentorin", email="other@example.org", user=user)
    assert services.rematch(application=ada, actor=coordinator) is None
    assert not Pairing.objects.exists()


# --- 5. every staff read is audited; the coordinator's log ---------------------------------

@pytest.fixture
def drafted(programme, apply, coordinator):
    mentor = apply(programme, "mentor", "Tina Mentorin", capacity=2)
    xenia = apply(programme, "mentee", "Xenia Mentee")
    yara = apply(programme, "mentee", "Yara Mentee", languages=["tr"])
    services.rule_set(programme=programme, mentee=yara, mentor=mentor, kind="forbid",
                      reason="Nachbarinnen", actor=coordinator)
    run = services.matching_run(programme=programme, actor=coordinator)
    return run, mentor, xenia, yara


@pytest.mark.parametrize("page", ["matching", "matching_send", "rules", "pairs",
                                  "pairs_print"])
def test_every_coordinator_page_with_names_is_audited(drafted, programme, login, page):
    run = drafted[0]
    client = login("duesseldorf_mentoring")
    before = views()
    args = [run.pk] if page == "matching_send" else []
    response = client.get(staff_url(page, programme, *args))
    assert response.status_code == 200
    assert views() == before + 1
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW).latest("pk")
    assert entry.object_type.startswith("mentoring.") and entry.organisation_id == \
        programme.organisation_id


@pytest.mark.parametrize(("method", "part"), [
    ("get", "/runs/{run}"), ("post", "/runs"), ("post", "/runs/{run}/send"), ("get", "/pairs"),
    ("get", "/rules"), ("post", "/applications/{xenia}/decline")])
def test_every_api_read_of_names_is_audited(drafted, programme, client, token_for, method,
                                            part):
    run, _mentor, xenia, _yara = drafted
    if part == "/applications/{xenia}/decline":
        # Before a proposal, so that the decline is allowed.
        MatchRun.objects.all().delete()
    before = views()
    response = api(client, method, manage(programme, part.format(run=run.pk, xenia=xenia.pk)),
                   **token_for("duesseldorf_mentoring"))
    assert response.status_code in (200, 201), response.content
    assert views() > before


def test_the_coordinators_log_lists_mentoring_rows_only(drafted, programme, login, world):
    core.role_grant(user=world.users["duesseldorf_member"], organisation=world.duesseldorf,
                    role=Role.TREASURER, actor=None)
    client = english(login("duesseldorf_mentoring"))
    url = reverse("mentoring:log", args=[programme.organisation.slug])
    page = text(client.get(url))
    assert "Mentoring log" in page
    assert "Xenia Mentee (Mentee)" in page and "mentoring.matchrun" in page
    assert "Treasurer" not in page and "core.roleassignment" not in page
    # The administrators' audit page leaves them out; the reading of the log is logged there.
    admin = text(login("duesseldorf_admin").get(f"/staff/{programme.organisation.slug}/audit/"))
    assert "Xenia Mentee" not in admin
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW, object_type="",
                                     actor=world.users["duesseldorf_mentoring"]).exists()
    assert login("duesseldorf_admin").get(url).status_code == 403
    programmes = text(client.get(reverse("mentoring:programmes",
                                         args=[programme.organisation.slug])))
    assert f'href="{url}"' in programmes


# --- 6. a freed place goes to the waiting list first ---------------------------------------

@pytest.fixture
def one_place(programme, apply, coordinator):
    """Tina has one place: X (applied first) gets the proposal... or Y; the other waits."""
    tina = apply(programme, "mentor", "Tina Mentorin", capacity=1)
    apply(programme, "mentee", "Xenia Mentee")
    apply(programme, "mentee", "Yara Mentee")
    (pairing,) = send(programme, coordinator)
    waiting = Application.objects.get(status=A.WAITING)
    return tina, pairing, fresh(pairing.mentee), waiting


def test_a_declined_place_goes_to_the_longest_waiting_and_the_decliner_queues(one_place,
                                                                              programme):
    tina, pairing, proposed, waiting = one_place
    services.proposal_answer(pairing=pairing, side="mentee", accept=False)
    new = Pairing.objects.get(status=P.PROPOSED)
    assert (new.mentee_id, new.mentor_id) == (waiting.pk, tina.pk)
    assert fresh(proposed).status == A.WAITING and fresh(waiting).status == A.PROPOSED
    # The promise of the waiting-list e-mail: a proposal when a fitting place becomes free.
    with translation.override("de"):
        subject = translation.gettext("A proposal for you: %(title)s") % {
            "title": programme.title}
    assert mails_to(waiting.email)[-1].subject == subject


def test_a_mentor_declining_frees_the_place_for_the_waiting_list_first(one_place, apply):
    tina, pairing, proposed, waiting = one_place
    services.proposal_answer(pairing=pairing, side="mentor", accept=False)
    # Tina declined Xenia, so that pair is off; Yara, who waited, gets Tina's place.
    assert Pairing.objects.get(status=P.PROPOSED).mentee_id == waiting.pk
    assert fresh(proposed).status == A.WAITING


def test_a_withdrawal_frees_the_place_for_the_waiting_list(one_place):
    tina, pairing, proposed, waiting = one_place
    services.application_withdraw(application=proposed)
    new = Pairing.objects.get(status=P.PROPOSED)
    assert (new.mentee_id, new.mentor_id) == (waiting.pk, tina.pk)


def test_an_early_end_frees_the_place_for_the_waiting_list(one_place):
    tina, pairing, proposed, waiting = one_place
    accept(pairing)
    services.pairing_end(pairing=pairing, side="mentee")
    assert fresh(proposed).status == A.FINISHED
    assert fresh(tina).status == A.PROPOSED
    assert Pairing.objects.get(status=P.PROPOSED).mentee_id == waiting.pk


def test_the_waiting_list_is_served_in_order(programme, apply, coordinator):
    tina = apply(programme, "mentor", "Tina Mentorin", capacity=1)
    first = apply(programme, "mentee", "Anna Erste")
    second = apply(programme, "mentee", "Berta Zweite")
    third = apply(programme, "mentee", "Carla Dritte")
    (pairing,) = send(programme, coordinator)
    waiting = [a for a in (first, second, third) if a.pk != pairing.mentee_id]
    # Make the later applicant the one who has waited longest.
    Application.objects.filter(pk=waiting[1].pk).update(
        waiting_since=timezone.now() - timedelta(days=30))
    services.proposal_answer(pairing=pairing, side="mentee", accept=False)
    assert Pairing.objects.get(status=P.PROPOSED).mentee_id == waiting[1].pk
    assert Pairing.objects.get(status=P.PROPOSED).mentor_id == tina.pk


def test_the_matching_itself_gives_waiting_no_weight_but_shows_it(programme, apply,
                                                                  coordinator, login):
    apply(programme, "mentor", "Tina Mentorin", capacity=1, fields=["housing"])
    waiter = apply(programme, "mentee", "Wanda Wartend", fields=["budget"])
    Application.objects.filter(pk=waiter.pk).update(
        status=A.WAITING, waiting_since=timezone.now() - timedelta(days=12))
    good = apply(programme, "mentee", "Greta Passend", fields=["housing"])
    run = services.matching_run(programme=programme, actor=coordinator)
    # The best fit wins, not the longest wait...
    assert [p["mentee"] for p in run.result["pairs"]] == [good.pk]
    # ...and the matching page tells the coordinator who has waited how long.
    page = text(english(login("duesseldorf_mentoring")).get(staff_url("matching", programme)))
    assert "How long people have waited" in page
    assert "Wanda Wartend" in page and "waiting for 12 days" in page


# --- 7. a re-match keeps the places held for fixed pairs -----------------------------------

def test_a_rematch_does_not_take_a_place_held_for_a_fixed_pair(programme, apply, coordinator):
    m1 = apply(programme, "mentor", "Mia Eins", capacity=1)
    m2 = apply(programme, "mentor", "Mona Zwei", capacity=1, fields=["budget"],
               district="Benrath")
    ada = apply(programme, "mentee", "Ada Muster")
    (pairing,) = send(programme, coordinator)
    free = m2 if pairing.mentor_id == m1.pk else m1
    bea = apply(programme, "mentee", "Bea Muster")
    services.rule_set(programme=programme, mentee=bea, mentor=free, kind="fix", reason="",
                      actor=coordinator)
    services.proposal_answer(pairing=pairing, side="mentee", accept=False)
    assert fresh(ada).status == A.WAITING
    assert not Pairing.objects.filter(mentor=free).exists()
    run = services.matching_run(programme=programme, actor=coordinator)
    assert [bea.pk, free.pk] in [[p["mentee"], p["mentor"]] for p in run.result["pairs"]]


# --- 8. a finished programme proposes nothing -----------------------------------------------

def test_a_decline_in_a_finished_programme_puts_the_mentee_on_the_waiting_list(
        programme, apply, coordinator):
    apply(programme, "mentor", "Mia Eins")
    apply(programme, "mentor", "Mona Zwei")
    ada = apply(programme, "mentee", "Ada Muster")
    (pairing,) = send(programme, coordinator)
    for status in ("running", "finished"):
        services.programme_set_status(programme=programme, status=status, actor=coordinator)
    services.proposal_answer(pairing=pairing, side="mentor", accept=False)
    assert not Pairing.objects.filter(status=P.PROPOSED).exists()
    assert fresh(ada).status == A.WAITING


# --- 9. the workload guard ----------------------------------------------------------------

def test_open_pairs_in_the_organisations_other_programmes_are_shown(make_programme, apply,
                                                                     coordinator, world):
    first, second = make_programme(), make_programme()
    user = world.users["duesseldorf_member"]
    apply(first, "mentor", "Mia Viel", user=user, capacity=3)
    for n in range(3):
        apply(first, "mentee", f"Mentee {n} Eins")
    send(first, coordinator)
    # The same person again, once by account, once by address only (other case).
    apply(second, "mentor", "Mia Viel", user=user, email="mia.other@example.org", capacity=3)
    apply(second, "mentor", "Mia Ohne Konto", email="MIA.VIEL@example.org")
    with translation.override("en"):
        rows = {row["application"].name: row for row in selectors.pool(second)["mentors"]}
    for name in ("Mia Viel", "Mia Ohne Konto"):
        assert rows[name]["other_programmes"] == [{"programme": first.title,
                                                   "open_pairings": 3}], name
        assert "Already in 3 open pairs in other programmes of the organisation." in \
            rows[name]["warnings"]
    # Nothing of the first programme counts for it.
    assert all(row["other_programmes"] == [] for row in selectors.pool(first)["mentors"])


def test_an_application_without_account_says_roles_unknown(programme, apply, login):
    apply(programme, "mentor", "Board Person", email="duesseldorf_board@example.org")
    (row,) = selectors.pool(programme)["mentors"]
    assert row["roles_known"] is False and row["other_roles"] == []
    page = text(english(login("duesseldorf_mentoring")).get(
        staff_url("programme_detail", programme)))
    assert "roles unknown (no account)" in page


def test_hours_per_mentee_use_the_programmes_limit(programme, apply, coordinator):
    apply(programme, "mentor", "Mia Viel", hours_per_month=8, capacity=3)
    services.programme_update(programme=programme, actor=coordinator,
                              data={"max_mentees_per_mentor": 2})
    (row,) = selectors.pool(programme)["mentors"]
    assert (row["capacity"], row["hours_per_mentee"]) == (2, 4.0)


def test_the_hours_score_reads_the_mentors_hours_per_mentee(programme, apply, coordinator):
    # 6 hours for three mentees: 2 each. A wish of 2 fits, a wish of 3 does not, also when
    # one of the places is taken already.
    mia = apply(programme, "mentor", "Mia Viel", hours_per_month=6, capacity=3)
    apply(programme, "mentee", "Erste Mentee", hours_per_month=1)
    send(programme, coordinator)
    two = apply(programme, "mentee", "Zwei Stunden", hours_per_month=2)
    three = apply(programme, "mentee", "Drei Stunden", hours_per_month=3)
    run = services.matching_run(programme=programme, actor=coordinator)
    by_mentee = {p["mentee"]: dict(p["explanation"]) for p in run.result["pairs"]}
    assert by_mentee[two.pk]["hours"] == [2, 2]
    assert "hours" not in by_mentee[three.pk]
    assert {p["mentor"] for p in run.result["pairs"]} == {mia.pk}


# --- 10. ending a pair early ----------------------------------------------------------------

def test_a_mentor_ending_early_returns_both_to_the_pool(programme, apply, coordinator):
    tina = apply(programme, "mentor", "Tina Mentorin", capacity=2)
    ada = apply(programme, "mentee", "Ada Muster")
    (pairing,) = send(programme, coordinator)
    accept(pairing)
    services.pairing_end(pairing=pairing, side="mentor")
    assert fresh(tina).status == A.APPLIED
    # Ada can be matched again; with nobody else free she waits (the ended pair never again).
    assert fresh(ada).status == A.WAITING
    bea = apply(programme, "mentee", "Bea Muster")
    run = services.matching_run(programme=programme, actor=coordinator)
    assert [[p["mentee"], p["mentor"]] for p in run.result["pairs"]] == [[bea.pk, tina.pk]]
    assert any("ended" in m.subject.lower() or "beendet" in m.subject.lower()
               for m in mails_to(ada.email))


def test_the_coordinator_ends_a_pair_with_or_without_a_new_mentor(programme, apply,
                                                                  coordinator):
    tina = apply(programme, "mentor", "Tina Mentorin", capacity=2)
    ada = apply(programme, "mentee", "Ada Muster")
    bea = apply(programme, "mentee", "Bea Muster")
    first, second = send(programme, coordinator)
    accept(first)
    accept(second)
    services.pairing_end(pairing=first, actor=coordinator, mentee_continues=False)
    services.pairing_end(pairing=second, actor=coordinator)
    by_pk = {first.mentee_id: A.FINISHED, second.mentee_id: A.WAITING}
    assert {ada.pk: fresh(ada).status, bea.pk: fresh(bea).status} == by_pk
    assert fresh(tina).status == A.APPLIED


# --- 11. feedback, meeting dates, a new personal link --------------------------------------

def test_a_meeting_cannot_be_before_the_pair_started(programme, apply, coordinator):
    apply(programme, "mentor", "Tina Mentorin")
    apply(programme, "mentee", "Ada Muster")
    (pairing,) = send(programme, coordinator)
    accept(pairing)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.meeting_log(pairing=pairing, side="mentee", held_on="2020-01-01",
                             kind="meeting", minutes=60, summary="")
    assert "before your mentoring started" in " ".join(exc.value.messages)
    services.meeting_log(pairing=pairing, side="mentee", held_on=timezone.localdate(),
                         kind="meeting", minutes=60, summary="")


def test_a_new_link_replaces_the_old_one_and_goes_only_by_e_mail(programme, apply):
    ada = apply(programme, "mentee", "Ada Muster")
    old = access.personal_token(ada)
    client = english()
    assert "Send me a new link" in text(client.get(personal(ada)))
    confirm = client.get(reverse("mentoring:new_link", args=[old]))
    assert confirm.status_code == 200 and not Message.objects.filter(
        subject__icontains="link").exists()
    response = client.post(reverse("mentoring:new_link", args=[old]), {"confirm": "yes"})
    assert response.status_code == 200
    new = access.personal_token(fresh(ada))
    assert new != old and new not in text(response)
    assert client.get(reverse("mentoring:personal", args=[old])).status_code == 404
    assert new in mails_to(ada.email)[-1].body_text
    # The API does the same.
    again = api(Client(), "post", f"{BASE}/me/link", HTTP_X_MENTORING_TOKEN=new)
    assert again.status_code == 202 and new not in text(again)
    newest = access.personal_token(fresh(ada))
    assert newest != new and newest in mails_to(ada.email)[-1].body_text
    assert api(Client(), "get", f"{BASE}/me", HTTP_X_MENTORING_TOKEN=new).status_code == 401


def test_a_new_link_leaves_a_draft_matching_sendable(programme, apply, coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentor", "Tina Mentorin")
    run = services.matching_run(programme=programme, actor=coordinator)
    services.application_new_link(application=ada)
    assert len(services.matching_send(run=run, actor=coordinator)) == 1


# --- 12. the coordinator's actions --------------------------------------------------------

def test_the_coordinator_takes_back_a_proposal_on_the_page(programme, apply, coordinator,
                                                           login):
    tina = apply(programme, "mentor", "Tina Mentorin")
    ada = apply(programme, "mentee", "Ada Muster")
    (pairing,) = send(programme, coordinator)
    client = english(login("duesseldorf_mentoring"))
    page = text(client.get(staff_url("application", programme, ada.pk)))
    assert "Take back the proposal" in page
    before = {a: len(mails_to(a)) for a in (ada.email, tina.email)}
    response = client.post(staff_url("application", programme, ada.pk),
                           {"action": "retract", "pairing": pairing.pk})
    assert response.status_code == 302
    pairing.refresh_from_db()
    assert pairing.status == P.DECLINED
    assert fresh(ada).status == A.WAITING and fresh(tina).status == A.APPLIED
    assert all(len(mails_to(a)) > n for a, n in before.items())
    # Never proposed again.
    assert services.rematch(application=ada, actor=coordinator) is None


def test_the_coordinator_ends_a_pair_and_records_a_withdrawal_on_the_page(
        programme, apply, coordinator, login):
    tina = apply(programme, "mentor", "Tina Mentorin", capacity=2)
    ada = apply(programme, "mentee", "Ada Muster")
    (pairing,) = send(programme, coordinator)
    accept(pairing)
    client = english(login("duesseldorf_mentoring"))
    url = staff_url("application", programme, ada.pk)
    assert "End the pair" in text(client.get(url))
    assert client.post(url, {"action": "end", "pairing": pairing.pk}).status_code == 302
    pairing.refresh_from_db()
    assert pairing.status == P.ENDED and fresh(ada).status == A.FINISHED
    # A withdrawal needs the confirmation.
    url = staff_url("application", programme, tina.pk)
    assert client.post(url, {"action": "withdraw"}).status_code == 400
    assert fresh(tina).status == A.APPLIED
    assert client.post(url, {"action": "withdraw", "confirm": "yes"}).status_code == 302
    assert fresh(tina).status == A.WITHDRAWN
    assert AuditEntry.objects.filter(object_type="mentoring.application",
                                     object_id=str(tina.pk), actor=coordinator).exists()
    assert mails_to(tina.email)[-1].subject.endswith(programme.title)


def test_the_coordinators_actions_through_the_api(programme, apply, coordinator, client,
                                                  token_for):
    staff = token_for("duesseldorf_mentoring")
    tina = apply(programme, "mentor", "Tina Mentorin", capacity=2)
    ada = apply(programme, "mentee", "Ada Muster")
    bea = apply(programme, "mentee", "Bea Muster", languages=["tr"])
    (pairing,) = send(programme, coordinator)
    retracted = api(client, "post", manage(programme, f"/pairs/{pairing.pk}/retract"), **staff)
    assert retracted.status_code == 200 and retracted.json()["status"] == "declined"
    assert fresh(ada).status == A.WAITING
    # Bea speaks Turkish now: the coordinator matches her again by hand.
    Application.objects.filter(pk=bea.pk).update(languages=["de", "tr"])
    rematched = api(client, "post", manage(programme, f"/applications/{bea.pk}/rematch"),
                    **staff)
    assert rematched.status_code == 200 and rematched.json()["status"] == "proposed"
    accept(Pairing.objects.get(mentee=bea, status=P.PROPOSED))
    active = Pairing.objects.get(mentee=bea, status=P.ACTIVE)
    ended = api(client, "post", manage(programme, f"/pairs/{active.pk}/end"),
                {"mentee_continues": False}, **staff)
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert fresh(bea).status == A.FINISHED
    assert api(client, "post", manage(programme, f"/pairs/{active.pk}/end"),
               **staff).status_code == 422
    withdrawn = api(client, "post", manage(programme, f"/applications/{tina.pk}/withdraw"),
                    **staff)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


# --- 13. the feedback text ----------------------------------------------------------------

def test_the_coordinator_reads_the_feedback_text_on_the_pairs_page(programme, apply,
                                                                   coordinator, login):
    apply(programme, "mentor", "Tina Mentorin")
    apply(programme, "mentee", "Ada Muster")
    (pairing,) = send(programme, coordinator)
    accept(pairing)
    services.pairing_end(pairing=pairing, side="mentee")
    services.feedback_submit(pairing=pairing, side="mentee", rating=5,
                             text="Die Ratssitzung war ein Erlebnis.")
    page = text(english(login("duesseldorf_mentoring")).get(staff_url("pairs", programme)))
    assert "Die Ratssitzung war ein Erlebnis." in page


# --- 14. a second application of one address --------------------------------------------

def test_a_second_application_sends_the_link_to_the_address_only(programme, apply):
    ada = apply(programme, "mentee", "Ada Muster")
    before = Message.objects.count()
    result = services.application_submit(
        programme=programme, role="mentee",
        data=mentee_data("Eve Other", email="Ada.Muster@example.org"), consent=True)
    assert result == (None, "")
    assert Message.objects.count() == before + 1
    mail = Message.objects.latest("pk")
    assert mail.to_address == "ada.muster@example.org"
    assert access.personal_url(ada) in mail.body_text
    assert Application.objects.count() == 1


# --- 15. people an applicant would rather not meet ----------------------------------------

def test_people_to_avoid_reach_the_coordinator_only(programme, login):
    form = {
        "name": "Ada Muster", "email": "ada@example.org", "gender": "woman",
        "fields": ["housing"], "hours_per_month": "4", "languages": ["de"],
        "audience_confirmed": "on", "consent": "on", "website": "",
        "avoid": "Bitte nicht mit Frau Nachbarin aus dem Ortsverband.",
    }
    url = reverse("mentoring:apply", args=[programme.organisation.slug, programme.slug,
                                           "mentee"])
    assert english().post(url, form).status_code == 200
    ada = Application.objects.get()
    assert ada.avoid == "Bitte nicht mit Frau Nachbarin aus dem Ortsverband."
    coordinator = english(login("duesseldorf_mentoring"))
    page = text(coordinator.get(staff_url("application", programme, ada.pk)))
    assert "Frau Nachbarin" in page and "add a forbidden pair" in page
    assert "Frau Nachbarin" not in text(coordinator.get(staff_url("programme_detail",
                                                                  programme)))
    assert "Frau Nachbarin" not in text(english().get(personal(ada)))
