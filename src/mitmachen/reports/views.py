"""The officers' pages of the reporting channel.

Every page passes the gate (gate.officer_page): login, the officer role for the organisation,
two factors, a key pair, and, for anything that decrypts or changes a report, the key unlocked
in this browser. The pages decrypt only for the request at hand and keep nothing; every answer
carries Cache-Control: no-store.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from mitmachen.core import mfa
from mitmachen.core.errors import add_to_form
from mitmachen.core.models import AuditEntry
from mitmachen.core.spreadsheets import CSV_TYPE, csv_bytes
from mitmachen.reports import access, retention, selectors, services
from mitmachen.reports.forms import (
    DeleteForm,
    EntryForm,
    GrantForm,
    KeyCreateForm,
    KeyResetForm,
    PassphraseForm,
    ReplyForm,
    SettingsForm,
    StatusFilterForm,
    UnlockForm,
    UpdateForm,
)
from mitmachen.reports.gate import (
    delete_key_cookie,
    officer_page,
    set_key_cookie,
    uploads_in_memory,
)
from mitmachen.reports.models import (
    Attachment,
    OfficerKey,
    Report,
    ReportKey,
    Status,
    Wish,
)

NOT_SAVED = gettext_lazy("Please correct the errors below. Nothing was saved.")
SUPPRESSED = "<3"


def _report(organisation, number: int) -> Report:
    """The organisation's report by its number; one past its deletion day is gone already."""
    report = get_object_or_404(Report, organisation=organisation, number=number)
    if report.expires_on <= timezone.localdate():
        raise Http404
    return report


def _next_or(request, url: str | None, fallback: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return fallback


def _no_access(request, organisation, report):
    return render(request, "reports/no_access.html",
                  {"organisation": organisation, "report": report}, status=403)


# --- key: set-up, unlock, lock, passphrase ---------------------------------------------------

@sensitive_post_parameters("passphrase", "confirm", "code")
@officer_page(unlocked=False, two_factor=False, key=False)
def setup(request, slug, *, organisation, private_key):
    user = request.user
    enrolled = mfa.is_enrolled(user)
    has_key = OfficerKey.objects.filter(user=user).exists()
    create_form = KeyCreateForm(prefix="create")
    reset_form = KeyResetForm(prefix="reset")
    if request.method == "POST":
        action = request.POST.get("action") if enrolled else None
        if action == "create" and not has_key:
            create_form = KeyCreateForm(request.POST, prefix="create")
            if create_form.is_valid():
                try:
                    access.officer_key_create(user=user,
                                              passphrase=create_form.cleaned_data["passphrase"])
                except ValidationError as exc:
                    add_to_form(create_form, exc)
                else:
                    messages.success(request, _("Your key is ready. Unlock it with your "
                                                "passphrase and a code to read reports."))
                    return redirect("reports:unlock", slug=organisation.slug)
        elif action == "reset" and has_key:
            reset_form = KeyResetForm(request.POST, prefix="reset")
            if reset_form.is_valid():
                # A new key gives up every report this officer can read: only with a fresh code.
                if not mfa.totp_verify(user=user, code=reset_form.cleaned_data["code"]):
                    reset_form.add_error("code", _("The code is wrong or was already used."))
                else:
                    try:
                        access.officer_key_reset(
                            user=user, passphrase=reset_form.cleaned_data["passphrase"])
                    except ValidationError as exc:
                        add_to_form(reset_form, exc)
                    else:
                        access.lock(request)
                        messages.warning(request, _(
                            "You have a new key. Reports you could read before stay closed to "
                            "you until another officer grants you access again."))
                        response = redirect("reports:unlock", slug=organisation.slug)
                        delete_key_cookie(response)
                        return response
        else:
            return redirect("reports:setup", slug=organisation.slug)
        messages.error(request, NOT_SAVED)
    return render(request, "reports/setup.html", {
        "organisation": organisation, "enrolled": enrolled, "has_key": has_key,
        "create_form": create_form, "reset_form": reset_form,
        "mfa_url": f"{reverse('core:mfa_setup')}?next="
                   f"{reverse('reports:setup', args=[organisation.slug])}",
    })


def _held_elsewhere(request) -> bool:
    """Does the session still hold an unlocked key whose cookie this request did not bring?
    That happens after following a link from another site (an e-mail in a web mailer): the
    cookie is SameSite=Strict, so a click from here brings it again."""
    import time

    held = request.session.get(access.SESSION_KEY)
    return (isinstance(held, dict) and held.get("user") == request.user.pk
            and held.get("until", 0) > time.time() and access.COOKIE not in request.COOKIES)


@sensitive_post_parameters("passphrase", "code")
@officer_page(unlocked=False, verified=False)
def unlock(request, slug, *, organisation, private_key):
    inbox_url = reverse("reports:inbox", args=[organisation.slug])
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    target = _next_or(request, next_url, inbox_url)
    if request.method == "GET" and access.unlocked_key(request) is not None:
        return redirect(target)
    form = UnlockForm(request.POST or None, initial={"next": next_url})
    if request.method == "POST" and form.is_valid():
        try:
            client_key = access.unlock(request=request,
                                       passphrase=form.cleaned_data["passphrase"],
                                       code=form.cleaned_data["code"])
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            response = redirect(target)
            set_key_cookie(response, client_key)
            return response
    return render(request, "reports/unlock.html", {
        "organisation": organisation, "form": form,
        "continue_url": target if request.method == "GET" and _held_elsewhere(request) else "",
    })


@require_POST
@officer_page(unlocked=False, verified=False, key=False)
def lock(request, slug, *, organisation, private_key):
    access.lock(request)
    messages.success(request, _("The reports are locked. Unlock them again with your passphrase "
                                "and a code."))
    response = redirect("reports:unlock", slug=organisation.slug)
    delete_key_cookie(response)
    return response


@sensitive_post_parameters("passphrase", "new_passphrase", "confirm")
@officer_page()
def passphrase(request, slug, *, organisation, private_key):
    form = PassphraseForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            new = form.cleaned_data["new_passphrase"]
            try:
                access.passphrase_change(user=request.user,
                                         old=form.cleaned_data["passphrase"], new=new)
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                # A new passphrase comes with a new key pair: the key this session holds is
                # the old one and opens nothing any more. Keep the new one instead.
                client_key = access.session_store(
                    request, access.private_key_open(user=request.user, passphrase=new))
                messages.success(request, _("Your passphrase has been changed. Use the new one "
                                            "from now on."))
                response = redirect("reports:inbox", slug=organisation.slug)
                set_key_cookie(response, client_key)
                return response
        messages.error(request, NOT_SAVED)
    return render(request, "reports/passphrase.html", {"organisation": organisation,
                                                       "form": form})


# --- the inbox and a report ------------------------------------------------------------------

@officer_page()
def inbox(request, slug, *, organisation, private_key):
    # Lazy deletion: whatever has expired goes before the list is shown, even without the tick.
    retention.expire(organisation=organisation)
    today = timezone.localdate()
    warning_days = services.channel_settings(organisation).warning_days
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    rows = selectors.inbox(organisation=organisation, officer=request.user, status=status)
    for report in rows:
        report.overdue = bool(report.deadline and report.deadline < today
                              and report.status != Status.CLOSED)
        report.expires_soon = report.expires_on - timedelta(days=warning_days) <= today
    missing = access.missing_access(organisation)
    return render(request, "reports/inbox.html", {
        "organisation": organisation, "form": form, "rows": rows, "status": status,
        "missing": [(user, count, user.pk == request.user.pk) for user, count in missing],
        "form_url": request.build_absolute_uri(reverse("reports:form",
                                                       args=[organisation.slug])),
    })


def _detail_context(request, organisation, report, opened, **forms) -> dict:
    by_message = {}
    initial_files = []
    for item in opened.attachments:
        if item["message_id"] is None:
            initial_files.append(item)
        else:
            by_message.setdefault(item["message_id"], []).append(item)
    conversation = [{**m, "files": by_message.get(m["id"], [])} for m in opened.messages]
    content = opened.content
    wish = content.get("wish", "")
    return {
        "organisation": organisation, "report": report, "content": content,
        "wish": Wish(wish).label if wish in Wish.values else wish,
        "files": initial_files, "conversation": conversation, "entries": opened.entries,
        "today": timezone.localdate(),
        "reply_form": forms.get("reply_form") or ReplyForm(prefix="reply"),
        "entry_form": forms.get("entry_form") or EntryForm(prefix="entry"),
        "update_form": forms.get("update_form") or UpdateForm(prefix="update", initial={
            "status": report.status, "category": report.category,
            "deadline": report.deadline}),
        "delete_form": forms.get("delete_form") or DeleteForm(prefix="delete"),
        "closed": report.status == Status.CLOSED,
    }


def _detail_page(request, organisation, report, private_key, **forms):
    try:
        opened = services.report_open(report=report, officer=request.user,
                                      private_key=private_key)
    except PermissionDenied:
        return _no_access(request, organisation, report)
    except services.ReportGone:
        raise Http404 from None
    return render(request, "reports/detail.html",
                  _detail_context(request, organisation, opened.report, opened, **forms))


@officer_page()
def detail(request, slug, number, *, organisation, private_key):
    return _detail_page(request, organisation, _report(organisation, number), private_key)


def _officer_write(request, organisation, report, private_key, form, form_name, call, done):
    """Run a service with the form's data: PRG with a message on success (`call` may return
    another message to say instead); the page again with the form's errors otherwise."""
    if form.is_valid():
        try:
            instead = call(form.cleaned_data)
        except PermissionDenied:
            return _no_access(request, organisation, report)
        except services.ReportGone:
            raise Http404 from None
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            if instead:
                messages.info(request, instead)
            else:
                messages.success(request, done)
            return redirect("reports:detail", slug=organisation.slug, number=report.number)
    messages.error(request, NOT_SAVED)
    return _detail_page(request, organisation, report, private_key, **{form_name: form})


def _too_large(request, slug, number, *, organisation, private_key):
    messages.error(request, _("The files are too large: at most 25 MB together. Nothing was "
                              "sent."))
    return redirect("reports:detail", slug=organisation.slug, number=number)


@csrf_exempt  # checked by uploads_in_memory, once the upload handlers are set
@officer_page()
@uploads_in_memory(_too_large)
def reply(request, slug, number, *, organisation, private_key):
    report = _report(organisation, number)
    if request.method != "POST":
        # Also where the unlock page leads back to after an interrupted POST.
        return redirect("reports:detail", slug=organisation.slug, number=report.number)
    form = ReplyForm(request.POST, request.FILES, prefix="reply")

    def call(data):
        services.officer_reply(report=report, officer=request.user, private_key=private_key,
                               text=data["text"], files=data["files"])

    return _officer_write(request, organisation, report, private_key, form, "reply_form", call,
                          _("Your answer has been sent. The person sees it with their receipt "
                            "code."))


@officer_page()
def entry(request, slug, number, *, organisation, private_key):
    report = _report(organisation, number)
    if request.method != "POST":
        return redirect("reports:detail", slug=organisation.slug, number=report.number)
    form = EntryForm(request.POST, prefix="entry")

    def call(data):
        services.entry_add(report=report, officer=request.user, private_key=private_key,
                           kind=data["kind"], text=data["text"])

    return _officer_write(request, organisation, report, private_key, form, "entry_form", call,
                          _("The entry has been added to the case record."))


@officer_page()
def update(request, slug, number, *, organisation, private_key):
    report = _report(organisation, number)
    if request.method != "POST":
        return redirect("reports:detail", slug=organisation.slug, number=report.number)
    if request.POST.get("action") == "delete":
        return _delete(request, organisation, report, private_key)
    form = UpdateForm(request.POST, prefix="update")
    before = (report.status, report.category, report.deadline)

    def call(data):
        after = services.report_update(
            report=report, officer=request.user, private_key=private_key,
            status=data["status"], category=data["category"], deadline=data["deadline"],
            reason=data["reason"])
        if (after.status, after.category, after.deadline) == before:
            return _("Nothing was changed.")
        return None

    return _officer_write(request, organisation, report, private_key, form, "update_form", call,
                          _("The case has been updated and the change recorded."))


def _delete(request, organisation, report, private_key):
    """Delete a closed report before its time: a confirmation step, then for good."""
    back = redirect("reports:detail", slug=organisation.slug, number=report.number)
    if report.status != Status.CLOSED:
        messages.error(request, _("Only a closed report can be deleted early. Close it first."))
        return back
    try:
        # Only an officer who can read the report may destroy it.
        access.report_key(report, request.user, private_key)
    except PermissionDenied:
        return _no_access(request, organisation, report)
    form = DeleteForm(request.POST, prefix="delete")
    if not form.is_valid():
        messages.error(request, NOT_SAVED)
        return _detail_page(request, organisation, report, private_key, delete_form=form)
    reason = form.cleaned_data["reason"].strip()
    if not form.cleaned_data["confirmed"]:
        return render(request, "reports/delete_confirm.html",
                      {"organisation": organisation, "report": report, "reason": reason})
    reference = report.reference
    retention.report_delete(report=report, actor=request.user, reason=_(
        "Report %(ref)s deleted early by an officer: %(reason)s")
        % {"ref": reference, "reason": reason})
    messages.success(request, _("Report %(ref)s has been deleted for good.") % {"ref": reference})
    return redirect("reports:inbox", slug=organisation.slug)


@officer_page()
def attachment(request, slug, number, pk, *, organisation, private_key):
    report = _report(organisation, number)
    item = get_object_or_404(Attachment, report=report, pk=pk)
    try:
        name, content_type, data = services.attachment_open(
            attachment=item, officer=request.user, private_key=private_key)
    except PermissionDenied:
        return _no_access(request, organisation, report)
    except services.ReportGone:
        raise Http404 from None
    response = HttpResponse(data, content_type=content_type or "application/octet-stream")
    # Always a download, never shown inline: a file from outside must not run as a page here.
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# --- access, settings, statistics ------------------------------------------------------------

def _officer_rows(organisation, me, pending) -> list[dict]:
    total = Report.objects.filter(organisation=organisation).count()
    mine = set(ReportKey.objects.filter(officer=me, report__organisation=organisation)
               .values_list("report_id", flat=True))
    rows = []
    for user in access.officers_of(organisation):
        held = set(ReportKey.objects.filter(officer=user, report__organisation=organisation)
                   .values_list("report_id", flat=True))
        has_key = OfficerKey.objects.filter(user=user).exists()
        enrolled = mfa.is_enrolled(user)
        waiting = user.pk in pending
        rows.append({"user": user, "me": user.pk == me.pk, "enrolled": enrolled,
                     "has_key": has_key, "missing": total - len(held), "pending": waiting,
                     "grantable": len(mine - held) if enrolled and has_key and not waiting
                     else 0})
    return rows


def _access_post(request, organisation, private_key) -> None:
    """Approve a waiting officer as a reader (action "approve") or grant an officer the
    reports this officer can read; the outcome as a message."""
    form = GrantForm(request.POST)
    approve = request.POST.get("action") == "approve"
    candidates = access.pending_readers(organisation) if approve else \
        access.officers_of(organisation)
    officers = {u.pk: u for u in candidates}
    officer = officers.get(form.cleaned_data["officer"]) if form.is_valid() else None
    if officer is None or officer.pk == request.user.pk:
        messages.error(request, _("Please choose one of the organisation's other officers."))
        return
    name = officer.name or officer.email
    try:
        if approve:
            count = access.reader_approve(organisation=organisation, approver=request.user,
                                          private_key=private_key, officer=officer)
        else:
            count = access.grant(organisation=organisation, granter=request.user,
                                 private_key=private_key, officer=officer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        messages.error(request, _("Only an officer who can read the reports can approve or "
                                  "grant access. Nothing was changed."))
    else:
        if approve:
            messages.success(request, ngettext(
                "%(name)s now receives new reports and can read %(n)d earlier report.",
                "%(name)s now receives new reports and can read %(n)d earlier reports.",
                count) % {"name": name, "n": count})
        else:
            messages.success(request, ngettext(
                "%(name)s can now read %(n)d more report.",
                "%(name)s can now read %(n)d more reports.", count)
                % {"name": name, "n": count})


@officer_page(reader=False)
def access_page(request, slug, *, organisation, private_key):
    if request.method == "POST":
        _access_post(request, organisation, private_key)
        return redirect("reports:access", slug=organisation.slug)
    pending = access.pending_readers(organisation)
    return render(request, "reports/access.html", {
        "organisation": organisation,
        "pending": [{"user": user, "me": user.pk == request.user.pk} for user in pending],
        "officers": _officer_rows(organisation, request.user, {user.pk for user in pending})})


LOG_PAGE_SIZE = 50


def _channel_log(organisation):
    """The audit rows about the channel: its reports, keys, grants and settings. They are kept
    from the administrators' audit page (core.views.audit), which lists everything else: when
    reports arrive and how cases move is the officers' business alone. An officer's key belongs
    to no organisation, so its rows come with the organisation's current officers."""
    officers = [user.pk for user in access.officers_of(organisation)]
    return AuditEntry.objects.filter(
        Q(organisation=organisation, object_type__startswith="reports.")
        | Q(organisation__isnull=True, object_type="reports.officerkey", actor__in=officers)
    ).order_by("-created_at", "-id")


@officer_page()
def log(request, slug, *, organisation, private_key):
    page = Paginator(_channel_log(organisation), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reports/log.html", {"organisation": organisation, "page": page})


def _would_delete(organisation, retention_days: int) -> int:
    """How many reports a new retention period would delete at once. The form keeps
    `retention_days` in the model's range, far from timedelta's."""
    limit = timezone.localdate() - timedelta(days=retention_days)
    return Report.objects.filter(organisation=organisation, last_activity_on__lte=limit).count()


@officer_page()
def channel_settings(request, slug, *, organisation, private_key):
    current = services.channel_settings(organisation)
    form = SettingsForm(request.POST or None, initial={
        "retention_days": current.retention_days, "warning_days": current.warning_days,
        "introduction": current.introduction})
    doomed = 0
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            doomed = _would_delete(organisation, data["retention_days"])
            if doomed and request.POST.get("confirm_deletion") != "1":
                # Shortening the period makes old reports due: they are deleted once the
                # warning period is over. Say so and ask once more.
                return render(request, "reports/settings.html", {
                    "organisation": organisation, "form": form, "doomed": doomed,
                    "warning_days": data["warning_days"]})
            try:
                services.settings_update(organisation=organisation, actor=request.user,
                                         retention_days=data["retention_days"],
                                         warning_days=data["warning_days"],
                                         introduction=data["introduction"])
            except ValidationError as exc:
                add_to_form(form, exc)
            except PermissionDenied:
                form.add_error(None, _("Only an officer approved to read the reports can "
                                       "change the settings."))
            else:
                if doomed:
                    # Their officers are warned now, not at the next daily run.
                    retention.expire(organisation=organisation)
                messages.success(request, _("The settings have been saved."))
                return redirect("reports:settings", slug=organisation.slug)
        messages.error(request, NOT_SAVED)
    return render(request, "reports/settings.html", {"organisation": organisation,
                                                     "form": form, "doomed": 0})


def _year(request, organisation) -> int:
    years = selectors.statistics_years(organisation)
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = None
    return year if year in years else timezone.localdate().year


@officer_page(unlocked=False)
def statistics(request, slug, *, organisation, private_key):
    year = _year(request, organisation)
    table = selectors.statistics(organisation=organisation, year=year)
    if request.GET.get("format") == "csv":
        header = [_("Category")] + [_("Q%(n)d") % {"n": q} for q in range(1, 5)]
        body = [[str(row["label"])] + [SUPPRESSED if cell is None else str(cell)
                                       for cell in row["cells"]] for row in table["rows"]]
        response = HttpResponse(csv_bytes(header, body), content_type=CSV_TYPE)
        response["Content-Disposition"] = content_disposition_header(
            True, f"reports-{organisation.slug}-{year}.csv")
        return response
    return render(request, "reports/statistics.html", {
        "organisation": organisation, "table": table, "year": year,
        "years": selectors.statistics_years(organisation),
        "printing": request.GET.get("print") == "1",
    })
