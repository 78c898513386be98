"""Inviting to an assembly, with proof: who was invited, by which channel, when, and a hash of
exactly what they received.

A statutory invitation is a legal duty, not marketing: it goes to every voting member whatever
their newsletter consents say. E-mail when the member has an address, a letter to the postal
address otherwise (or when the member asked for invitations by post); a member with neither is
listed as "cannot be invited" so the board can fix the address.

The personal link in each copy lets its holder speak and vote in the member's name, so copies
are queued as sensitive (the outbox forgets their text once sent) and no staff page shows a
link: previews and the proof use a placeholder instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from mitmachen.assemblies import live, selectors
from mitmachen.assemblies.access import participant_token
from mitmachen.assemblies.models import Assembly, Invitation, Participant
from mitmachen.assemblies.services import lead_time_problem
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.messaging.models import Message
from mitmachen.messaging.outbox import kick_worker, new_message_id, render_text
from mitmachen.people.models import Consent, Contact

BATCH = 200  # participants per transaction: a failure keeps what went out before it
Kind = Invitation.Kind
Channel = Invitation.Channel


@dataclass(frozen=True)
class Recipient:
    participant: Participant
    channel: str
    address: str


@dataclass
class Plan:
    """Who gets the invitation by e-mail, who by letter, who cannot be invited, who has it."""

    email: list[Recipient] = field(default_factory=list)
    letter: list[Recipient] = field(default_factory=list)
    unreachable: list[Participant] = field(default_factory=list)
    already: list[Participant] = field(default_factory=list)

    @property
    def to_send(self) -> list[Recipient]:
        return sorted(self.email + self.letter, key=lambda r: r.participant.pk)


@dataclass
class Summary:
    sent_email: int = 0
    sent_letter: int = 0
    unreachable: int = 0
    skipped_already: int = 0


def content_hash(subject: str, text: str) -> str:
    """SHA-256 of what a member received: the subject, a blank line, the text. Anyone holding
    a copy can recompute it."""
    return hashlib.sha256(f"{subject}\n\n{text}".encode()).hexdigest()


# --- choosing the channel -------------------------------------------------------------------

def postal_address(contact: Contact) -> str:
    if not (contact.street and contact.postcode and contact.city):
        return ""
    return "\n".join([contact.full_name, contact.street, f"{contact.postcode} {contact.city}"])


def _preferences(assembly: Assembly) -> dict[int, dict[str, bool]]:
    """The newest invitations consent per contact and channel (e-mail, post): the only place
    the people app records how a member wants to be invited."""
    rows = Consent.objects.filter(
        contact_id__in=Participant.objects.filter(assembly=assembly).exclude(
            contact=None).values("contact_id"),
        purpose=Consent.Purpose.INVITATIONS,
        channel__in=[Consent.Channel.EMAIL, Consent.Channel.POST],
    ).order_by("contact_id", "channel", "-created_at", "-id").values_list(
        "contact_id", "channel", "granted")
    newest: dict[int, dict[str, bool]] = {}
    for contact_id, channel, granted in rows:
        newest.setdefault(contact_id, {}).setdefault(channel, granted)
    return newest


def channel_for(contact: Contact | None, preference: dict[str, bool]) -> tuple[str, str] | None:
    """(channel, address), or None when the member cannot be invited.

    A letter when the member has a postal address and said no to invitations by e-mail, or yes
    to them by post but not by e-mail. A "no" without any alternative address does not excuse
    the board from inviting: the e-mail still goes out."""
    if contact is None or contact.erased_at is not None:
        return None
    post = postal_address(contact)
    email_wish = preference.get(Consent.Channel.EMAIL)
    wants_letter = bool(post) and (email_wish is False or (
        preference.get(Consent.Channel.POST) is True and email_wish is not True))
    if contact.email and not wants_letter:
        return Channel.EMAIL, contact.email
    if post:
        return Channel.LETTER, post
    return None


def plan(assembly: Assembly, *, include_guests: bool = False) -> Plan:
    """Every voter (and, if asked, every guest with a contact) sorted by channel. Guests
    without any address are left out silently: nobody has to invite them."""
    participants = assembly.participants.select_related("contact").prefetch_related(
        Prefetch("invitations", queryset=Invitation.objects.filter(kind=Kind.INVITATION),
                 to_attr="invitation_rows")).order_by("name", "pk")
    if not include_guests:
        participants = participants.filter(kind=Participant.Kind.VOTER)
    preferences = _preferences(assembly)
    result = Plan()
    for participant in participants:
        if participant.invitation_rows:
            result.already.append(participant)
            continue
        choice = channel_for(participant.contact,
                             preferences.get(participant.contact_id, {}))
        if choice is None:
            if participant.kind == Participant.Kind.VOTER:
                result.unreachable.append(participant)
            continue
        channel, address = choice
        target = result.email if channel == Channel.EMAIL else result.letter
        target.append(Recipient(participant, channel, address))
    return result


# --- rendering ------------------------------------------------------------------------------

def personal_url(participant: Participant) -> str:
    token = participant_token(participant)
    try:
        path = reverse("assemblies:participant", args=[token])
    except NoReverseMatch:  # the phone page's route is the convention a/<token>/
        path = f"/a/{token}/"
    return settings.SITE_URL + path


def _language(participant: Participant | None) -> str:
    contact = participant.contact if participant is not None else None
    return contact.language if contact is not None and contact.language else \
        settings.LANGUAGE_CODE


def _context(assembly: Assembly, agenda_rows, participant: Participant | None,
             link: str) -> dict:
    event = assembly.event
    contact = participant.contact if participant is not None else None
    first_name = (contact.first_name if contact is not None else "") or (
        participant.name if participant is not None else "")
    return {
        "assembly": assembly, "event": event, "organisation": assembly.organisation,
        "starts": timezone.localtime(event.starts_at),
        "ends": event.ends_at and timezone.localtime(event.ends_at),
        "agenda": agenda_rows,
        "total_minutes": sum(item.minutes_estimate or 0 for _n, item in agenda_rows),
        "first_name": first_name, "link": link,
    }


def _clean_text(text: str) -> str:
    # Trailing blanks and runs of empty lines come from template tags, not from the author;
    # without them the text survives every mail transport byte for byte.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"


def render(assembly: Assembly, kind: str, participant: Participant | None, *,
           link: str | None = None, agenda_rows=None,
           language: str | None = None) -> tuple[str, str, str]:
    """Subject, text and HTML of one copy in the member's language. Without a participant, or
    with `link` given, the personal parts are placeholders (previews, the proof)."""
    if agenda_rows is None:
        agenda_rows = selectors.agenda(assembly)
    language = language or _language(participant)
    with override(language):
        if link is None:
            link = personal_url(participant) if participant is not None else \
                _("[personal link]")
        context = _context(assembly, agenda_rows, participant, link)
        if participant is None:
            context["first_name"] = _("[first name]")
        subject = " ".join(render_text(f"assemblies/email/{kind}_subject.txt",
                                       context).split())
        text = _clean_text(render_text(f"assemblies/email/{kind}_body.txt", context))
        html = render_to_string(f"assemblies/email/{kind}_body.html",
                                {**context, "subject": subject, "language": language})
    return subject, text, html


def sample_text(assembly: Assembly, kind: str = Kind.INVITATION,
                language: str | None = None) -> tuple[str, str, str]:
    """The wording every member got, with name and link as placeholders; and its hash."""
    subject, text, _html = render(assembly, kind, None,
                                  language=language or settings.LANGUAGE_CODE)
    return subject, text, content_hash(subject, text)


# --- sending --------------------------------------------------------------------------------

def _lock(assembly: Assembly) -> Assembly:
    """The assembly row, locked: two runs at the same time queue up here and the second one
    sees the first one's invitations."""
    return Assembly.objects.select_for_update(of=("self",)).select_related(
        "event", "event__place", "organisation").get(pk=assembly.pk)


def _check(assembly: Assembly, who: Plan, now, confirm_late: bool) -> None:
    if assembly.status in (Assembly.Status.IN_SESSION, Assembly.Status.CLOSED):
        raise ValidationError(_("The assembly is in session or closed: invitations can no "
                                "longer be sent."))
    if assembly.event.starts_at <= now:
        raise ValidationError(_("The assembly has begun already: invitations can no longer "
                                "be sent."))
    if not assembly.items.exists():
        raise ValidationError(_("The agenda is empty. An invitation must state the agenda: "
                                "add its items first."))
    if not (who.email or who.letter or who.unreachable or who.already):
        raise ValidationError(_("There are no voting members on the list yet: build the "
                                "list of voters first."))
    problem = lead_time_problem(assembly, at=now)
    if problem and (who.email or who.letter) and not confirm_late:
        raise ValidationError({"confirm_late": _(
            "%(problem)s To send the invitations anyway, tick “send anyway”.")
            % {"problem": problem}})


def _write(assembly: Assembly, kind: str, recipients: list[Recipient], now) -> dict:
    """Queue one message per recipient and its proof row; returns the counts by channel and
    the hash of the common wording per language."""
    agenda_rows = selectors.agenda(assembly)
    messages, proofs = [], []
    counts = {Channel.EMAIL: 0, Channel.LETTER: 0}
    languages: set[str] = set()
    for recipient in recipients:
        participant = recipient.participant
        subject, text, html = render(assembly, kind, participant, agenda_rows=agenda_rows)
        is_email = recipient.channel == Channel.EMAIL
        message = Message(
            organisation=assembly.organisation, contact=participant.contact,
            channel=Message.Channel.EMAIL if is_email else Message.Channel.LETTER,
            to_name=participant.name[:200], to_address=recipient.address, subject=subject[:300],
            body_text=text, body_html=html if is_email else "", sensitive=True,
            message_id=new_message_id(), next_attempt_at=now)
        messages.append(message)
        proofs.append(Invitation(participant=participant, kind=kind, channel=recipient.channel,
                                 address=recipient.address[:400], message=message,
                                 content_sha256=content_hash(subject[:300], text),
                                 created_at=now))
        counts[recipient.channel] += 1
        languages.add(_language(participant))
    Message.objects.bulk_create(messages, batch_size=500)
    Invitation.objects.bulk_create(proofs, batch_size=500)
    if counts[Channel.EMAIL]:
        transaction.on_commit(kick_worker)
    return {"email": counts[Channel.EMAIL], "letter": counts[Channel.LETTER],
            "wording_sha256": {language: sample_text(assembly, kind, language)[2]
                               for language in sorted(languages)}}


def invitation_send(*, assembly: Assembly, actor, at=None, confirm_late: bool = False,
                    include_guests: bool = False) -> Summary:
    """Invite every voter who has no invitation yet (and guests with an address, if asked).

    Safe to run again and at the same time as another run: each member is invited once
    (the assembly's row lock, and a unique constraint behind it). Sending later than the
    statutes' lead time needs `confirm_late`."""
    now = at or timezone.now()
    summary: Summary | None = None
    scheduled = False
    while True:
        with transaction.atomic():
            locked = _lock(assembly)
            who = plan(locked, include_guests=include_guests)
            if summary is None:
                _check(locked, who, now, confirm_late)
                summary = Summary(unreachable=len(who.unreachable),
                                  skipped_already=len(who.already))
            batch = who.to_send[:BATCH]
            if not batch:
                break
            written = _write(locked, Kind.INVITATION, batch, now)
            summary.sent_email += written["email"]
            summary.sent_letter += written["letter"]
            changes = {"invitations": written}
            if locked.invited_at is None:
                changes["invited_at"] = [None, now.isoformat()]
                locked.invited_at = now
            if locked.status == Assembly.Status.PREPARING:
                changes["status"] = [locked.status, Assembly.Status.INVITED]
                locked.status = Assembly.Status.INVITED
            locked.save(update_fields=["invited_at", "status", "updated_at"])
            audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                         changes=changes, object_repr=f"{locked}: invitations sent"[:200])
            live.bump(locked.pk)
            if not scheduled:
                scheduled = True
                transaction.on_commit(lambda pk=locked.pk: schedule_reminder(pk))
    assembly.refresh_from_db(fields=["invited_at", "status"])
    return summary


# --- the reminder ---------------------------------------------------------------------------

def reminder_due_at(assembly: Assembly):
    """When the reminder goes out; None when the statutes want none (0 days)."""
    if not assembly.reminder_days:
        return None
    return assembly.event.starts_at - timedelta(days=assembly.reminder_days)


def _reminder_recipients(assembly: Assembly) -> list[Recipient]:
    """Those invited who have no reminder yet, by the channel of their invitation. Whoever was
    invited after the reminder was due has just read everything the reminder says."""
    due = reminder_due_at(assembly)
    invitations = Invitation.objects.filter(
        participant__assembly=assembly, kind=Kind.INVITATION).exclude(
        participant__invitations__kind=Kind.REMINDER).select_related(
        "participant", "participant__contact").order_by("participant_id")
    if due is not None:
        invitations = invitations.filter(created_at__lt=due)
    recipients = []
    for invitation in invitations:
        contact = invitation.participant.contact
        # The current address on the same channel; the one invited to if it was removed since.
        address = ""
        if contact is not None and contact.erased_at is None:
            address = contact.email if invitation.channel == Channel.EMAIL \
                else postal_address(contact)
        elif contact is not None:
            continue  # erased since: nobody to remind
        recipients.append(Recipient(invitation.participant, invitation.channel,
                                    address or invitation.address))
    return recipients


def reminder_send(*, assembly: Assembly, actor, at=None) -> int:
    """Remind everyone invited, once, by the channel they were invited by. Returns how many."""
    now = at or timezone.now()
    sent = 0
    first = True
    while True:
        with transaction.atomic():
            locked = _lock(assembly)
            if first:
                first = False
                if locked.status != Assembly.Status.INVITED:
                    raise ValidationError(_("A reminder needs invitations that have gone out, "
                                            "and an assembly that has not begun."))
                if locked.event.starts_at <= now:
                    raise ValidationError(_("The assembly has begun already."))
            batch = _reminder_recipients(locked)[:BATCH]
            if not batch:
                break
            written = _write(locked, Kind.REMINDER, batch, now)
            sent += written["email"] + written["letter"]
            changes = {"reminders": written}
            if locked.reminded_at is None:
                changes["reminded_at"] = [None, now.isoformat()]
                locked.reminded_at = now
                locked.save(update_fields=["reminded_at", "updated_at"])
            audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                         changes=changes, object_repr=f"{locked}: reminders sent"[:200])
    return sent


def schedule_reminder(assembly_id: int) -> None:
    """Enqueue the reminder for its time. The task checks again when it runs, so a moved
    assembly leaves an early task with nothing to do; `assemblies_tick` is the safety net."""
    from mitmachen.assemblies.tasks import assembly_remind

    assembly = Assembly.objects.select_related("event").filter(pk=assembly_id).first()
    due = reminder_due_at(assembly) if assembly is not None else None
    if due is None or due <= timezone.now():
        return
    if not assembly_remind.get_backend().supports_defer:
        return  # a backend without timed tasks: `mitmachen assemblies_tick` sends it
    try:
        assembly_remind.using(run_after=due).enqueue(assembly_id)
    except Exception:  # the backend cannot defer: `mitmachen assemblies_tick` sends it
        import logging

        logging.getLogger("mitmachen.assemblies").exception("could not schedule a reminder")


def reminder_if_due(assembly_id: int, now=None) -> int:
    """The reminder, if its time has come and the assembly still lies ahead; else nothing."""
    now = now or timezone.now()
    assembly = Assembly.objects.select_related("event").filter(pk=assembly_id).first()
    if assembly is None or assembly.status != Assembly.Status.INVITED:
        return 0
    due = reminder_due_at(assembly)
    if due is None or due > now or assembly.event.starts_at <= now:
        return 0
    try:
        return reminder_send(assembly=assembly, actor=None, at=now)
    except ValidationError:  # it began or was closed in the meantime
        return 0


def reminders_due(now=None) -> int:
    """Every reminder that is due and not yet sent (the cron safety net). Returns how many."""
    now = now or timezone.now()
    upcoming = Assembly.objects.filter(
        status=Assembly.Status.INVITED, reminder_days__gt=0, event__starts_at__gt=now,
        event__starts_at__lte=now + timedelta(days=61)).values_list("pk", flat=True)
    return sum(reminder_if_due(pk, now) for pk in list(upcoming))


# --- letters --------------------------------------------------------------------------------

def letter_messages(assembly: Assembly, kind: str = Kind.INVITATION):
    """This assembly's letters of `kind` still in the outbox, with their invitation rows."""
    return Invitation.objects.filter(
        participant__assembly=assembly, kind=kind, channel=Channel.LETTER,
        message__isnull=False, message__status__in=[Message.Status.QUEUED,
                                                    Message.Status.SENT]).select_related(
        "participant", "participant__contact", "message")


def letters_posted(*, assembly: Assembly, actor, kind: str = Kind.INVITATION) -> int:
    """The printed letters have been posted: their outbox rows count as sent from now on."""
    if kind not in Kind.values:
        raise ValidationError(_("Unknown kind of letter."))
    with transaction.atomic():
        ids = Invitation.objects.filter(participant__assembly=assembly, kind=kind,
                                        channel=Channel.LETTER).values("message_id")
        count = Message.objects.filter(pk__in=ids, status=Message.Status.QUEUED).update(
            status=Message.Status.SENT, sent_at=timezone.now())
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=assembly,
                     changes={f"{kind}_letters_posted": count},
                     object_repr=f"{assembly}: letters posted"[:200])
    return count


# --- the proof ------------------------------------------------------------------------------

@dataclass
class ProofRow:
    participant: Participant
    invitation: Invitation | None
    reminder: Invitation | None


@dataclass
class Proof:
    rows: list[ProofRow]
    eligible: int
    by_email: int
    by_letter: int
    not_invited: int
    reminded: int
    wordings: list[dict]  # see wordings()


def proof(assembly: Assembly) -> Proof:
    """Every voter, and every guest who was invited: channel, address, time, hash."""
    participants = assembly.participants.select_related("contact").prefetch_related(
        Prefetch("invitations", queryset=Invitation.objects.select_related("message"),
                 to_attr="proof_rows")).order_by("kind", "name", "pk")
    rows = []
    for participant in participants:
        found = {invitation.kind: invitation for invitation in participant.proof_rows}
        if participant.kind == Participant.Kind.GUEST and not found:
            continue
        rows.append(ProofRow(participant, found.get(Kind.INVITATION), found.get(Kind.REMINDER)))
    voters = [r for r in rows if r.participant.kind == Participant.Kind.VOTER]
    return Proof(
        rows=rows, eligible=len(voters),
        by_email=sum(1 for r in voters if r.invitation and r.invitation.channel == Channel.EMAIL),
        by_letter=sum(1 for r in voters
                      if r.invitation and r.invitation.channel == Channel.LETTER),
        not_invited=sum(1 for r in voters if r.invitation is None),
        reminded=sum(1 for r in rows if r.reminder is not None),
        wordings=wordings(assembly))


def wordings(assembly: Assembly) -> list[dict]:
    """The common wording of the invitation per language (name and link as placeholders) as it
    reads today, and the hashes recorded when it was sent. When today's hash is not among
    them, the agenda or the text changed after sending, and the page says so."""
    recorded: dict[str, list[str]] = {}
    entries = AuditEntry.objects.filter(
        object_type="assemblies.assembly", object_id=str(assembly.pk),
        action=AuditEntry.Action.UPDATE).order_by("created_at", "id").values_list(
        "changes", flat=True)
    for changes in entries:
        sent = changes.get("invitations") if isinstance(changes, dict) else None
        if isinstance(sent, dict) and isinstance(sent.get("wording_sha256"), dict):
            for language, digest in sent["wording_sha256"].items():
                known = recorded.setdefault(language, [])
                if digest not in known:
                    known.append(digest)
    result = []
    for language, digests in recorded.items():
        subject, text, current = sample_text(assembly, Kind.INVITATION, language)
        result.append({"language": language, "sent": digests, "subject": subject,
                       "text": text, "sha256": current, "changed": current not in digests})
    return result


def letters_pdf(assembly: Assembly, kind: str = Kind.INVITATION, *,
                by_postcode: bool = False) -> bytes:
    """This assembly's letters of `kind` in one PDF (DIN 5008 form B, window envelopes), each
    with the member's check-in QR code, then the list of recipients."""
    from weasyprint import HTML

    from mitmachen.assemblies.access import checkin_code
    from mitmachen.assemblies.qr import checkin_svg

    rows = list(letter_messages(assembly, kind))
    if by_postcode:
        rows.sort(key=lambda i: ((i.message.to_address.splitlines()[-1:] or [""])[0],
                                 i.participant.name))
    else:
        rows.sort(key=lambda i: (i.participant.name, i.pk))
    letters = []
    for invitation in rows:
        message, participant = invitation.message, invitation.participant
        with override(_language(participant)):
            caption = _("Your check-in code: show it at the door, and you are in at once.")
        letters.append({
            "invitation": invitation, "message": message,
            "address": message.to_address.splitlines(),
            "paragraphs": [p for p in message.body_text.split("\n\n") if p.strip()],
            "qr": checkin_svg(participant, scale=3), "code": checkin_code(participant),
            "caption": caption, "date": timezone.localdate(invitation.created_at),
        })
    html = render_to_string("assemblies/letter_invitation.html", {
        "assembly": assembly, "organisation": assembly.organisation, "letters": letters,
        "kind": kind})
    return HTML(string=html).write_pdf()
