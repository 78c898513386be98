"""Done when: "the access data reaches exactly the confirmed registrants (mails captured by a
real SMTP server) and appears on no public page, feed or API answer"."""

import email
import re
from email import policy

import pytest
from django.urls import reverse
from django.utils import timezone

from mitmachen.events import calendar_tokens, services
from mitmachen.events import series as series_services
from mitmachen.events.models import Event, Registration
from mitmachen.events.registrations import personal_token
from mitmachen.messaging import outbox
from tests.events import test_public
from tests.messaging import conftest as messaging

# A real SMTP server (aiosmtpd) and the public pages' clients, reading English.
smtp_server = messaging.smtp_server
login, client = test_public.login, test_public.client

PASSCODE = "Kenn-5b1e7c0d"
MEETING = "https://zoom.example/j/93760801674-geheim"
MEETING_ID = "937 6080 1674"
SECRETS = (PASSCODE, MEETING, "93760801674", MEETING_ID)
S = Registration.Status


def url(name, *args):
    return reverse(f"events:{name}", args=args)


def mails_by_recipient(server) -> dict[str, list[str]]:
    """Every accepted message, decoded (text, HTML and the calendar attachment), by recipient."""
    found: dict[str, list[str]] = {}
    for raw, recipients in zip(server.messages, server.rcpt, strict=True):
        parsed = email.message_from_bytes(raw, policy=policy.default)
        parts = []
        for part in parsed.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True) or b""
            parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
        text = str(parsed["Subject"]) + "\n" + "\n".join(parts)
        for recipient in recipients:
            found.setdefault(recipient.lower(), []).append(text)
    return found


def with_passcode(server) -> set[str]:
    return {address for address, texts in mails_by_recipient(server).items()
            if any(PASSCODE in text for text in texts)}


def assert_secret_free(response, where: str) -> None:
    assert response.status_code == 200, (where, response.status_code)
    body = (b"".join(response.streaming_content) if response.streaming
            else response.content).decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret not in body, (where, secret)


@pytest.fixture
def meeting(world):
    """The seed 001 network meeting: online, quarterly, two seats, access data stored."""
    topic = services.topic_create(organisation=world.kassel, name="Stadt / Kommune / Region",
                                  actor=None)
    start = timezone.localtime() + timezone.timedelta(days=14)
    created = series_services.series_create(
        organisation=world.kassel, title="STADT. LAND. LINKS.", kind=Event.Kind.NETWORK_MEETING,
        dtstart=start.replace(hour=18, minute=0, second=0, microsecond=0),
        rrule="FREQ=MONTHLY;INTERVAL=3", actor=None, topics=[topic], is_online=True,
        registration=Event.Registration.OPEN, capacity=2)
    event = created.occurrences.order_by("starts_at").first()
    services.access_set(event=event, actor=None, url=MEETING, meeting_id=MEETING_ID,
                        passcode=PASSCODE, note="Bitte pünktlich")
    return event


def test_access_data_reaches_exactly_the_confirmed_registrants(world, login, client, meeting,
                                                               smtp_server):
    event = meeting
    people = {name: f"{name.lower()}@example.org" for name in ("Ana", "Cem", "Dora")}
    member = world.users["duesseldorf_member"]
    people["Ben"] = member.email
    links = {}
    for name in ("Ana", "Ben", "Cem", "Dora"):
        browser = login("duesseldorf_member") if name == "Ben" else client
        response = browser.post(url("register", "kassel", event.pk), {
            "first_name": name, "last_name": "Muster", "email": people[name], "phone": "",
            "privacy": "on", "website": ""})
        assert response.status_code == 303, response.content.decode()[:2000]
        links[name] = response["Location"]
    status = dict(event.registrations.values_list("first_name", "status"))
    assert status == {"Ana": S.CONFIRMED, "Ben": S.CONFIRMED, "Cem": S.WAITING,
                      "Dora": S.WAITING}

    assert outbox.deliver() == 4
    assert with_passcode(smtp_server) == {people["Ana"], people["Ben"]}
    assert set(mails_by_recipient(smtp_server)) == set(people.values())

    # Ana cancels on her personal page: a question first, then the cancellation.
    assert "Really cancel?" in client.post(links["Ana"], {"action": "cancel"}).content.decode()
    assert client.post(links["Ana"], {"action": "cancel_confirmed"}).status_code == 303
    status = dict(event.registrations.values_list("first_name", "status"))
    assert status["Ana"] == S.CANCELLED and status["Cem"] == S.OFFERED
    before = len(smtp_server.messages)
    assert outbox.deliver() == 2  # Ana's cancellation, Cem's offer
    assert with_passcode(smtp_server) == {people["Ana"], people["Ben"]}
    assert not any(PASSCODE in text for text in
                   mails_by_recipient(smtp_server)[people["Ana"]][1:])

    # Cem takes the seat and now gets the access data; Dora, still waiting, never does.
    assert client.post(links["Cem"], {"action": "accept"}).status_code == 303
    assert outbox.deliver() == 1
    assert len(smtp_server.messages) == before + 3
    assert with_passcode(smtp_server) == {people["Ana"], people["Ben"], people["Cem"]}
    assert people["Dora"] not in with_passcode(smtp_server)
    assert dict(event.registrations.values_list("first_name", "status"))["Dora"] == S.WAITING

    # No public page, feed or personal page shows it, to anyone.
    year = timezone.localtime(event.starts_at).year
    topic = event.topics.get()
    token = calendar_tokens.calendar_token_reset(user=member)
    pages = {
        "calendar": url("calendar"), "org calendar": url("org_calendar", "kassel"),
        "detail": url("public_detail", "kassel", event.pk),
        "register": url("register", "kassel", event.pk),
        "event ics": url("event_ics", "kassel", event.pk),
        "series": url("series_detail", "kassel", event.series_id),
        "plan": url("yearly_plan", "kassel", year),
        "org ics": url("feed_organisation", "kassel"),
        "topic ics": url("feed_topic", "kassel", topic.slug),
        "atom": url("feed_atom", "kassel"),
        "personal ics": url("feed_personal", token),
        **{f"personal page of {name}": link for name, link in links.items()},
    }
    for browser in (client, login("duesseldorf_member")):
        for where, address in pages.items():
            assert_secret_free(browser.get(address), where)
    assert_secret_free(login("duesseldorf_member").get(url("my_events")), "my events")


def _api_get_paths(client) -> list[str]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return [path for path, operations in response.json().get("paths", {}).items()
            if any(word in path for word in ("event", "series", "registration"))
            and "get" in operations]


def test_no_public_api_answer_shows_access_data(world, client, meeting, register):
    paths = _api_get_paths(client)
    if not paths:
        pytest.skip("the events API does not exist yet")
    registration = register(meeting, "Ana")
    assert registration.status == S.CONFIRMED
    values = {"event_id": meeting.pk, "series_id": meeting.series_id, "slug": "kassel",
              "registration_id": registration.pk, "pk": meeting.pk,
              "token": personal_token(registration)}
    followed = 0
    for path in paths:
        names = re.findall(r"{([^}:]+)(?::[^}]*)?}", path)
        if any(name not in values for name in names):
            continue
        address = re.sub(r"{([^}:]+)(?::[^}]*)?}", lambda m: str(values[m.group(1)]), path)
        response = client.get(address)
        body = response.content.decode("utf-8", "replace")
        for secret in SECRETS:
            assert secret not in body, (address, secret)
        followed += response.status_code == 200 and "STADT. LAND. LINKS." in body
    assert followed  # the API did answer about this event somewhere
