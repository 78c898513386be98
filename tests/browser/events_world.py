"""Events for the browser tests: an online event with access data, a full event with people in
every state, two series and a member's registration, built through the services.

`event_pages(world)` returns the address of every events page by a short name, so that the
accessibility and phone-width checks can list the pages by name and visit them with content."""

from datetime import timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext

from mitmachen.events import registrations, services
from mitmachen.events.models import Event, Question
from mitmachen.events.series import series_create

PASSCODE = "Kennwort-4711-geheim"
MEETING_URL = "https://meet.example.org/sll-raum-4711"
ONLINE_TITLE = "Stadt. Land. Links.: Wohnen auf dem Land"
ONSITE_TITLE = "Stadtteilversammlung Wesertor"


def de(msgid: str, **values) -> str:
    """The German text of a msgid as the live server renders it: the translation once it is
    compiled, the English msgid until then, so tests hold before and after a .po update."""
    with translation.override("de"):
        text = gettext(msgid)
    return text % values if values else text


def _at(days: int, hour: int):
    return (timezone.localtime() + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0)


def online_event(world, *, capacity=1) -> Event:
    """An online evening of Kassel's in the cooperation, with a topic and its access data."""
    topic = services.topic_create(organisation=world.kassel, name="Wohnen", actor=None)
    start = _at(10, 18)
    event = services.event_create(
        organisation=world.kassel, title=ONLINE_TITLE, kind=Event.Kind.MEETING,
        starts_at=start, ends_at=start + timedelta(hours=2), actor=None, topics=[topic],
        is_online=True, cooperation=world.cooperation, registration=Event.Registration.OPEN,
        capacity=capacity, description="Ein Abend über Mieten und Leerstand.",
        contact_name="Büro Kassel", contact_email="buero@kassel.example.org")
    services.access_set(event=event, actor=None, url=MEETING_URL, meeting_id="812 4711",
                        passcode=PASSCODE)
    return event


def onsite_event(world) -> Event:
    start = _at(12, 19)
    return services.event_create(
        organisation=world.kassel, title=ONSITE_TITLE, kind=Event.Kind.ASSEMBLY,
        starts_at=start, ends_at=start + timedelta(hours=2), actor=None,
        place=world.kassel_office, registration=Event.Registration.OPEN, capacity=30)


def _register(event, name, **fields):
    return registrations.registration_create(
        event=event, first_name=name, last_name="Beispiel",
        email=fields.pop("email", f"{name.lower()}@example.org"), privacy_accepted=True,
        **fields)


def event_pages(world) -> dict[str, str]:
    """Content for every events page; → {name: path}. Call inside a transactional test."""
    online = online_event(world, capacity=2)
    onsite = onsite_event(world)
    question = services.question_add(event=online, label="Hast du Fragen an die Referentin?",
                                     actor=None, kind=Question.Kind.TEXT)
    services.speaker_add(event=online, name="Dr. Eva Muster", affiliation="Hochschule Kassel",
                         contribution="Leerstand", actor=None)
    services.category_add(event=onsite, name="ermäßigt", capacity=10, price=5, actor=None)
    services.category_add(event=onsite, name="normal", price=10, actor=None)

    # Two seats: Alma cancels, so Cem (first on the waiting list) gets an offer, Dana waits.
    alma = _register(online, "Alma", answers={str(question.pk): "Wie hoch ist der Leerstand?"})
    bert = _register(online, "Bert", phone="0561 123456", email="",
                     source="phone", staff_note="rief am Montag an")
    cem = _register(online, "Cem")
    dana = _register(online, "Dana", user=world.users["duesseldorf_member"],
                     email=world.users["duesseldorf_member"].email)
    registrations.attendance_record(registration=bert, present=True, actor=None)
    registrations.registration_cancel(registration=alma)

    by_rule = series_create(organisation=world.kassel, title="FLINTA*-Plenum",
                            kind=Event.Kind.PLENUM, dtstart=_at(20, 19), actor=None,
                            rrule="FREQ=MONTHLY;INTERVAL=2", place=world.kassel_office,
                            registration=Event.Registration.NONE,
                            description="Alle zwei Monate im Parteibüro.")
    by_plan = series_create(organisation=world.kassel, title="Netzwerktreffen Weimar",
                            kind=Event.Kind.NETWORK_MEETING, dtstart=_at(30, 13), actor=None,
                            dates=[(_at(30, 13), _at(30, 16)), (_at(90, 13), None)])
    org, year = "/o/kassel", timezone.localtime(online.starts_at).year
    staff = "/staff/kassel/events"
    return {
        # public
        "calendar": "/events/",
        "calendar-online": "/events/?where=online&organisation=kassel",
        "calendar-bad-filter": "/events/?date_from=kein-datum&kind=nope",
        "org-calendar": f"{org}/events/",
        "org-calendar-topic": f"{org}/events/?topic=wohnen",
        "event": f"{org}/events/{online.pk}/",
        "event-onsite": f"{org}/events/{onsite.pk}/",
        "register": f"{org}/events/{online.pk}/register/",
        "register-tickets": f"{org}/events/{onsite.pk}/register/",
        "personal-confirmed": f"/r/{registrations.personal_token(bert)}/",
        "personal-offered": f"/r/{registrations.personal_token(cem)}/",
        "personal-waiting": f"/r/{registrations.personal_token(dana)}/",
        "personal-cancelled": f"/r/{registrations.personal_token(alma)}/",
        "personal-invalid": "/r/1-not-a-valid-token/",
        "series": f"{org}/series/{by_rule.pk}/",
        "series-plan": f"{org}/series/{by_plan.pk}/",
        "plan": f"{org}/plan/{year}/",
        "my-events": "/my/events/",
        # staff
        "staff-list": f"{staff}/",
        "staff-list-past": f"{staff}/?when=past",
        "staff-new": f"{staff}/new/",
        "staff-topics": f"{staff}/topics/",
        "staff-series-new": f"{staff}/series/new/",
        "staff-series": f"{staff}/series/{by_rule.pk}/",
        "staff-series-plan": f"{staff}/series/{by_plan.pk}/",
        "staff-edit": f"{staff}/{online.pk}/edit/",
        "staff-edit-tickets": f"{staff}/{onsite.pk}/edit/",
        "staff-detail": f"{staff}/{online.pk}/",
        "staff-register": f"{staff}/{online.pk}/register/",
        "staff-checkin": f"{staff}/{online.pk}/checkin/",
        "staff-checkin-print": f"{staff}/{online.pk}/checkin/print/",
    }


PUBLIC = ["calendar", "calendar-online", "calendar-bad-filter", "org-calendar",
          "org-calendar-topic", "event", "event-onsite", "register", "register-tickets",
          "personal-confirmed", "personal-offered", "personal-waiting", "personal-cancelled",
          "personal-invalid", "series", "series-plan", "plan"]
MEMBER = ["my-events"]  # as duesseldorf_member, who is registered
STAFF = ["staff-list", "staff-list-past", "staff-new", "staff-topics", "staff-series-new",
         "staff-series", "staff-series-plan", "staff-edit", "staff-edit-tickets", "staff-detail",
         "staff-register", "staff-checkin", "staff-checkin-print"]
