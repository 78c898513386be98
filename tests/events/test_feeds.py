"""Calendar feeds: parsed with icalendar and expanded with recurring-ical-events, as a calendar
app would."""

from datetime import datetime, timedelta
from xml.etree import ElementTree

import pytest
import recurring_ical_events
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from mitmachen.events import calendar_tokens, services
from mitmachen.events import series as series_services
from mitmachen.events.models import Event
from mitmachen.groups.models import Group
from mitmachen.organisations import services as org
from tests.events import test_public

# The public pages' fixtures: English pages, and events with any title and start.
login, client, make_event = test_public.login, test_public.client, test_public.make_event

BERLIN = timezone.get_default_timezone()
ATOM = "{http://www.w3.org/2005/Atom}"


def url(name, *args):
    return reverse(f"events:{name}", args=args)


def at(days, hour=19):
    day = timezone.localdate() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def parse(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "max-age=300" in response["Cache-Control"]
    calendar = Calendar.from_ical(response.content)
    assert calendar.get("VERSION") == "2.0" and calendar.get("PRODID")
    assert any(tz.get("TZID") == "Europe/Berlin" for tz in calendar.walk("VTIMEZONE"))
    for item in calendar.walk("VEVENT"):
        for name in ("UID", "DTSTAMP", "DTSTART"):
            assert item.get(name) is not None, name
    return calendar


def expand(calendar, days=500):
    now = timezone.now()
    found = recurring_ical_events.of(calendar).between(now - timedelta(days=100),
                                                       now + timedelta(days=days))
    return sorted(found, key=lambda item: item.decoded("DTSTART"))


def summaries(calendar) -> set[str]:
    return {str(item.get("SUMMARY")) for item in calendar.walk("VEVENT")}


def secret_free(body: bytes, *secrets) -> bool:
    text = body.decode()
    return not any(secret in text for secret in secrets)


@pytest.fixture
def plenum(world):
    """FLINTA* plenum every two months at 19:00 Berlin: the 3rd date is an exception, the 2nd
    moved to another place under another title, the 4th cancelled, the 5th deleted."""
    first = at(3)
    rule = series_services.parse_rule("FREQ=MONTHLY;INTERVAL=2", first)[1]
    starts = [moment.replace(tzinfo=BERLIN) for moment in rule[:9]]
    created = series_services.series_create(
        organisation=world.kassel, title="FLINTA*-Plenum", kind=Event.Kind.PLENUM, dtstart=first,
        rrule="FREQ=MONTHLY;INTERVAL=2", actor=None, place=world.kassel_office,
        exdates=[starts[2].replace(tzinfo=None).isoformat()],
        registration=Event.Registration.OPEN)
    occurrences = {o.recurrence_id: o for o in created.occurrences.all()}
    cafe = org.place_create(organisation=world.kassel, actor=None, data={
        "name": "Café Buch-Oase", "city": "Kassel"})
    services.event_update(event=occurrences[starts[1]],
                          data={"place": cafe, "title": "Sommer-Plenum"}, actor=None)
    services.event_status_change(event=occurrences[starts[3]], to_status=Event.Status.CANCELLED,
                                 actor=None, reason="Krankheit")
    occurrences[starts[4]].delete()
    return created, starts


def test_a_series_is_one_master_with_exceptions_and_overrides(world, client, plenum, settings):
    created, starts = plenum
    calendar = parse(client.get(url("feed_organisation", "kassel")))
    uid = f"series-{created.uid}@{settings.MESSAGE_ID_DOMAIN}"
    items = [item for item in calendar.walk("VEVENT") if str(item["UID"]) == uid]
    masters = [item for item in items if item.get("RRULE")]
    assert len(masters) == 1
    assert masters[0].decoded("DTSTART") == created.dtstart
    assert masters[0]["RRULE"].to_ical() == b"FREQ=MONTHLY;INTERVAL=2"
    # the moved one and the cancelled one: the only overrides
    assert len(items) == 3 and all(item.get("RECURRENCE-ID") for item in items[1:])

    found = [item for item in expand(calendar) if str(item["UID"]) == uid]
    horizon = timezone.now() + timedelta(days=500)
    expected = [s for n, s in enumerate(starts) if n not in (2, 4) and s <= horizon]
    assert [item.decoded("DTSTART") for item in found] == expected
    local = [item.decoded("DTSTART").astimezone(BERLIN) for item in found]
    assert {(moment.hour, moment.minute) for moment in local} == {(19, 0)}
    assert {moment.utcoffset() for moment in local} == {timedelta(hours=1), timedelta(hours=2)}

    by_start = {item.decoded("DTSTART"): item for item in found}
    moved = by_start[starts[1]]
    assert str(moved["SUMMARY"]) == "Sommer-Plenum" and "Café Buch-Oase" in str(moved["LOCATION"])
    assert str(by_start[starts[3]]["STATUS"]) == "CANCELLED"
    plain = by_start[starts[0]]
    assert str(plain["SUMMARY"]) == "FLINTA*-Plenum" and "Parteibüro" in str(plain["LOCATION"])
    assert str(plain.get("STATUS")) == "CONFIRMED"


def test_a_members_only_occurrence_drops_out_of_the_public_series(world, client, plenum):
    created, starts = plenum
    occurrence = created.occurrences.get(recurrence_id=starts[0])
    services.event_update(event=occurrence, data={"visibility": Event.Visibility.MEMBERS},
                          actor=None)
    found = expand(parse(client.get(url("feed_organisation", "kassel"))))
    assert starts[0] not in [item.decoded("DTSTART") for item in found]
    assert starts[1] in [item.decoded("DTSTART") for item in found]


def test_a_plan_of_dates_is_single_events(world, client, settings):
    created = series_services.series_create(
        organisation=world.umbrella, title="Kreisgruppensitzung", kind=Event.Kind.MEETING,
        dtstart=at(10, 14), actor=None,
        dates=[(at(10, 14), at(10, 16)), (at(70, 14), at(70, 17))])
    calendar = parse(client.get(url("feed_organisation", world.umbrella.slug)))
    items = calendar.walk("VEVENT")
    assert len(items) == 2 and not any(item.get("RRULE") for item in items)
    uids = {str(item["UID"]) for item in items}
    assert uids == {f"event-{e.uid}@{settings.MESSAGE_ID_DOMAIN}"
                    for e in created.occurrences.all()}
    assert [item.decoded("DTSTART") for item in expand(calendar)] == [at(10, 14), at(70, 14)]


def test_public_feeds_leave_out_members_only_invited_and_old_events(world, client, make_event):
    topic = services.topic_create(organisation=world.kassel, name="Soziales", actor=None)
    group = Group.objects.create(organisation=world.kassel, name="AG Soziales",
                                 kind=Group.Kind.WORKING_GROUP)
    common = {"topics": [topic], "group": group}
    make_event(title="Offen", **common)
    make_event(title="Nur Mitglieder", visibility=Event.Visibility.MEMBERS, **common)
    make_event(title="Nur Eingeladene", visibility=Event.Visibility.INVITED, **common)
    make_event(title="Ortsverband", organisation=world.ortsverband)
    make_event(title="Düsseldorf", organisation=world.duesseldorf)
    old = make_event(title="Lange her", **common)
    Event.objects.filter(pk=old.pk).update(starts_at=timezone.now() - timedelta(days=120),
                                           ends_at=None)
    feeds = {
        "organisation": url("feed_organisation", "kassel"),
        "group": url("feed_group", "kassel", group.pk),
        "topic": url("feed_topic", "kassel", topic.slug),
    }
    for name, address in feeds.items():
        found = summaries(parse(client.get(address)))
        assert "Offen" in found, name
        assert not found & {"Nur Mitglieder", "Nur Eingeladene", "Lange her", "Düsseldorf"}, name
    assert "Ortsverband" in summaries(parse(client.get(feeds["organisation"])))

    atom = client.get(url("feed_atom", "kassel"))
    assert atom.status_code == 200 and atom["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(atom.content)  # noqa: S314 (our own output)
    titles = {entry.find(f"{ATOM}title").text for entry in root.iter(f"{ATOM}entry")}
    assert titles == {"Offen", "Ortsverband"}
    links = {entry.find(f"{ATOM}link").get("href") for entry in root.iter(f"{ATOM}entry")}
    assert any(link.endswith(url("public_detail", "kassel",
                                 Event.objects.get(title="Offen").pk)) for link in links)


def test_feeds_of_hidden_things_answer_404(world, client):
    group = Group.objects.create(organisation=world.kassel, name="Vorstand",
                                 kind=Group.Kind.BOARD, visibility=Group.Visibility.MEMBERS)
    assert client.get(url("feed_group", "kassel", group.pk)).status_code == 404
    assert client.get(url("feed_group", "duesseldorf", group.pk)).status_code == 404
    assert client.get(url("feed_topic", "kassel", "unknown")).status_code == 404
    assert client.get(url("feed_organisation", "nowhere")).status_code == 404
    world.kassel.is_public = False
    world.kassel.save()
    assert client.get(url("feed_organisation", "kassel")).status_code == 404
    assert client.get(url("feed_atom", "kassel")).status_code == 404


def test_personal_feed_has_my_registrations_but_no_access_data(world, client, make_event,
                                                              register):
    user = world.users["duesseldorf_member"]
    online = make_event(title="Online-Treffen", is_online=True,
                        visibility=Event.Visibility.MEMBERS)
    services.access_set(event=online, actor=None, url="https://meet.example/secret-room",
                        passcode="pass-8812")
    register(online, "Dora", email=user.email, user=user)
    gone = make_event(title="Abgemeldet")
    from mitmachen.events.registrations import registration_cancel

    registration_cancel(registration=register(gone, "Dora", email=user.email, user=user))
    register(make_event(title="Fremd"), "Emil")
    token = calendar_tokens.calendar_token_reset(user=user)
    response = client.get(url("feed_personal", token))
    assert "private" in response["Cache-Control"]
    assert summaries(parse(response)) == {"Online-Treffen"}
    assert secret_free(response.content, "pass-8812", "secret-room")
    assert client.get(url("feed_personal", token[:-1] + "x")).status_code == 404
    assert client.get(url("feed_personal", "x" * 300)).status_code == 404
    user.is_active = False
    user.save()
    assert client.get(url("feed_personal", token)).status_code == 404


def test_online_access_data_never_reaches_the_public_feeds(world, client, make_event):
    event = make_event(title="Online", is_online=True)
    services.access_set(event=event, actor=None, url="https://meet.example/secret-room",
                        meeting_id="123 456", passcode="pass-8812")
    for address in (url("feed_organisation", "kassel"), url("feed_atom", "kassel")):
        response = client.get(address)
        assert response.status_code == 200 and b"Online" in response.content
        assert secret_free(response.content, "pass-8812", "secret-room", "123 456")


def test_a_group_feed_carries_its_series_as_a_master(world, client):
    group = Group.objects.create(organisation=world.kassel, name="Elterncafé",
                                 kind=Group.Kind.CAFE)
    created = series_services.series_create(
        organisation=world.kassel, title="Elterncafé", kind=Event.Kind.MEETING, dtstart=at(2, 16),
        rrule="FREQ=WEEKLY", actor=None, group=group)
    calendar = parse(client.get(url("feed_group", "kassel", group.pk)))
    items = calendar.walk("VEVENT")
    assert len(items) == 1 and items[0].get("RRULE") and created.uid in str(items[0]["UID"])
    found = expand(calendar, days=28)
    assert [item.decoded("DTSTART") for item in found] == [at(2 + 7 * n, 16) for n in range(4)]


def test_a_rule_too_long_to_check_is_listed_date_by_date(world, client, monkeypatch):
    from mitmachen.events import feeds

    monkeypatch.setattr(feeds, "MAX_RULE_STARTS", 3)
    created = series_services.series_create(
        organisation=world.kassel, title="Aktiventreffen", kind=Event.Kind.MEETING,
        dtstart=at(1, 19), rrule="FREQ=WEEKLY", actor=None)
    items = parse(client.get(url("feed_organisation", "kassel"))).walk("VEVENT")
    assert not any(item.get("RRULE") for item in items)
    assert len(items) == created.occurrences.count() > 3
