"""Mailings to an event's registrants, and event placeholders with a calendar file."""

import email

import pytest
from django.core.exceptions import ValidationError

from mitmachen.events.registrations import personal_token, registration_cancel
from mitmachen.messaging import mailings, outbox
from mitmachen.messaging.models import Mailing, Message
from mitmachen.people import services as people

pytestmark = pytest.mark.django_db
BASE = "http://testserver"
BODY = ("{{ anrede }}\n\n{{ veranstaltung }} am {{ datum }}, {{ uhrzeit }}, {{ ort }}.\n"
        "Infos: {{ link }}\nAbmelden: {{ anmeldung }}")


def _event_mailing(world, event, statuses="confirmed", body=BODY, **audience):
    return mailings.mailing_create(
        organisation=world.kassel, subject="Neues zu {{ veranstaltung }}", body=body,
        purpose="invitations", actor=world.users["kassel_board"],
        audience={"kind": "event", "event_id": event.pk, "statuses": statuses, **audience})


def test_registrants_get_event_data_their_link_and_a_calendar_file(world, make_event,
                                                                    register, smtp_server):
    event = make_event(capacity=1, venue_note="Parteibüro")
    ana = register(event, "Ana")
    register(event, "Ben")  # waiting: not in a mailing to the confirmed
    Message.objects.all().delete()  # their confirmations are not the point here
    mailing = _event_mailing(world, event)
    plan = mailings.plan(mailing)
    assert [r.full_name for r in plan.email] == ["Ana"] and not plan.unreachable
    mailings.mailing_send(mailing=mailing, actor=world.users["kassel_board"], base_url=BASE)
    outbox.deliver()
    received = [email.message_from_bytes(m) for m in smtp_server.messages]
    assert [m["To"] for m in received] == ["Ana <ana@example.org>"]
    text = next(part for part in received[0].walk()
                if part.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "Netzwerktreffen am " in text and "Parteibüro" in text
    assert f"/r/{personal_token(ana)}/" in text
    assert f"/o/kassel/events/{event.pk}/" in text
    assert received[0]["Subject"] == "Neues zu Netzwerktreffen"
    files = [part.get_filename() for part in received[0].walk() if part.get_filename()]
    assert files == ["event.ics"]


def test_waiting_list_and_phone_only_registrants(world, make_event, register):
    event = make_event(capacity=1)
    register(event, "Ana")
    register(event, "Ben")
    from mitmachen.events.registrations import registration_create

    registration_create(event=event, first_name="Olga", phone="+495611234567",
                        privacy_accepted=True, source="phone")
    plan = mailings.plan(_event_mailing(world, event, statuses="waiting"))
    assert [r.full_name for r in plan.email] == ["Ben"]
    assert [r.full_name for r in plan.unreachable] == ["Olga"]  # no address: staff call her


def test_cancelled_registrants_get_nothing(world, make_event, register):
    event = make_event(capacity=5)
    ana = register(event, "Ana")
    register(event, "Ben")
    registration_cancel(registration=ana)
    plan = mailings.plan(_event_mailing(world, event, statuses="active"))
    assert [r.full_name for r in plan.email] == ["Ben"]


def test_members_mailing_about_an_event_fills_placeholders(world, make_event):
    event = make_event(title="Kreismitgliederversammlung")
    member = people.contact_create(organisation=world.kassel, actor=None, status="member",
                                   data={"first_name": "Erika", "email": "erika@example.org"})
    people.consent_record(contact=member, channel="email", purpose="invitations",
                          granted=True, source="staff", text_version="v1", actor=None)
    mailing = mailings.mailing_create(
        organisation=world.kassel, subject="Einladung: {{ veranstaltung }}",
        body="{{ anrede }} am {{ datum }} um {{ uhrzeit }}.", purpose="invitations",
        audience={"kind": "members", "event_id": event.pk}, actor=None)
    mailings.mailing_send(mailing=mailing, actor=None, base_url=BASE)
    message = Message.objects.get(contact=member)
    assert message.subject == "Einladung: Kreismitgliederversammlung"
    assert "Hallo Erika, am " in message.body_text and "{{" not in message.body_text
    assert message.attachments[0]["filename"] == "event.ics"


@pytest.mark.parametrize("audience, body", [
    ({"kind": "members"}, "{{ datum }}"),  # event placeholder without an event
    ({"kind": "members", "event_id": "other"}, "x"),  # another organisation's event
    ({"kind": "event"}, "x"),  # registrants of no event
    ({"kind": "event", "event_id": "own", "statuses": "everyone"}, "x"),
    ({"kind": "members", "event_id": "own"}, "{{ anmeldung }}"),  # link only for registrants
])
def test_bad_event_audiences_are_refused(world, make_event, audience, body):
    own = make_event()
    other = make_event(organisation=world.duesseldorf)
    audience = {k: {"own": own.pk, "other": other.pk}.get(v, v) for k, v in audience.items()}
    with pytest.raises(ValidationError):
        mailings.mailing_create(organisation=world.kassel, subject="S", body=body,
                                purpose="invitations", audience=audience, actor=None)
    assert not Mailing.objects.exists()


def test_registrants_get_no_newsletter(world, make_event):
    event = make_event()
    with pytest.raises(ValidationError):
        mailings.mailing_create(organisation=world.kassel, subject="S", body="B",
                                purpose="newsletter", actor=None, audience={
                                    "kind": "event", "event_id": event.pk,
                                    "statuses": "confirmed"})


def test_staff_page_writes_to_registrants_and_test_sends_a_registrants_copy(
        world, login, make_event, register):
    event = make_event()
    register(event, "Ana")
    client = login("kassel_board")
    response = client.post("/staff/kassel/mailings/new/", {
        "audience": "event", "event": event.pk, "statuses": "confirmed",
        "purpose": "invitations", "kind": "email_or_letter", "subject": "Hinweis",
        "body": "{{ anrede }} bis {{ datum }}"})
    assert response.status_code == 302
    mailing = Mailing.objects.get()
    assert mailing.audience == {"kind": "event", "statuses": "confirmed", "event_id": event.pk}
    page = client.get(response.url)
    assert "Ana" in page.content.decode()
    key = f"r{event.registrations.get().pk}"
    client.post(f"/staff/kassel/mailings/{mailing.pk}/test/", {"contact": key})
    copy = Message.objects.get(subject__startswith="[Test]")
    assert copy.to_address == world.users["kassel_board"].email
    assert "Hallo Ana," in copy.body_text


def test_mailing_html_is_a_designed_page_in_the_recipients_language(world):
    from mitmachen.messaging import mailings as m

    reader = people.contact_create(organisation=world.kassel, actor=None, status="member",
                                   data={"first_name": "Nora", "email": "n@example.org",
                                         "language": "en"})
    mailing = m.mailing_create(organisation=world.kassel, subject="News",
                               body="{{ anrede }} <b>bold</b> & more", purpose="newsletter",
                               audience={"kind": "members"}, actor=None)
    subject, text, html = m.render(mailing, reader, BASE)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    assert "Hello Nora," in html and "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html
    assert "Unsubscribe from this newsletter" in html and world.kassel.name in html
    assert "<b>bold</b>" in text  # the text part is plain text, not escaped
    letter = m.render(mailing, reader, BASE, channel="letter")
    assert letter[2] == "" and "Unsubscribe" not in letter[1]


def test_registrants_without_a_contact_get_no_unsubscribe_link(world, make_event, register,
                                                                client):
    from django.core import signing

    event = make_event()
    register(event, "Ana")
    mailing = _event_mailing(world, event, body="{{ anrede }} Abmelden: {{ abmelden }}")
    _subject, text, _html = mailings.render(mailing, mailings.plan(mailing).email[0], BASE)
    assert text.strip().endswith("Abmelden:")
    forged = signing.dumps({"c": "r1", "p": "invitations"}, salt=mailings.UNSUBSCRIBE_SALT)
    assert client.post(f"/u/{forged}/").status_code == 400


def test_erasure_reaches_messages_to_the_address(world, make_event, register):
    from mitmachen.people.gdpr import contact_erase

    event = make_event()
    register(event, "Ana", email="ana@example.org")  # no contact yet: a public registration
    ana = people.contact_create(organisation=world.kassel, actor=None,
                                data={"first_name": "Ana", "email": "ana@example.org"})
    assert Message.objects.filter(to_address="ana@example.org").exists()
    contact_erase(contact=ana, actor=None)
    assert not Message.objects.filter(to_address="ana@example.org").exists()
    assert not Message.objects.filter(body_text__contains="Ana").exists()
