"""The reporter's pages: a report without an account, and the follow-up with the receipt.

What these pages promise (issue 7), and how:
- No account, no session: core.middleware.ReporterPagesMiddleware drops the session cookie
  before the session is loaded, so a logged-in member's session row is neither read nor
  rewritten; nothing here reads or writes `request.session` or the messages framework, and the
  visitor is anonymous, so neither the page nor the request log (core.middleware logs the
  user's id) ties a report to an account.
- No IP address or user agent is kept: the rate limits count a keyed hash (limits.py).
- `Cache-Control: no-store` and `Referrer-Policy: same-origin` on every response, so a shared
  computer keeps no copy and no link tells another site where the reporter came from
  (`no-referrer` would make browsers send `Origin: null`, which fails the CSRF check).
- The receipt travels only in POST bodies, never in a URL.
- Uploads stay in memory (gate.InMemoryUploads): Django writes files over 2.5 MB to a
  temporary file, which would leave the plaintext on disk after the request.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import get_resolver, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from mitmachen.core.errors import add_to_form
from mitmachen.organisations.models import Organisation
from mitmachen.reports import access, crypto, limits, selectors, services
from mitmachen.reports.gate import BODY_MAX, InMemoryUploads, body_length
from mitmachen.reports.models import Attachment, Report, Wish
from mitmachen.reports.public_forms import ReceiptForm, ReplyForm, ReportForm

NOTICES = {
    "submit": (_("Too many reports"),
               _("Only a few reports can be sent from one connection per hour, to protect "
                 "the channel against floods. Nothing was sent. Please try again in an hour.")),
    "receipt": (_("Too many attempts"),
                _("Too many wrong receipt codes were entered. To protect the reports, the "
                  "follow-up is locked for a while. Please try again in an hour.")),
    "reply": (_("Too many messages"),
              _("Too many messages were sent from this connection. Your message was not "
                "sent. Please try again in an hour.")),
    "too_large": (_("The files are too large"),
                  _("Attachments may have at most 25 MB together. Nothing was sent. Please go "
                    "back and choose fewer or smaller files.")),
}


def reporter_page(view):
    """The promises above, for one view."""
    protected = csrf_protect(view)

    # csrf_exempt only defers the check: the middleware would read the body before the upload
    # handlers can be set; csrf_protect checks right after.
    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.user = AnonymousUser()  # see the module docstring: no account, not even in logs
        try:
            if body_length(request) > BODY_MAX:
                response = _notice(request, kwargs.get("slug", ""), "too_large", status=413)
            else:
                request.upload_handlers = [InMemoryUploads(request)]
                response = protected(request, *args, **kwargs)
        except Http404 as exc:
            response = get_resolver().resolve_error_handler(404)(request, exc)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapper


def _render(request, template: str, context: dict, *, status: int = 200):
    # `messages` would otherwise open the session's message store; these pages have none.
    return render(request, f"reports/public/{template}", {"messages": (), **context},
                  status=status)


def _notice(request, slug: str, kind: str, *, status: int):
    title, text = NOTICES[kind]
    match = request.resolver_match
    back = ""
    if slug:
        page = "reports:form" if match and match.url_name == "form" else "reports:follow_up"
        back = reverse(page, args=[slug])
    response = _render(request, "notice.html", {"title": title, "text": text, "back": back},
                       status=status)
    if status == 429:
        response["Retry-After"] = str(limits.WINDOW)
    return response


def _organisation(slug: str) -> Organisation:
    organisation = get_object_or_404(Organisation, slug=slug)
    # An organisation without a public page shows up here only once it takes reports, so
    # these pages do not reveal which hidden organisations exist.
    if not organisation.is_public and not access.channel_open(organisation):
        raise Http404
    return organisation


# --- the report ----------------------------------------------------------------------------

@reporter_page
@require_http_methods(["GET", "POST"])
def report_form(request, slug):
    organisation = _organisation(slug)
    if not access.channel_open(organisation):
        return _render(request, "closed.html", {"organisation": organisation})
    form, status = ReportForm(), 200
    if request.method == "POST":
        if limits.exceeded(request, "submit", organisation.pk):
            return _notice(request, slug, "submit", status=429)
        form, status = ReportForm(request.POST, request.FILES), 400
        if form.is_valid():
            # Only an accepted report counts: posts with errors must not use up the limits,
            # least of all the organisation's ceiling, which would close the channel for all.
            slot = limits.take(request, "submit", organisation.pk)
            if slot is None:
                return _notice(request, slug, "submit", status=429)
            data = form.cleaned_data
            try:
                _report, receipt = services.report_submit(
                    organisation=organisation, what=data["what"], when=data["when"],
                    where=data["where"], who=data["who"], wish=data["wish"],
                    category=data["category"], contact=data["contact"], files=data["files"])
            except ValidationError as exc:
                slot.give_back()
                add_to_form(form, exc)
            else:
                # Shown here and only here: no redirect, since nothing may carry it to
                # another request.
                follow_up_url = request.build_absolute_uri(
                    reverse("reports:follow_up", args=[organisation.slug]))
                return _render(request, "receipt.html", {
                    "organisation": organisation, "receipt": receipt,
                    "follow_up_url": follow_up_url})
    return _render(request, "form.html", {
        "organisation": organisation, "form": form,
        "channel": selectors.channel_settings_of(organisation),
        "readers": _reader_names(organisation),
        "files_dropped": bool(request.FILES)}, status=status)


def _reader_names(organisation) -> list[str]:
    """Who a report sent now is encrypted for (GlobaLeaks shows its recipients too): names
    only, never an e-mail address on a public page."""
    return sorted(key.user.name.strip() or str(_("an officer"))
                  for key in access.readers_of(organisation))


# --- the follow-up -------------------------------------------------------------------------

@dataclass
class _Found:
    report: Report
    key: bytes
    receipt: str  # canonical, for the hidden fields of the conversation page


def _verified(request, organisation):
    """The report behind the posted receipt, or the response that refuses it."""
    # Counted before the check, so that parallel guesses cannot all pass a limit not yet
    # reached; a right receipt gives its count back.
    slot = limits.take(request, "receipt", organisation.pk)
    if slot is None:
        return _notice(request, organisation.slug, "receipt", status=429)
    form = ReceiptForm(request.POST)
    if form.is_valid():
        receipt = form.cleaned_data["receipt"]
        try:
            report, key = services.reporter_open(organisation=organisation, receipt=receipt)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            slot.give_back()
            return _Found(report, key, crypto.normalise_receipt(receipt))
    return _render(request, "follow_up.html", {"organisation": organisation, "form": form},
                   status=400)


def _conversation(request, organisation, found: _Found, *, reply_form=None, sent=False,
                  files_dropped=False, status=200):
    try:
        opened = services.reporter_view(report=found.report, report_key=found.key)
    except services.ReportGone:
        raise Http404 from None  # deleted between the receipt check and now
    by_message = defaultdict(list)
    for attachment in opened.attachments:
        by_message[attachment["message_id"]].append(attachment)
    conversation = [{**message, "attachments": by_message.get(message["id"], [])}
                    for message in opened.messages]
    content = opened.content
    wish = Wish(content["wish"]).label if content.get("wish") in Wish.values else ""
    return _render(request, "conversation.html", {
        "organisation": organisation, "report": found.report, "receipt": found.receipt,
        "content": content, "wish": wish, "report_files": by_message.get(None, []),
        "conversation": conversation, "form": reply_form or ReplyForm(), "sent": sent,
        "files_dropped": files_dropped}, status=status)


@reporter_page
@require_http_methods(["GET", "POST"])
def follow_up(request, slug):
    organisation = _organisation(slug)
    if request.method != "POST":
        return _render(request, "follow_up.html",
                       {"organisation": organisation, "form": ReceiptForm()})
    found = _verified(request, organisation)
    if not isinstance(found, _Found):
        return found
    return _conversation(request, organisation, found)


@reporter_page
def follow_up_reply(request, slug):
    organisation = _organisation(slug)
    if request.method != "POST":
        return redirect("reports:follow_up", slug)
    found = _verified(request, organisation)
    if not isinstance(found, _Found):
        return found
    slot = limits.take(request, "reply", organisation.pk)
    if slot is None:
        return _notice(request, slug, "reply", status=429)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.reporter_reply(report=found.report, report_key=found.key,
                                    text=form.cleaned_data["text"],
                                    files=form.cleaned_data["files"])
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            found.report.refresh_from_db()
            return _conversation(request, organisation, found, sent=True)
    return _conversation(request, organisation, found, reply_form=form,
                         files_dropped=bool(request.FILES), status=400)


@reporter_page
def follow_up_file(request, slug, pk):
    organisation = _organisation(slug)
    if request.method != "POST":
        return redirect("reports:follow_up", slug)
    found = _verified(request, organisation)
    if not isinstance(found, _Found):
        return found
    # Only a file of the report this receipt opens; any other id is simply not found.
    attachment = get_object_or_404(Attachment, pk=pk, report=found.report)
    try:
        name, content_type, data = services.attachment_open(attachment=attachment,
                                                            report_key=found.key)
    except services.ReportGone:
        raise Http404 from None
    # The name is the uploader's; a header takes no control characters.
    name = "".join(ch for ch in name if ch.isprintable()) or "file"
    response = FileResponse(io.BytesIO(data), as_attachment=True, filename=name,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
