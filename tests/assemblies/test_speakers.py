"""The speakers' list through its services (each rule of the quota order, the chair's overrides,
bad input) and through the chair's console (who may, the actions, the polled queue)."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from mitmachen.assemblies import attendance, live, services, speakers
from mitmachen.assemblies.models import Assembly, ChairAction, SpeakerRequest
from mitmachen.core.models import AuditEntry
from mitmachen.people import services as people
from tests.assemblies.conftest import voter

pytestmark = pytest.mark.django_db
K = SpeakerRequest.Kind
S = SpeakerRequest.Status


@pytest.fixture
def hall(assembly):
    """The Kassel assembly in session, item 1 under discussion, all six members checked in."""
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    item = services.item_create(assembly=assembly, title="Aussprache zum Haushalt", actor=None)
    services.item_call(assembly=assembly, item=item, actor=None)
    for participant in assembly.participants.all():
        attendance.check_in(participant=participant, actor=None)
    assembly.refresh_from_db()
    item.refresh_from_db()
    return SimpleNamespace(assembly=assembly, item=item, **{
        name.lower(): voter(assembly, name)
        for name in ["Rosa", "Clara", "Emma", "Karl", "August", "Paul"]})


@pytest.fixture
def login(login):
    """The shared personas, with the pages in English (the language cookie: the app ignores
    the browser's Accept-Language) so that messages can be compared."""

    def _login(persona):
        client = login(persona)
        client.cookies["django_language"] = "en"
        return client

    return _login


def ask(hall, participant, kind=K.REGULAR, **kwargs):
    return speakers.speaker_request(item=hall.item, participant=participant, kind=kind, **kwargs)


def call(hall, actor=None):
    called = speakers.speaker_next(item=hall.item, actor=actor)
    return called.participant.name.split()[0] if called else None


def names(hall):
    return [r.participant.name.split()[0] for r in speakers.queue(hall.item)]


def message(exc_info) -> str:
    return " ".join(exc_info.value.messages)


# --- the rules, through the services ---------------------------------------------------------

def test_the_list_alternates_starting_with_a_woman(hall):
    for person in (hall.karl, hall.august, hall.rosa, hall.clara):
        ask(hall, person)
    assert names(hall) == ["Rosa", "Karl", "Clara", "August"]
    assert [call(hall) for _ in range(5)] == ["Rosa", "Karl", "Clara", "August", None]
    assert not hall.item.speakers.filter(status=S.SPEAKING).exists()
    assert hall.item.speakers.filter(status=S.DONE).count() == 4


def test_without_women_waiting_the_list_goes_on_and_a_woman_asking_then_speaks_next(hall):
    ask(hall, hall.karl)
    ask(hall, hall.august)
    ask(hall, hall.paul)
    assert call(hall) == "Karl"
    assert call(hall) == "August"  # no woman waiting: the open list goes on
    ask(hall, hall.emma)
    assert names(hall) == ["Emma", "Paul"]
    assert call(hall) == "Emma"


def test_alternation_switched_off_keeps_the_order_of_asking(hall):
    services.assembly_update(assembly=hall.assembly, data={"alternate": False}, actor=None)
    for person in (hall.karl, hall.august, hall.rosa):
        ask(hall, person)
    assert names(hall) == ["Karl", "August", "Rosa"]


def test_first_time_speakers_come_first_within_their_category(hall):
    ask(hall, hall.rosa)
    assert call(hall) == "Rosa"
    again = ask(hall, hall.rosa)  # she may ask again while speaking
    assert again.first_time is False
    ask(hall, hall.clara)
    ask(hall, hall.karl)
    assert names(hall) == ["Karl", "Clara", "Rosa"]
    assert [call(hall) for _ in range(3)] == ["Karl", "Clara", "Rosa"]


def test_first_time_first_switched_off_keeps_the_order_of_asking(hall):
    services.assembly_update(assembly=hall.assembly, data={"first_time_first": False},
                             actor=None)
    ask(hall, hall.rosa)
    call(hall)
    ask(hall, hall.rosa)
    ask(hall, hall.clara)
    assert names(hall) == ["Rosa", "Clara"]


def test_speaking_once_makes_the_other_waiting_requests_repeats(hall):
    regular = ask(hall, hall.rosa)
    ask(hall, hall.rosa, K.PRO)
    assert call(hall) == "Rosa"  # the speech for comes before the regular list
    regular.refresh_from_db()
    assert regular.first_time is False
    ask(hall, hall.clara)
    assert names(hall) == ["Clara", "Rosa"]


def test_a_point_of_order_jumps_the_queue(hall):
    ask(hall, hall.rosa)
    ask(hall, hall.karl)
    ask(hall, hall.paul, K.POINT_OF_ORDER)
    ask(hall, hall.clara, K.POINT_OF_ORDER)
    assert names(hall) == ["Paul", "Clara", "Rosa", "Karl"]
    assert call(hall) == "Paul"
    # A point of order takes no turn in the alternation: a woman still opens the regular list.
    assert call(hall) == "Clara"
    assert call(hall) == "Rosa"


def test_speeches_for_and_against_alternate_before_the_regular_list(hall):
    ask(hall, hall.rosa)
    ask(hall, hall.karl, K.PRO)
    ask(hall, hall.august, K.PRO)
    ask(hall, hall.emma, K.CONTRA)
    assert names(hall) == ["Karl", "Emma", "August", "Rosa"]
    assert call(hall) == "Karl"
    ask(hall, hall.paul, K.PRO)
    assert names(hall) == ["Emma", "August", "Paul", "Rosa"]  # contra's turn after a pro


def test_one_waiting_request_per_person_and_kind(hall):
    first = ask(hall, hall.karl)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        ask(hall, hall.karl)
    assert "Karl Lieb is already on the list" in message(exc)
    assert ask(hall, hall.karl, K.POINT_OF_ORDER).kind == K.POINT_OF_ORDER  # another kind
    assert hall.item.speakers.filter(participant=hall.karl).count() == 2
    speakers.speaker_withdraw(request=first, participant=hall.karl)
    assert ask(hall, hall.karl).status == S.WAITING  # after withdrawing, again


def test_a_closed_list_takes_only_points_of_order(hall):
    ask(hall, hall.rosa)
    speakers.list_close(item=hall.item, actor=None)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        ask(hall, hall.karl)
    assert message(exc) == "The list of speakers is closed."
    with pytest.raises(ValidationError):
        ask(hall, hall.karl, K.PRO)
    assert ask(hall, hall.paul, K.POINT_OF_ORDER).status == S.WAITING
    assert names(hall) == ["Paul", "Rosa"]  # who was waiting still speaks
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        speakers.list_reopen(item=hall.item, actor=None, reason="  ")
    assert exc.value.message_dict == {"reason": ["Give a reason for the record."]}
    hall.item.refresh_from_db()
    assert hall.item.list_closed
    speakers.list_reopen(item=hall.item, actor=None, reason="Neue Lage nach dem GO-Antrag")
    assert ask(hall, hall.karl).status == S.WAITING
    assert list(ChairAction.objects.filter(item=hall.item).values_list("action", "reason")) == [
        ("close", ""), ("reopen", "Neue Lage nach dem GO-Antrag")]


def test_closing_twice_is_a_clear_message(hall):
    speakers.list_close(item=hall.item, actor=None, reason="Zeit")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        speakers.list_close(item=hall.item, actor=None)
    assert message(exc) == "The list of speakers is already closed."
    assert ChairAction.objects.filter(item=hall.item).count() == 1


def test_the_chair_puts_someone_next_with_a_reason(hall):
    ask(hall, hall.rosa)
    ask(hall, hall.karl)
    clara = ask(hall, hall.clara)
    ask(hall, hall.paul, K.POINT_OF_ORDER)
    speakers.speaker_pin(request=clara, actor=None, reason="Antragstellerin antwortet")
    assert names(hall) == ["Paul", "Clara", "Rosa", "Karl"]  # points of order still first
    action = ChairAction.objects.get(item=hall.item)
    assert (action.action, action.reason, action.request_id) == (
        "pin", "Antragstellerin antwortet", clara.pk)
    with translation.override("en"):
        assert speakers.action_text(action) == "put Clara Zeller next"
    assert call(hall) == "Paul"
    assert call(hall) == "Clara"
    # Pinned or not, Clara's was a regular speech by a woman: the open list's turn.
    assert call(hall) == "Karl"


def test_pins_are_called_in_the_order_the_chair_set_them(hall):
    rosa, karl, paul = ask(hall, hall.rosa), ask(hall, hall.karl), ask(hall, hall.paul)
    speakers.speaker_pin(request=paul, actor=None, reason="Bericht")
    speakers.speaker_pin(request=karl, actor=None, reason="Nachfrage")
    assert names(hall) == ["Paul", "Karl", "Rosa"]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        speakers.speaker_pin(request=paul, actor=None, reason="noch einmal")
    assert message(exc) == "This request is already put next."
    assert rosa.pk


@pytest.mark.parametrize("reason, error", [
    ("", "Give a reason for the record."),
    ("   \n", "Give a reason for the record."),
    (None, "Give a reason for the record."),
    ("Grund\x00", "Null characters are not allowed."),
    ("x" * 501, "The reason may be at most 500 characters long."),
    (42, "Enter the reason as text."),
])
def test_pinning_and_striking_need_a_sound_reason(hall, reason, error):
    karl = ask(hall, hall.karl)
    for service in (speakers.speaker_pin, speakers.speaker_remove):
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            service(request=karl, actor=None, reason=reason)
        assert exc.value.message_dict == {"reason": [error]}
    karl.refresh_from_db()
    assert (karl.status, karl.pinned) == (S.WAITING, None)
    assert not ChairAction.objects.exists()


def test_a_reason_of_500_characters_is_enough(hall):
    karl = ask(hall, hall.karl)
    speakers.speaker_pin(request=karl, actor=None, reason="x" * 500)
    assert len(ChairAction.objects.get().reason) == 500


def test_the_chair_strikes_a_request(hall):
    karl = ask(hall, hall.karl)
    ask(hall, hall.rosa)
    speakers.speaker_remove(request=karl, actor=None, reason="Hat den Saal verlassen")
    karl.refresh_from_db()
    assert karl.status == S.WITHDRAWN
    assert names(hall) == ["Rosa"]
    assert ChairAction.objects.get().action == "remove"
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        speakers.speaker_remove(request=karl, actor=None, reason="noch einmal")
    assert message(exc) == "This request is no longer waiting."


def test_points_of_order_cannot_be_pinned(hall):
    point = ask(hall, hall.karl, K.POINT_OF_ORDER)
    with pytest.raises(ValidationError):
        speakers.speaker_pin(request=point, actor=None, reason="Grund")
    point.refresh_from_db()
    assert point.pinned is None


def test_only_checked_in_participants_may_ask(hall):
    attendance.check_out(participant=hall.karl, actor=None)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        ask(hall, hall.karl)
    assert message(exc) == "Only participants who are checked in can ask to speak."
    with pytest.raises(ValidationError):
        ask(hall, hall.karl, K.POINT_OF_ORDER)
    assert not SpeakerRequest.objects.exists()


def test_another_assemblys_item_or_participant_is_refused(hall, make_assembly, world):
    other = make_assembly(organisation=world.duesseldorf, title="Mitgliederversammlung")
    services.status_change(assembly=other, status=Assembly.Status.IN_SESSION, actor=None)
    other_item = services.item_create(assembly=other, title="Bericht", actor=None)
    services.item_call(assembly=other, item=other_item, actor=None)
    stranger = other.participants.first()
    attendance.check_in(participant=stranger, actor=None)
    with translation.override("en"):
        with pytest.raises(ValidationError) as exc:
            speakers.speaker_request(item=other_item, participant=hall.karl)
        assert message(exc) == "This participant does not take part in this assembly."
        with pytest.raises(ValidationError) as exc:
            speakers.speaker_request(item=hall.item, participant=stranger)
        assert message(exc) == "This participant does not take part in this assembly."
    mine = ask(hall, hall.karl)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        speakers.speaker_withdraw(request=mine, participant=stranger)
    assert message(exc) == "This is not your request."
    assert SpeakerRequest.objects.count() == 1


def test_asking_needs_the_session_and_the_item_under_discussion(hall):
    later = services.item_create(assembly=hall.assembly, title="Verschiedenes", actor=None)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        speakers.speaker_request(item=later, participant=hall.karl)
    assert message(exc) == "This agenda item is not under discussion."
    services.status_change(assembly=hall.assembly, status=Assembly.Status.CLOSED, actor=None)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        ask(hall, hall.karl)
    assert message(exc) == "The assembly is not in session."
    with pytest.raises(ValidationError):
        speakers.speaker_next(item=hall.item, actor=None)
    assert not SpeakerRequest.objects.exists()


@pytest.mark.parametrize("field, value", [
    ("kind", "filibuster"), ("kind", None), ("kind", "regular\x00"), ("kind", "x" * 300),
    ("participant", None), ("participant", "7"), ("item", None), ("item", 3),
])
def test_wrong_types_and_values_are_refused(hall, field, value):
    arguments = {"item": hall.item, "participant": hall.karl, "kind": K.REGULAR, field: value}
    with pytest.raises(ValidationError):
        speakers.speaker_request(**arguments)
    assert not SpeakerRequest.objects.exists()


def test_withdrawing_by_the_participant_or_the_chair(hall, world):
    karl = ask(hall, hall.karl)
    rosa = ask(hall, hall.rosa)
    speakers.speaker_withdraw(request=karl, participant=hall.karl)
    speakers.speaker_withdraw(request=rosa, actor=world.users["kassel_board"])
    assert list(hall.item.speakers.values_list("status", flat=True)) == [S.WITHDRAWN] * 2
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        speakers.speaker_withdraw(request=karl, participant=hall.karl)
    assert message(exc) == "This request is no longer waiting."


def test_a_speaker_called_can_no_longer_withdraw(hall):
    karl = ask(hall, hall.karl)
    call(hall)
    with pytest.raises(ValidationError):
        speakers.speaker_withdraw(request=karl, participant=hall.karl)
    karl.refresh_from_db()
    assert karl.status == S.SPEAKING


def test_only_whoever_may_chair_runs_the_list(hall, world):
    karl = ask(hall, hall.karl)
    organiser = world.users["kassel_events"]
    for run in (lambda: speakers.speaker_next(item=hall.item, actor=organiser),
                lambda: speakers.speaker_pin(request=karl, actor=organiser, reason="x"),
                lambda: speakers.speaker_remove(request=karl, actor=organiser, reason="x"),
                lambda: speakers.speaker_withdraw(request=karl, actor=organiser),
                lambda: speakers.list_close(item=hall.item, actor=organiser),
                lambda: ask(hall, hall.rosa, actor=organiser)):
        with pytest.raises(PermissionDenied):
            run()
    karl.refresh_from_db()
    assert (karl.status, karl.pinned) == (S.WAITING, None)
    assert hall.item.speakers.count() == 1
    assert speakers.speaker_next(item=hall.item, actor=world.users["kassel_board"]) == karl


def test_ending_a_speech_and_the_time_left(hall):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        speakers.speaker_end(item=hall.item, actor=None)
    assert message(exc) == "Nobody is speaking."
    assert speakers.time_left(hall.item) is None
    karl = ask(hall, hall.karl)
    speakers.speaker_next(item=hall.item, actor=None)
    ask(hall, hall.rosa)
    karl.refresh_from_db()
    start = karl.started_at
    assert speakers.time_left(hall.item, start + timedelta(seconds=30)) == 150
    speakers.speaker_extend(item=hall.item, seconds=60, actor=None)
    speakers.speaker_extend(item=hall.item, seconds=30, actor=None)
    assert speakers.time_left(hall.item, start + timedelta(seconds=30)) == 240
    assert speakers.time_left(hall.item, start + timedelta(seconds=300)) == -30
    assert speakers.speech(hall.item, start + timedelta(seconds=300)).left_text == "+0:30"
    assert speakers.speech(hall.item, start).left_text == "4:30"
    with translation.override("en"):
        texts = [e.text for e in speakers.history(hall.item) if e.action]
    assert texts == ["gave Karl Lieb 60 seconds more speaking time",
                     "gave Karl Lieb 30 seconds more speaking time"]
    ended = speakers.speaker_end(item=hall.item, actor=None)
    assert ended == karl
    karl.refresh_from_db()
    assert karl.status == S.DONE and karl.ended_at >= karl.started_at
    assert speakers.current(hall.item) is None
    assert names(hall) == ["Rosa"]  # ending calls nobody


@pytest.mark.parametrize("seconds", [0, -5, 3601, True, "60", 1.5, None])
def test_extra_time_must_be_a_sensible_number(hall, seconds):
    ask(hall, hall.karl)
    call(hall)
    with pytest.raises(ValidationError):
        speakers.speaker_extend(item=hall.item, seconds=seconds, actor=None)
    assert not ChairAction.objects.exists()


def test_every_change_is_audited_and_bumps_the_live_version(hall, world):
    board = world.users["kassel_board"]
    version = live.current_version(hall.assembly.pk)

    def bumped():
        nonlocal version
        now = Assembly.objects.get(pk=hall.assembly.pk).live_version
        changed, version = now > version, now
        return changed

    before = AuditEntry.objects.count()
    karl = ask(hall, hall.karl)
    assert bumped()
    speakers.speaker_pin(request=karl, actor=board, reason="Bericht")
    assert bumped()
    speakers.speaker_next(item=hall.item, actor=board)
    assert bumped()
    speakers.speaker_extend(item=hall.item, seconds=30, actor=board)
    assert bumped()
    speakers.speaker_end(item=hall.item, actor=board)
    assert bumped()
    speakers.list_close(item=hall.item, actor=board)
    assert bumped()
    entries = AuditEntry.objects.order_by("pk")[before:]
    assert [e.object_type for e in entries] == ["assemblies.speakerrequest"] * 5 + [
        "assemblies.agendaitem"]
    assert all(e.organisation_id == world.kassel.pk for e in entries)
    assert entries[2].changes["status"] == [S.WAITING, S.SPEAKING]
    assert entries[1].actor == board
    assert ChairAction.objects.filter(actor=board).count() == 3
    # Nobody waiting: "next" changes nothing and bumps nothing.
    assert speakers.speaker_next(item=hall.item, actor=board) is None
    assert not bumped()


def test_a_guest_without_a_category_counts_as_open(hall):
    guest = services.guest_add(assembly=hall.assembly, name="Gast Gustav", actor=None)
    attendance.check_in(participant=guest, actor=None)
    ask(hall, hall.karl)
    request = ask(hall, guest)
    assert request.category == "open"
    ask(hall, hall.rosa)
    assert names(hall) == ["Rosa", "Karl", "Gast"]


def test_own_requests_show_the_place_in_the_queue(hall):
    ask(hall, hall.karl)
    ask(hall, hall.rosa)
    ask(hall, hall.karl, K.POINT_OF_ORDER)
    assert [(place, r.kind) for place, r in speakers.own_requests(hall.item, hall.karl)] == [
        (1, K.POINT_OF_ORDER), (3, K.REGULAR)]


def test_history_lists_speeches_and_chair_actions_in_order(hall):
    karl = ask(hall, hall.karl)
    rosa = ask(hall, hall.rosa)
    call(hall)  # Rosa
    speakers.speaker_pin(request=karl, actor=None, reason="Nachfrage")
    call(hall)  # Karl
    log = speakers.history(hall.item)
    assert [(e.speech, e.action.action if e.action else None) for e in log] == [
        (rosa, None), (None, "pin"), (karl, None)]


# --- the chair's console ---------------------------------------------------------------------

def url(hall, name="", request_id=None):
    base = f"/staff/kassel/assemblies/{hall.assembly.pk}/speakers/"
    if request_id is not None:
        return f"{base}{request_id}/{name}/"
    return f"{base}{name + '/' if name else ''}"


@pytest.fixture
def chair_user(hall):
    """Karl's account, without any role, named chair of the assembly."""
    user, _created = people.contact_account_link(contact=hall.karl.contact, actor=None)
    services.assembly_update(assembly=hall.assembly, data={"chair": user}, actor=None)
    return user


def test_who_may_open_the_console(hall, login, chair_user, world):
    from django.test import Client

    chair = Client()
    chair.force_login(chair_user)
    assert chair.get(url(hall)).status_code == 200
    assert chair.get(url(hall, "queue")).status_code == 200
    assert login("kassel_board").get(url(hall)).status_code == 200
    assert login("kassel_events").get(url(hall)).status_code == 403
    assert login("kassel_events").post(url(hall, "next")).status_code == 403
    assert login("duesseldorf_board").get(url(hall)).status_code == 404
    assert login("duesseldorf_member").get(url(hall)).status_code == 404
    anonymous = login(None).get(url(hall))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert login(None).post(url(hall, "next")).status_code == 302
    assert not hall.item.speakers.exists()


def test_another_organisations_assembly_answers_404(hall, login, make_assembly, world):
    other = make_assembly(organisation=world.duesseldorf, title="MV Düsseldorf")
    board = login("kassel_board")
    assert board.get(f"/staff/kassel/assemblies/{other.pk}/speakers/").status_code == 404
    assert board.get(f"/staff/duesseldorf/assemblies/{other.pk}/speakers/").status_code == 404
    assert board.post(f"/staff/kassel/assemblies/{other.pk}/speakers/next/").status_code == 404


def test_the_console_shows_the_queue_in_the_computed_order(hall, login):
    ask(hall, hall.karl)
    ask(hall, hall.august, K.PRO)
    ask(hall, hall.rosa)
    speakers.speaker_next(item=hall.item, actor=None)  # August, the speech for
    page = login("kassel_board").get(url(hall))
    html = page.content.decode()
    assert "Aussprache zum Haushalt" in html
    assert html.index("Speaking now") < html.index("August Bebber") < html.index("Waiting (2)")
    assert html.index("Rosa Roth") < html.index("Karl Lieb")
    assert 'data-seconds-left="' in html and 'role="timer"' in html
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW,
                                     object_id=str(hall.assembly.pk)).exists()


def test_next_end_extend_through_the_console(hall, login):
    board = login("kassel_board")
    ask(hall, hall.karl)
    ask(hall, hall.rosa)
    response = board.post(url(hall, "next"), follow=True)
    assert "Rosa Roth has the floor." in response.content.decode()
    assert speakers.current(hall.item).participant == hall.rosa
    board.post(url(hall, "extend"), {"seconds": "60"})
    assert ChairAction.objects.get().action == "extend:60"
    response = board.post(url(hall, "extend"), {"seconds": "99999999999999999999999"}, follow=True)
    assert "Choose how much time to add." in response.content.decode()
    assert ChairAction.objects.count() == 1
    board.post(url(hall, "end"))
    assert speakers.current(hall.item) is None
    assert board.get(url(hall, "next")).status_code == 405


def test_pin_and_strike_through_the_reason_form(hall, login):
    board = login("kassel_board")
    karl = ask(hall, hall.karl)
    ask(hall, hall.rosa)
    assert board.get(url(hall, "pin", karl.pk)).status_code == 200
    response = board.post(url(hall, "pin", karl.pk), {"reason": ""})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    response = board.post(url(hall, "pin", karl.pk), {"reason": "a\x00b"})
    assert response.status_code == 200
    karl.refresh_from_db()
    assert karl.pinned is None
    response = board.post(url(hall, "pin", karl.pk), {"reason": "Berichterstatter"})
    assert response.status_code == 302
    assert names(hall) == ["Karl", "Rosa"]
    board.post(url(hall, "remove", karl.pk), {"reason": "Zurückgezogen"})
    karl.refresh_from_db()
    assert karl.status == S.WITHDRAWN
    assert board.get(url(hall, "pin", 999999)).status_code == 404


def test_a_request_of_another_assembly_cannot_be_decided_here(hall, login, make_assembly,
                                                             world):
    other = make_assembly(title="Zweite Versammlung")
    services.status_change(assembly=other, status=Assembly.Status.IN_SESSION, actor=None)
    item = services.item_create(assembly=other, title="Bericht", actor=None)
    services.item_call(assembly=other, item=item, actor=None)
    stranger = other.participants.first()
    attendance.check_in(participant=stranger, actor=None)
    theirs = speakers.speaker_request(item=item, participant=stranger)
    board = login("kassel_board")
    assert board.post(url(hall, "pin", theirs.pk), {"reason": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.pinned is None


def test_adding_someone_and_bad_choices(hall, login, make_assembly):
    board = login("kassel_board")
    response = board.post(url(hall, "add"), {"participant": hall.emma.pk, "kind": "regular"},
                          follow=True)
    assert "Emma Ihrig is on the list." in response.content.decode()
    request = hall.item.speakers.get()
    audit = AuditEntry.objects.filter(object_type="assemblies.speakerrequest").get()
    assert audit.changes["by"] == "staff"
    assert request.participant == hall.emma
    other = make_assembly(title="Zweite Versammlung")
    for data in ({"participant": other.participants.first().pk},
                 {"participant": "abc"}, {"participant": "9" * 40},
                 {"participant": hall.karl.pk, "kind": "filibuster"},
                 {"participant": hall.karl.pk, "kind": "regular\x00"}):
        response = board.post(url(hall, "add"), data, follow=True)
        assert response.status_code == 200
        assert 'class="error"' in response.content.decode()
    assert hall.item.speakers.count() == 1


def test_closing_and_reopening_through_the_console(hall, login):
    board = login("kassel_board")
    board.post(url(hall, "close"), {"reason": ""})
    hall.item.refresh_from_db()
    assert hall.item.list_closed
    response = board.post(url(hall, "reopen"), {"reason": ""},
                          follow=True)
    assert "Give a reason for the record." in response.content.decode()
    hall.item.refresh_from_db()
    assert hall.item.list_closed
    board.post(url(hall, "reopen"), {"reason": "Neue Wortmeldungen zugelassen"})
    hall.item.refresh_from_db()
    assert not hall.item.list_closed


def test_calling_an_item_from_the_console(hall, login, make_assembly):
    board = login("kassel_board")
    second = services.item_create(assembly=hall.assembly, title="Wahlen", actor=None)
    board.post(url(hall, "call"), {"item": second.pk})
    hall.assembly.refresh_from_db()
    assert hall.assembly.current_item == second
    other = make_assembly(title="Zweite Versammlung")
    foreign = services.item_create(assembly=other, title="Fremd", actor=None)
    response = board.post(url(hall, "call"), {"item": foreign.pk},
                          follow=True)
    assert "Choose an agenda item of this assembly." in response.content.decode()
    hall.assembly.refresh_from_db()
    assert hall.assembly.current_item == second


def test_the_polled_queue_answers_only_when_something_changed(hall, login):
    board = login("kassel_board")
    first = board.get(url(hall, "queue"))
    html = first.content.decode()
    version = live.current_version(hall.assembly.pk)
    assert f'name="v" value="{version}"' in html
    assert board.get(url(hall, "queue"), {"v": version}).status_code == 204
    ask(hall, hall.karl)  # a phone asks
    # The version reaches the cache when the transaction commits; here the test's transaction
    # never does, so publish it as the commit would.
    from django.core.cache import cache
    cache.set(live.VERSION_KEY.format(pk=hall.assembly.pk),
              Assembly.objects.get(pk=hall.assembly.pk).live_version)
    changed = board.get(url(hall, "queue"), {"v": version})
    assert changed.status_code == 200 and "Karl Lieb" in changed.content.decode()
    assert 'hx-swap-oob="innerHTML"' in changed.content.decode()


def test_the_console_without_a_current_item(assembly, login):
    services.item_create(assembly=assembly, title="Begrüßung", actor=None)
    board = login("kassel_board")
    page = board.get(f"/staff/kassel/assemblies/{assembly.pk}/speakers/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "No agenda item is under discussion." in html
    assert "The assembly is not in session" in html
    response = board.post(f"/staff/kassel/assemblies/{assembly.pk}/speakers/next/", follow=True)
    assert "Call an agenda item first." in response.content.decode()



def test_a_speech_over_time_is_labelled_overtime(hall, login):
    from django.utils import timezone

    karl = ask(hall, hall.karl)
    speakers.speaker_next(item=hall.item, actor=None)
    board = login("kassel_board")
    html = board.get(url(hall)).content.decode()
    assert '<span class="speakers-timer-label">Time left</span>' in html
    # Three minutes are allowed; he began four minutes ago.
    SpeakerRequest.objects.filter(pk=karl.pk).update(
        started_at=timezone.now() - timedelta(minutes=4))
    html = board.get(url(hall)).content.decode()
    assert '<span class="speakers-timer-label">Overtime</span>' in html
    assert 'data-label-over="Overtime"' in html and 'class="speakers-timer overtime"' in html


def test_the_console_links_to_the_projector_and_the_items_motions_and_votes(hall, login):
    from mitmachen.assemblies import motions, votes
    from mitmachen.assemblies.access import projector_token

    motion = motions.motion_submit(assembly=hall.assembly, title="Mietenstopp", text="Wir.",
                                   reasoning="", submitter=None, submitter_name="Vorstand",
                                   actor=None, item=hall.item)
    motions.motion_admit(motion=motion, actor=None)
    vote = votes.vote_create(assembly=hall.assembly, motion=motion, method="open", actor=None)
    elsewhere = services.item_create(assembly=hall.assembly, title="Anderes", actor=None)
    other = motions.motion_submit(assembly=hall.assembly, title="Fremd", text="Wir.",
                                  reasoning="", submitter=None, submitter_name="Vorstand",
                                  actor=None, item=elsewhere)
    html = login("kassel_board").get(url(hall)).content.decode()
    staff = f"/staff/kassel/assemblies/{hall.assembly.pk}/"
    assert f"/assembly/{hall.assembly.pk}/projector/{projector_token(hall.assembly)}/" in html
    assert f"{staff}motions/{motion.pk}/" in html and f"{staff}motions/#vote-{vote.pk}" in html
    assert f"{staff}motions/{other.pk}/" not in html  # not the item under discussion


def test_a_closed_assemblys_console_is_a_record(hall, login):
    karl = ask(hall, hall.karl)
    ask(hall, hall.rosa)
    speakers.speaker_next(item=hall.item, actor=None)
    services.status_change(assembly=hall.assembly, status=Assembly.Status.CLOSED, actor=None)
    board = login("kassel_board")
    html = board.get(url(hall)).content.decode()
    assert "Karl Lieb" in html and "the record of this assembly is final" in html
    for action in ("call", "next", "end", "add", "close", "extend"):
        assert url(hall, action) not in html, action
    assert url(hall, "pin", karl.pk) not in html and url(hall, "remove", karl.pk) not in html
    queue = board.get(url(hall, "queue")).content.decode()
    assert url(hall, "extend") not in queue and url(hall, "pin", karl.pk) not in queue
    response = board.post(url(hall, "pin", karl.pk), {"reason": "Nachfrage"}, follow=True)
    assert "The assembly is closed; its record can no longer change." in response.content.decode()
    karl.refresh_from_db()
    assert karl.pinned is None
