"""Mailings: who gets what on which channel, personalised texts, and sending via the outbox."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import override

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.messaging import event_mailings, whatsapp
from mitmachen.messaging.models import Mailing, Message
from mitmachen.messaging.outbox import kick_worker, new_message_id
from mitmachen.people.models import Consent, Contact
from mitmachen.people.selectors import reachable

# Placeholders are {{ name }} and nothing else: a mailing text is not a template language.
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
UNSUBSCRIBE_SALT = "mitmachen.unsubscribe"
PLACEHOLDERS = {
    "anrede": "salutation", "vorname": "first_name", "nachname": "last_name", "name": "name",
    "organisation": "organisation", "abmelden": "unsubscribe_url",
    **event_mailings.EVENT_PLACEHOLDERS,
}


@dataclass
class Plan:
    email: list[Contact] = field(default_factory=list)
    letter: list[Contact] = field(default_factory=list)
    messenger: list[Contact] = field(default_factory=list)
    unreachable: list[Contact] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.email) + len(self.letter) + len(self.messenger)


def audience_contacts(organisation, audience: dict):
    """The contacts an audience description names, always within the organisation."""
    contacts = Contact.objects.filter(organisation=organisation, erased_at__isnull=True)
    kind = audience.get("kind")
    if kind == "event":
        return contacts.none()  # registrants need not be contacts: see plan()
    if kind == "members":
        return contacts.filter(status=Contact.Status.MEMBER)
    if kind == "group":
        return contacts.filter(group_memberships__group_id=audience.get("group_id"),
                               group_memberships__group__organisation=organisation).distinct()
    if kind == "contacts":
        from mitmachen.people.filtering import filtered

        form, matching = filtered(QueryDict(audience.get("query", "")), organisation)
        if form.is_bound and not form.is_valid():
            raise ValidationError(_("The contact filter is not valid."))
        return matching
    raise ValidationError(_("Choose who gets the mailing."))


def _has_postal_address(contact: Contact) -> bool:
    return bool(contact.street and contact.postcode and contact.city)


def _messenger_reachable(mailing: Mailing) -> set[int]:
    """Ids of the contacts with consent (and a number) for the mailing's messenger."""
    channel = Consent.Channel.SIGNAL if mailing.kind == Mailing.Kind.SIGNAL \
        else Consent.Channel.WHATSAPP
    return set(reachable(mailing.organisation, channel, mailing.purpose).values_list(
        "pk", flat=True))


def _registrant_plan(mailing: Mailing) -> Plan:
    """An event's registrants: by e-mail when they gave an address for the event, else a
    letter to their contact's postal address; messenger copies need messenger consent."""
    result = Plan()
    people = event_mailings.registrants(mailing)
    if mailing.kind != Mailing.Kind.EMAIL_OR_LETTER:
        ok = _messenger_reachable(mailing)
        for person in people:
            reached = person.contact is not None and person.contact.pk in ok
            (result.messenger if reached else result.unreachable).append(person)
        return result
    for person in people:
        if person.email:
            result.email.append(person)
        elif person.contact is not None and _has_postal_address(person.contact):
            result.letter.append(person)
        else:
            result.unreachable.append(person)
    return result


def plan(mailing: Mailing) -> Plan:
    """Who gets an e-mail, who a letter, who a messenger message, and who cannot be reached."""
    if mailing.audience.get("kind") == "event":
        return _registrant_plan(mailing)
    contacts = list(audience_contacts(mailing.organisation, mailing.audience)
                    .order_by("last_name", "first_name", "id"))
    result = Plan()
    if mailing.kind != Mailing.Kind.EMAIL_OR_LETTER:
        ok = _messenger_reachable(mailing)
        for contact in contacts:
            (result.messenger if contact.pk in ok else result.unreachable).append(contact)
        return result
    by_email = set(reachable(mailing.organisation, Consent.Channel.EMAIL, mailing.purpose)
                   .values_list("pk", flat=True))
    by_post = set(reachable(mailing.organisation, Consent.Channel.POST, mailing.purpose)
                  .values_list("pk", flat=True))
    # Members are invited to their assemblies by post unless they said no to post.
    refused_post = set(Consent.objects.filter(
        contact__in=contacts, channel=Consent.Channel.POST, purpose=mailing.purpose,
        granted=False).values_list("contact_id", flat=True)) - by_post
    for contact in contacts:
        if contact.pk in by_email:
            result.email.append(contact)
        elif _has_postal_address(contact) and (
                contact.pk in by_post or (
                    mailing.purpose == Consent.Purpose.INVITATIONS
                    and contact.status == Contact.Status.MEMBER
                    and contact.pk not in refused_post)):
            result.letter.append(contact)
        else:
            result.unreachable.append(contact)
    return result


KNOWN = set(PLACEHOLDERS) | set(PLACEHOLDERS.values())


def _check_template(text: str, field_name: str) -> None:
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in KNOWN})
    leftover = PLACEHOLDER.sub("", text)
    if unknown or "{{" in leftover or "}}" in leftover or "{%" in text:
        raise ValidationError({field_name: _(
            "Unknown or broken placeholder%(names)s. Use {{ anrede }}, {{ vorname }}, "
            "{{ nachname }}, {{ name }} or {{ organisation }}; for an event also "
            "{{ veranstaltung }}, {{ datum }}, {{ uhrzeit }}, {{ ort }}, {{ link }} and, for "
            "its registrants, {{ anmeldung }}.")
            % {"names": (": " + ", ".join(unknown)) if unknown else ""}})


def fill(text: str, values: dict) -> str:
    return PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), "")), text)


def unsubscribe_url(request_base: str, contact: Contact, purpose: str) -> str:
    token = signing.dumps({"c": contact.pk, "p": purpose}, salt=UNSUBSCRIBE_SALT)
    return f"{request_base}{reverse('messaging:unsubscribe', args=[token])}"


def _unsubscribe_for(base_url: str, recipient, purpose: str) -> str:
    """A registrant who is no contact has no consent to withdraw: no link."""
    if isinstance(recipient, event_mailings.Registrant):
        recipient = recipient.contact
    return unsubscribe_url(base_url, recipient, purpose) if recipient is not None else ""


def personal_context(mailing: Mailing, contact: Contact, base_url: str) -> dict:
    with override(contact.language):
        salutation = (_("Hello %(name)s,") % {"name": contact.first_name}) \
            if contact.first_name else _("Hello,")
    values = {
        "salutation": salutation, "first_name": contact.first_name,
        "last_name": contact.last_name, "name": contact.full_name,
        "organisation": mailing.organisation.name,
        "unsubscribe_url": _unsubscribe_for(base_url, contact, mailing.purpose),
    }
    # German placeholders ({{ vorname }}) and English ones ({{ first_name }}) both work.
    values = {**values, **{german: values[english] for german, english in PLACEHOLDERS.items()
                           if english in values}}
    event = event_mailings.event_of(mailing)
    if event is not None:
        with override(contact.language):
            values.update(event_mailings.values(event, contact, base_url))
    return values


def render(mailing: Mailing, contact: Contact, base_url: str,
           channel: str = Message.Channel.EMAIL) -> tuple[str, str, str]:
    """Subject, text and HTML of one recipient's copy on `channel`."""
    context = personal_context(mailing, contact, base_url)
    subject = " ".join(fill(mailing.subject, context).split())
    text = fill(mailing.body, context)
    if channel != Message.Channel.EMAIL:
        return subject, text, ""
    newsletter = mailing.purpose == Consent.Purpose.NEWSLETTER
    with override(contact.language):
        body = linebreaks(escape(text), autoescape=False)
        if newsletter:
            # The link withdraws e-mail consent; letters and messenger copies do not carry it.
            text += "\n\n-- \n" + _("Unsubscribe: %(url)s") % {
                "url": context["unsubscribe_url"]}
        html = get_template("messaging/email/mailing.html").render({
            "subject": subject, "body": mark_safe(body),  # noqa: S308 (escaped just above)
            "organisation": mailing.organisation, "language": contact.language,
            "unsubscribe_url": context["unsubscribe_url"] if newsletter else ""})
    return subject, text, html


def mailing_create(*, organisation, subject: str, body: str, purpose: str, audience: dict,
                   actor, kind: str = Mailing.Kind.EMAIL_OR_LETTER) -> Mailing:
    mailing = Mailing(organisation=organisation, subject=subject, body=body, purpose=purpose,
                      audience=audience, kind=kind, created_by=actor)
    if purpose not in Consent.Purpose.values:
        raise ValidationError({"purpose": _("Unknown purpose.")})
    for value, name in ((subject, "subject"), (body, "body")):
        if not value.strip() or "\x00" in value:
            raise ValidationError({name: _("This field cannot be empty.")})
        _check_template(value, name)
    audience_contacts(organisation, audience)  # refuses an unreadable audience early
    event_mailings.check_audience(organisation, audience, purpose)
    used = set(PLACEHOLDER.findall(subject + body))
    event_names = {*event_mailings.EVENT_PLACEHOLDERS, *event_mailings.EVENT_PLACEHOLDERS.values()}
    if used & event_names and audience.get("event_id") is None:
        raise ValidationError({"body": _("Event placeholders need an event: choose one.")})
    if used & {"anmeldung", "registration_link"} and audience.get("kind") != "event":
        raise ValidationError({"body": _(
            "{{ anmeldung }} works only in mailings to an event's registrants.")})
    with transaction.atomic():
        mailing.save()
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=mailing,
                     organisation=organisation)
    return mailing


def mailing_send(*, mailing: Mailing, actor, base_url: str, when=None) -> Mailing:
    """Queue every recipient's copy in one transaction (or schedule that for later)."""
    with transaction.atomic():
        locked = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if locked.status not in {Mailing.Status.DRAFT, Mailing.Status.SCHEDULED}:
            raise ValidationError(_("This mailing has been sent already."))
        if when is not None and when > timezone.now():
            locked.status = Mailing.Status.SCHEDULED
            locked.scheduled_for = when
            locked.save(update_fields=["status", "scheduled_for"])
            transaction.on_commit(lambda: _schedule(locked.pk, when, base_url))
            audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                         organisation=locked.organisation,
                         changes={"scheduled_for": [None, when.isoformat()]})
            return locked
        who = plan(locked)
        now = timezone.now()
        rows = []
        by_email = {c.pk for c in who.email}
        by_letter = {c.pk for c in who.letter}
        event = event_mailings.event_of(locked)
        ics = [event_mailings.attachment(event)] if event is not None else []
        for contact in who.email + who.letter + who.messenger:
            if contact.pk in by_email:
                channel, address = Message.Channel.EMAIL, contact.email
            elif contact.pk in by_letter:
                channel = Message.Channel.LETTER
                address = "\n".join([contact.full_name, contact.street,
                                     f"{contact.postcode} {contact.city}"])
            else:
                channel = Message.Channel.SIGNAL if locked.kind == Mailing.Kind.SIGNAL \
                    else Message.Channel.WHATSAPP
                address = contact.messenger_phone
            subject, text, html = render(locked, contact, base_url, channel)
            headers = {}
            if locked.purpose == Consent.Purpose.NEWSLETTER and channel == Message.Channel.EMAIL:
                url = unsubscribe_url(base_url, contact, locked.purpose)
                headers = {"List-Unsubscribe": f"<{url}>",
                           "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
            rows.append(Message(
                organisation=locked.organisation, mailing=locked,
                contact=contact.contact if isinstance(contact, event_mailings.Registrant)
                else contact,
                attachments=ics if channel == Message.Channel.EMAIL else [],
                channel=channel, to_name=contact.full_name, to_address=address,
                subject=subject, body_text=text, body_html=html if channel == "email" else "",
                headers=headers, message_id=new_message_id(), next_attempt_at=now))
        Message.objects.bulk_create(rows, batch_size=1000)
        locked.status = Mailing.Status.SENDING if who.email or who.messenger \
            else Mailing.Status.SENT
        locked.sent_at = now
        locked.save(update_fields=["status", "sent_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                     organisation=locked.organisation,
                     changes={"recipients": {"email": len(who.email), "letter": len(who.letter),
                                             "messenger": len(who.messenger),
                                             "unreachable": len(who.unreachable)}})
        transaction.on_commit(kick_worker)
    return locked


def _schedule(mailing_id: int, when, base_url: str) -> None:
    from mitmachen.messaging.tasks import mailing_due

    try:
        mailing_due.using(run_after=when).enqueue(mailing_id, base_url)
    except Exception:  # the backend cannot defer: send_scheduled() picks it up
        import logging

        logging.getLogger("mitmachen.outbox").exception("could not schedule mailing")


def send_scheduled(base_url: str = "") -> int:
    """Send the scheduled mailings that are due (the task, or `mitmachen outbox`, calls it)."""
    import logging

    count = 0
    due = Mailing.objects.filter(status=Mailing.Status.SCHEDULED,
                                 scheduled_for__lte=timezone.now()).values_list("pk", flat=True)
    for pk in list(due):
        try:
            mailing = Mailing.objects.get(pk=pk)
            mailing_send(mailing=mailing, actor=mailing.created_by,
                         base_url=base_url or _site_url())
        except ValidationError:
            # Another runner sent it a moment ago, or its audience cannot be read any more:
            # either way it must not stop the other mailings and the outbox.
            logging.getLogger("mitmachen.outbox").warning(
                "scheduled mailing not sent", extra={"mailing": pk})
            continue
        count += 1
    return count


def _site_url() -> str:
    from django.conf import settings

    return settings.SITE_URL


def recipient(mailing: Mailing, key: str):
    """A contact of the organisation, or (key "r<id>") one of the event's registrants."""
    key = (key or "").strip()
    if key.startswith("r") and mailing.audience.get("kind") == "event":
        return next((r for r in event_mailings.registrants(mailing) if r.pk == key), None)
    if not (key.isascii() and key.isdigit()):
        return None
    return Contact.objects.filter(organisation=mailing.organisation, erased_at__isnull=True,
                                  pk=int(key)).first()


def test_send(*, mailing: Mailing, contact: Contact, to_email: str, base_url: str) -> Message:
    """One copy, rendered for `contact`, to the author's own address."""
    from mitmachen.messaging.outbox import message_queue

    subject, text, html = render(mailing, contact, base_url)
    with transaction.atomic():
        return message_queue(organisation=mailing.organisation, channel=Message.Channel.EMAIL,
                             to_address=to_email, subject=f"[Test] {subject}", body_text=text,
                             body_html=html)


def manual_done(*, mailing: Mailing, channel: str, actor) -> int:
    """Letters printed and posted, or WhatsApp messages sent from the organiser's phone."""
    if channel not in {Message.Channel.LETTER, Message.Channel.WHATSAPP}:
        raise ValidationError(_("Only letters and WhatsApp messages are sent by hand."))
    if channel == Message.Channel.WHATSAPP and whatsapp.configured():
        # The worker sends them: marking them here would race it and hide failures.
        raise ValidationError(_("WhatsApp messages are sent by the server."))
    with transaction.atomic():
        count = mailing.messages.filter(channel=channel, status=Message.Status.QUEUED).update(
            status=Message.Status.SENT, sent_at=timezone.now())
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=mailing,
                     organisation=mailing.organisation, changes={f"{channel}_done": count})
        if not mailing.messages.exclude(status=Message.Status.SENT).exists():
            Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENT)
    return count


def unsubscribe(*, token: str) -> Contact:
    """Withdraw the consent a newsletter was sent under (the personal link, no login)."""
    from mitmachen.people.services import consent_record

    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=60 * 60 * 24 * 365 * 2)
    except signing.BadSignature:
        raise ValidationError(_("This link is not valid.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        raise ValidationError(_("This link is not valid."))
    contact = Contact.objects.filter(pk=data.get("c"), erased_at__isnull=True).first()
    if contact is None or data.get("p") not in Consent.Purpose.values:
        raise ValidationError(_("This link is not valid."))
    consent_record(contact=contact, channel=Consent.Channel.EMAIL, purpose=data["p"],
                   granted=False, source=Consent.Source.SELF, text_version="unsubscribe-link",
                   actor=None)
    return contact
