from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from mitmachen.events import registrations as regs
from mitmachen.events import services
from mitmachen.events.models import Event, Registration
from mitmachen.messaging.models import Message

S = Registration.Status


@pytest.fixture(autouse=True)
def english():
    """The messages below are matched in English; German is the default elsewhere."""
    from django.utils.translation import override

    with override("en"):
        yield


def statuses(event):
    return list(event.registrations.order_by("pk").values_list("first_name", "status"))


def test_seats_then_waiting_list_in_order(make_event, register):
    event = make_event(capacity=2)
    for name in ("Ana", "Ben", "Cem", "Dora"):
        register(event, name)
    assert statuses(event) == [("Ana", S.CONFIRMED), ("Ben", S.CONFIRMED),
                               ("Cem", S.WAITING), ("Dora", S.WAITING)]
    event.refresh_from_db()
    assert event.seats_taken == 2
    dora = event.registrations.get(first_name="Dora")
    assert regs.waiting_position(dora) == 2


def test_cancel_offers_the_seat_to_the_first_waiting(make_event, register):
    event = make_event(capacity=1, offer_hours=24)
    ana = register(event, "Ana")
    register(event, "Ben")
    register(event, "Cem")
    regs.registration_cancel(registration=ana)
    assert statuses(event)[1:] == [("Ben", S.OFFERED), ("Cem", S.WAITING)]
    ben = event.registrations.get(first_name="Ben")
    assert ben.offer_expires_at is not None
    regs.offer_accept(registration=ben)
    ben.refresh_from_db()
    assert ben.status == S.CONFIRMED


def test_an_expired_offer_moves_the_next_one_up(make_event, register):
    event = make_event(capacity=1, offer_hours=24)
    ana = register(event, "Ana")
    register(event, "Ben")
    register(event, "Cem")
    regs.registration_cancel(registration=ana)
    assert regs.offers_expire(now=timezone.now() + timedelta(hours=25)) == 1
    assert statuses(event)[1:] == [("Ben", S.EXPIRED), ("Cem", S.OFFERED)]
    ben = event.registrations.get(first_name="Ben")
    with pytest.raises(ValidationError):
        regs.offer_accept(registration=ben)


def test_offer_hours_zero_confirms_at_once(make_event, register):
    event = make_event(capacity=1, offer_hours=0)
    ana = register(event, "Ana")
    register(event, "Ben")
    regs.registration_cancel(registration=ana)
    assert statuses(event)[1] == ("Ben", S.CONFIRMED)


def test_the_database_refuses_an_overbooking_write(make_event, register):
    event = make_event(capacity=1)
    register(event, "Ana")
    with pytest.raises(IntegrityError):
        Event.objects.filter(pk=event.pk).update(seats_taken=2)


def test_the_same_address_cannot_register_twice(make_event, register):
    event = make_event()
    register(event, "Ana")
    with pytest.raises(ValidationError) as err:
        register(event, "Ana2", email="ANA@example.org")
    assert "already registered" in str(err.value)
    assert event.registrations.count() == 1


@pytest.mark.parametrize("fields", [
    {"name": ""}, {"name": "A" * 101}, {"name": "A\x00B"}, {"name": 5, "email": "x@example.org"},
    {"email": "", "phone": ""}, {"email": "not-an-address"},
])
def test_bad_input_changes_nothing(make_event, register, fields):
    event = make_event()
    name = fields.pop("name", "Ana")
    with pytest.raises(ValidationError):
        register(event, name, **fields)
    assert not event.registrations.exists()
    assert not Message.objects.exists()


def test_privacy_notice_must_be_accepted(make_event):
    event = make_event()
    with pytest.raises(ValidationError):
        regs.registration_create(event=event, first_name="Ana", email="a@example.org")


def test_registration_window_and_mode(make_event, register):
    now = timezone.now()
    closed = make_event(registration_closes_at=now - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="closed"):
        register(closed)
    later = make_event(registration_opens_at=now + timedelta(days=1))
    with pytest.raises(ValidationError, match="not opened"):
        register(later)
    # staff may still enter someone who called
    regs.registration_create(event=later, first_name="Olga", phone="+495611234567",
                             privacy_accepted=True, source=Registration.Source.PHONE)
    none = make_event(registration=Event.Registration.NONE)
    with pytest.raises(ValidationError):
        register(none)
    members = make_event(registration=Event.Registration.MEMBERS)
    with pytest.raises(ValidationError, match="members"):
        register(members)


def test_double_opt_in_holds_no_seat_until_confirmed(make_event, register):
    event = make_event(capacity=1, double_opt_in=True)
    ana = register(event, "Ana")
    ben = register(event, "Ben")
    assert (ana.status, ben.status) == (S.UNCONFIRMED, S.UNCONFIRMED)
    regs.registration_confirm_email(registration=ben)
    regs.registration_confirm_email(registration=ana)
    assert statuses(event) == [("Ana", S.WAITING), ("Ben", S.CONFIRMED)]


def test_approval_mode(make_event, register, world):
    event = make_event(capacity=5, approval_required=True)
    ana = register(event, "Ana")
    assert ana.status == S.PENDING
    regs.registration_decide(registration=ana, approve=True, actor=None)
    ana.refresh_from_db()
    assert ana.status == S.CONFIRMED
    with pytest.raises(ValidationError):
        regs.registration_decide(registration=ana, approve=False, actor=None)


def test_questions_and_categories(make_event, register):
    event = make_event(capacity=10)
    question = services.question_add(event=event, label="Essen?", kind="choice",
                                     choices=["vegan", "vegetarisch"], required=True, actor=None)
    reduced = services.category_add(event=event, name="ermäßigt", capacity=1, actor=None)
    full = services.category_add(event=event, name="normal", actor=None)
    with pytest.raises(ValidationError):
        register(event, "Ana", category=reduced, answers={str(question.pk): "Fleisch"})
    with pytest.raises(ValidationError):
        register(event, "Ana", answers={str(question.pk): "vegan"})  # no ticket chosen
    register(event, "Ana", category=reduced, answers={str(question.pk): "vegan"})
    ben = register(event, "Ben", category=reduced, answers={str(question.pk): "vegan"})
    cem = register(event, "Cem", category=full, answers={str(question.pk): "vegan"})
    assert (ben.status, cem.status) == (S.WAITING, S.CONFIRMED)
    assert ben.answers == {str(question.pk): "vegan"}


def test_personal_token_round_trip(make_event, register):
    ana = register(make_event(), "Ana")
    token = regs.personal_token(ana)
    assert regs.registration_by_token(token) == ana
    for bad in ("", "x", f"{ana.pk}-" + "0" * 32, token + "x", "9" * 100):
        with pytest.raises(ValidationError):
            regs.registration_by_token(bad)


def test_cancelling_the_event_notifies_registrants(make_event, register,
                                                   django_capture_on_commit_callbacks):
    event = make_event(capacity=1)
    register(event, "Ana")
    register(event, "Ben")
    Message.objects.all().delete()
    services.event_status_change(event=event, to_status=Event.Status.CANCELLED, actor=None,
                                 reason="Raum nicht verfügbar")
    messages = Message.objects.order_by("to_address")
    assert [m.to_address for m in messages] == ["ana@example.org", "ben@example.org"]
    assert all("Raum nicht verfügbar" in m.body_text for m in messages)
    with pytest.raises(ValidationError):
        register(event, "Cem")


def test_access_data_only_in_the_confirmation(make_event, register):
    event = make_event(capacity=1, is_online=True)
    services.access_set(event=event, actor=None, url="https://zoom.us/j/93760801674",
                        meeting_id="937 6080 1674", passcode="geheim")
    register(event, "Ana")
    register(event, "Ben")
    ana_mail = Message.objects.get(to_address="ana@example.org")
    ben_mail = Message.objects.get(to_address="ben@example.org")
    assert "93760801674" in ana_mail.body_text and ana_mail.sensitive
    assert ana_mail.attachments[0]["filename"] == "event.ics"
    assert "93760801674" not in ben_mail.body_text
    assert "geheim" not in ben_mail.body_text


def test_reminders_once_and_only_to_confirmed(make_event, register):
    event = make_event(capacity=1, is_online=True, reminder_hours=[24])
    services.access_set(event=event, actor=None, url="https://zoom.us/j/1")
    ana = register(event, "Ana")
    register(event, "Ben")
    Message.objects.all().delete()
    at = event.starts_at - timedelta(hours=23)
    assert services.reminders_send(event=event, hours=24, now=at) == 1
    assert services.reminders_send(event=event, hours=24, now=at) == 0
    assert list(Message.objects.values_list("to_address", flat=True)) == ["ana@example.org"]
    regs.registration_cancel(registration=ana)
    Message.objects.all().delete()
    assert services.reminders_send(event=event, hours=24, now=at) == 0  # cancelled: no more


def test_capacity_cannot_drop_below_seats_taken(make_event, register):
    event = make_event(capacity=2)
    register(event, "Ana")
    register(event, "Ben")
    register(event, "Cem")
    with pytest.raises(ValidationError):
        services.event_update(event=event, data={"capacity": 1}, actor=None)
    services.event_update(event=event, data={"capacity": 3}, actor=None)
    assert statuses(event)[2][1] in (S.OFFERED, S.CONFIRMED)


def test_a_series_refuses_another_organisations_place(world):
    from mitmachen.events.series import series_create

    with pytest.raises(ValidationError):
        series_create(organisation=world.kassel, title="Plenum", kind="plenum",
                      dtstart=timezone.now(), rrule="FREQ=MONTHLY", actor=None,
                      place=world.duesseldorf_office)


def test_series_occurrences_get_their_reminders(world, django_capture_on_commit_callbacks):
    from unittest import mock

    from mitmachen.events.series import series_create

    with mock.patch("mitmachen.events.services.schedule_reminders") as schedule, \
            django_capture_on_commit_callbacks(execute=True):
        series = series_create(organisation=world.kassel, title="Plenum", kind="plenum",
                               dtstart=timezone.now() + timedelta(days=3),
                               rrule="FREQ=MONTHLY;COUNT=3", actor=None, reminder_hours=[24])
    assert sorted(c.args[0] for c in schedule.call_args_list) == sorted(
        series.occurrences.values_list("pk", flat=True))


def test_a_plan_of_dates_has_no_rule_to_remake(world):
    from mitmachen.events.series import series_create, series_update_rule

    start = timezone.now() + timedelta(days=3)
    series = series_create(organisation=world.kassel, title="Plan", kind="meeting",
                           dtstart=start, dates=[(start, None)], actor=None)
    with pytest.raises(ValidationError):
        series_update_rule(series=series, actor=None, exdates=[])
    assert series.occurrences.count() == 1


def test_unchanged_topics_keep_an_occurrence_in_its_series(world):
    from mitmachen.events.series import series_create

    topic = services.topic_create(organisation=world.kassel, name="Klima", actor=None)
    series = series_create(organisation=world.kassel, title="Plenum", kind="plenum",
                           dtstart=timezone.now() + timedelta(days=3),
                           rrule="FREQ=MONTHLY;COUNT=2", actor=None, topics=[topic])
    first = series.occurrences.first()
    services.event_update(event=first, data={}, actor=None, topics=[topic])
    first.refresh_from_db()
    assert not first.customised
    services.event_update(event=first, data={}, actor=None, topics=[])
    first.refresh_from_db()
    assert first.customised


def test_a_late_confirmation_queues_behind_those_already_waiting(make_event, register):
    event = make_event(capacity=1, double_opt_in=True)
    ana = register(event, "Ana")
    ben = register(event, "Ben")
    cem = register(event, "Cem")
    regs.registration_confirm_email(registration=ana)  # the seat
    regs.registration_confirm_email(registration=cem)  # waits first
    regs.registration_confirm_email(registration=ben)  # confirmed later: waits behind Cem
    cem.refresh_from_db()
    ben.refresh_from_db()
    assert (regs.waiting_position(cem), regs.waiting_position(ben)) == (1, 2)
    regs.registration_cancel(registration=ana)
    cem.refresh_from_db()
    assert cem.status in (S.OFFERED, S.CONFIRMED)


def test_a_restored_event_moves_the_waiting_list_up(make_event, register):
    event = make_event(capacity=1, offer_hours=0)
    ana = register(event, "Ana")
    ben = register(event, "Ben")
    services.event_status_change(event=event, to_status=Event.Status.POSTPONED, actor=None)
    regs.registration_cancel(registration=ana)
    ben.refresh_from_db()
    assert ben.status == S.WAITING  # nothing moves while the event is postponed
    services.event_status_change(event=event, to_status=Event.Status.CONFIRMED, actor=None)
    ben.refresh_from_db()
    assert ben.status == S.CONFIRMED
    cem = register(event, "Cem")
    assert cem.status == S.WAITING


def test_a_cancelled_event_confirms_nobody_and_sends_no_access_data(make_event, register):
    event = make_event(capacity=1, offer_hours=24, is_online=True)
    services.access_set(event=event, actor=None, url="https://zoom.us/j/424242")
    ana = register(event, "Ana")
    ben = register(event, "Ben")
    regs.registration_cancel(registration=ana)
    services.event_status_change(event=event, to_status=Event.Status.CANCELLED, actor=None)
    Message.objects.all().delete()
    ben.refresh_from_db()
    with pytest.raises(ValidationError, match="cancelled"):
        regs.offer_accept(registration=ben)
    assert regs.offers_expire(now=timezone.now() + timedelta(days=2)) == 1
    assert not Message.objects.exists()  # no "your seat went to the next person"


@pytest.mark.parametrize("data", [
    {"offer_hours": 24 * 365 + 1},
    {"starts_at": timezone.now().replace(year=9999)},
    {"starts_at": timezone.now().replace(year=1800)},
])
def test_limits_that_keep_dates_computable(make_event, data):
    event = make_event()
    with pytest.raises(ValidationError):
        services.event_update(event=event, data=data, actor=None)


def test_access_data_set_later_reaches_those_already_confirmed(make_event, register):
    event = make_event(capacity=1, is_online=True)
    register(event, "Ana")
    register(event, "Ben")
    Message.objects.all().delete()
    services.access_set(event=event, actor=None, url="https://zoom.us/j/777", passcode="p7")
    sent = Message.objects.get()
    assert sent.to_address == "ana@example.org" and "p7" in sent.body_text and sent.sensitive
    services.access_set(event=event, actor=None, url="https://zoom.us/j/777", passcode="p7")
    assert Message.objects.count() == 1  # unchanged: nothing new to tell


def test_a_file_title_cannot_steer_where_the_file_is_stored(make_event):
    from django.core.files.uploadedfile import SimpleUploadedFile

    attached = services.file_add(event=make_event(), title="../../etc/passwd x",
                                 upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x"), actor=None)
    assert attached.title == "../../etc/passwd x"
    name = attached.file.name.rsplit("/", 1)[-1]
    assert ".." not in name and name.endswith(".pdf")


def test_a_private_venue_is_named_without_its_address(world, make_event):
    from mitmachen.events.calendar import venue_text
    from mitmachen.organisations import services as org

    flat = org.place_create(organisation=world.kassel, actor=None, data={
        "name": "Bei Anna", "street": "Geheimweg 1", "postcode": "34117", "city": "Kassel",
        "is_public": False})
    event = make_event(place=flat)
    assert venue_text(event) == "Bei Anna"


def test_a_member_confirms_another_address_for_a_members_event(world, make_event):
    from mitmachen.people import services as people

    member = people.contact_create(organisation=world.kassel, actor=None, status="member",
                                   data={"first_name": "Mia", "email": "mia@example.org"})
    event = make_event(registration=Event.Registration.MEMBERS, double_opt_in=True)
    registration = regs.registration_create(
        event=event, first_name="Mia", email="mia.privat@example.org", contact=member,
        privacy_accepted=True)
    assert registration.status == S.UNCONFIRMED
    assert regs.registration_confirm_email(registration=registration).status == S.CONFIRMED


def test_moving_an_event_earlier_moves_offer_deadlines(make_event, register):
    event = make_event(capacity=1, offer_hours=24 * 7)
    ana = register(event, "Ana")
    ben = register(event, "Ben")
    regs.registration_cancel(registration=ana)
    earlier = timezone.now() + timedelta(days=2)
    services.event_update(event=event, data={"starts_at": earlier,
                                             "ends_at": earlier + timedelta(hours=2)},
                          actor=None)
    ben.refresh_from_db()
    assert ben.status == S.OFFERED and ben.offer_expires_at <= earlier
