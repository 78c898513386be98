"""Attendance at the door: check-in and check-out rules, the log for the minutes, the quorum,
the staff pages on a phone, and the page a member's QR code opens."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mitmachen.assemblies import attendance, services
from mitmachen.assemblies.access import checkin_code
from mitmachen.assemblies.models import Assembly, AssemblyRules, AttendanceEntry, Participant
from mitmachen.assemblies.selectors import quorum
from mitmachen.core.models import AuditEntry
from tests.assemblies.conftest import voter

pytestmark = pytest.mark.django_db
A = AttendanceEntry.Action


@pytest.fixture
def login(login):
    def _login(persona):
        client = login(persona)
        client.cookies["django_language"] = "en"
        return client

    return _login


def base(assembly):
    return f"/staff/{assembly.organisation.slug}/assemblies/{assembly.pk}/attendance/"


def qr_url(participant):
    return f"/checkin/{checkin_code(participant)}/"


def log_of(participant):
    return list(AttendanceEntry.objects.filter(participant=participant).order_by(
        "at", "pk").values_list("action", flat=True))


def message(exc: ValidationError) -> str:
    return " ".join(m for messages in (exc.message_dict.values() if hasattr(exc, "error_dict")
                                       else [exc.messages]) for m in messages)


def close(assembly):
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    services.status_change(assembly=assembly, status=Assembly.Status.CLOSED, actor=None)


def yesterday_at(hour, minute):
    day = timezone.localtime() - timedelta(days=1)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


# --- the services ----------------------------------------------------------------------------

def test_check_in_records_an_arrival_sets_present_audits_and_bumps(world, assembly):
    rosa = voter(assembly, "Rosa")
    assembly.refresh_from_db()
    version = assembly.live_version
    board = world.users["kassel_board"]

    result = attendance.check_in(participant=rosa, actor=board)

    assert result.present is True
    rosa.refresh_from_db()
    assert rosa.present is True
    entry = AttendanceEntry.objects.get(participant=rosa)
    assert (entry.action, entry.recorded_by, entry.via_code) == (A.ARRIVED, board, False)
    assert abs((timezone.now() - entry.at).total_seconds()) < 60
    audit = AuditEntry.objects.filter(object_type="assemblies.participant",
                                      object_id=str(rosa.pk)).latest("pk")
    assert audit.organisation == world.kassel and audit.actor == board
    assert audit.changes["present"] == [False, True]
    assembly.refresh_from_db()
    assert assembly.live_version == version + 1


def test_checking_in_twice_is_refused_with_a_message_and_no_second_row(world, assembly):
    rosa = voter(assembly, "Rosa")
    attendance.check_in(participant=rosa, actor=None)
    assembly.refresh_from_db()
    version = assembly.live_version
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        attendance.check_in(participant=rosa, actor=None)
    assert message(caught.value) == "Rosa Roth is already checked in."
    assert log_of(rosa) == [A.ARRIVED]
    assembly.refresh_from_db()
    assert assembly.live_version == version


def test_checking_out_someone_not_in_is_refused(world, assembly):
    rosa = voter(assembly, "Rosa")
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        attendance.check_out(participant=rosa, actor=None)
    assert message(caught.value) == "Rosa Roth is not checked in."
    assert log_of(rosa) == []
    attendance.check_in(participant=rosa, actor=None)
    attendance.check_out(participant=rosa, actor=None)
    with pytest.raises(ValidationError):
        attendance.check_out(participant=rosa, actor=None)
    rosa.refresh_from_db()
    assert rosa.present is False
    assert log_of(rosa) == [A.ARRIVED, A.LEFT]


def test_a_stale_object_does_not_fool_the_check(world, assembly):
    """The state is read from the locked row, not from the object the caller holds."""
    rosa = voter(assembly, "Rosa")
    stale = Participant.objects.get(pk=rosa.pk)
    attendance.check_in(participant=rosa, actor=None)
    with pytest.raises(ValidationError):
        attendance.check_in(participant=stale, actor=None)
    assert log_of(rosa) == [A.ARRIVED]


@pytest.mark.parametrize("status", [Assembly.Status.PREPARING, Assembly.Status.INVITED,
                                    Assembly.Status.IN_SESSION])
def test_check_in_is_allowed_until_the_assembly_is_closed(world, assembly, status):
    if status != Assembly.Status.PREPARING:
        services.status_change(assembly=assembly, status=status, actor=None)
    rosa = attendance.check_in(participant=voter(assembly, "Rosa"), actor=None)
    assert rosa.present is True


def test_a_closed_assembly_refuses_check_in_and_out(world, assembly):
    rosa, karl = voter(assembly, "Rosa"), voter(assembly, "Karl")
    attendance.check_in(participant=karl, actor=None)
    close(assembly)
    for call, who in ((attendance.check_in, rosa), (attendance.check_out, karl)):
        with translation.override("en"), pytest.raises(ValidationError) as caught:
            call(participant=who, actor=None)
        assert "closed" in message(caught.value)
    assert log_of(rosa) == [] and log_of(karl) == [A.ARRIVED]
    karl.refresh_from_db()
    assert karl.present is True


def test_guests_are_checked_in_but_never_count_for_the_quorum(world, assembly):
    guest = services.guest_add(assembly=assembly, name="Gerda Gast", actor=None,
                               quota_category="flinta")
    attendance.check_in(participant=guest, actor=None)
    guest.refresh_from_db()
    assert guest.present is True and log_of(guest) == [A.ARRIVED]
    state = quorum(assembly)
    assert (state.present, state.guests_present, state.eligible) == (0, 1, 6)
    assert state.met is False


def test_a_given_time_is_recorded_and_checked(world, assembly):
    rosa = voter(assembly, "Rosa")
    arrived = yesterday_at(19, 2)
    attendance.check_in(participant=rosa, actor=None, at=arrived)
    assert AttendanceEntry.objects.get(participant=rosa).at == arrived
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            attendance.check_out(participant=rosa, actor=None, at=arrived - timedelta(minutes=1))
        assert "before Rosa Roth's last arrival or departure" in message(caught.value)
        with pytest.raises(ValidationError) as caught:
            attendance.check_out(participant=rosa, actor=None,
                                 at=timezone.now() + timedelta(hours=1))
        assert message(caught.value) == "The time cannot lie in the future."
        for wrong in (datetime(2020, 1, 1, 19, 0), "19:00", 1900):  # noqa: DTZ001
            with pytest.raises(ValidationError) as caught:
                attendance.check_out(participant=rosa, actor=None, at=wrong)
            assert message(caught.value) == "Enter a valid time."
    assert log_of(rosa) == [A.ARRIVED]
    rosa.refresh_from_db()
    assert rosa.present is True


@pytest.mark.parametrize("wrong", [None, "Rosa", 1, object()])
def test_wrong_types_for_the_participant_are_refused(world, assembly, wrong):
    with pytest.raises(ValidationError):
        attendance.check_in(participant=wrong, actor=None)
    assert AttendanceEntry.objects.count() == 0


def test_via_code_must_be_a_flag(world, assembly):
    rosa = voter(assembly, "Rosa")
    with pytest.raises(ValidationError):
        attendance.check_in(participant=rosa, actor=None, via_code="yes")
    assert log_of(rosa) == []


# --- the quorum ------------------------------------------------------------------------------

def set_quorum(assembly, kind, value):
    services.assembly_update(assembly=assembly, actor=None,
                             data={"quorum_kind": kind, "quorum_value": value})


def arrive(assembly, *names):
    for name in names:
        attendance.check_in(participant=voter(assembly, name), actor=None)


def test_share_quorum_rounds_up_to_whole_people(world, assembly):
    # 34 % of 6 voters is 2.04 people: three are needed, two are not enough.
    set_quorum(assembly, AssemblyRules.Quorum.SHARE, 34)
    arrive(assembly, "Rosa", "Karl")
    state = quorum(assembly)
    assert (state.required, state.present, state.met, state.missing) == (3, 2, False, 1)
    arrive(assembly, "Clara")
    state = quorum(assembly)
    assert (state.required, state.met, state.missing) == (3, True, 0)


def test_share_quorum_of_the_fixture_needs_one_of_six(world, assembly):
    assert quorum(assembly).required == 1 and quorum(assembly).met is False
    arrive(assembly, "Paul")
    assert quorum(assembly).met is True


def test_absolute_quorum(world, assembly):
    set_quorum(assembly, AssemblyRules.Quorum.ABSOLUTE, 4)
    arrive(assembly, "Rosa", "Karl", "Clara")
    assert (quorum(assembly).required, quorum(assembly).met) == (4, False)
    arrive(assembly, "Paul")
    assert quorum(assembly).met is True
    attendance.check_out(participant=voter(assembly, "Paul"), actor=None)
    assert quorum(assembly).met is False


def test_no_quorum_rule_is_always_met(world, assembly):
    set_quorum(assembly, AssemblyRules.Quorum.NONE, 0)
    state = quorum(assembly)
    assert state.required is None and state.met is True


# --- the record for the minutes -------------------------------------------------------------

def test_presence_log_gives_each_person_their_intervals(world, assembly):
    rosa, karl = voter(assembly, "Rosa"), voter(assembly, "Karl")
    for who, call, (h, m) in [(rosa, attendance.check_in, (19, 2)),
                              (karl, attendance.check_in, (19, 5)),
                              (rosa, attendance.check_out, (20, 15)),
                              (rosa, attendance.check_in, (20, 40))]:
        call(participant=who, actor=None, at=yesterday_at(h, m))
    rows = {row.participant.name: row.text for row in attendance.presence_log(assembly)}
    assert rows == {"Rosa Roth": "19:02–20:15, 20:40–", "Karl Lieb": "19:05–"}


def test_timeline_counts_voters_only_and_finds_when_quorate(world, assembly):
    set_quorum(assembly, AssemblyRules.Quorum.ABSOLUTE, 2)
    guest = services.guest_add(assembly=assembly, name="Gerda Gast", actor=None)
    rosa, karl = voter(assembly, "Rosa"), voter(assembly, "Karl")
    steps = [(rosa, attendance.check_in, (19, 0)), (guest, attendance.check_in, (19, 5)),
             (karl, attendance.check_in, (19, 10)), (rosa, attendance.check_out, (20, 0)),
             (rosa, attendance.check_in, (20, 30))]
    for who, call, (h, m) in steps:
        call(participant=who, actor=None, at=yesterday_at(h, m))
    points = attendance.timeline(assembly)
    assert [(timezone.localtime(p.at).strftime("%H:%M"), p.present, p.met) for p in points] == [
        ("19:00", 1, False), ("19:10", 2, True), ("20:00", 1, False), ("20:30", 2, True)]
    assert attendance.quorate_periods(points) == [
        (yesterday_at(19, 10), yesterday_at(20, 0)), (yesterday_at(20, 30), None)]


event_kinds = st.lists(st.tuples(st.integers(0, 2), st.booleans()), max_size=25)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=event_kinds)
def test_any_sequence_keeps_flag_and_alternating_log_in_step(world, assembly, steps):
    model = [False] * 3  # who should be in
    with transaction.atomic():
        guest = services.guest_add(assembly=assembly, name="Gerda Gast", actor=None)
        people = [voter(assembly, "Rosa"), voter(assembly, "Karl"), guest]
        for index, arriving in steps:
            call = attendance.check_in if arriving else attendance.check_out
            try:
                call(participant=people[index], actor=None)
                done = True
            except ValidationError:
                done = False
            assert done is (model[index] != arriving)  # refused exactly when nothing changes
            model[index] = arriving
        for person in people:
            person.refresh_from_db()
            actions = log_of(person)
            assert all(a == (A.ARRIVED if n % 2 == 0 else A.LEFT)
                       for n, a in enumerate(actions))
            assert person.present == (bool(actions) and actions[-1] == A.ARRIVED)
        assert [p.present for p in people] == model
        state = quorum(assembly)
        assert (state.present, state.guests_present) == (model[0] + model[1], model[2])
        transaction.set_rollback(True)


# --- the door's pages ------------------------------------------------------------------------

@pytest.mark.parametrize("persona,status", [
    ("kassel_board", 200), ("kassel_events", 200), ("hessen_board", 200),
    ("kassel_treasurer", 403), ("kassel_groups", 403), ("duesseldorf_board", 404),
    ("duesseldorf_member", 404), (None, 302)])
def test_who_may_use_the_door_pages(world, login, assembly, persona, status):
    rosa = voter(assembly, "Rosa")
    client = login(persona)
    for suffix in ("", "count/", "print/"):
        assert client.get(base(assembly) + suffix).status_code == status, suffix
    code = client.get(base(assembly) + "code/", {"code": checkin_code(rosa)})
    assert code.status_code == (302 if status == 200 else status)
    response = client.post(f"{base(assembly)}{rosa.pk}/", {"present": "1"})
    assert response.status_code == (302 if status == 200 else status)
    rosa.refresh_from_db()
    assert rosa.present is (status == 200)


def test_the_chair_may_use_the_door_without_the_role(world, login, assembly):
    chair = world.users["kassel_groups"]
    services.assembly_update(assembly=assembly, data={"chair": chair}, actor=None)
    client = login("kassel_groups")
    assert client.get(base(assembly)).status_code == 200
    rosa = voter(assembly, "Rosa")
    assert client.post(f"{base(assembly)}{rosa.pk}/", {"present": "1"}).status_code == 302
    assert client.get(qr_url(voter(assembly, "Karl"))).status_code == 200


def test_the_list_shows_everyone_counts_and_is_logged(world, login, assembly):
    services.guest_add(assembly=assembly, name="Gerda Gast", actor=None)
    arrive(assembly, "Rosa")
    response = login("kassel_events").get(base(assembly))
    assert response.status_code == 200
    html = response.content.decode()
    names = [p.name for p in response.context["people"]]
    assert names == sorted(names) and len(names) == 7 and "Gerda Gast" in names
    assert "1 of 6 voting members present" in html
    assert 'aria-live="polite"' in html and 'hx-trigger="every 3s"' in html
    assert "quorate" in html and html.count('name="present" value="1"') == 6
    assert 'name="present" value="0"' in html  # Rosa can be marked as gone
    assert "Arrivals and departures" in html and "Rosa Roth" in html
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW, object_id=str(assembly.pk),
                                     object_repr__startswith="attendance list").exists()


def test_search_and_filter(world, login, assembly):
    arrive(assembly, "Rosa", "Karl")
    client = login("kassel_board")
    found = client.get(base(assembly), {"q": "ros"})
    assert [p.name for p in found.context["people"]] == ["Rosa Roth"]
    present = client.get(base(assembly), {"show": "present"})
    assert {p.name for p in present.context["people"]} == {"Rosa Roth", "Karl Lieb"}
    absent = client.get(base(assembly), {"show": "absent", "q": "a"})
    assert {p.name for p in absent.context["people"]} == {"Clara Zeller", "Emma Ihrig",
                                                           "August Bebber", "Paul Sänger"}
    partial = client.get(base(assembly), {"q": "karl"}, HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="attendance-list")
    html = partial.content.decode()
    assert "Karl Lieb" in html and "Rosa Roth" not in html and "<html" not in html
    nobody = client.get(base(assembly), {"q": "Zzz\x00", "show": "nonsense"})
    assert nobody.status_code == 200 and "Nobody on the list matches." in nobody.content.decode()
    assert nobody.context["show"] == ""


def test_marking_with_htmx_returns_the_row_and_the_new_count(world, login, assembly):
    rosa = voter(assembly, "Rosa")
    client = login("kassel_events")
    response = client.post(f"{base(assembly)}{rosa.pk}/", {"present": "1", "q": "ro"},
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'id="participant-{rosa.pk}"' in html and 'name="present" value="0"' in html
    assert 'hx-swap-oob="true"' in html and "1 of 6 voting members present" in html
    entry = AttendanceEntry.objects.get(participant=rosa)
    assert entry.recorded_by == world.users["kassel_events"] and entry.via_code is False

    again = client.post(f"{base(assembly)}{rosa.pk}/", {"present": "1"}, HTTP_HX_REQUEST="true")
    assert "Rosa Roth is already checked in." in again.content.decode()
    assert log_of(rosa) == [A.ARRIVED]

    out = client.post(f"{base(assembly)}{rosa.pk}/", {"present": "0"}, HTTP_HX_REQUEST="true")
    assert "0 of 6 voting members present" in out.content.decode()
    assert log_of(rosa) == [A.ARRIVED, A.LEFT]


def test_marking_without_javascript_redirects_back_with_the_filter(world, login, assembly):
    rosa = voter(assembly, "Rosa")
    client = login("kassel_events")
    response = client.post(f"{base(assembly)}{rosa.pk}/",
                           {"present": "1", "q": "ro", "show": "absent"})
    assert response.status_code == 302
    assert response.url == f"{base(assembly)}?q=ro&show=absent#participant-{rosa.pk}"
    followed = client.post(f"{base(assembly)}{rosa.pk}/", {"present": "1"}, follow=True)
    assert "Rosa Roth is already checked in." in followed.content.decode()
    assert log_of(rosa) == [A.ARRIVED]


@pytest.mark.parametrize("value", ["", "2", "yes", "\x00"])
def test_marking_with_a_wrong_value_changes_nothing(world, login, assembly, value):
    rosa = voter(assembly, "Rosa")
    response = login("kassel_board").post(f"{base(assembly)}{rosa.pk}/", {"present": value},
                                          HTTP_HX_REQUEST="true")
    assert "Choose “Check in” or “Check out”." in response.content.decode()
    assert log_of(rosa) == []


def test_another_assemblys_participant_is_404(world, login, assembly, make_assembly):
    other = make_assembly(organisation=world.duesseldorf, members=[
        ("Dora", "Düssel", "flinta", "dora@example.org", "")])
    dora = other.participants.get()
    second = make_assembly(title="Zweite Versammlung", members=[])
    client = login("kassel_board")
    assert client.post(f"{base(assembly)}{dora.pk}/", {"present": "1"}).status_code == 404
    kassel_other = second.participants.first()
    assert client.post(f"{base(assembly)}{kassel_other.pk}/",
                       {"present": "1"}).status_code == 404
    assert client.get(f"{base(assembly)}{dora.pk}/").status_code == 405
    assert AttendanceEntry.objects.count() == 0


def test_count_partial_answers_204_while_nothing_changed(world, login, assembly):
    client = login("kassel_events")
    first = client.get(f"{base(assembly)}count/")
    html = first.content.decode()
    assert first.status_code == 200 and "<html" not in html
    assert "0 of 6 voting members present" in html and "not quorate: 1 missing" in html
    assembly.refresh_from_db()
    same = client.get(f"{base(assembly)}count/", {"v": assembly.live_version})
    assert same.status_code == 204 and same.content == b""
    arrive(assembly, "Rosa")
    changed = client.get(f"{base(assembly)}count/", {"v": assembly.live_version})
    html = changed.content.decode()
    assert changed.status_code == 200 and "1 of 6 voting members present" in html
    assert "✓ quorate" in html and f"v={assembly.live_version + 1}" in html


def test_count_shows_guests_apart_and_the_rule(world, login, assembly):
    set_quorum(assembly, AssemblyRules.Quorum.ABSOLUTE, 3)
    guest = services.guest_add(assembly=assembly, name="Gerda Gast", actor=None)
    attendance.check_in(participant=guest, actor=None)
    html = login("kassel_board").get(f"{base(assembly)}count/").content.decode()
    assert "0 of 6 voting members present" in html
    assert "and 1 guest (guests do not count)" in html
    assert "Quorum: 3 voting members." in html and "not quorate: 3 missing" in html


def test_print_view_has_a_signature_column_and_the_record(world, login, assembly):
    services.guest_add(assembly=assembly, name="Gerda Gast", actor=None)
    rosa = voter(assembly, "Rosa")
    attendance.check_in(participant=rosa, actor=None, at=yesterday_at(19, 2))
    response = login("kassel_events").get(f"{base(assembly)}print/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Signature" in html and "Voting members" in html and "Guests" in html
    for name in ("Rosa Roth", "Emma Ihrig", "Paul Sänger", "Gerda Gast"):
        assert name in html
    assert "19:02–" in html and "quorate from 19:02" in html
    assert "6 voting members on the list" in html
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW,
                                     object_repr__startswith="printed attendance").exists()


def test_closed_assembly_page_shows_no_buttons(world, login, assembly):
    close(assembly)
    html = login("kassel_board").get(base(assembly)).content.decode()
    assert "The assembly is closed; attendance can no longer change." in html
    assert 'name="present"' not in html


# --- the QR code -----------------------------------------------------------------------------

def test_door_staff_scan_see_the_member_and_check_them_in(world, login, assembly):
    emma = voter(assembly, "Emma")
    client = login("kassel_events")
    page = client.get(qr_url(emma))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Emma Ihrig" in html and "women/FLINTA*" in html and "voting member" in html
    assert "not present" in html and "Check in" in html
    emma.refresh_from_db()
    assert emma.present is False and log_of(emma) == []  # GET changes nothing

    done = client.post(qr_url(emma), follow=True)
    html = done.content.decode()
    assert done.redirect_chain == [(qr_url(emma), 302)]
    assert "Emma Ihrig is checked in." in html and "since" in html
    assert f"/staff/kassel/assemblies/{assembly.pk}/attendance/" in html
    entry = AttendanceEntry.objects.get(participant=emma)
    assert entry.via_code is True and entry.recorded_by == world.users["kassel_events"]

    again = client.post(qr_url(emma), follow=True)
    assert "Emma Ihrig is already checked in." in again.content.decode()
    assert log_of(emma) == [A.ARRIVED]


@pytest.mark.parametrize("persona", [None, "duesseldorf_board", "duesseldorf_member",
                                     "kassel_treasurer", "umbrella_board"])
def test_anyone_else_gets_404_and_nothing_changes(world, login, assembly, persona):
    emma = voter(assembly, "Emma")
    client = login(persona)
    for response in (client.get(qr_url(emma)), client.post(qr_url(emma))):
        assert response.status_code == 404
        assert b"Emma" not in response.content
    emma.refresh_from_db()
    assert emma.present is False and log_of(emma) == []


def test_a_member_with_an_account_gets_404(world, assembly, kassel_member):
    from django.test import Client

    client = Client()
    client.force_login(kassel_member)
    rosa = voter(assembly, "Rosa")
    assert client.get(qr_url(rosa)).status_code == 404
    assert client.post(qr_url(rosa)).status_code == 404
    assert log_of(rosa) == []


def test_tampered_and_renewed_codes_are_404(world, login, assembly):
    rosa, karl = voter(assembly, "Rosa"), voter(assembly, "Karl")
    client = login("kassel_board")
    code = checkin_code(rosa)
    pk, mac = code.split("-")
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    for wrong in (f"{pk}-{flipped}", f"{karl.pk}-{mac}", pk, f"{pk}-", "x-y", "9" * 30,
                  code + "0"):
        assert client.get(f"/checkin/{wrong}/").status_code == 404, wrong
        assert client.post(f"/checkin/{wrong}/").status_code == 404, wrong
    Participant.objects.filter(pk=rosa.pk).update(nonce="renewed")
    assert client.get(f"/checkin/{code}/").status_code == 404
    assert AttendanceEntry.objects.count() == 0


def test_the_qr_page_of_a_closed_assembly_offers_no_button(world, login, assembly):
    rosa = voter(assembly, "Rosa")
    close(assembly)
    client = login("kassel_board")
    html = client.get(qr_url(rosa)).content.decode()
    assert "The assembly is closed" in html and "<form method=\"post\">" not in html
    client.post(qr_url(rosa))
    assert log_of(rosa) == []


def test_manual_code_entry(world, login, assembly, make_assembly):
    rosa = voter(assembly, "Rosa")
    client = login("kassel_events")
    code = checkin_code(rosa)
    response = client.get(f"{base(assembly)}code/", {"code": f"  {code.upper()} "})
    assert response.status_code == 302 and response.url == qr_url(rosa)
    for wrong in ("", "12-abc", "\x00"):
        followed = client.get(f"{base(assembly)}code/", {"code": wrong}, follow=True)
        assert followed.redirect_chain[-1][0] == base(assembly)
        html = followed.content.decode()
        assert ("This code is not valid for this assembly." in html
                or "Enter the code printed under the QR code." in html)
    other = make_assembly(title="Zweite Versammlung", members=[])
    guest = services.guest_add(assembly=other, name="Gerda Gast", actor=None)
    followed = client.get(f"{base(assembly)}code/", {"code": checkin_code(guest)}, follow=True)
    assert "This code is not valid for this assembly." in followed.content.decode()
    assert log_of(rosa) == [] and AttendanceEntry.objects.count() == 0


def test_the_row_buttons_say_what_they_do(world, login, assembly):
    rosa = voter(assembly, "Rosa")
    client = login("kassel_events")
    html = client.get(base(assembly), {"q": "rosa"}).content.decode()
    row = html.split(f'id="participant-{rosa.pk}"')[1].split("</li>")[0]
    assert "Check in</button>" in row and "Check out" not in row
    html = client.post(f"{base(assembly)}{rosa.pk}/", {"present": "1"},
                       HTTP_HX_REQUEST="true").content.decode()
    assert "Check out</button>" in html and "Check in</button>" not in html
    assert ">arrived<" not in html and ">left<" not in html
