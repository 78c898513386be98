"""The mentoring pages: the public programme page and application, the personal page by link,
and the coordinator's pages (who may see them, what they show and what they never show)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitmachen.core.models import AuditEntry
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
from mitmachen.messaging.models import Message

from .conftest import programme_data

A = Application.Status
P = Pairing.Status


def english(client: Client | None = None) -> Client:
    client = client or Client()
    client.cookies["django_language"] = "en"
    return client


def text(response) -> str:
    return response.content.decode()


def apply_form(role="mentee", **overrides) -> dict:
    """The application form as a browser posts it."""
    data = {
        "name": "Ada Muster", "email": "ada@example.org", "phone": "0211 123456",
        "gender": "woman", "fields": ["housing", "equality"], "bodies": ["council"],
        "activities": ["speaking"], "hours_per_month": "4", "times": ["weekday_evening"],
        "district": "Bilk", "languages": ["de"], "goals": "Im Stadtrat reden.",
        "experience": "", "consent": "on", "website": "",
    }
    if role == "mentee":
        data["audience_confirmed"] = "on"
    else:
        data.update(name="Kea Mentorin", email="kea@example.org", capacity="2",
                    fields=["housing", "equality", "budget"], bodies=["council", "committee"],
                    activities=["speaking", "motions"],
                    times=["weekday_evening", "weekend"], languages=["de", "en"],
                    hours_per_month="8", offers=["step_free"],
                    other_commitments="Ratsfrau, Kassiererin im Ortsverband.")
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def apply_url(programme, role):
    return reverse("mentoring:apply", args=[programme.organisation.slug, programme.slug, role])


def staff_url(name, programme, *args):
    return reverse(f"mentoring:{name}", args=[programme.organisation.slug, programme.pk, *args])


def personal(application, name="personal"):
    return reverse(f"mentoring:{name}", args=[access.personal_token(application)])


def active_pair(programme, coordinator, apply):
    mentee = apply(programme, "mentee", "Ada Muster")
    mentor = apply(programme, "mentor", "Kea Mentorin")
    run = services.matching_run(programme=programme, actor=coordinator)
    (pairing,) = services.matching_send(run=run, actor=coordinator)
    services.proposal_answer(pairing=pairing, side="mentee", accept=True)
    services.proposal_answer(pairing=pairing, side="mentor", accept=True)
    pairing.refresh_from_db()
    return mentee, mentor, pairing


# --- who may see the coordinator's pages -----------------------------------------------------

COORDINATOR_PAGES = ["programmes", "programme_new", "programme_detail", "programme_edit",
                     "application", "rules", "matching", "matching_send", "pairs",
                     "pairs_print", "log"]


def _coordinator_url(name, programme, application, run):
    slug = programme.organisation.slug
    if name in ("programmes", "programme_new", "log"):
        return reverse(f"mentoring:{name}", args=[slug])
    extra = {"application": [application.pk], "matching_send": [run.pk]}.get(name, [])
    return reverse(f"mentoring:{name}", args=[slug, programme.pk, *extra])


@pytest.mark.parametrize("name", COORDINATOR_PAGES)
@pytest.mark.parametrize(("persona", "status"), [
    (None, 302), ("kassel_board", 404), ("kassel_admin", 404), ("hessen_board", 404),
    ("duesseldorf_board", 403), ("duesseldorf_admin", 403), ("duesseldorf_officer", 403),
    ("duesseldorf_member", 404), ("duesseldorf_mentoring", 200),
])
def test_only_the_mentoring_coordinator_opens_the_coordinator_pages(
        login, programme, apply, coordinator, name, persona, status):
    application = apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentor", "Kea Mentorin")
    run = services.matching_run(programme=programme, actor=coordinator)
    url = _coordinator_url(name, programme, application, run)
    response = login(persona).get(url)
    assert response.status_code == status
    if persona is None:
        assert response["Location"].startswith(reverse("core:login"))
    if status != 200:
        assert "Ada Muster" not in text(response)


@pytest.mark.parametrize("name", ["programme_detail", "application", "matching", "pairs",
                                  "pairs_print", "rules", "programme_edit"])
def test_another_organisations_programme_answers_404_to_the_coordinator(
        world, login, name, make_programme, apply, coordinator):
    theirs = services.programme_create(organisation=world.kassel, actor=None,
                                       data=programme_data(slug="kassel-mentoring"))
    services.programme_set_status(programme=theirs, status="open", actor=None)
    application = apply(theirs, "mentee", "Ada Kassel")
    slug = world.duesseldorf.slug
    extra = [application.pk] if name == "application" else []
    response = login("duesseldorf_mentoring").get(
        reverse(f"mentoring:{name}", args=[slug, theirs.pk, *extra]))
    assert response.status_code == 404
    # Nor does an application of another programme open under this programme's address.
    mine = make_programme()
    response = login("duesseldorf_mentoring").get(
        reverse("mentoring:application", args=[slug, mine.pk, application.pk]))
    assert response.status_code == 404


def _staff_nav(response) -> str:
    page = text(response)
    return page.split('<nav class="staff"', 1)[1].split("</nav>", 1)[0]


def test_the_staff_menu_links_mentoring_for_the_coordinator_only(login, programme):
    link = 'href="/staff/duesseldorf/mentoring/"'
    coordinator = login("duesseldorf_mentoring")
    response = coordinator.get(reverse("mentoring:programmes", args=["duesseldorf"]))
    assert link in _staff_nav(response)
    board = login("duesseldorf_board")
    response = board.get(reverse("people:contact_list", args=["duesseldorf"]))
    assert response.status_code == 200
    assert "Kontakte" in _staff_nav(response) or "Contacts" in _staff_nav(response)
    assert link not in _staff_nav(response)


# --- the public pages ------------------------------------------------------------------------

def test_the_programme_page_shows_windows_contact_and_the_buttons(world, programme):
    response = english().get(reverse("mentoring:programme", args=["duesseldorf",
                                                                  programme.slug]))
    assert response.status_code == 200
    page = text(response)
    assert programme.title in page
    assert "Women/FLINTA*" in page
    assert "mentoring@duesseldorf.example.org" in page
    assert "duesseldorf mentoring" in page  # the coordinator's name
    assert apply_url(programme, "mentee") in page
    assert apply_url(programme, "mentor") in page


def test_a_closed_window_shows_why_and_no_button(make_programme):
    today = timezone.localdate()
    programme = make_programme(mentor_window_opens=today - timedelta(days=20),
                               mentor_window_closes=today - timedelta(days=1))
    page = text(english().get(reverse("mentoring:programme",
                                      args=["duesseldorf", programme.slug])))
    assert apply_url(programme, "mentee") in page
    assert apply_url(programme, "mentor") not in page
    assert "Applications closed on" in page
    response = english().get(apply_url(programme, "mentor"))
    assert "Applications closed on" in text(response)
    assert 'name="consent"' not in text(response)


@pytest.mark.parametrize("case", ["draft", "unknown", "other_org", "role"])
def test_drafts_unknown_programmes_and_roles_answer_404(make_programme, case):
    programme = make_programme(status=Programme.Status.DRAFT if case == "draft" else "open")
    slug, name, role = "duesseldorf", programme.slug, "mentee"
    if case == "unknown":
        name = "gibt-es-nicht"
    elif case == "other_org":
        slug = "kassel"
    elif case == "role":
        role = "coordinator"
    assert Client().get(reverse("mentoring:programme", args=[slug, name])).status_code == (
        200 if case == "role" else 404)
    assert Client().get(reverse("mentoring:apply", args=[slug, name, role])).status_code == 404


def test_the_organisation_page_lists_open_programmes(make_programme):
    shown = make_programme(title="Offenes Mentoring")
    make_programme(status=Programme.Status.DRAFT, title="Entwurf Mentoring")
    page = text(Client().get(reverse("organisations:detail", args=["duesseldorf"])))
    assert "Offenes Mentoring" in page
    assert reverse("mentoring:programme", args=["duesseldorf", shown.slug]) in page
    assert "Entwurf Mentoring" not in page


def test_the_application_form_has_fieldsets_labels_and_the_consent_text(programme):
    page = text(english().get(apply_url(programme, "mentee")))
    for legend in ("About you", "Interests", "Time", "Where and how", "Binding wishes"):
        assert f"<legend>{legend}</legend>" in page
    assert "<legend>Fields of interest</legend>" in page
    assert "Prefer not to say" in page
    assert "I belong to the audience of this programme: Women/FLINTA*." in page
    assert "coordinator reads your application to find a fitting partner" in page
    assert "only after both of you have accepted" in page
    assert "deleted after the end of the programme" in page
    assert 'name="capacity"' not in page  # a mentor's question
    mentor_page = text(english().get(apply_url(programme, "mentor")))
    assert 'name="capacity"' in mentor_page and 'max="3"' in mentor_page
    assert 'name="other_commitments"' in mentor_page
    assert 'name="requires"' not in mentor_page
    # Mentors need not confirm the audience in this programme.
    assert 'name="audience_confirmed"' not in mentor_page


def test_applying_gives_the_personal_link_and_mails_it(programme):
    client = english()
    response = client.post(apply_url(programme, "mentee"), apply_form())
    assert response.status_code == 200
    application = Application.objects.get()
    assert application.role == "mentee" and application.status == A.APPLIED
    assert application.fields == ["housing", "equality"]
    assert application.user is None
    token = access.personal_token(application)
    assert token in text(response)
    assert response["X-Robots-Tag"] == "noindex"
    (mail,) = Message.objects.filter(to_address="ada@example.org")
    assert token in mail.body_text
    # The link opens the personal page.
    page = client.get(reverse("mentoring:personal", args=[token]))
    assert page.status_code == 200
    assert "Ada Muster" in text(page)


def test_a_logged_in_member_gets_a_prefilled_form_and_a_linked_application(world, login,
                                                                           programme):
    client = english(login("duesseldorf_member"))
    page = text(client.get(apply_url(programme, "mentee")))
    assert 'value="duesseldorf_member@example.org"' in page
    assert 'value="duesseldorf member"' in page
    response = client.post(apply_url(programme, "mentee"), apply_form(
        name="duesseldorf member", email="duesseldorf_member@example.org"))
    assert response.status_code == 200
    assert Application.objects.get().user == world.users["duesseldorf_member"]


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"consent": None}, "consent", "Please agree to the processing of your data"),
    ({"audience_confirmed": None}, "audience_confirmed", "Please confirm that you belong"),
    ({"languages": []}, "languages", "Please choose at least one language."),
    ({"email": "keine-adresse"}, "email", "Enter a valid email address."),
    ({"hours_per_month": "0"}, "hours_per_month", "greater than or equal to 1"),
    ({"fields": ["astrology"]}, "fields", "Select a valid choice."),
    ({"name": ""}, "name", "This field is required."),
])
def test_bad_applications_re_render_with_the_message_and_change_nothing(programme, overrides,
                                                                         field, message):
    response = english().post(apply_url(programme, "mentee"), apply_form(**overrides))
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert f'id="id_{field}_error"' in page
    assert "Nothing was saved" in page
    assert not Application.objects.exists()
    assert not Message.objects.filter(to_address="ada@example.org").exists()
    # What was entered is still there.
    assert "Im Stadtrat reden." in page


def test_a_mentor_offering_more_places_than_the_programme_allows_is_refused(programme):
    response = english().post(apply_url(programme, "mentor"), apply_form("mentor",
                                                                           capacity="4"))
    assert response.status_code == 400
    assert "less than or equal to 3" in text(response)
    assert not Application.objects.exists()


def test_a_second_application_of_one_address_is_answered_without_a_hint(programme):
    client = english()
    first = client.post(apply_url(programme, "mentee"), apply_form())
    assert first.status_code == 200 and "/mentoring/p/" in text(first)
    # Someone else types in the same address: the same thanks, no word about the first
    # application, and the link only by e-mail to the address.
    response = english().post(apply_url(programme, "mentee"), apply_form(name="Eve Other"))
    assert response.status_code == 200
    page = text(response)
    assert "Thank you for your application" in page
    assert "We have sent you an e-mail with your personal link." in page
    assert "/mentoring/p/" not in page and "already" not in page
    assert Application.objects.count() == 1


def test_the_honeypot_keeps_nothing(programme):
    response = Client().post(apply_url(programme, "mentee"), apply_form(website="spam"))
    assert response.status_code == 200
    assert not Application.objects.exists()


def test_many_applications_from_one_address_are_slowed_down(programme):
    client = english()
    statuses = [client.post(apply_url(programme, "mentee"),
                            apply_form(consent=None)).status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    response = client.post(apply_url(programme, "mentee"), apply_form())
    assert response.status_code == 429
    assert "Too many applications from here." in text(response)
    assert not Application.objects.exists()


def test_applying_outside_the_window_is_refused(make_programme):
    today = timezone.localdate()
    programme = make_programme(mentee_window_opens=today + timedelta(days=1),
                               mentee_window_closes=today + timedelta(days=20))
    response = english().post(apply_url(programme, "mentee"), apply_form())
    assert response.status_code == 400
    assert "Applications open on" in text(response)
    assert not Application.objects.exists()


# --- the personal pages ----------------------------------------------------------------------

PERSONAL_PAGES = ["personal", "answer", "meeting", "goal", "note", "feedback", "profile",
                  "withdraw"]


@pytest.mark.parametrize("name", PERSONAL_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_token_answers_404_on_every_personal_page(programme, apply, name, method):
    application = apply(programme, "mentee", "Ada Muster")
    good = access.personal_token(application)
    for bad in (good[:-1] + ("0" if good[-1] != "0" else "1"), "1-abc", "abc", "9" * 30):
        response = getattr(Client(), method)(reverse(f"mentoring:{name}", args=[bad]),
                                             {"pairing": "1", "answer": "accept"})
        assert response.status_code == 404
        assert "Ada Muster" not in text(response)
    application.refresh_from_db()
    assert application.status == A.APPLIED


def test_a_link_of_a_withdrawn_nonce_no_longer_works(programme, apply):
    application = apply(programme, "mentee", "Ada Muster")
    url = personal(application)
    Application.objects.filter(pk=application.pk).update(nonce="0123456789abcdef")
    assert Client().get(url).status_code == 404


def test_the_waiting_list_position_is_shown(programme, apply, coordinator):
    apply(programme, "mentee", "Ada Muster")
    second = apply(programme, "mentee", "Bea Muster")
    services.matching_send(run=services.matching_run(programme=programme, actor=coordinator),
                           actor=coordinator)
    second.refresh_from_db()
    assert second.status == A.WAITING
    page = text(english().get(personal(second)))
    assert "You are on the waiting list at position 2" in page


def test_the_profile_can_be_changed_until_a_proposal_is_made(programme, apply, coordinator):
    mentee = apply(programme, "mentee", "Ada Muster")
    client = english()
    page = text(client.get(personal(mentee, "profile")))
    assert 'value="Ada Muster"' in page and 'name="email"' not in page
    form = apply_form(name="Ada M. Muster", fields=["climate"], hours_per_month="6")
    for key in ("email", "consent", "audience_confirmed", "website"):
        form.pop(key)
    response = client.post(personal(mentee, "profile"), form)
    assert response.status_code == 303
    mentee.refresh_from_db()
    assert (mentee.name, mentee.fields, mentee.hours_per_month) == ("Ada M. Muster",
                                                                    ["climate"], 6)
    # Bad input: nothing changes.
    response = client.post(personal(mentee, "profile"), {**form, "languages": []})
    assert response.status_code == 400
    assert "Please choose at least one language." in text(response)
    mentee.refresh_from_db()
    assert mentee.languages == ["de"]
    # After a proposal the profile stays as the proposal was made on.
    apply(programme, "mentor", "Kea Mentorin")
    services.matching_send(run=services.matching_run(programme=programme, actor=coordinator),
                           actor=coordinator)
    response = client.post(personal(mentee, "profile"), {**form, "name": "Neu"})
    assert response.status_code == 400
    mentee.refresh_from_db()
    assert mentee.name == "Ada M. Muster"


def test_withdrawing_asks_first(programme, apply):
    mentee = apply(programme, "mentee", "Ada Muster")
    client = english()
    page = client.get(personal(mentee, "withdraw"))
    assert page.status_code == 200
    assert "Do you really want to withdraw" in text(page)
    # A POST without the confirmation only shows the question again.
    assert client.post(personal(mentee, "withdraw"), {"what": "withdraw"}).status_code == 200
    mentee.refresh_from_db()
    assert mentee.status == A.APPLIED
    response = client.post(personal(mentee, "withdraw"), {"what": "withdraw",
                                                          "confirm": "yes"})
    assert response.status_code == 303
    mentee.refresh_from_db()
    assert mentee.status == A.WITHDRAWN
    page = text(client.get(personal(mentee)))
    assert "You have withdrawn from the programme." in page
    assert personal(mentee, "withdraw") not in page


def test_a_proposal_shows_the_first_name_and_the_reasons_but_no_contact(programme, apply,
                                                                        coordinator):
    mentee = apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentor", "Kea Detmers", email="kea.detmers@example.org",
          phone="0211 999")
    services.matching_send(run=services.matching_run(programme=programme, actor=coordinator),
                           actor=coordinator)
    page = text(english().get(personal(mentee)))
    assert "Proposal: Kea" in page
    assert "Common fields of interest: Gender equality and feminism, Housing and rent" in page
    assert "Same district: Bilk" in page
    assert "Detmers" not in page
    assert "kea.detmers@example.org" not in page and "0211 999" not in page
    # The explanation is put into words in the language of the page, not of the e-mail.
    german = text(Client().get(personal(mentee)))
    assert ": Deutsch</li>" in german


def test_an_answer_for_someone_elses_pairing_answers_404_and_changes_nothing(
        programme, apply, coordinator):
    apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentor", "Kea Mentorin")
    stranger = apply(programme, "mentee", "Bea Fremd")
    services.matching_send(run=services.matching_run(programme=programme, actor=coordinator),
                           actor=coordinator)
    pairing = Pairing.objects.get()
    for value in (str(pairing.pk), "x", "", "99999"):
        response = Client().post(personal(stranger, "answer"),
                                 {"pairing": value, "answer": "accept"})
        assert response.status_code == 404
    pairing.refresh_from_db()
    assert pairing.mentee_answer == "" and pairing.status == P.PROPOSED


def test_a_wrong_answer_value_changes_nothing(programme, apply, coordinator):
    mentee = apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentor", "Kea Mentorin")
    services.matching_send(run=services.matching_run(programme=programme, actor=coordinator),
                           actor=coordinator)
    pairing = Pairing.objects.get()
    response = english().post(personal(mentee, "answer"),
                              {"pairing": pairing.pk, "answer": "maybe"})
    assert response.status_code == 400
    assert "Please accept or decline the proposal." in text(response)
    pairing.refresh_from_db()
    assert pairing.mentee_answer == ""


def test_a_decline_through_the_page_matches_the_mentee_again(programme, apply, coordinator):
    mentee = apply(programme, "mentee", "Ada Muster")
    first = apply(programme, "mentor", "Kea Mentorin")
    services.matching_send(run=services.matching_run(programme=programme, actor=coordinator),
                           actor=coordinator)
    second = apply(programme, "mentor", "Zoe Zweite")
    pairing = Pairing.objects.get()
    response = english().post(personal(first, "answer"),
                              {"pairing": pairing.pk, "answer": "decline"})
    assert response.status_code == 303
    pairing.refresh_from_db()
    assert pairing.status == P.DECLINED
    new = Pairing.objects.get(status=P.PROPOSED)
    assert (new.mentee, new.mentor) == (mentee, second)


def test_actions_by_get_only_lead_back_to_the_personal_page(programme, apply):
    mentee = apply(programme, "mentee", "Ada Muster")
    for name in ("answer", "meeting", "goal", "note", "feedback"):
        response = Client().get(personal(mentee, name))
        assert response.status_code == 303
        assert response["Location"] == personal(mentee)


def test_meetings_goals_notes_and_feedback_need_an_active_pair(programme, apply, coordinator):
    mentee = apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentor", "Kea Mentorin")
    services.matching_send(run=services.matching_run(programme=programme, actor=coordinator),
                           actor=coordinator)
    pairing = Pairing.objects.get()
    today = timezone.localdate().isoformat()
    client = english()
    for name, data in (("meeting", {"held_on": today, "kind": "meeting", "minutes": "60"}),
                       ("goal", {"title": "Rede halten"}), ("note", {"text": "Geheim"}),
                       ("feedback", {"rating": "5"})):
        response = client.post(personal(mentee, name), {"pairing": pairing.pk, **data})
        assert response.status_code in (400, 404)
    assert not (Meeting.objects.exists() or Goal.objects.exists()
                or PrivateNote.objects.exists() or Feedback.objects.exists())


def test_bad_accompaniment_input_re_renders_and_changes_nothing(programme, apply, coordinator):
    mentee, _mentor, pairing = active_pair(programme, coordinator, apply)
    client = english()
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(personal(mentee, "meeting"), {
        "pairing": pairing.pk, "held_on": future, "kind": "meeting", "minutes": "60",
        "summary": "Noch nicht"})
    assert response.status_code == 400
    page = text(response)
    assert "The date cannot be in the future." in page
    assert f'id="p{pairing.pk}_meeting_held_on_error"' in page
    assert "Noch nicht" in page  # the entry is kept for correcting
    response = client.post(personal(mentee, "meeting"), {
        "pairing": pairing.pk, "held_on": timezone.localdate().isoformat(), "kind": "party",
        "minutes": "2"})
    assert response.status_code == 400
    assert "Select a valid choice." in text(response)
    response = client.post(personal(mentee, "goal"), {"pairing": pairing.pk, "title": "  "})
    assert response.status_code == 400
    response = client.post(personal(mentee, "note"), {"pairing": pairing.pk, "text": ""})
    assert response.status_code == 400
    response = client.post(personal(mentee, "feedback"), {"pairing": pairing.pk,
                                                          "rating": "9"})
    assert response.status_code == 400
    assert not (Meeting.objects.exists() or Goal.objects.exists()
                or PrivateNote.objects.exists() or Feedback.objects.exists())


def test_a_goal_of_another_pair_cannot_be_changed(programme, apply, coordinator):
    _mentee, _mentor, pairing = active_pair(programme, coordinator, apply)
    goal = services.goal_add(pairing=pairing, side="mentee", title="Rede halten")
    stranger = apply(programme, "mentee", "Bea Fremd")
    response = Client().post(personal(stranger, "goal"), {"goal": goal.pk,
                                                          "status": "reached"})
    assert response.status_code == 404
    goal.refresh_from_db()
    assert goal.status == Goal.Status.OPEN


# --- the whole way through the pages ---------------------------------------------------------

def test_the_duesseldorf_programme_end_to_end_through_the_pages(world, login, programme):
    # Ada applies as mentee, Kea as mentor, both without an account.
    ada_client, kea_client = english(), english()
    assert ada_client.post(apply_url(programme, "mentee"), apply_form()).status_code == 200
    assert kea_client.post(apply_url(programme, "mentor"),
                           apply_form("mentor", phone="0211 654321")).status_code == 200
    ada = Application.objects.get(role="mentee")
    kea = Application.objects.get(role="mentor")

    # The coordinator sees both in the pool, with Kea's workload.
    coordinator = english(login("duesseldorf_mentoring"))
    pool = text(coordinator.get(staff_url("programme_detail", programme)))
    assert "Ada Muster" in pool and "Kea Mentorin" in pool
    assert "Ratsfrau, Kassiererin im Ortsverband." in pool
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW,
                                     actor=world.users["duesseldorf_mentoring"]).exists()

    # She runs the matching and looks at it.
    response = coordinator.post(staff_url("matching", programme))
    assert response.status_code == 302
    run = MatchRun.objects.get()
    page = text(coordinator.get(staff_url("matching", programme)))
    assert "Common fields of interest: Gender equality and feminism, Housing and rent" in page
    assert "Simple greedy matching" in page
    assert staff_url("matching_send", programme, run.pk) in page
    assert not Pairing.objects.exists()

    # Sending asks first; then the proposals go out.
    confirm = coordinator.get(staff_url("matching_send", programme, run.pk))
    assert "Yes, send the proposals" in text(confirm)
    assert not Pairing.objects.exists()
    assert coordinator.post(staff_url("matching_send", programme, run.pk)).status_code == 302
    pairing = Pairing.objects.get()
    assert pairing.status == P.PROPOSED

    # Both accept through their personal pages.
    ada_page = text(ada_client.get(personal(ada)))
    assert "Proposal: Kea" in ada_page and "kea@example.org" not in ada_page
    response = ada_client.post(personal(ada, "answer"), {"pairing": pairing.pk,
                                                         "answer": "accept"})
    assert response.status_code == 303
    assert "Thank you, you have accepted." in text(ada_client.get(personal(ada)))
    response = kea_client.post(personal(kea, "answer"), {"pairing": pairing.pk,
                                                         "answer": "accept"})
    assert response.status_code == 303
    pairing.refresh_from_db()
    assert pairing.status == P.ACTIVE
    ada_page = text(ada_client.get(personal(ada)))
    assert "Your mentor: Kea Mentorin" in ada_page
    assert "kea@example.org" in ada_page and "0211 654321" in ada_page

    # Ada logs a meeting; Kea reads its summary.
    today = timezone.localdate().isoformat()
    response = ada_client.post(personal(ada, "meeting"), {
        "pairing": pairing.pk, "held_on": today, "kind": "accompanied", "minutes": "90",
        "summary": "Zusammen im Verkehrsausschuss."})
    assert response.status_code == 303
    assert Meeting.objects.get().logged_by == "mentee"
    kea_page = text(kea_client.get(personal(kea)))
    assert "Zusammen im Verkehrsausschuss." in kea_page
    assert "Accompanied to a session" in kea_page

    # A shared goal: added by Ada, moved on by Kea.
    assert ada_client.post(personal(ada, "goal"), {"pairing": pairing.pk,
                                                   "title": "Erste Rede im Rat"}
                           ).status_code == 303
    goal = Goal.objects.get()
    assert kea_client.post(personal(kea, "goal"), {"goal": goal.pk, "status": "progress"}
                           ).status_code == 303
    goal.refresh_from_db()
    assert goal.status == Goal.Status.PROGRESS
    assert "Erste Rede im Rat" in text(kea_client.get(personal(kea)))

    # Ada's private note: hers alone.
    assert ada_client.post(personal(ada, "note"), {"pairing": pairing.pk,
                                                   "text": "Ich bin nervös vor der Rede."}
                           ).status_code == 303
    assert "Ich bin nervös vor der Rede." in text(ada_client.get(personal(ada)))
    assert "Ich bin nervös vor der Rede." not in text(kea_client.get(personal(kea)))

    # The coordinator sees progress, never the summary or the note.
    for name in ("pairs", "pairs_print", "programme_detail"):
        page = text(coordinator.get(staff_url(name, programme)))
        assert "Ich bin nervös vor der Rede." not in page
        assert "Zusammen im Verkehrsausschuss." not in page
    pairs = text(coordinator.get(staff_url("pairs", programme)))
    assert "Erste Rede im Rat: In progress" in pairs
    page = text(coordinator.get(staff_url("application", programme, ada.pk)))
    assert "Ich bin nervös vor der Rede." not in page
    assert "Zusammen im Verkehrsausschuss." not in page
    printed = text(coordinator.get(staff_url("pairs_print", programme)))
    assert "ada@example.org" in printed and "kea@example.org" in printed

    # Feedback comes at the end, not while the pair runs.
    early = ada_client.post(personal(ada, "feedback"), {"pairing": pairing.pk, "rating": "5"})
    assert early.status_code == 400
    assert "You can give your feedback once your mentoring has ended." in text(early)

    # Ada ends the pair, after confirming: she is finished, Kea's place is free again.
    url = personal(ada, "withdraw") + f"?what=end&pairing={pairing.pk}"
    assert "Yes, end our mentoring" in text(ada_client.get(url))
    pairing.refresh_from_db()
    assert pairing.status == P.ACTIVE
    response = ada_client.post(personal(ada, "withdraw"), {"what": "end",
                                                           "pairing": pairing.pk,
                                                           "confirm": "yes"})
    assert response.status_code == 303
    pairing.refresh_from_db()
    ada.refresh_from_db()
    kea.refresh_from_db()
    assert pairing.status == P.ENDED and ada.status == A.FINISHED
    assert kea.status == A.APPLIED

    # Feedback at the end, once per side; the form says that the coordinator reads it.
    assert "The coordinator reads your rating and what you write here" in text(
        ada_client.get(personal(ada)))
    assert ada_client.post(personal(ada, "feedback"), {"pairing": pairing.pk, "rating": "5",
                                                       "text": "Sehr hilfreich."}
                           ).status_code == 303
    again = ada_client.post(personal(ada, "feedback"), {"pairing": pairing.pk,
                                                        "rating": "1"})
    assert again.status_code == 400
    assert "You have already given your feedback." in text(again)
    assert Feedback.objects.get(author="mentee").rating == 5
    assert kea_client.post(personal(kea, "feedback"), {"pairing": pairing.pk, "rating": "4"}
                           ).status_code == 303
    pairs = text(coordinator.get(staff_url("pairs", programme)))
    assert "5 / 4" in pairs
    assert "Sehr hilfreich." in pairs


def test_the_personal_page_speaks_german_by_default(programme, apply):
    mentee = apply(programme, "mentee", "Ada Muster")
    page = text(Client().get(personal(mentee)))
    assert '<html lang="de">' in page


# --- the coordinator's pages -----------------------------------------------------------------

def test_the_coordinator_creates_and_opens_a_programme(world, login):
    client = english(login("duesseldorf_mentoring"))
    page = text(client.get(reverse("mentoring:programme_new", args=["duesseldorf"])))
    assert '<option value="open">Applications open</option>' in page
    assert "running" not in page.split('name="status"')[1].split("</select>")[0]
    data = {key: (value.isoformat() if hasattr(value, "isoformat") else value)
            for key, value in programme_data(slug="neu").items()}
    data["audience_applies_to_mentors"] = ""
    data["coordinator"] = world.users["duesseldorf_mentoring"].pk
    data["status"] = "open"
    response = client.post(reverse("mentoring:programme_new", args=["duesseldorf"]), data)
    assert response.status_code == 302
    programme = Programme.objects.get()
    assert programme.status == Programme.Status.OPEN and programme.slug == "neu"
    assert programme.coordinator == world.users["duesseldorf_mentoring"]
    listing = text(client.get(reverse("mentoring:programmes", args=["duesseldorf"])))
    assert programme.title in listing


def test_a_bad_programme_form_re_renders_and_changes_nothing(world, login, programme):
    client = english(login("duesseldorf_mentoring"))
    data = {key: (value.isoformat() if hasattr(value, "isoformat") else value)
            for key, value in programme_data(slug=programme.slug).items()}
    data.update(title="Neuer Titel", status="open", coordinator="",
                cohort_ends=data["cohort_starts"])
    response = client.post(staff_url("programme_edit", programme), data)
    assert response.status_code == 400
    assert "The cohort must end after it starts." in text(response)
    programme.refresh_from_db()
    assert programme.title != "Neuer Titel"
    # A status the programme cannot reach from here: refused, and the title is not saved
    # either.
    data.update(cohort_ends=(programme.cohort_ends).isoformat(), status="finished")
    response = client.post(staff_url("programme_edit", programme), data)
    assert response.status_code == 400
    programme.refresh_from_db()
    assert programme.title != "Neuer Titel" and programme.status == Programme.Status.OPEN
    # A coordinator without the role is refused by the form's choice.
    data.update(status="running")
    response = client.post(staff_url("programme_edit", programme),
                           {**data, "coordinator": world.users["duesseldorf_board"].pk})
    assert "Select a valid choice." in text(response)
    assert response.status_code == 400
    programme.refresh_from_db()
    assert programme.status == Programme.Status.OPEN


def test_the_pool_shows_the_workload_guard(programme, apply, login):
    apply(programme, "mentor", "Kea Mentorin", hours_per_month=3, capacity=3,
          other_commitments="Stadträtin")
    page = text(english(login("duesseldorf_mentoring")).get(staff_url("programme_detail",
                                                                       programme)))
    assert "Less than 2 hours a month per mentee." in page
    assert 'class="badge warn"' in page
    assert "Stadträtin" in page


def test_the_application_page_is_audited_and_declines_with_a_note(world, programme, apply,
                                                                    login):
    mentee = apply(programme, "mentee", "Ada Muster")
    client = english(login("duesseldorf_mentoring"))
    page = text(client.get(staff_url("application", programme, mentee.pk)))
    assert "Im Stadtrat reden." in page
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW,
                                     object_type="mentoring.application",
                                     object_id=str(mentee.pk)).exists()
    response = client.post(staff_url("application", programme, mentee.pk),
                           {"action": "decline", "note": "Nicht aus Düsseldorf."})
    assert response.status_code == 302
    mentee.refresh_from_db()
    assert mentee.status == A.DECLINED
    assert mentee.coordinator_note == "Nicht aus Düsseldorf."
    # A second decline is refused with the service's message.
    response = client.post(staff_url("application", programme, mentee.pk),
                           {"action": "decline", "note": ""})
    assert response.status_code == 400
    assert "Only applications that are not in a proposal" in text(response)


def test_rules_from_the_application_page_the_rules_page_and_the_matching(programme, apply,
                                                                         login):
    mentee = apply(programme, "mentee", "Ada Muster")
    mentor = apply(programme, "mentor", "Kea Mentorin")
    other = apply(programme, "mentor", "Zoe Zweite")
    client = english(login("duesseldorf_mentoring"))
    response = client.post(staff_url("application", programme, mentee.pk), {
        "action": "rule", "mentor": other.pk, "kind": "forbid", "reason": "Kennen sich"})
    assert response.status_code == 302
    rule = PairRule.objects.get()
    assert (rule.mentee, rule.mentor, rule.kind) == (mentee, other, "forbid")
    # Bad input: a partner of the wrong side changes nothing.
    response = client.post(staff_url("application", programme, mentee.pk), {
        "action": "rule", "mentor": mentee.pk, "kind": "fix"})
    assert response.status_code == 400
    assert PairRule.objects.count() == 1
    # The matching respects the rule, and its buttons fix a pair.
    client.post(staff_url("matching", programme))
    run = MatchRun.objects.latest("pk")
    assert run.result["pairs"][0]["mentor"] == mentor.pk
    response = client.post(reverse("mentoring:rules", args=["duesseldorf", programme.pk]), {
        "mentee": mentee.pk, "mentor": mentor.pk, "kind": "fix", "reason": "",
        "next": staff_url("matching", programme)})
    assert response.status_code == 302
    assert response["Location"] == staff_url("matching", programme)
    assert PairRule.objects.filter(kind="fix", mentor=mentor).exists()
    # An outside address in "next" is not followed.
    response = client.post(staff_url("rules", programme), {
        "action": "remove", "rule": rule.pk, "next": "https://evil.example.org/"})
    assert response["Location"] == staff_url("rules", programme)
    assert not PairRule.objects.filter(pk=rule.pk).exists()
    page = text(client.get(staff_url("rules", programme)))
    assert "Kea Mentorin" in page and "Fixed" in page


def test_the_matching_page_explains_who_stays_without_a_mentor(programme, apply, login):
    apply(programme, "mentee", "Ada Muster", requires=["mentor_woman"])
    apply(programme, "mentee", "Bea Muster")
    apply(programme, "mentor", "Max Mentor", gender="man")
    client = english(login("duesseldorf_mentoring"))
    client.post(staff_url("matching", programme))
    page = text(client.get(staff_url("matching", programme)))
    assert "No compatible mentor." in page
    assert "The mentee wishes a woman/FLINTA* as mentor: rules out 1 mentor" in page
    apply(programme, "mentee", "Cleo Muster")
    client.post(staff_url("matching", programme))
    page = text(client.get(staff_url("matching", programme)))
    assert "The place of the 1 compatible mentor went to another mentee." in page


def test_the_matching_refuses_in_a_draft_with_a_message(make_programme, login):
    programme = make_programme(status=Programme.Status.DRAFT)
    client = english(login("duesseldorf_mentoring"))
    response = client.post(staff_url("matching", programme))
    assert response.status_code == 400
    assert "Matching is possible while applications are open" in text(response)
    assert not MatchRun.objects.exists()


def test_an_old_run_cannot_be_sent(programme, apply, login):
    apply(programme, "mentee", "Ada Muster")
    apply(programme, "mentor", "Kea Mentorin")
    client = english(login("duesseldorf_mentoring"))
    client.post(staff_url("matching", programme))
    old = MatchRun.objects.get()
    client.post(staff_url("matching", programme))
    assert "there is a newer one" in text(client.get(staff_url("matching_send", programme,
                                                                old.pk)))
    response = client.post(staff_url("matching_send", programme, old.pk), follow=True)
    assert "There is a newer matching" in text(response)
    assert not Pairing.objects.exists()
