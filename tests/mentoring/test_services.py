"""The mentoring services and selectors: programmes, applications, rules, matching, proposals,
the accompaniment of a pair, and what the coordinator may (not) see."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from mitmachen.core import services as core
from mitmachen.core.models import AuditEntry
from mitmachen.core.roles import Role
from mitmachen.mentoring import access, selectors, services
from mitmachen.mentoring.models import (
    Application,
    Feedback,
    Goal,
    MatchRun,
    Meeting,
    Pairing,
    PairRule,
    Programme,
)
from mitmachen.messaging.models import Message

from .conftest import mentee_data, mentor_data, programme_data

A = Application.Status
P = Pairing.Status


def messages_to(address):
    return list(Message.objects.filter(to_address=address).order_by("pk"))


def error_text(exc_info) -> str:
    return " ".join(exc_info.value.messages)


def matched(programme, coordinator):
    run = services.matching_run(programme=programme, actor=coordinator)
    return run, services.matching_send(run=run, actor=coordinator)


def accept_both(pairing):
    services.proposal_answer(pairing=pairing, side="mentee", accept=True)
    return services.proposal_answer(pairing=pairing, side="mentor", accept=True)


def open_pairings(mentor):
    return Pairing.objects.filter(mentor=mentor, status__in=[P.PROPOSED, P.ACTIVE]).count()


# --- personal links --------------------------------------------------------------------------

def test_a_token_leads_back_to_its_application_and_a_new_nonce_invalidates_it(programme,
                                                                                apply):
    application = apply(programme, "mentee", "Ada Muster")
    token = access.personal_token(application)
    assert token.startswith(f"{application.pk}-")
    assert access.application_by_token(token) == application
    assert access.personal_url(application) == f"/mentoring/p/{token}/"
    Application.objects.filter(pk=application.pk).update(nonce="0123456789abcdef")
    with pytest.raises(ValidationError):
        access.application_by_token(token)


@pytest.mark.parametrize("bad", [
    None, "", "abc", "1", "1-", "-abc", "1-" + "0" * 32, "1-abc\x00", "x" * 81,
    "١-" + "0" * 32, "²-" + "0" * 32, "9" * 40 + "-abc", 17, " 1-abc",
])
def test_every_wrong_link_gets_the_same_answer_in_german_and_english(programme, apply, bad):
    apply(programme, "mentee", "Ada Muster")
    with translation.override("de"), pytest.raises(ValidationError) as german:
        access.application_by_token(bad)
    assert german.value.messages == ["Dieser Link ist ungültig."]
    with translation.override("en"), pytest.raises(ValidationError) as english:
        access.application_by_token(bad)
    assert english.value.messages == ["This link is not valid."]


def test_a_token_of_another_application_with_a_changed_key_fails(programme, apply):
    ada = apply(programme, "mentee", "Ada Muster")
    bea = apply(programme, "mentee", "Bea Muster")
    mac = access.personal_token(ada).partition("-")[2]
    with pytest.raises(ValidationError):
        access.application_by_token(f"{bea.pk}-{mac}")


# --- programmes ------------------------------------------------------------------------------

def test_a_programme_is_created_with_its_coordinator_and_audited(world, coordinator):
    programme = services.programme_create(organisation=world.duesseldorf, actor=coordinator,
                                          data=programme_data())
    assert programme.coordinator == coordinator
    assert programme.status == Programme.Status.DRAFT
    assert AuditEntry.objects.filter(object_type="mentoring.programme",
                                     object_id=str(programme.pk),
                                     action=AuditEntry.Action.CREATE, actor=coordinator).exists()


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"cohort_ends_days": 30}, "cohort_ends", "The cohort must end after it starts."),
    ({"mentee_window_closes_days": -11}, "mentee_window_closes",
     "Applications must close after they open."),
    ({"mentor_window_closes_days": 300}, "mentor_window_closes",
     "Applications must close before the cohort ends."),
])
def test_dates_out_of_order_are_refused_and_nothing_is_created(world, coordinator, overrides,
                                                               field, message):
    today = timezone.localdate()
    data = programme_data(**{key.removesuffix("_days"): today + timedelta(days=days)
                             for key, days in overrides.items()})
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.programme_create(organisation=world.duesseldorf, actor=coordinator, data=data)
    assert exc.value.message_dict[field] == [message]
    assert not Programme.objects.exists()
    assert not AuditEntry.objects.filter(object_type="mentoring.programme").exists()


def test_dates_may_come_as_iso_text_but_not_as_nonsense(world, coordinator):
    data = programme_data()
    data["cohort_starts"] = data["cohort_starts"].isoformat()
    programme = services.programme_create(organisation=world.duesseldorf, actor=coordinator,
                                          data=data)
    assert programme.cohort_starts.isoformat() == data["cohort_starts"]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.programme_create(organisation=world.duesseldorf, actor=coordinator,
                                  data=programme_data(slug="other", cohort_ends="31.12.2026"))
    assert "cohort_ends" in exc.value.message_dict


def test_the_short_name_is_unique_within_the_organisation_only(world, coordinator):
    services.programme_create(organisation=world.duesseldorf, actor=coordinator,
                              data=programme_data(slug="mentoring"))
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.programme_create(organisation=world.duesseldorf, actor=coordinator,
                                  data=programme_data(slug="mentoring"))
    assert "already uses this short name" in exc.value.message_dict["slug"][0]
    assert Programme.objects.count() == 1
    # Kassel may use the same name (without a coordinator: nobody there holds the role).
    services.programme_create(organisation=world.kassel, actor=None,
                              data=programme_data(slug="mentoring"))
    assert Programme.objects.count() == 2


def test_the_coordinator_must_hold_the_coordinator_role(world, coordinator):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.programme_create(organisation=world.duesseldorf, actor=coordinator,
                                  data=programme_data(coordinator=world.users[
                                      "duesseldorf_board"]))
    assert "mentoring coordinator" in exc.value.message_dict["coordinator"][0]
    # Düsseldorf's coordinator has no role in Kassel.
    with pytest.raises(ValidationError):
        services.programme_create(organisation=world.kassel, actor=None,
                                  data=programme_data(coordinator=coordinator))
    assert not Programme.objects.exists()


def test_unknown_fields_bad_slugs_and_nul_are_refused(world, coordinator):
    for data in (programme_data(status="running"), programme_data(slug="kein slug!"),
                 programme_data(title="Mentoring\x00"), programme_data(title=""),
                 programme_data(max_mentees_per_mentor=0)):
        with pytest.raises(ValidationError):
            services.programme_create(organisation=world.duesseldorf, actor=coordinator,
                                      data=data)
    assert not Programme.objects.exists()


def test_an_update_changes_only_what_is_valid(programme, coordinator):
    services.programme_update(programme=programme, actor=coordinator,
                              data={"title": "Mentoring für Frauen*"})
    assert programme.title == "Mentoring für Frauen*"
    entry = AuditEntry.objects.filter(object_type="mentoring.programme",
                                      action=AuditEntry.Action.UPDATE).latest("pk")
    assert entry.changes["title"][1] == "Mentoring für Frauen*"
    with pytest.raises(ValidationError):
        services.programme_update(programme=programme, actor=coordinator,
                                  data={"title": "Neu", "cohort_ends": programme.cohort_starts})
    programme.refresh_from_db()
    assert programme.title == "Mentoring für Frauen*"


def test_the_status_moves_along_allowed_steps_only(make_programme, coordinator):
    programme = make_programme(status=Programme.Status.DRAFT)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.programme_set_status(programme=programme, status=Programme.Status.FINISHED,
                                      actor=coordinator)
    assert "cannot go from" in error_text(exc)
    with pytest.raises(ValidationError):
        services.programme_set_status(programme=programme, status="nonsense", actor=coordinator)
    services.programme_set_status(programme=programme, status=Programme.Status.OPEN,
                                  actor=coordinator)
    assert programme.status == Programme.Status.OPEN


# --- applications ----------------------------------------------------------------------------

def test_an_application_is_stored_cleaned_and_the_link_is_mailed(programme):
    data = mentee_data("Ada Muster", fields=["housing", "housing", "equality"],
                       languages=["de", "tr", "de"], capacity=3)
    application, token = services.application_submit(programme=programme, role="mentee",
                                                      data=data, consent=True)
    assert access.application_by_token(token) == application
    assert application.fields == ["housing", "equality"]
    assert application.languages == ["de", "tr"]
    assert application.capacity == 1  # a mentee has one mentor, whatever was sent
    assert application.status == A.APPLIED and application.consent_at is not None
    [mail] = messages_to("ada.muster@example.org")
    assert token in mail.body_text and mail.sensitive
    assert programme.title in mail.subject
    entry = AuditEntry.objects.get(object_type="mentoring.application",
                                   object_id=str(application.pk))
    assert entry.actor is None


def test_a_logged_in_applicant_is_linked_and_named_from_the_account(programme, world):
    user = world.users["duesseldorf_member"]
    data = mentor_data()
    del data["name"], data["email"]
    application, _token = services.application_submit(programme=programme, role="mentor",
                                                       data=data, consent=True, user=user)
    assert application.user == user
    assert application.email == user.email and application.name == user.name


@pytest.mark.parametrize(("days", "status"), [
    (-11, Programme.Status.OPEN), (21, Programme.Status.OPEN), (0, Programme.Status.DRAFT),
    (0, Programme.Status.RUNNING),
])
def test_applications_only_while_the_window_and_the_programme_are_open(make_programme, days,
                                                                       status):
    programme = make_programme(status=status)
    today = timezone.localdate() + timedelta(days=days)
    with pytest.raises(ValidationError):
        services.application_submit(programme=programme, role="mentee", data=mentee_data(),
                                    consent=True, today=today)
    assert not Application.objects.exists()
    assert not Message.objects.filter(subject__contains=programme.title).exists()


def test_each_role_has_its_own_window(make_programme):
    today = timezone.localdate()
    programme = make_programme(mentor_window_opens=today - timedelta(days=20),
                               mentor_window_closes=today - timedelta(days=1))
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.application_submit(programme=programme, role="mentor", data=mentor_data(),
                                    consent=True)
    assert "Applications closed on" in error_text(exc)
    services.application_submit(programme=programme, role="mentee", data=mentee_data(),
                                consent=True)


def test_consent_and_a_known_role_are_required(programme):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.application_submit(programme=programme, role="mentee", data=mentee_data(),
                                    consent=False)
    assert "consent" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.application_submit(programme=programme, role="coordinator",
                                    data=mentee_data(), consent=True)
    assert not Application.objects.exists()


@pytest.mark.parametrize(("role", "overrides", "field", "english"), [
    ("mentee", {"fields": ["housing", "astrology"]}, "fields",
     "Fields of interest: “astrology” is not one of the choices."),
    ("mentee", {"times": "weekend"}, "times", "Preferred times: please choose from the list."),
    ("mentee", {"languages": []}, "languages", "Please choose at least one language."),
    ("mentee", {"hours_per_month": 0}, "hours_per_month",
     "Please enter a whole number from 1 to 80."),
    ("mentee", {"hours_per_month": 81}, "hours_per_month",
     "Please enter a whole number from 1 to 80."),
    ("mentee", {"hours_per_month": True}, "hours_per_month",
     "Please enter a whole number from 1 to 80."),
    ("mentee", {"hours_per_month": "viel"}, "hours_per_month",
     "Please enter a whole number from 1 to 80."),
    ("mentee", {"offers": ["step_free"]}, "offers", "Only mentors offer accessibility."),
    ("mentee", {"gender": "dragon"}, "gender", "Gender: please choose from the list."),
    ("mentee", {"goals": "Ziel\x00"}, "goals",
     "The text contains a character that is not allowed."),
    ("mentee", {"goals": "x" * 4001}, "goals", "Please use at most 4000 characters."),
    ("mentee", {"email": "keine-adresse"}, "email", "Enter a valid email address."),
    ("mentor", {"capacity": 4}, "capacity", "Please enter a whole number from 1 to 3."),
    ("mentor", {"capacity": 0}, "capacity", "Please enter a whole number from 1 to 3."),
    ("mentor", {"requires": ["mentor_woman"]}, "requires",
     "Only mentees can make wishes binding."),
    ("mentee", {"requires": ["rich"]}, "requires",
     "Binding wishes: “rich” is not one of the choices."),
])
def test_bad_profiles_name_the_field_and_store_nothing(programme, role, overrides, field,
                                                       english):
    data = (mentee_data if role == "mentee" else mentor_data)(**overrides)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.application_submit(programme=programme, role=role, data=data, consent=True)
    assert exc.value.message_dict[field] == [english]
    assert not Application.objects.exists()
    assert not Message.objects.filter(subject__contains=programme.title).exists()


def test_profile_errors_in_german(programme):
    data = mentee_data(goals="x" * 4001, experience="a\x00b")
    data["name"] = "  "
    with translation.override("de"), pytest.raises(ValidationError) as exc:
        services.application_submit(programme=programme, role="mentee", data=data,
                                    consent=True)
    errors = exc.value.message_dict
    assert errors["name"] == ["Dieses Feld ist erforderlich."]
    assert errors["goals"] == ["Bitte verwende höchstens 4000 Zeichen."]
    assert errors["experience"] == ["Der Text enthält ein Zeichen, das nicht erlaubt ist."]


def test_unknown_keys_are_refused(programme):
    with pytest.raises(ValidationError):
        services.application_submit(programme=programme, role="mentee",
                                    data=mentee_data(status="matched"), consent=True)
    assert not Application.objects.exists()


def test_women_programme_mentees_confirm_belonging_and_only_that(programme):
    data = mentee_data()
    del data["audience_confirmed"]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.application_submit(programme=programme, role="mentee", data=data,
                                    consent=True)
    assert "Please confirm that you belong to it" in exc.value.message_dict[
        "audience_confirmed"][0]
    # Confirmed, with no gender given: admitted, and nothing about it is stored.
    application, _token = services.application_submit(
        programme=programme, role="mentee",
        data=mentee_data(gender="", audience_confirmed=True), consent=True)
    assert application.gender == ""
    # Mentors need not confirm unless the programme says so.
    services.application_submit(programme=programme, role="mentor",
                                data=mentor_data(gender="man"), consent=True)


def test_mentors_of_a_women_only_programme_are_women(make_programme):
    programme = make_programme(audience_applies_to_mentors=True)
    for data in (mentor_data(gender="man", audience_confirmed=True),
                 mentor_data(gender="woman")):
        with pytest.raises(ValidationError):
            services.application_submit(programme=programme, role="mentor", data=data,
                                        consent=True)
    services.application_submit(programme=programme, role="mentor",
                                data=mentor_data(gender="nonbinary", audience_confirmed=True),
                                consent=True)


def test_everyone_programme_needs_no_confirmation(make_programme):
    programme = make_programme(audience=Programme.Audience.EVERYONE)
    data = mentee_data()
    del data["audience_confirmed"]
    services.application_submit(programme=programme, role="mentee", data=data, consent=True)


def test_one_address_applies_once_per_programme_and_role(programme, apply):
    first = apply(programme, "mentee", "Ada Muster")
    # A second application from the address answers like any other, says nothing about the
    # first, and sends the first one's link to the address (not to whoever typed it in).
    again = services.application_submit(
        programme=programme, role="mentee",
        data=mentee_data("Someone Else", email="ADA.muster@example.org"), consent=True)
    assert again == (None, "")
    assert Application.objects.count() == 1
    mails = messages_to("ada.muster@example.org")
    assert len(mails) == 2
    assert access.personal_url(first) in mails[-1].body_text
    assert not messages_to("ADA.muster@example.org")
    # The same person may also offer to be a mentor, and apply again after withdrawing.
    apply(programme, "mentor", "Ada Muster")
    services.application_withdraw(application=first)
    apply(programme, "mentee", "Ada Muster")
    assert Application.objects.count() == 3


def test_the_profile_changes_only_before_a_proposal(programme, apply, coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    services.application_update(application=ada, data={"fields": ["budget"],
                                                       "hours_per_month": 6})
    assert ada.fields == ["budget"] and ada.hours_per_month == 6
    with pytest.raises(ValidationError):
        services.application_update(application=ada, data={"fields": ["budget", "magic"]})
    with pytest.raises(ValidationError):
        services.application_update(application=ada, data={"coordinator_note": "heimlich"})
    ada.refresh_from_db()
    assert ada.fields == ["budget"]
    services.application_update(application=ada, data={"coordinator_note": "kennt Grete"},
                                actor=coordinator)
    apply(programme, "mentor", "Grete Ratsfrau")
    matched(programme, coordinator)
    with pytest.raises(ValidationError):
        services.application_update(application=ada, data={"hours_per_month": 2})


def test_the_coordinator_declines_an_application_before_any_proposal(programme, apply,
                                                                     coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    services.application_decline(application=ada, actor=coordinator, note="Wohnt in Köln.")
    assert ada.status == A.DECLINED and ada.coordinator_note == "Wohnt in Köln."
    assert len(messages_to("ada.muster@example.org")) == 2
    with pytest.raises(ValidationError):
        services.application_decline(application=ada, actor=coordinator)
    bea = apply(programme, "mentee", "Bea Muster")
    apply(programme, "mentor", "Grete Ratsfrau")
    matched(programme, coordinator)
    with pytest.raises(ValidationError):
        services.application_decline(application=bea, actor=coordinator)
    # Declined people are never matched.
    assert not Pairing.objects.filter(mentee=ada).exists()


# --- the coordinator's rules -----------------------------------------------------------------

def test_a_fixed_pair_wins_over_a_better_fit_and_a_forbidden_one_never_comes(
        programme, apply, coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    good = apply(programme, "mentor", "Grete Ratsfrau")
    weak = apply(programme, "mentor", "Hanna Fern", fields=["peace"], bodies=["board"],
                 district="Gerresheim", activities=["press"])
    run = services.matching_run(programme=programme, actor=coordinator)
    assert run.result["pairs"][0]["mentor"] == good.pk
    services.rule_set(programme=programme, mentee=ada, mentor=weak, kind=PairRule.Kind.FIX,
                      reason="Kennen sich", actor=coordinator)
    run = services.matching_run(programme=programme, actor=coordinator)
    assert run.result["pairs"][0]["mentor"] == weak.pk
    rule = services.rule_set(programme=programme, mentee=ada, mentor=good,
                             kind=PairRule.Kind.FORBID, reason="", actor=coordinator)
    services.rule_remove(rule=PairRule.objects.get(mentor=weak), actor=coordinator)
    run = services.matching_run(programme=programme, actor=coordinator)
    assert run.result["pairs"][0]["mentor"] == weak.pk
    services.rule_remove(rule=rule, actor=coordinator)
    assert not PairRule.objects.exists()


def test_rules_refuse_wrong_people_and_a_full_mentor(programme, make_programme, apply,
                                                     coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    bea = apply(programme, "mentee", "Bea Muster")
    grete = apply(programme, "mentor", "Grete Ratsfrau", capacity=1)
    turkish = apply(programme, "mentor", "Ayşe Yılmaz", languages=["tr"],
                    email="ayse@example.org")
    other = make_programme()
    stranger = apply(other, "mentor", "Fremde Person")
    bad_calls = [
        {"mentee": grete, "mentor": ada, "kind": "fix"},  # roles swapped
        {"mentee": ada, "mentor": stranger, "kind": "fix"},  # other programme
        {"mentee": ada, "mentor": grete, "kind": "maybe"},
        {"mentee": ada, "mentor": turkish, "kind": "fix"},  # no common language
    ]
    for call in bad_calls:
        with pytest.raises(ValidationError):
            services.rule_set(programme=programme, reason="", actor=coordinator, **call)
    services.rule_set(programme=programme, mentee=ada, mentor=grete, kind="fix", reason="",
                      actor=coordinator)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.rule_set(programme=programme, mentee=bea, mentor=grete, kind="fix", reason="",
                          actor=coordinator)
    assert "no free place" in error_text(exc)
    assert PairRule.objects.count() == 1


# --- matching --------------------------------------------------------------------------------

def test_a_run_is_a_draft_with_greedy_figures_and_sends_nothing(programme, apply, coordinator):
    for n in range(3):
        apply(programme, "mentee", f"Mentee {n}")
    apply(programme, "mentor", "Grete Ratsfrau", capacity=2)
    mails = Message.objects.count()
    run = services.matching_run(programme=programme, actor=coordinator)
    assert run.matched == 2 and run.unmatched == 1 and run.sent_at is None
    assert run.result["greedy_matched"] == 2
    assert run.result["greedy_score"] <= run.total_score
    assert run.result["unmatched"][0]["reason"] == "capacity_exhausted"
    assert not Pairing.objects.exists()
    assert Message.objects.count() == mails
    assert set(Application.objects.values_list("status", flat=True)) == {A.APPLIED}


def test_a_run_needs_an_open_or_running_programme(make_programme, coordinator):
    for status in (Programme.Status.DRAFT, Programme.Status.FINISHED):
        with pytest.raises(ValidationError):
            services.matching_run(programme=make_programme(status=status), actor=coordinator)
    assert not MatchRun.objects.exists()


def test_mentors_outside_the_audience_are_left_out_when_the_programme_says_so(
        make_programme, apply, coordinator):
    programme = make_programme(audience_applies_to_mentors=True)
    apply(programme, "mentee", "Ada Muster")
    man = apply(programme, "mentor", "Max Muster", gender="nonbinary", audience_confirmed=True)
    # Changed later to a gender outside the audience: the matching reads the gender.
    Application.objects.filter(pk=man.pk).update(gender="man")
    run = services.matching_run(programme=programme, actor=coordinator)
    assert run.matched == 0


def test_the_mentees_requirements_hold(programme, apply, coordinator):
    apply(programme, "mentee", "Ada Muster", requires=["mentor_woman"])
    apply(programme, "mentor", "Max Muster", gender="man")
    run = services.matching_run(programme=programme, actor=coordinator)
    assert run.matched == 0
    assert run.result["unmatched"][0]["ruled_out"] == [["mentor_woman", 1]]


def test_sending_proposes_pairs_and_puts_the_rest_on_the_waiting_list(programme, apply,
                                                                      coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    bea = apply(programme, "mentee", "Bea Muster", languages=["tr"])
    grete = apply(programme, "mentor", "Grete Ratsfrau", capacity=2)
    run, pairings = matched(programme, coordinator)
    [pairing] = pairings
    assert (pairing.mentee, pairing.mentor, pairing.status) == (ada, grete, P.PROPOSED)
    assert pairing.score == run.result["pairs"][0]["score"] and pairing.explanation
    for app, status in ((ada, A.PROPOSED), (bea, A.WAITING), (grete, A.PROPOSED)):
        app.refresh_from_db()
        assert app.status == status
    assert bea.waiting_since is not None
    run.refresh_from_db()
    assert run.sent_at is not None
    proposal = messages_to("ada.muster@example.org")[-1]
    assert "Grete" in proposal.body_text
    # Before both accept, no surname, no address, no phone of the partner.
    assert "Ratsfrau" not in proposal.body_text and "0211" not in proposal.body_text
    assert "grete.ratsfrau@" not in proposal.body_text
    # Why they fit, in the applicant's language (German: no account, no other choice).
    with translation.override("de"):
        lines = selectors.explanation_lines(pairing.explanation)
    assert len(lines) >= 3 and all(f"- {line}\n" in proposal.body_text for line in lines)
    to_grete = messages_to("grete.ratsfrau@example.org")[-1]
    assert "Ada" in to_grete.body_text and "Muster" not in to_grete.body_text
    assert access.personal_token(grete) in to_grete.body_text
    with translation.override("de"):
        waiting_subject = translation.gettext("On the waiting list: %(title)s") % {
            "title": programme.title}
    assert messages_to("bea.muster@example.org")[-1].subject == waiting_subject


def test_a_run_is_sent_once_and_only_the_latest(programme, apply, coordinator):
    apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentor", "Grete Ratsfrau")
    old = services.matching_run(programme=programme, actor=coordinator)
    new = services.matching_run(programme=programme, actor=coordinator)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.matching_send(run=old, actor=coordinator)
    assert "newer matching" in error_text(exc)
    services.matching_send(run=new, actor=coordinator)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.matching_send(run=new, actor=coordinator)
    assert "already been sent" in error_text(exc)
    assert Pairing.objects.count() == 1


def test_a_stale_run_is_refused_whole(programme, apply, coordinator):
    apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentee", "Bea Muster")
    grete = apply(programme, "mentor", "Grete Ratsfrau", capacity=2)
    run = services.matching_run(programme=programme, actor=coordinator)
    services.application_withdraw(application=grete)
    mails = Message.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.matching_send(run=run, actor=coordinator)
    assert "nothing was sent" in error_text(exc)
    assert not Pairing.objects.exists()
    assert Message.objects.count() == mails
    run.refresh_from_db()
    assert run.sent_at is None


def test_a_mentor_with_open_pairs_is_offered_only_the_places_left(programme, apply,
                                                                  coordinator):
    grete = apply(programme, "mentor", "Grete Ratsfrau", capacity=2)
    apply(programme, "mentee", "Ada Muster")
    matched(programme, coordinator)
    for n in range(3):
        apply(programme, "mentee", f"Neu {n}")
    run, pairings = matched(programme, coordinator)
    assert len(pairings) == 1
    assert open_pairings(grete) == 2
    run = services.matching_run(programme=programme, actor=coordinator)
    assert run.matched == 0


def test_the_waiting_list_keeps_its_order_across_rounds(programme, apply, coordinator):
    first = apply(programme, "mentee", "Erste Wartende", languages=["pl"])
    matched(programme, coordinator)
    first.refresh_from_db()
    since = first.waiting_since
    second = apply(programme, "mentee", "Zweite Wartende", languages=["pl"])
    matched(programme, coordinator)
    first.refresh_from_db()
    assert first.waiting_since == since
    assert selectors.waiting_list(programme) == [first, second]
    # The first waiting-list e-mail only: a second round does not repeat it.
    assert len(messages_to(first.email)) == 2


def test_a_fixed_pair_to_a_full_mentor_stops_the_run_with_a_clear_message(programme, apply,
                                                                          coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    grete = apply(programme, "mentor", "Grete Ratsfrau")
    bea = apply(programme, "mentee", "Bea Muster")
    services.rule_set(programme=programme, mentee=bea, mentor=grete, kind="fix", reason="",
                      actor=coordinator)
    # Grete's place is taken by hand (a fixed pair cannot stop a proposal made before).
    Pairing.objects.create(programme=programme, mentee=ada, mentor=grete)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.matching_run(programme=programme, actor=coordinator)
    assert "Bea Muster is fixed to Grete Ratsfrau" in error_text(exc)


# --- proposals -------------------------------------------------------------------------------

def test_both_accept_and_get_each_others_contact(programme, apply, coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    grete = apply(programme, "mentor", "Grete Ratsfrau")
    _run, [pairing] = matched(programme, coordinator)
    services.proposal_answer(pairing=pairing, side="mentor", accept=True)
    pairing.refresh_from_db()
    assert pairing.status == P.PROPOSED and pairing.mentor_answer == "accepted"
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.proposal_answer(pairing=pairing, side="mentor", accept=False)
    assert "already answered" in error_text(exc)
    pairing = services.proposal_answer(pairing=pairing, side="mentee", accept=True)
    assert pairing.status == P.ACTIVE and pairing.started_at is not None
    for app in (ada, grete):
        app.refresh_from_db()
        assert app.status == A.MATCHED
    to_ada = messages_to(ada.email)[-1].body_text
    assert "grete.ratsfrau@example.org" in to_ada and "0211 654321" in to_ada
    assert "Grete Ratsfrau" in to_ada
    assert "ada.muster@example.org" in messages_to(grete.email)[-1].body_text
    with pytest.raises(ValidationError):
        services.proposal_answer(pairing=pairing, side="mentee", accept=False)


@pytest.mark.parametrize(("side", "accept"), [("coordinator", True), ("mentee", "yes"),
                                              ("mentee", None)])
def test_answers_must_be_well_formed(programme, apply, coordinator, side, accept):
    apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentor", "Grete Ratsfrau")
    _run, [pairing] = matched(programme, coordinator)
    with pytest.raises(ValidationError):
        services.proposal_answer(pairing=pairing, side=side, accept=accept)
    pairing.refresh_from_db()
    assert pairing.mentee_answer == pairing.mentor_answer == ""


def test_a_decline_rematches_the_mentee_frees_the_place_and_tells_the_coordinator(
        programme, apply, coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    grete = apply(programme, "mentor", "Grete Ratsfrau")
    _run, [pairing] = matched(programme, coordinator)
    hanna = apply(programme, "mentor", "Hanna Fern", fields=["peace"])
    services.proposal_answer(pairing=pairing, side="mentor", accept=False)
    pairing.refresh_from_db()
    assert pairing.status == P.DECLINED
    new = Pairing.objects.get(mentee=ada, status=P.PROPOSED)
    assert new.mentor == hanna and new.run is None
    grete.refresh_from_db()
    assert grete.status == A.APPLIED and open_pairings(grete) == 0
    assert messages_to(coordinator.email), "the coordinator is told"
    assert "Grete Ratsfrau" in messages_to(coordinator.email)[-1].body_text
    # Hanna declines too: nobody is left, Ada waits; the declined pairs are never proposed
    # again.
    services.proposal_answer(pairing=new, side="mentee", accept=False)
    ada.refresh_from_db()
    assert ada.status == A.WAITING and ada.waiting_since is not None
    run = services.matching_run(programme=programme, actor=coordinator)
    assert run.matched == 0
    assert run.result["unmatched"][0]["ruled_out"] == [["forbidden", 2]]


def test_rematch_proposes_a_new_mentor_to_a_waiting_mentee(programme, apply, coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    matched(programme, coordinator)
    ada.refresh_from_db()
    assert ada.status == A.WAITING
    assert services.rematch(application=ada, actor=coordinator) is None
    grete = apply(programme, "mentor", "Grete Ratsfrau")
    pairing = services.rematch(application=ada, actor=coordinator)
    assert pairing.mentor == grete and pairing.status == P.PROPOSED
    ada.refresh_from_db()
    assert ada.status == A.PROPOSED
    with pytest.raises(ValidationError):
        services.rematch(application=ada, actor=coordinator)
    with pytest.raises(ValidationError):
        services.rematch(application=grete, actor=coordinator)


def test_withdrawing_a_mentor_rematches_her_mentees(programme, apply, coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    grete = apply(programme, "mentor", "Grete Ratsfrau")
    _run, [pairing] = matched(programme, coordinator)
    accept_both(pairing)
    hanna = apply(programme, "mentor", "Hanna Fern")
    services.application_withdraw(application=grete)
    pairing.refresh_from_db()
    assert pairing.status == P.ENDED and pairing.ended_at is not None
    assert grete.status == A.WITHDRAWN
    assert Pairing.objects.get(mentee=ada, status=P.PROPOSED).mentor == hanna
    subjects = [m.subject for m in messages_to(ada.email)]
    with translation.override("de"):
        left = translation.gettext("Your partner has left the programme: %(title)s") % {
            "title": programme.title}
    assert left in subjects
    assert messages_to(coordinator.email)
    with pytest.raises(ValidationError):
        services.application_withdraw(application=grete)


def test_withdrawing_a_mentee_frees_the_mentors_place(programme, apply, coordinator):
    ada = apply(programme, "mentee", "Ada Muster")
    grete = apply(programme, "mentor", "Grete Ratsfrau")
    _run, [pairing] = matched(programme, coordinator)
    services.application_withdraw(application=ada)
    pairing.refresh_from_db()
    assert pairing.status == P.DECLINED and pairing.mentee_answer == "declined"
    grete.refresh_from_db()
    assert grete.status == A.APPLIED and open_pairings(grete) == 0
    bea = apply(programme, "mentee", "Bea Muster")
    _run, [new] = matched(programme, coordinator)
    assert (new.mentee, new.mentor) == (bea, grete)


# --- accompaniment ---------------------------------------------------------------------------

@pytest.fixture
def pair(programme, apply, coordinator):
    apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentor", "Grete Ratsfrau")
    _run, [pairing] = matched(programme, coordinator)
    return pairing


def test_nothing_is_logged_for_a_mere_proposal(pair):
    with pytest.raises(ValidationError):
        services.meeting_log(pairing=pair, side="mentee", held_on=timezone.localdate(),
                             kind="meeting", minutes=60, summary="")
    with pytest.raises(ValidationError):
        services.goal_add(pairing=pair, side="mentee", title="Rede halten")
    with pytest.raises(ValidationError):
        services.feedback_submit(pairing=pair, side="mentee", rating=5, text="")
    assert not Meeting.objects.exists() and not Goal.objects.exists()


def started_days_ago(pairing, days):
    """A pair that has run for a while, so that past meetings can be logged."""
    Pairing.objects.filter(pk=pairing.pk).update(
        started_at=timezone.now() - timedelta(days=days))
    pairing.refresh_from_db()
    return pairing


def test_meetings_goals_notes_and_feedback_of_an_active_pair(pair):
    accept_both(pair)
    started_days_ago(pair, 10)
    today = timezone.localdate()
    meeting = services.meeting_log(pairing=pair, side="mentee", held_on=today,
                                   kind="accompanied", minutes=120,
                                   summary="Ratssitzung besucht, Haushaltsrede gehört.")
    assert meeting.logged_by == "mentee"
    services.meeting_log(pairing=pair, side="mentor", held_on=today - timedelta(days=7),
                         kind="call", minutes=30, summary="")
    bad = [
        {"held_on": today + timedelta(days=1), "kind": "meeting", "minutes": 60},
        {"held_on": today, "kind": "party", "minutes": 60},
        {"held_on": today, "kind": "meeting", "minutes": 4},
        {"held_on": today, "kind": "meeting", "minutes": 721},
        {"held_on": "gestern", "kind": "meeting", "minutes": 60},
        # before the pair started
        {"held_on": today - timedelta(days=11), "kind": "meeting", "minutes": 60},
    ]
    for call in bad:
        with pytest.raises(ValidationError):
            services.meeting_log(pairing=pair, side="mentee", summary="", **call)
    with pytest.raises(ValidationError):
        services.meeting_log(pairing=pair, side="coordinator", held_on=today, kind="meeting",
                             minutes=60, summary="")
    assert Meeting.objects.count() == 2

    goal = services.goal_add(pairing=pair, side="mentor", title="Eine Rede im Rat halten")
    services.goal_update(goal=goal, side="mentee", status=Goal.Status.REACHED)
    goal.refresh_from_db()
    assert goal.status == Goal.Status.REACHED
    for title in ("", "x" * 201, "a\x00"):
        with pytest.raises(ValidationError):
            services.goal_add(pairing=pair, side="mentor", title=title)
    with pytest.raises(ValidationError):
        services.goal_update(goal=goal, side="mentee", status="done")

    services.note_add(pairing=pair, side="mentee", text="Grete redet viel.")
    with pytest.raises(ValidationError):
        services.note_add(pairing=pair, side="mentee", text="")

    # Feedback only once the pair has ended.
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.feedback_submit(pairing=pair, side="mentee", rating=5, text="Sehr gut.")
    assert "once your mentoring has ended" in error_text(exc)
    assert not Feedback.objects.exists()
    services.pairing_end(pairing=pair, side="mentee")
    services.feedback_submit(pairing=pair, side="mentee", rating=5, text="Sehr gut.")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.feedback_submit(pairing=pair, side="mentee", rating=4, text="")
    assert "already given" in error_text(exc)
    for rating in (0, 6, "five", True):
        with pytest.raises(ValidationError):
            services.feedback_submit(pairing=pair, side="mentor", rating=rating, text="")
    assert Feedback.objects.count() == 1


def test_ending_a_pair_in_a_finished_programme_finishes_both(pair, coordinator):
    with pytest.raises(ValidationError):
        services.pairing_end(pairing=pair, side="mentee")
    accept_both(pair)
    for status in (Programme.Status.RUNNING, Programme.Status.FINISHED):
        services.programme_set_status(programme=pair.programme, status=status,
                                      actor=coordinator)
    services.pairing_end(pairing=pair, side="mentor")
    pair.refresh_from_db()
    assert pair.status == P.ENDED and pair.ended_at is not None
    pair.mentee.refresh_from_db()
    pair.mentor.refresh_from_db()
    assert pair.mentee.status == pair.mentor.status == A.FINISHED
    # Feedback is possible after the end, meetings too.
    services.feedback_submit(pairing=pair, side="mentor", rating=4, text="")
    with pytest.raises(ValidationError):
        services.pairing_end(pairing=pair)


# --- selectors -------------------------------------------------------------------------------

SECRET_SUMMARY = "Vertraulich: Streit mit dem Vorstand."
SECRET_NOTE = "Meine eigene Notiz über Grete."


def test_the_coordinator_sees_progress_and_feedback_but_never_summaries_or_notes(pair):
    accept_both(pair)
    started_days_ago(pair, 5)
    today = timezone.localdate()
    services.meeting_log(pairing=pair, side="mentee", held_on=today - timedelta(days=3),
                         kind="meeting", minutes=90, summary=SECRET_SUMMARY)
    services.meeting_log(pairing=pair, side="mentor", held_on=today, kind="call", minutes=30,
                         summary=SECRET_SUMMARY)
    services.goal_add(pairing=pair, side="mentee", title="Antrag schreiben")
    services.note_add(pairing=pair, side="mentee", text=SECRET_NOTE)
    services.pairing_end(pairing=pair, side="mentee")
    services.feedback_submit(pairing=pair, side="mentor", rating=4, text="Gut organisiert.")
    [row] = selectors.progress(pair.programme)
    assert row["status"] == P.ENDED and row["meetings"] == 2
    assert row["last_meeting"] == today and row["minutes"] == 120
    assert row["goals"][0]["title"] == "Antrag schreiben"
    assert row["feedback"] == {"mentee": None, "mentor": 4}
    # The feedback form tells the partners that the coordinator reads the text.
    assert row["feedback_text"] == {"mentee": None, "mentor": "Gut organisiert."}
    assert SECRET_SUMMARY not in repr(row) and SECRET_NOTE not in repr(row)
    # No model object in the row through which a template could reach the summaries.
    assert not any(hasattr(value, "_meta") for value in row.values())
    pool = selectors.pool(pair.programme)
    assert SECRET_SUMMARY not in repr(pool) and SECRET_NOTE not in repr(pool)


def test_each_partner_sees_the_summaries_and_only_her_own_notes(pair):
    accept_both(pair)
    services.meeting_log(pairing=pair, side="mentor", held_on=timezone.localdate(),
                         kind="meeting", minutes=60, summary=SECRET_SUMMARY)
    services.note_add(pairing=pair, side="mentee", text=SECRET_NOTE)
    services.note_add(pairing=pair, side="mentor", text="Notiz der Mentorin")
    mentee_view = selectors.partner_view(pair.mentee)
    mentor_view = selectors.partner_view(pair.mentor)
    [mine] = mentee_view["pairs"]
    # Feedback comes when the pair has ended.
    assert mine["feedback"] == {"mine": None, "given": False, "can_give": False}
    assert mine["partner"] == {"name": "Grete Ratsfrau", "email": "grete.ratsfrau@example.org",
                               "phone": "0211 654321"}
    assert [m.summary for m in mine["meetings"]] == [SECRET_SUMMARY]
    assert [n.text for n in mine["notes"]] == [SECRET_NOTE]
    assert [n.text for n in mentor_view["pairs"][0]["notes"]] == ["Notiz der Mentorin"]
    assert SECRET_NOTE not in repr(mentor_view)
    services.pairing_end(pairing=pair, side="mentee")
    [mine] = selectors.partner_view(pair.mentee)["pairs"]
    assert mine["feedback"] == {"mine": None, "given": False, "can_give": True}


def test_a_proposal_shows_the_first_name_and_why_not_the_contact(pair):
    view = selectors.partner_view(pair.mentee)
    [proposal] = view["proposals"]
    assert proposal["pk"] == pair.pk
    assert proposal["partner_first_name"] == "Grete"
    assert proposal["my_answer"] == "" and proposal["partner_answered"] is False
    with translation.override("en"):
        lines = selectors.explanation_lines(proposal["explanation"])
    assert any(line.startswith("Common fields of interest: ") for line in lines)
    assert "Ratsfrau" not in repr(view["proposals"]) and "@" not in repr(view["proposals"])
    assert view["pairs"] == []


def test_the_pool_shows_each_mentors_workload_and_other_roles(programme, apply, world):
    from mitmachen.organisations import services as organisations
    from mitmachen.organisations.models import Organisation

    user = world.users["duesseldorf_member"]
    apply(programme, "mentor", "Ruhige Mentorin", hours_per_month=8, capacity=2)
    busy = apply(programme, "mentor", "Volle Mentorin", hours_per_month=3, capacity=2,
                 other_commitments="Stadträtin, Kassiererin", user=user)
    bilk = organisations.organisation_create(
        name="Bilk", slug="bilk", kind=Organisation.Kind.PARTY_BRANCH,
        level=Organisation.Level.LOCAL, parent=world.duesseldorf, actor=None)
    core.role_grant(user=user, organisation=world.duesseldorf, role=Role.TREASURER, actor=None)
    core.role_grant(user=user, organisation=bilk, role=Role.BOARD, actor=None)
    # Above the organisation or beside it: not this coordinator's business.
    core.role_grant(user=user, organisation=world.nrw, role=Role.BOARD, actor=None)
    core.role_grant(user=user, organisation=world.kassel, role=Role.ADMINISTRATOR,
                    actor=None)
    apply(programme, "mentee", "Ada Muster")
    pool = selectors.pool(programme)
    assert [m["application"].name for m in pool["mentees"]] == ["Ada Muster"]
    calm, full = sorted(pool["mentors"], key=lambda m: m["application"].name)
    assert (calm["hours_per_mentee"], calm["free_places"], calm["warning"]) == (4.0, 2, False)
    assert full["application"] == busy
    assert full["hours_per_mentee"] == 1.5 and full["warning"] is True
    assert len(full["warnings"]) == 2
    assert {r["organisation"] for r in full["other_roles"]} == {"Duesseldorf", "Bilk"}
    assert full["other_commitments"] == "Stadträtin, Kassiererin"
    # Without an account nobody knows the roles: the pool says so instead of "none".
    assert (calm["roles_known"], full["roles_known"]) == (False, True)


# --- the invariants under any sequence of events ---------------------------------------------

class ProgrammeMachine(RuleBasedStateMachine):
    """Random sends, answers, withdrawals, rematches and new applications on one programme:
    no mentor ever has more open pairs than places, no mentee two open pairs, and every
    status agrees with the pairs."""

    programme = None
    coordinator = None

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.n = 0

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _apply(self, role, capacity=1, languages=("de",)):
        self.n += 1
        extra = {"capacity": capacity} if role == "mentor" else {}
        data = (mentee_data if role == "mentee" else mentor_data)(
            f"P{self.n} X", languages=list(languages), **extra)
        services.application_submit(programme=self.programme, role=role, data=data,
                                    consent=True)

    @initialize(mentees=st.integers(1, 5), capacities=st.lists(st.integers(1, 3), min_size=1,
                                                              max_size=3))
    def setup(self, mentees, capacities):
        for _ in range(mentees):
            self._apply("mentee")
        for capacity in capacities:
            self._apply("mentor", capacity)

    def _pick(self, queryset, index):
        items = list(queryset.order_by("pk"))
        return items[index % len(items)] if items else None

    def _try(self, call, **kwargs):
        try:
            return call(**kwargs)
        except ValidationError:
            return None

    @rule(languages=st.sampled_from([("de",), ("tr",), ("de", "tr")]))
    def new_mentee(self, languages):
        self._apply("mentee", languages=languages)

    @rule(capacity=st.integers(1, 2))
    def new_mentor(self, capacity):
        self._apply("mentor", capacity)

    @rule(send=st.booleans())
    def run_and_send(self, send):
        run = self._try(services.matching_run, programme=self.programme, actor=self.coordinator)
        if run is not None and send:
            self._try(services.matching_send, run=run, actor=self.coordinator)

    @rule(index=st.integers(0, 50), side=st.sampled_from(["mentee", "mentor"]),
          accept=st.booleans())
    def answer(self, index, side, accept):
        pairing = self._pick(Pairing.objects.filter(status=P.PROPOSED), index)
        if pairing is not None:
            self._try(services.proposal_answer, pairing=pairing, side=side, accept=accept)

    @rule(index=st.integers(0, 50))
    def withdraw(self, index):
        application = self._pick(Application.objects.exclude(status__in=services.GONE), index)
        if application is not None:
            self._try(services.application_withdraw, application=application)

    @rule(index=st.integers(0, 50))
    def rematch(self, index):
        application = self._pick(Application.objects.filter(role="mentee"), index)
        if application is not None:
            self._try(services.rematch, application=application)

    @rule(index=st.integers(0, 50))
    def end(self, index):
        pairing = self._pick(Pairing.objects.filter(status=P.ACTIVE), index)
        if pairing is not None:
            services.pairing_end(pairing=pairing)

    @invariant()
    def capacities_hold(self):
        if self.programme is None:
            return
        for mentor in Application.objects.filter(role="mentor"):
            assert open_pairings(mentor) <= mentor.capacity
            if mentor.status in (A.WITHDRAWN, A.DECLINED):
                assert open_pairings(mentor) == 0
        for mentee in Application.objects.filter(role="mentee"):
            open_ = list(Pairing.objects.filter(mentee=mentee,
                                                status__in=[P.PROPOSED, P.ACTIVE]))
            assert len(open_) <= 1
            expected = {P.PROPOSED: A.PROPOSED, P.ACTIVE: A.MATCHED}
            if open_:
                assert mentee.status == expected[open_[0].status]
            else:
                assert mentee.status in (A.APPLIED, A.WAITING, A.WITHDRAWN, A.FINISHED)
            # A declined pair never comes back.
            declined = Pairing.objects.filter(mentee=mentee, status=P.DECLINED)
            for pair in declined:
                assert not Pairing.objects.filter(mentee=mentee, mentor=pair.mentor,
                                                  status__in=[P.PROPOSED, P.ACTIVE]).exists()


def test_no_sequence_of_events_overfills_a_mentor_or_doubles_a_mentee(programme, coordinator):
    ProgrammeMachine.programme = programme
    ProgrammeMachine.coordinator = coordinator
    run_state_machine_as_test(
        ProgrammeMachine,
        settings=settings(max_examples=25, stateful_step_count=20, deadline=None))
