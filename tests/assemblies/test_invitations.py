"""Invitations with proof: channel choice, idempotence, lead time, hashes, reminders, letters,
the proof of invitation and who may see it."""

import hashlib
import io
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from mitmachen.assemblies import invitations, services
from mitmachen.assemblies.access import participant_token
from mitmachen.assemblies.models import Assembly, Invitation, Participant
from mitmachen.core.models import AuditEntry
from mitmachen.messaging.models import Message
from mitmachen.people.models import Consent, Contact
from tests.assemblies.conftest import member, voter

EMAIL, LETTER = Invitation.Channel.EMAIL, Invitation.Channel.LETTER


@pytest.fixture
def ready(assembly):
    """The Kassel assembly with an agenda of two items and a sub-item."""
    opening = services.item_create(assembly=assembly, title="Eröffnung", actor=None,
                                   minutes_estimate=10)
    services.item_create(assembly=assembly, title="Wahl der Versammlungsleitung", actor=None,
                         parent=opening, minutes_estimate=5)
    services.item_create(assembly=assembly, title="Rechenschaftsbericht & Entlastung",
                         actor=None, minutes_estimate=45)
    assembly.invitation_text = "Liebe Genoss*innen,\nwir laden herzlich ein."
    assembly.save()
    return assembly


@pytest.fixture
def login(login):
    """The shared personas, with the pages in English (the language cookie: the app ignores
    the browser's Accept-Language) so that messages can be compared."""

    def _login(persona):
        client = login(persona)
        client.cookies["django_language"] = "en"
        return client

    return _login


def url(name, assembly, *extra):
    return reverse(f"assemblies:{name}", args=[assembly.organisation.slug, assembly.pk, *extra])


def sent_to(assembly, kind=Invitation.Kind.INVITATION) -> dict[str, str]:
    return dict(Invitation.objects.filter(participant__assembly=assembly, kind=kind)
                .values_list("participant__name", "channel"))


# --- channel and content ----------------------------------------------------------------------

def test_every_voter_gets_one_copy_by_their_channel(ready):
    summary = invitations.invitation_send(assembly=ready, actor=None)
    assert (summary.sent_email, summary.sent_letter, summary.unreachable,
            summary.skipped_already) == (5, 1, 0, 0)
    assert sent_to(ready) == {"Rosa Roth": EMAIL, "Clara Zeller": EMAIL, "Emma Ihrig": LETTER,
                              "Karl Lieb": EMAIL, "August Bebber": EMAIL, "Paul Sänger": EMAIL}
    emma = Invitation.objects.get(participant__name="Emma Ihrig")
    assert emma.address == "Emma Ihrig\nFriedrichsplatz 3\n34117 Kassel"
    assert emma.message.channel == Message.Channel.LETTER
    assert emma.message.to_address == emma.address
    rosa = Invitation.objects.get(participant__name="Rosa Roth")
    assert rosa.address == "rosa@example.org" == rosa.message.to_address
    ready.refresh_from_db()
    assert ready.status == Assembly.Status.INVITED and ready.invited_at is not None


def test_newsletter_refusal_does_not_stop_a_statutory_invitation(ready):
    karl = voter(ready, "Karl").contact
    Consent.objects.create(contact=karl, channel=Consent.Channel.EMAIL,
                           purpose=Consent.Purpose.NEWSLETTER, granted=False,
                           source=Consent.Source.SELF, text_version="t")
    invitations.invitation_send(assembly=ready, actor=None)
    assert sent_to(ready)["Karl Lieb"] == EMAIL


def test_a_member_who_asked_for_post_gets_a_letter(ready):
    rosa = voter(ready, "Rosa").contact  # has an e-mail address and a postal address
    Consent.objects.create(contact=rosa, channel=Consent.Channel.EMAIL,
                           purpose=Consent.Purpose.INVITATIONS, granted=False,
                           source=Consent.Source.SELF, text_version="t")
    invitations.invitation_send(assembly=ready, actor=None)
    assert sent_to(ready)["Rosa Roth"] == LETTER


@pytest.mark.parametrize("wishes,channel", [
    ({Consent.Channel.POST: True}, LETTER),  # yes to post, nothing said about e-mail
    ({Consent.Channel.POST: True, Consent.Channel.EMAIL: True}, EMAIL),
    ({Consent.Channel.POST: False}, EMAIL),
    # the newest answer counts: no to e-mail, later yes again
    ({Consent.Channel.EMAIL: False, "then": True}, EMAIL),
])
def test_the_newest_wish_for_invitations_decides(ready, wishes, channel):
    rosa = voter(ready, "Rosa").contact  # has an e-mail address and a postal address
    wishes = dict(wishes)
    then = wishes.pop("then", None)
    for wish_channel, granted in wishes.items():
        Consent.objects.create(contact=rosa, channel=wish_channel,
                               purpose=Consent.Purpose.INVITATIONS, granted=granted,
                               source=Consent.Source.FORM, text_version="t")
    if then is not None:
        Consent.objects.create(contact=rosa, channel=Consent.Channel.EMAIL,
                               purpose=Consent.Purpose.INVITATIONS, granted=then,
                               source=Consent.Source.SELF, text_version="t2")
    invitations.invitation_send(assembly=ready, actor=None)
    assert sent_to(ready)["Rosa Roth"] == channel


def test_refusing_email_without_a_postal_address_still_gets_the_email(ready):
    karl = voter(ready, "Karl").contact
    Consent.objects.create(contact=karl, channel=Consent.Channel.EMAIL,
                           purpose=Consent.Purpose.INVITATIONS, granted=False,
                           source=Consent.Source.SELF, text_version="t")
    invitations.invitation_send(assembly=ready, actor=None)
    assert sent_to(ready)["Karl Lieb"] == EMAIL


def test_a_member_without_any_address_is_listed_and_not_invited(world, make_assembly):
    members = [("Rosa", "Roth", "flinta", "rosa@example.org", ""),
               ("Olga", "Ohne", "flinta", "", ""),
               # a street without postcode and city is no postal address
               ("Ida", "Halb", "flinta", "", "Königsstraße 1")]
    assembly = make_assembly(members=members)
    Contact.objects.filter(last_name="Halb").update(postcode="", city="")
    services.item_create(assembly=assembly, title="Eröffnung", actor=None)
    plan = invitations.plan(assembly)
    assert sorted(p.name for p in plan.unreachable) == ["Ida Halb", "Olga Ohne"]
    summary = invitations.invitation_send(assembly=assembly, actor=None)
    assert (summary.sent_email, summary.sent_letter, summary.unreachable) == (1, 0, 2)
    assert set(sent_to(assembly)) == {"Rosa Roth"}
    # the address is fixed: the next run invites her, and only her
    Contact.objects.filter(last_name="Ohne").update(email="olga@example.org")
    again = invitations.invitation_send(assembly=assembly, actor=None)
    assert (again.sent_email, again.skipped_already, again.unreachable) == (1, 1, 1)
    assert Invitation.objects.filter(participant__assembly=assembly).count() == 2


def test_guests_only_when_asked_and_only_with_an_address(ready):
    guest_contact = member(ready.organisation, "Gerd", "Gast", email="gerd@example.org")
    services.guest_add(assembly=ready, name="", contact=guest_contact, actor=None)
    services.guest_add(assembly=ready, name="Presse ohne Kontakt", actor=None)
    invitations.invitation_send(assembly=ready, actor=None)
    assert "Gerd Gast" not in sent_to(ready)
    summary = invitations.invitation_send(assembly=ready, actor=None, include_guests=True)
    assert (summary.sent_email, summary.sent_letter, summary.unreachable) == (1, 0, 0)
    assert sent_to(ready)["Gerd Gast"] == EMAIL
    assert "Presse ohne Kontakt" not in sent_to(ready)


def test_the_copy_holds_agenda_place_text_and_the_personal_link(ready):
    Contact.objects.update(language="en")  # the msgids: German is the lead's translation
    invitations.invitation_send(assembly=ready, actor=None)
    rosa = voter(ready, "Rosa")
    message = Invitation.objects.get(participant=rosa).message
    text = message.body_text
    starts = timezone.localtime(ready.event.starts_at)
    assert message.subject == (f"Invitation: Kreismitgliederversammlung on "
                               f"{starts.day}. {starts:%B %Y}")
    assert text.startswith("Hello Rosa,")
    assert f"When: {starts:%A}, {starts.day}. {starts:%B %Y, %H:%M}" in text
    assert "1 Eröffnung (10 minutes)" in text
    assert "   1.1 Wahl der Versammlungsleitung (5 minutes)" in text
    assert "2 Rechenschaftsbericht & Entlastung (45 minutes)" in text  # not HTML-escaped
    assert "Parteibüro" in text and "wir laden herzlich ein." in text
    assert f"/a/{participant_token(rosa)}/" in text
    assert f"/a/{participant_token(rosa)}/" in message.body_html
    assert "Rechenschaftsbericht &amp; Entlastung" in message.body_html
    assert message.sensitive  # the link is a key: the outbox forgets the text once sent
    # each member's copy carries their own link, nobody else's
    karl = voter(ready, "Karl")
    karl_text = Invitation.objects.get(participant=karl).message.body_text
    assert participant_token(rosa) not in karl_text and participant_token(karl) in karl_text


def test_a_member_reading_english_gets_english(ready):
    Contact.objects.filter(first_name="Karl").update(language="en")
    invitations.invitation_send(assembly=ready, actor=None)
    message = Invitation.objects.get(participant__name="Karl Lieb").message
    assert message.subject.startswith("Invitation: Kreismitgliederversammlung on ")
    assert message.body_text.startswith("Hello Karl,") and "(10 minutes)" in message.body_text


def test_hash_is_sha256_of_exactly_what_was_sent(ready):
    invitations.invitation_send(assembly=ready, actor=None)
    for proof in Invitation.objects.filter(participant__assembly=ready).select_related("message"):
        sent = f"{proof.message.subject}\n\n{proof.message.body_text}".encode()
        assert proof.content_sha256 == hashlib.sha256(sent).hexdigest()
    digests = set(Invitation.objects.values_list("content_sha256", flat=True))
    assert len(digests) == 6  # personal copies differ (name, link)


# --- idempotence and refusals ----------------------------------------------------------------

def test_running_twice_sends_nothing_twice(ready):
    invitations.invitation_send(assembly=ready, actor=None)
    first_time = Assembly.objects.get(pk=ready.pk).invited_at
    summary = invitations.invitation_send(assembly=ready, actor=None)
    assert (summary.sent_email, summary.sent_letter, summary.skipped_already) == (0, 0, 6)
    assert Message.objects.count() == 6 and Invitation.objects.count() == 6
    assert Assembly.objects.get(pk=ready.pk).invited_at == first_time


def test_refused_without_agenda(assembly):
    with pytest.raises(ValidationError) as error, translation.override("en"):
        invitations.invitation_send(assembly=assembly, actor=None)
    assert "agenda is empty" in str(error.value)
    assert not Message.objects.exists() and not Invitation.objects.exists()
    assert Assembly.objects.get(pk=assembly.pk).status == Assembly.Status.PREPARING


@pytest.mark.parametrize("status", [Assembly.Status.IN_SESSION, Assembly.Status.CLOSED])
def test_refused_in_session_or_closed(ready, status):
    Assembly.objects.filter(pk=ready.pk).update(status=status)
    with pytest.raises(ValidationError) as error, translation.override("en"):
        invitations.invitation_send(assembly=ready, actor=None)
    assert "in session or closed" in str(error.value)
    assert not Message.objects.exists() and not Invitation.objects.exists()


def test_refused_without_voters(world, make_assembly):
    assembly = make_assembly(members=[])
    services.item_create(assembly=assembly, title="Eröffnung", actor=None)
    with pytest.raises(ValidationError) as error, translation.override("en"):
        invitations.invitation_send(assembly=assembly, actor=None)
    assert "build the list of voters" in str(error.value)


def test_late_invitation_needs_confirmation(world, make_assembly):
    assembly = make_assembly(days=10)  # the statutes want 21 days
    services.item_create(assembly=assembly, title="Eröffnung", actor=None)
    with pytest.raises(ValidationError) as error, translation.override("en"):
        invitations.invitation_send(assembly=assembly, actor=None)
    assert "confirm_late" in error.value.error_dict
    assert "send anyway" in str(error.value) and "21 days" in str(error.value)
    assert not Invitation.objects.exists() and not Message.objects.exists()
    summary = invitations.invitation_send(assembly=assembly, actor=None, confirm_late=True)
    assert summary.sent_email + summary.sent_letter == 6
    assert services.lead_time_problem(Assembly.objects.get(pk=assembly.pk))  # stays flagged


def test_on_time_needs_no_confirmation(ready):
    at = ready.event.starts_at - timedelta(days=21, hours=1)
    summary = invitations.invitation_send(assembly=ready, actor=None, at=at)
    assert summary.sent_email == 5


def test_audit_and_live_version(ready, world):
    before = Assembly.objects.get(pk=ready.pk).live_version
    invitations.invitation_send(assembly=ready, actor=world.users["kassel_board"])
    entry = AuditEntry.objects.filter(object_type="assemblies.assembly",
                                      object_id=str(ready.pk)).first()
    assert entry.actor == world.users["kassel_board"]
    assert entry.changes["invitations"]["email"] == 5
    assert entry.changes["invitations"]["letter"] == 1
    assert entry.changes["status"] == ["preparing", "invited"]
    assert Assembly.objects.get(pk=ready.pk).live_version > before


def test_queries_do_not_grow_with_members(world, make_assembly, django_assert_max_num_queries):
    many = [(f"Person{n}", "Test", "open", f"p{n}@example.org", "") for n in range(40)]
    assembly = make_assembly(members=many)
    services.item_create(assembly=assembly, title="Eröffnung", actor=None)
    # about 25 for any number of members (one batch): nothing per member
    with django_assert_max_num_queries(30):
        summary = invitations.invitation_send(assembly=assembly, actor=None)
    assert summary.sent_email == 40
    with django_assert_max_num_queries(8):
        invitations.proof(assembly)


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_invite_each_member_once(world, make_assembly):
    """Two board members press "send" at the same moment, each on their own connection."""
    assembly = make_assembly()
    services.item_create(assembly=assembly, title="Eröffnung", actor=None)
    barrier = threading.Barrier(2)
    results, unexpected = [], []

    def run():
        try:
            barrier.wait()
            results.append(invitations.invitation_send(
                assembly=Assembly.objects.get(pk=assembly.pk), actor=None))
        except Exception as exc:  # asserted on below
            unexpected.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert unexpected == []
    assert sum(r.sent_email + r.sent_letter for r in results) == 6
    assert Invitation.objects.filter(participant__assembly=assembly).count() == 6
    assert Message.objects.filter(organisation=assembly.organisation).count() == 6


# --- reminder -------------------------------------------------------------------------------

def test_reminder_only_to_the_invited_and_once(ready):
    Contact.objects.update(language="en")
    Contact.objects.filter(first_name="Paul").update(email="")  # Paul: not invitable
    invitations.invitation_send(assembly=ready, actor=None)
    assert invitations.reminder_send(assembly=ready, actor=None) == 5
    assert invitations.reminder_send(assembly=ready, actor=None) == 0
    reminded = sent_to(ready, Invitation.Kind.REMINDER)
    assert set(reminded) == set(sent_to(ready)) and "Paul Sänger" not in reminded
    assert reminded["Emma Ihrig"] == LETTER  # the channel of the invitation
    message = Invitation.objects.get(participant__name="Rosa Roth",
                                      kind=Invitation.Kind.REMINDER).message
    assert message.subject.startswith("Reminder: Kreismitgliederversammlung on ")
    assert f"/a/{participant_token(voter(ready, 'Rosa'))}/" in message.body_text
    assert Assembly.objects.get(pk=ready.pk).reminded_at is not None


def test_reminder_refused_before_invitations(ready):
    with pytest.raises(ValidationError):
        invitations.reminder_send(assembly=ready, actor=None)
    assert not Message.objects.exists()


def test_reminder_task_sends_when_due_and_only_then(ready):
    from mitmachen.assemblies.tasks import assembly_remind

    invitations.invitation_send(assembly=ready, actor=None)
    due = ready.event.starts_at - timedelta(days=ready.reminder_days)
    assert invitations.reminder_if_due(ready.pk, now=due - timedelta(hours=1)) == 0
    assert invitations.reminder_if_due(ready.pk, now=due + timedelta(minutes=1)) == 6
    assert invitations.reminder_if_due(ready.pk, now=due + timedelta(minutes=2)) == 0
    assert assembly_remind.call(ready.pk) == 0  # not due yet by the clock: nothing
    assert Invitation.objects.filter(kind=Invitation.Kind.REMINDER).count() == 6


def test_reminder_task_runs_and_is_safe_twice(ready):
    from mitmachen.assemblies.tasks import assembly_remind

    invitations.invitation_send(assembly=ready, actor=None,
                                at=timezone.now() - timedelta(days=20))
    Assembly.objects.filter(pk=ready.pk).update(reminder_days=40)  # due ten days ago
    assert assembly_remind.call(ready.pk) == 6
    assert assembly_remind.call(ready.pk) == 0


def test_sending_schedules_the_reminder_task(ready, django_capture_on_commit_callbacks):
    from unittest import mock

    with mock.patch("mitmachen.assemblies.tasks.assembly_remind") as task, \
            django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_send(assembly=ready, actor=None)
    run_after = task.using.call_args.kwargs["run_after"]
    assert run_after == ready.event.starts_at - timedelta(days=3)
    task.using.return_value.enqueue.assert_called_once_with(ready.pk)


def test_late_invited_members_are_not_reminded(ready):
    due = ready.event.starts_at - timedelta(days=3)
    invitations.invitation_send(assembly=ready, actor=None)
    newcomer = member(ready.organisation, "Nina", "Neu", email="nina@example.org")
    services.voters_build(assembly=ready, actor=None)
    invitations.invitation_send(assembly=ready, actor=None, at=due + timedelta(hours=1),
                                confirm_late=True)
    assert Invitation.objects.filter(participant__contact=newcomer).exists()
    assert invitations.reminder_if_due(ready.pk, now=due + timedelta(hours=2)) == 6


def test_tick_command_sends_due_reminders(ready):
    invitations.invitation_send(assembly=ready, actor=None,
                                at=timezone.now() - timedelta(days=20))
    out = io.StringIO()
    call_command("assemblies_tick", stdout=out)
    assert "reminders sent: 0" in out.getvalue()
    Assembly.objects.filter(pk=ready.pk).update(reminder_days=40)
    call_command("assemblies_tick", stdout=out)
    assert "reminders sent: 6" in out.getvalue()
    assert invitations.reminders_due() == 0


# --- letters --------------------------------------------------------------------------------

def test_letter_pdf_is_a_real_pdf_with_the_member(ready):
    from pypdf import PdfReader

    invitations.invitation_send(assembly=ready, actor=None)
    pdf = invitations.letters_pdf(ready)
    assert pdf.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Emma Ihrig" in text and "Friedrichsplatz 3" in text
    assert "Eröffnung" in text and "Rosa Roth" not in text  # letters only


def test_letters_posted_marks_them_sent(ready):
    invitations.invitation_send(assembly=ready, actor=None)
    assert invitations.letters_posted(assembly=ready, actor=None) == 1
    letter = Invitation.objects.get(channel=LETTER).message
    assert letter.status == Message.Status.SENT and letter.sent_at is not None
    assert invitations.letters_posted(assembly=ready, actor=None) == 0
    # e-mails are the worker's business
    assert Message.objects.filter(channel=Message.Channel.EMAIL,
                                  status=Message.Status.QUEUED).count() == 5
    with pytest.raises(ValidationError):
        invitations.letters_posted(assembly=ready, actor=None, kind="newsletter")


# --- proof ----------------------------------------------------------------------------------

def test_proof_lists_every_eligible_member_with_channel_and_time(ready):
    Contact.objects.filter(first_name="Paul").update(email="", membership_number="K-0006")
    invitations.invitation_send(assembly=ready, actor=None)
    proof = invitations.proof(ready)
    assert proof.eligible == 6 and (proof.by_email, proof.by_letter, proof.not_invited) == (
        4, 1, 1)
    by_name = {r.participant.name: r for r in proof.rows}
    assert set(by_name) == set(ready.participants.filter(
        kind=Participant.Kind.VOTER).values_list("name", flat=True))
    assert by_name["Paul Sänger"].invitation is None
    assert by_name["Emma Ihrig"].invitation.channel == LETTER
    assert all(r.invitation.created_at for n, r in by_name.items() if n != "Paul Sänger")
    wording = proof.wordings[0]
    assert wording["language"] == "de" and not wording["changed"]
    with translation.override("de"):
        placeholder = translation.gettext("[personal link]")
    assert placeholder in wording["text"] and "/a/" not in wording["text"]
    assert "Eröffnung" in wording["text"]


def test_proof_notices_a_changed_agenda(ready):
    invitations.invitation_send(assembly=ready, actor=None)
    services.item_create(assembly=ready, title="Verschiedenes", actor=None)
    assert invitations.proof(ready).wordings[0]["changed"]


# --- pages ----------------------------------------------------------------------------------

def test_invitation_page_shows_plan_warning_and_preview(ready, login):
    Contact.objects.filter(first_name="Paul").update(email="")
    response = login("kassel_board").get(url("invitation", ready))
    assert response.status_code == 200
    body = response.content.decode()
    assert "4 voting members by e-mail" in body and "1 voting member by letter" in body
    assert "1 voting member cannot be invited" in body and "Paul Sänger" in body
    assert "Eröffnung" in body and "[personal link]" in body
    for participant in ready.participants.all():  # no personal link on a staff page
        assert participant_token(participant) not in body
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW,
                                     object_repr__contains="invitations").exists()


def test_page_warns_late_and_send_needs_the_box(world, make_assembly, login):
    assembly = make_assembly(days=5)
    services.item_create(assembly=assembly, title="Eröffnung", actor=None)
    client = login("kassel_board")
    page = client.get(url("invitation", assembly)).content.decode()
    assert "the statutes require 21 days" in page and 'name="confirm_late"' in page
    response = client.post(url("invitation_send", assembly))
    assert response.status_code == 400 and "send anyway" in response.content.decode()
    assert not Invitation.objects.exists()
    response = client.post(url("invitation_send", assembly), {"confirm_late": "on"})
    assert response.status_code == 302
    assert Invitation.objects.count() == 6


def test_send_and_remind_through_the_page(ready, login):
    client = login("kassel_board")
    response = client.post(url("invitation_send", ready), follow=True)
    assert "Invitations sent: 5 by e-mail, 1 by letter." in response.content.decode()
    response = client.post(url("invitation_send", ready), follow=True)
    assert "has the invitation already" in response.content.decode()
    assert Invitation.objects.count() == 6
    response = client.post(url("invitation_remind", ready), follow=True)
    assert "Reminders sent: 6." in response.content.decode()
    assert client.get(url("invitation_send", ready)).status_code == 405


def test_send_refused_without_agenda_changes_nothing(assembly, login):
    response = login("kassel_board").post(url("invitation_send", assembly),
                                          {"confirm_late": "on"})
    assert response.status_code == 400 and "agenda is empty" in response.content.decode()
    assert not Invitation.objects.exists() and not Message.objects.exists()


def test_proof_page_and_csv(ready, login):
    Contact.objects.filter(first_name="Karl").update(membership_number="=HYPERLINK(1)")
    Contact.objects.filter(first_name="Paul").update(email="")
    invitations.invitation_send(assembly=ready, actor=None)
    client = login("kassel_board")
    page = client.get(url("invitation_proof", ready))
    body = page.content.decode()
    assert page.status_code == 200
    rosa = Invitation.objects.get(participant__name="Rosa Roth")
    assert rosa.content_sha256 in body and "rosa@example.org" in body
    assert "Friedrichsplatz 3" in body and "not invited" in body and "Paul Sänger" in body
    assert "The text that was sent" in body and "Eröffnung" in body
    for participant in ready.participants.all():
        assert participant_token(participant) not in body
    csv = client.get(url("invitation_proof", ready) + "?format=csv").content.decode("utf-8-sig")
    lines = csv.splitlines()
    assert len(lines) == 7  # header and the six voters
    assert any(rosa.content_sha256 in line and "rosa@example.org" in line for line in lines)
    assert "'=HYPERLINK(1)" in csv  # formula-safe
    views = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW,
                                      object_repr__contains="proof of invitation")
    assert views.count() == 2


def test_letters_pdf_page(ready, login):
    client = login("kassel_board")
    response = client.get(url("invitation_letters", ready), follow=True)
    assert "no letters to print" in response.content.decode()
    invitations.invitation_send(assembly=ready, actor=None)
    response = client.get(url("invitation_letters", ready))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    bogus = client.get(url("invitation_letters", ready) + "?kind=bogus&order=postcode")
    assert bogus.status_code == 200 and bogus.content.startswith(b"%PDF")  # the invitations
    response = client.get(url("invitation_letters", ready) + "?kind=reminder", follow=True)
    assert "no letters to print" in response.content.decode()  # no reminder yet
    response = client.post(url("invitation_letters_posted", ready), {"kind": "invitation"})
    assert response.status_code == 302
    assert Invitation.objects.get(channel=LETTER).message.status == Message.Status.SENT


PAGES = [("invitation", "get"), ("invitation_proof", "get"), ("invitation_letters", "get"),
         ("invitation_send", "post"), ("invitation_remind", "post"),
         ("invitation_letters_posted", "post")]


@pytest.mark.parametrize("name,method", PAGES)
@pytest.mark.parametrize("persona,status", [
    ("kassel_events", 403), ("kassel_treasurer", 403), ("duesseldorf_board", 404),
    ("duesseldorf_member", 404)])
def test_who_may_not(ready, login, name, method, persona, status):
    response = getattr(login(persona), method)(url(name, ready))
    assert response.status_code == status
    assert not Invitation.objects.exists() and not Message.objects.exists()


@pytest.mark.parametrize("name", ["invitation", "invitation_proof"])
@pytest.mark.parametrize("persona", ["kassel_board", "hessen_board"])
def test_who_may(ready, login, name, persona):
    # the state board's role holds for the district below it
    assert login(persona).get(url(name, ready)).status_code == 200


@pytest.mark.parametrize("name,method", PAGES)
def test_anonymous_goes_to_login(ready, login, name, method):
    response = getattr(login(None), method)(url(name, ready))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_chair_alone_may_not_send(ready, world, login):
    Assembly.objects.filter(pk=ready.pk).update(chair=world.users["kassel_events"])
    response = login("kassel_events").post(url("invitation_send", ready))
    assert response.status_code == 403 and not Invitation.objects.exists()


def test_another_organisations_assembly_is_404(ready, world, login, make_assembly):
    other = make_assembly(organisation=world.duesseldorf, members=[])
    response = login("kassel_board").get(
        reverse("assemblies:invitation", args=["kassel", other.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["", "bogus", "reminder\x00"])
def test_bad_letter_kind_is_refused(ready, login, kind):
    invitations.invitation_send(assembly=ready, actor=None)
    response = login("kassel_board").post(url("invitation_letters_posted", ready),
                                          {"kind": kind}, follow=True)
    assert "Unknown kind of letter." in response.content.decode()
    assert Invitation.objects.get(channel=LETTER).message.status == Message.Status.QUEUED


# --- the wording of the lead time and the reminder --------------------------------------------

def test_before_any_invitation_the_lead_time_is_a_forecast(world, make_assembly, login):
    assembly = make_assembly(days=10)
    services.item_create(assembly=assembly, title="Eröffnung", actor=None)
    client = login("kassel_board")
    page = client.get(url("invitation", assembly)).content.decode()
    assert "If you invite today, that is only 10 days ahead: the statutes require 21 days" in page
    assert "Invited 10 days ahead" not in page
    invitations.invitation_send(assembly=assembly, actor=None, confirm_late=True)
    page = client.get(url("invitation", assembly)).content.decode()
    # Once sent, the record: what happened, not what would.
    assert "Invited 10 days ahead: the statutes require 21 days" in page
    assert "If you invite today" not in page


def test_late_invitations_for_members_added_later_need_the_box(ready, world, login):
    invitations.invitation_send(assembly=ready, actor=None)
    Assembly.objects.filter(pk=ready.pk).update(lead_days=60)  # as if now were too late
    member(world.kassel, "Lotte", "Neu", email="lotte@example.org")
    services.voters_build(assembly=ready, actor=None)
    page = login("kassel_board").get(url("invitation", ready)).content.decode()
    assert 'name="confirm_late"' in page and "If you invite today" in page


def test_a_missed_reminder_is_a_warning(world, make_assembly, login):
    assembly = make_assembly(days=2)  # the reminder was due a day ago (3 days ahead)
    services.item_create(assembly=assembly, title="Eröffnung", actor=None)
    invitations.invitation_send(assembly=assembly, actor=None, confirm_late=True,
                                at=timezone.now() - timedelta(days=5))
    client = login("kassel_board")
    response = client.get(url("invitation", assembly))
    page = response.content.decode()
    assert response.context["reminder_state"] == "missed"
    assert "but the reminder was not sent" in page and "goes out by itself" not in page
    assert url("invitation_remind", assembly) in page  # it can still be sent by hand
    invitations.reminder_send(assembly=assembly, actor=None)
    response = client.get(url("invitation", assembly))
    page = response.content.decode()
    assert response.context["reminder_state"] == "sent"
    assert "6 reminders sent so far." in page and "was not sent" not in page


def test_invited_after_the_reminder_was_due_needs_no_reminder(world, make_assembly, login):
    assembly = make_assembly(days=2)
    services.item_create(assembly=assembly, title="Eröffnung", actor=None)
    invitations.invitation_send(assembly=assembly, actor=None, confirm_late=True)
    response = login("kassel_board").get(url("invitation", assembly))
    assert response.context["reminder_state"] == "not_needed"
    page = response.content.decode()
    assert "No reminder is needed" in page and "was not sent" not in page
    assert "goes out by itself" not in page


def test_a_reminder_still_ahead_goes_out_by_itself(ready, login):
    invitations.invitation_send(assembly=ready, actor=None)
    response = login("kassel_board").get(url("invitation", ready))
    assert response.context["reminder_state"] == "ahead"
    assert "The reminder goes out by itself on" in response.content.decode()


def test_the_printed_proof_is_compact(ready, login):
    invitations.invitation_send(assembly=ready, actor=None)
    rosa = Invitation.objects.get(participant__name="Rosa Roth")
    body = login("kassel_board").get(url("invitation_proof", ready)).content.decode()
    assert "@page { size: A4 landscape" in body and 'onclick="window.print()"' in body
    digest = rosa.content_sha256
    assert f'title="{digest}">{digest[:16]}…</code>' in body
    assert f">{digest}<" not in body  # the full hash only in the title (and in the CSV)
    assert '<td class="name">Rosa Roth</td>' in body
    assert "hyphens: manual" in body
