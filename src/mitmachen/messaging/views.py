from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from mitmachen.core.audit import audit_read
from mitmachen.core.errors import add_to_form, text_of
from mitmachen.core.paging import page_of
from mitmachen.core.roles import Perm
from mitmachen.core.tenancy import owned_or_404, staff_organisation
from mitmachen.messaging import letters, mailings, outbox, whatsapp
from mitmachen.messaging.forms import MailingForm, ScheduleForm, kind_choices
from mitmachen.messaging.models import Mailing, Message

ERASED = "recipient erased"


def _base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@login_required
def mailing_list(request, slug):
    organisation = staff_organisation(request, slug, Perm.MAILING_SEND)
    history = Mailing.objects.filter(organisation=organisation).annotate(
        total=Count("messages"),
        sent=Count("messages", filter=Q(messages__status=Message.Status.SENT)),
        failed=Count("messages", filter=Q(messages__status=Message.Status.FAILED)),
        bounced=Count("messages", filter=Q(messages__bounced_at__isnull=False)))
    failures = Message.objects.filter(organisation=organisation,
                                      status=Message.Status.FAILED).exclude(
        last_error=ERASED)[:50]
    bounced = Message.objects.filter(organisation=organisation,
                                     bounced_at__isnull=False).exclude(
        to_address="[erased]").select_related("contact").order_by("-bounced_at")[:50]
    return render(request, "messaging/mailing_list.html", {
        "organisation": organisation, "mailings": history, "failures": failures,
        "bounced": bounced})


@login_required
def mailing_create(request, slug):
    organisation = staff_organisation(request, slug, Perm.MAILING_SEND)
    initial = {"query": request.GET.get("query", ""),
               "audience": "contacts" if request.GET.get("query") else "members"}
    form = MailingForm(request.POST or None, organisation=organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            mailing = mailings.mailing_create(
                organisation=organisation, subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"], purpose=form.cleaned_data["purpose"],
                kind=form.cleaned_data["kind"], audience=form.audience_value(),
                actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            return redirect("messaging:mailing_detail", slug=slug, pk=mailing.pk)
    if request.method == "POST":
        messages.error(request, _("Please correct the errors below. Nothing was saved."))
    return render(request, "messaging/mailing_form.html",
                  {"organisation": organisation, "form": form})


@login_required
def mailing_detail(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.MAILING_SEND)
    mailing = owned_or_404(Mailing, organisation, pk=pk)
    context = {"organisation": organisation, "mailing": mailing,
               "schedule_form": ScheduleForm(),
               "kind_label": dict(kind_choices())[mailing.kind]}
    if mailing.status in {Mailing.Status.DRAFT, Mailing.Status.SCHEDULED}:
        who = mailings.plan(mailing)
        recipients = who.email + who.letter + who.messenger
        preview_for = next((c for c in recipients
                            if str(c.pk) == request.GET.get("preview")), None)
        preview_for = preview_for or (recipients[0] if recipients else None)
        preview = mailings.render(mailing, preview_for, _base(request)) if preview_for else None
        context.update(plan=who, recipients=recipients[:500], preview_for=preview_for,
                       preview=preview)
    else:
        counts = dict(mailing.messages.values_list("status").annotate(n=Count("id")))
        total = sum(counts.values())
        context.update(counts=counts, total=total, percent=round(
            100 * counts.get("sent", 0) / total) if total else 100,
            page=page_of(mailing.messages.order_by("to_name", "id"),
                         request.GET.get("page"), selective=False),
            letters=mailing.messages.filter(channel=Message.Channel.LETTER).count(),
            # With the Cloud API the worker sends them; the phone links are for doing it by hand.
            whatsapp=None if whatsapp.configured()
            else mailing.messages.filter(channel=Message.Channel.WHATSAPP))
    polling = request.htmx_target == "progress"
    if not polling:  # the progress bar asks every 2 s; the page view is what gets logged
        audit_read(actor=request.user, obj=mailing, organisation=organisation,
                   what=f"mailing {mailing.pk}: recipients")
    template = "messaging/_progress.html" if polling else "messaging/mailing_detail.html"
    return render(request, template, context)


@login_required
@require_POST
def mailing_test(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.MAILING_SEND)
    mailing = owned_or_404(Mailing, organisation, pk=pk)
    contact = mailings.recipient(mailing, request.POST.get("contact", ""))
    if contact is None:
        messages.error(request, _("Choose a recipient for the preview first."))
    else:
        mailings.test_send(mailing=mailing, contact=contact, to_email=request.user.email,
                           base_url=_base(request))
        messages.success(request, _("A test copy is on its way to %(email)s.")
                         % {"email": request.user.email})
    return redirect("messaging:mailing_detail", slug=slug, pk=mailing.pk)


@login_required
@require_POST
def mailing_send(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.MAILING_SEND)
    mailing = owned_or_404(Mailing, organisation, pk=pk)
    form = ScheduleForm(request.POST)
    when = form.cleaned_data["when"] if form.is_valid() else None
    if not form.is_valid() or (when is not None and when <= timezone.now()):
        messages.error(request, _("Choose a time in the future, or send now."))
        return redirect("messaging:mailing_detail", slug=slug, pk=mailing.pk)
    try:
        mailings.mailing_send(mailing=mailing, actor=request.user, base_url=_base(request),
                              when=when)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("The mailing is scheduled.") if when
                         else _("The mailing is on its way."))
    return redirect("messaging:mailing_detail", slug=slug, pk=mailing.pk)


@login_required
def mailing_letters(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.MAILING_SEND)
    mailing = owned_or_404(Mailing, organisation, pk=pk)
    pdf = letters.letters_pdf(mailing, by_postcode=request.GET.get("order") == "postcode")
    audit_read(actor=request.user, obj=mailing, organisation=organisation,
               what=f"mailing {mailing.pk}: letters PDF")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="letters-{mailing.pk}.pdf"'
    return response


@login_required
@require_POST
def mailing_manual_done(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.MAILING_SEND)
    mailing = owned_or_404(Mailing, organisation, pk=pk)
    try:
        count = mailings.manual_done(mailing=mailing, channel=request.POST.get("channel", ""),
                                     actor=request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("%(n)d messages marked as sent.") % {"n": count})
    return redirect("messaging:mailing_detail", slug=slug, pk=mailing.pk)


@login_required
@require_POST
def message_retry(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.MAILING_SEND)
    message = owned_or_404(Message, organisation, pk=pk)
    outbox.retry(message=message, actor=request.user)
    messages.success(request, _("The message will be sent again."))
    return redirect("messaging:mailing_list", slug=slug)


@csrf_exempt  # RFC 8058 one-click unsubscribe posts from the mail program, without a form
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    done = error = None
    if request.method == "POST":
        try:
            done = mailings.unsubscribe(token=token)
        except ValidationError as exc:
            error = text_of(exc)
    return render(request, "messaging/unsubscribe.html", {"done": done, "error": error},
                  status=400 if error else 200)


@login_required
def distribution_lists(request, slug):
    from mitmachen.groups.models import Group
    from mitmachen.messaging.lists import MESSENGERS, distribution_list
    from mitmachen.people.models import Consent

    organisation = staff_organisation(request, slug, Perm.MAILING_SEND)
    channel = request.GET.get("channel", Consent.Channel.SIGNAL)
    if channel not in MESSENGERS:
        channel = Consent.Channel.SIGNAL
    group = Group.objects.filter(organisation=organisation,
                                 pk=request.GET.get("group") or 0).first()
    people = distribution_list(organisation, channel, group)
    audit_read(actor=request.user, organisation=organisation,
               what=f"distribution list {channel} {group.name if group else 'all'}"[:200])
    if request.GET.get("format") == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow([_("Name"), _("Number")])
        for contact in people:
            writer.writerow([contact.full_name, contact.messenger_phone])
        response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="verteiler-{channel}.csv"'
        return response
    return render(request, "messaging/lists.html", {
        "organisation": organisation, "people": people, "channel": channel, "group": group,
        "groups": Group.objects.filter(organisation=organisation).exclude(status="dissolved"),
        "channels": [(c, Consent.Channel(c).label) for c in MESSENGERS]})
