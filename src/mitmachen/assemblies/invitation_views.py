"""The board's invitation page: preview, who gets what, the lead-time warning, sending, the
reminder, the letters to print, and the proof of invitation for the minutes.

Every page here shows or exports members' names and addresses: Perm.ASSEMBLY_MANAGE only,
and each view is logged as a read of personal data."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from mitmachen.assemblies import invitations
from mitmachen.assemblies.access import staff_assembly
from mitmachen.assemblies.models import Assembly, Invitation, Participant
from mitmachen.assemblies.services import lead_time_problem
from mitmachen.assemblies.views import lead_forecast
from mitmachen.core.audit import audit_read
from mitmachen.core.errors import add_to_form, text_of
from mitmachen.core.spreadsheets import CSV_TYPE, csv_bytes
from mitmachen.messaging.models import Message

Kind = Invitation.Kind


class SendForm(forms.Form):
    confirm_late = forms.BooleanField(
        required=False, label=gettext_lazy("Send anyway, although the lead time is not kept"))
    include_guests = forms.BooleanField(
        required=False, label=gettext_lazy("Invite the guests who have an address as well"))


def _kind(request) -> str:
    kind = request.GET.get("kind", "")
    return kind if kind in Kind.values else Kind.INVITATION


def _page_context(request, assembly: Assembly, form: SendForm | None = None) -> dict:
    who = invitations.plan(assembly, include_guests=True)
    voter = Participant.Kind.VOTER
    voters_email = [r for r in who.email if r.participant.kind == voter]
    voters_letter = [r for r in who.letter if r.participant.kind == voter]
    guests = len(who.email) + len(who.letter) - len(voters_email) - len(voters_letter)
    sample = next((r.participant for r in voters_email + voters_letter), None)
    if sample is None:
        sample = assembly.participants.filter(kind=Participant.Kind.VOTER).select_related(
            "contact").order_by("name", "pk").first()
    # The preview names a member but never shows a real link: it would let staff vote for them.
    preview = invitations.render(assembly, Kind.INVITATION, sample,
                                 link=_("[personal link]"))
    sent = Invitation.objects.filter(participant__assembly=assembly)
    by_kind_channel = {(k, c): n for k, c, n in sent.values("kind", "channel").annotate(
        n=Count("pk")).values_list("kind", "channel", "n")}
    letters = {kind: invitations.letter_messages(assembly, kind).filter(
        message__status=Message.Status.QUEUED).count() for kind in Kind.values}
    proof_rows = sent.filter(kind=Kind.INVITATION).select_related(
        "participant", "message").order_by("participant__name", "participant_id")
    open_for_sending = assembly.status in (Assembly.Status.PREPARING, Assembly.Status.INVITED)
    reminded = sum(n for (k, _c), n in by_kind_channel.items() if k == Kind.REMINDER)
    reminder_due = invitations.reminder_due_at(assembly)
    invited = assembly.invited_at is not None
    # Sending now (to whoever is still to be invited) needs the box ticked when it is late.
    sending_late = lead_forecast(assembly) if open_for_sending and (
        voters_email or voters_letter or guests) else ""
    return {
        "assembly": assembly, "organisation": assembly.organisation, "tab": "invitation",
        # What happened once invited; before that, what inviting today would mean.
        "problem": lead_time_problem(assembly) if invited else sending_late,
        "sending_late": sending_late,
        "plan": who, "voters_email": len(voters_email), "voters_letter": len(voters_letter),
        "guests_to_invite": guests, "already": len(who.already),
        "unreachable": who.unreachable, "preview": preview, "sample": sample,
        "form": form or SendForm(), "can_send": open_for_sending,
        "has_items": assembly.items.exists(),
        "sent_email": by_kind_channel.get((Kind.INVITATION, Invitation.Channel.EMAIL), 0),
        "sent_letter": by_kind_channel.get((Kind.INVITATION, Invitation.Channel.LETTER), 0),
        "reminded": reminded, "reminder_due": reminder_due,
        "reminder_state": _reminder_state(assembly, reminder_due, reminded),
        "can_remind": assembly.status == Assembly.Status.INVITED
        and assembly.event.starts_at > timezone.now(),
        "letters_invitation": letters[Kind.INVITATION],
        "letters_reminder": letters[Kind.REMINDER],
        "page": Paginator(proof_rows, 50).get_page(request.GET.get("page")),
    }


def _reminder_state(assembly: Assembly, due, reminded: int) -> str:
    """What to say about the reminder: "none" (the statutes want none), "ahead" (it goes out by
    itself), "missed" (its day has passed and members invited before it still wait for it),
    "sent", or "not_needed" (nobody was invited before it was due: invitations sent after that
    day say everything a reminder would; see invitations._reminder_recipients)."""
    if due is None:
        return "none"
    if due > timezone.now():
        return "ahead"
    waiting = Invitation.objects.filter(
        participant__assembly=assembly, kind=Kind.INVITATION, created_at__lt=due).exclude(
        participant__invitations__kind=Kind.REMINDER).exists()
    if waiting:
        return "missed"
    return "sent" if reminded else "not_needed"


@login_required
@require_GET
def invitation_page(request, slug, pk):
    assembly = staff_assembly(request, slug, pk)
    context = _page_context(request, assembly)
    audit_read(actor=request.user, obj=assembly, organisation=assembly.organisation,
               what=f"assembly {assembly.pk}: invitations")
    return render(request, "assemblies/invitation.html", context)


@login_required
@require_POST
def invitation_send(request, slug, pk):
    assembly = staff_assembly(request, slug, pk)
    form = SendForm(request.POST)
    form.is_valid()  # two checkboxes: always valid
    try:
        summary = invitations.invitation_send(
            assembly=assembly, actor=request.user,
            confirm_late=form.cleaned_data["confirm_late"],
            include_guests=form.cleaned_data["include_guests"])
    except ValidationError as exc:
        add_to_form(form, exc)
        messages.error(request, text_of(exc))
        return render(request, "assemblies/invitation.html",
                      _page_context(request, assembly, form), status=400)
    if summary.sent_email or summary.sent_letter:
        messages.success(request, _(
            "Invitations sent: %(email)d by e-mail, %(letter)d by letter.") % {
            "email": summary.sent_email, "letter": summary.sent_letter})
    else:
        messages.info(request, _("Everyone who can be invited has the invitation already."))
    if summary.unreachable:
        messages.warning(request, _(
            "%(n)d members cannot be invited: they have neither an e-mail nor a postal "
            "address.") % {"n": summary.unreachable})
    return redirect("assemblies:invitation", slug=slug, pk=pk)


@login_required
@require_POST
def reminder_send(request, slug, pk):
    assembly = staff_assembly(request, slug, pk)
    try:
        count = invitations.reminder_send(assembly=assembly, actor=request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        if count:
            messages.success(request, _("Reminders sent: %(n)d.") % {"n": count})
        else:
            messages.info(request, _("Everyone invited has the reminder already."))
    return redirect("assemblies:invitation", slug=slug, pk=pk)


@login_required
@require_POST
def letters_posted(request, slug, pk):
    assembly = staff_assembly(request, slug, pk)
    kind = request.POST.get("kind", "")
    try:
        count = invitations.letters_posted(assembly=assembly, actor=request.user, kind=kind)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("%(n)d letters marked as posted.") % {"n": count})
    return redirect("assemblies:invitation", slug=slug, pk=pk)


@login_required
@require_GET
def invitation_letters(request, slug, pk):
    assembly = staff_assembly(request, slug, pk)
    kind = _kind(request)
    if not invitations.letter_messages(assembly, kind).exists():
        messages.info(request, _("There are no letters to print."))
        return redirect("assemblies:invitation", slug=slug, pk=pk)
    pdf = invitations.letters_pdf(assembly, kind,
                                  by_postcode=request.GET.get("order") == "postcode")
    audit_read(actor=request.user, obj=assembly, organisation=assembly.organisation,
               what=f"assembly {assembly.pk}: {kind} letters PDF")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{assembly.pk}.pdf"'
    return response


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M") if value else ""


def _status(invitation: Invitation | None) -> str:
    if invitation is None:
        return _("not invited")
    message = invitation.message
    if message is None:
        return _("no longer in the outbox")
    if message.bounced_at:
        return _("bounced: %(reason)s") % {"reason": message.bounce_reason or "–"}
    if invitation.channel == Invitation.Channel.LETTER and \
            message.status == Message.Status.QUEUED:
        return _("to be posted")
    return message.get_status_display()


def _csv(assembly: Assembly, proof: invitations.Proof) -> HttpResponse:
    header = [_("Name"), _("Membership number"), _("Participation"), _("Channel"),
              _("Address"), _("Invited"), _("Status"), _("Delivered"), _("SHA-256"),
              _("Reminded"), _("SHA-256 of the reminder")]
    rows = []
    for row in proof.rows:
        invitation, reminder = row.invitation, row.reminder
        contact = row.participant.contact
        rows.append([
            row.participant.name, contact.membership_number if contact else "",
            row.participant.get_kind_display(),
            invitation.get_channel_display() if invitation else "",
            invitation.address.replace("\n", ", ") if invitation else "",
            _when(invitation.created_at) if invitation else "", _status(invitation),
            _when(invitation.message.sent_at) if invitation and invitation.message else "",
            invitation.content_sha256 if invitation else "",
            _when(reminder.created_at) if reminder else "",
            reminder.content_sha256 if reminder else "",
        ])
    response = HttpResponse(csv_bytes(header, rows), content_type=CSV_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="einladungsnachweis-{assembly.pk}.csv"')
    return response


@login_required
@require_GET
def invitation_proof(request, slug, pk):
    assembly = staff_assembly(request, slug, pk)
    proof = invitations.proof(assembly)
    as_csv = request.GET.get("format") == "csv"
    audit_read(actor=request.user, obj=assembly, organisation=assembly.organisation,
               what=f"assembly {assembly.pk}: proof of invitation{' (CSV)' if as_csv else ''}")
    if as_csv:
        return _csv(assembly, proof)
    rows = [{"row": row, "status": _status(row.invitation)} for row in proof.rows]
    return render(request, "assemblies/invitation_proof.html", {
        "assembly": assembly, "organisation": assembly.organisation, "tab": "invitation",
        "proof": proof, "rows": rows,
        "problem": lead_time_problem(assembly) if assembly.invited_at else "",
        "now": timezone.now()})


STAFF = "staff/<slug:slug>/assemblies/<int:pk>/invitation/"

urlpatterns = [
    path(STAFF, invitation_page, name="invitation"),
    path(f"{STAFF}send/", invitation_send, name="invitation_send"),
    path(f"{STAFF}remind/", reminder_send, name="invitation_remind"),
    path(f"{STAFF}proof/", invitation_proof, name="invitation_proof"),
    path(f"{STAFF}letters.pdf", invitation_letters, name="invitation_letters"),
    path(f"{STAFF}letters/posted/", letters_posted, name="invitation_letters_posted"),
]
