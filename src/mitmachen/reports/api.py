"""The reporting channel's API: only what anti-discrimination officers need (issue 7, point 8).

Every operation needs a bearer token of an officer of the organisation (Perm.REPORT_HANDLE,
bounded by the token's organisation: 404 for strangers, 403 for other roles). A token alone
reads nothing, not even the list: it proves neither the second factor nor the passphrase. The
officer first unlocks with a TOTP code and the passphrase (`POST /reports/{slug}/unlock`) and
then sends the unlock token in the `X-Reports-Unlock` header.

The unlocked private key is kept in Django's cache only sealed with a random key that the
server never stores: it is the part after the dot of the unlock token, which only the client
holds (crypto.split_for_session). The cache, a database backup or a server log therefore open
nothing. The unlock token travels in a header, never in a path or query string, because the
request log writes paths.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, date, datetime
from functools import wraps
from typing import Annotated, Literal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from nacl.public import PrivateKey
from ninja import Field, Header, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from mitmachen.api.auth import bearer
from mitmachen.api.schemas import Choice, Error, Text
from mitmachen.core import mfa, permissions
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.core.roles import Perm
from mitmachen.organisations.models import Organisation
from mitmachen.reports import access, crypto, selectors, services
from mitmachen.reports.models import (
    Attachment,
    Category,
    EntryKind,
    OfficerKey,
    Report,
)
from mitmachen.reports.models import Status as ReportStatus

router = Router(tags=["reports"])
ERRORS = {401: Error, 403: Error, 404: Error, 422: Error}

HEADER = "X-Reports-Unlock"
CACHE_PREFIX = "reports:api-unlock:"
_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")  # secrets.token_urlsafe(16)
_TOKEN_MAX = 200


def _now() -> float:
    # One clock for issuing and checking, so that tests can move it.
    return time.time()


# --- the unlock token ------------------------------------------------------------------------

class Locked(Exception):
    """No usable unlock token: missing, forged, expired, or another person's."""


def unlock_store(*, user, private_key: bytes) -> tuple[str, datetime]:
    """Keep `private_key` for `user` for access.UNLOCK_SECONDS; returns (unlock token, expiry).
    The cache holds the key sealed with a random key that is only in the returned token."""
    stored, client_key = crypto.split_for_session(private_key)
    ident = secrets.token_urlsafe(16)
    until = _now() + access.UNLOCK_SECONDS
    cache.set(CACHE_PREFIX + ident, {"user": user.pk, "key": stored.hex(), "until": until},
              access.UNLOCK_SECONDS)
    return f"{ident}.{client_key}", datetime.fromtimestamp(until, tz=UTC)


def _parse(token) -> tuple[str, str] | None:
    if not isinstance(token, str) or len(token) > _TOKEN_MAX or "." not in token:
        return None
    ident, client_key = token.strip().split(".", 1)
    return (ident, client_key) if _ID.match(ident) and client_key else None


def unlocked_private_key(user, token) -> bytes:
    """The private key behind `token`, if it is `user`'s, not expired, and still matches the
    officer's current key and second factor. Locked otherwise."""
    parsed = _parse(token)
    if parsed is None:
        raise Locked
    ident, client_key = parsed
    held = cache.get(CACHE_PREFIX + ident)
    if not isinstance(held, dict) or held.get("user") != user.pk:
        raise Locked
    if held.get("until", 0) < _now():
        cache.delete(CACHE_PREFIX + ident)
        raise Locked
    try:
        private = crypto.join_from_session(bytes.fromhex(held["key"]), client_key)
    except (crypto.DecryptionError, ValueError, KeyError):
        raise Locked from None
    # A reset key pair or a removed authenticator app ends every unlock made before.
    current = OfficerKey.objects.filter(user=user).values_list("public_key", flat=True).first()
    if current is None or bytes(current) != bytes(PrivateKey(private).public_key):
        raise Locked
    if not mfa.is_enrolled(user):
        raise Locked
    return private


def unlock_forget(user, token) -> None:
    parsed = _parse(token)
    if parsed is None:
        return
    key = CACHE_PREFIX + parsed[0]
    held = cache.get(key)
    if isinstance(held, dict) and held.get("user") == user.pk:
        cache.delete(key)


# --- what every operation shares -------------------------------------------------------------

UnlockHeader = Annotated[str | None, Header(
    None, alias=HEADER,
    description="The unlock token from `POST /reports/{slug}/unlock`. Without it nothing is "
    "read.")]


def _no_store(run):
    """Decrypted reports must not stay in any cache on the way; nor errors about them."""

    @wraps(run)
    def wrapped(request, *args, **kwargs):
        response = run(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
        return response

    return wrapped


def _officers_only(view):
    """Answer a missing or unusable unlock token with 401 in the API's error format."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Locked:
            from mitmachen.api.api import api

            body = {"error": {"code": "locked", "fields": {}, "message": _(
                "Unlock the reporting channel first: POST /api/v1/reports/<organisation>/"
                "unlock with your passphrase and a current code, then send the unlock token "
                "in the X-Reports-Unlock header.")}}
            return api.create_response(request, body, status=401)

    return wrapped


def _organisation(request, slug: str) -> Organisation:
    """The organisation, if the caller is its officer: 404 for strangers, 403 for other roles."""
    organisation = get_object_or_404(Organisation, slug=slug)
    permissions.require(request, Perm.REPORT_HANDLE, organisation)
    return organisation


def _unlocked(request, slug: str, token) -> tuple[Organisation, bytes]:
    organisation = _organisation(request, slug)
    private = unlocked_private_key(request.user, token)
    if not access.is_reader(request.user, organisation):
        # Not even the list's metadata before a reader has approved this officer.
        raise HttpError(403, _("An officer who already reads this organisation's reports has "
                               "to approve you first."))
    return organisation, private


def _report(organisation: Organisation, number: int) -> Report:
    # An expired report is as good as gone: the daily task deletes it, the inbox hides it.
    return get_object_or_404(Report.objects.select_related("organisation"),
                             organisation=organisation, number=number,
                             expires_on__gt=timezone.localdate())


def _opened(report: Report, officer, private_key: bytes) -> services.Opened:
    try:
        return services.report_open(report=report, officer=officer, private_key=private_key)
    except services.ReportGone:
        raise Http404 from None


def _author(user) -> str | None:
    return str(user) if user is not None else None


# --- schemas ---------------------------------------------------------------------------------

class UnlockIn(Schema):
    passphrase: Text(access.PASSPHRASE_MAX, 1)
    code: Text(32, 1)


class UnlockOut(Schema):
    unlock_token: str
    expires_at: datetime


class ReportOut(Schema):
    """What the inbox shows: no content, only what the channel needs to run."""

    reference: str
    number: int
    received_on: date
    category: str
    status: str
    deadline: date | None
    expires_on: date
    unread: bool = Field(..., alias="unread_by_officers")
    readable: bool


class ContentOut(Schema):
    what: str = ""
    when: str = ""
    where: str = ""
    who: str = ""
    wish: str = ""
    contact: str = ""


class MessageOut(Schema):
    id: int
    from_reporter: bool
    author: str | None
    at: datetime
    text: str


class AttachmentOut(Schema):
    id: int
    message_id: int | None
    from_reporter: bool
    name: str
    type: str
    size: int


class EntryOut(Schema):
    kind: str
    label: str
    author: str | None
    at: datetime
    text: str


class CaseOut(Schema):
    reference: str
    number: int
    received_on: date
    category: str
    status: str
    deadline: date | None
    expires_on: date
    content: ContentOut
    messages: list[MessageOut]
    attachments: list[AttachmentOut]
    entries: list[EntryOut]


class StatisticsRow(Schema):
    category: str
    label: str
    cells: list[int | None] = Field(..., description="Quarters 1 to 4; null: fewer than "
                                    "`threshold` reports (zero included), suppressed.")


class StatisticsOut(Schema):
    year: int
    threshold: int
    years: list[int]
    rows: list[StatisticsRow]


class MessageIn(Schema):
    text: Text(services.TEXT_MAX, 1)


class EntryIn(Schema):
    kind: Literal[tuple(sorted(k.value for k in services.NOTE_KINDS))]
    text: Text(services.TEXT_MAX, 1)


class ReportPatch(Schema):
    """Only the fields sent change; a deadline of null removes it."""

    status: Choice(ReportStatus) | None = None
    category: Choice(Category) | None = None
    deadline: date | None = None
    reason: Text(services.MEDIUM_MAX) = ""


def _report_out(report: Report, readable: bool = True) -> Report:
    report.readable = readable
    return report


def _case_out(opened: services.Opened) -> dict:
    report = opened.report
    return {
        "reference": report.reference, "number": report.number,
        "received_on": report.received_on, "category": report.category,
        "status": report.status, "deadline": report.deadline, "expires_on": report.expires_on,
        "content": opened.content,
        "messages": [{**m, "author": _author(m["author"])} for m in opened.messages],
        "attachments": opened.attachments,
        "entries": [{**e, "author": _author(e["author"])} for e in opened.entries],
    }


FILE_RESPONSE = {"responses": {"200": {
    "description": "The file's bytes, as a download, with the type checked at upload.",
    "content": {"application/octet-stream": {"schema": {"type": "string",
                                                         "format": "binary"}}}}}}


# --- unlocking -------------------------------------------------------------------------------

@router.post("/reports/{slug}/unlock", response={201: UnlockOut, **ERRORS}, auth=bearer,
             summary="Unlock the reporting channel with the passphrase and a TOTP code")
@decorate_view(_no_store)
def unlock(request, slug: str, payload: UnlockIn):
    organisation = _organisation(request, slug)
    user = request.user
    # Throttled, audited on failure, and refused before a code is used up for nothing.
    private = access.private_key_unlock(user=user, passphrase=payload.passphrase,
                                        code=payload.code)
    token, expires_at = unlock_store(user=user, private_key=private)
    audit_record(actor=user, action=AuditEntry.Action.LOGIN, organisation=organisation,
                 object_repr=_("Reporting channel unlocked"))
    return Status(201, {"unlock_token": token, "expires_at": expires_at})


@router.post("/reports/{slug}/lock", response={204: None, **ERRORS}, auth=bearer,
             summary="Forget the unlocked key now (it is forgotten after 30 minutes anyway)")
@decorate_view(_no_store)
def lock(request, slug: str, unlock_token: UnlockHeader = None):
    _organisation(request, slug)
    unlock_forget(request.user, unlock_token)
    return Status(204, None)


# --- reading ---------------------------------------------------------------------------------

@router.get("/reports/{slug}", response={200: list[ReportOut], **ERRORS}, auth=bearer,
            summary="The organisation's reports: numbers, dates and status, no content")
@decorate_view(_no_store)
@_officers_only
@paginate(PageNumberPagination)
def report_list(request, slug: str, status: Choice(ReportStatus) | None = None,
                unlock_token: UnlockHeader = None):
    organisation, _private = _unlocked(request, slug, unlock_token)
    return selectors.inbox(organisation=organisation, officer=request.user, status=status or "")


@router.get("/reports/{slug}/statistics", response={200: StatisticsOut, **ERRORS},
            auth=bearer, summary="Reports per quarter and category; cells below 3 suppressed")
@decorate_view(_no_store)
@_officers_only
def report_statistics(request, slug: str,
                      year: Annotated[int | None, Field(ge=1900, le=2200)] = None,
                      unlock_token: UnlockHeader = None):
    organisation, _private = _unlocked(request, slug, unlock_token)
    table = selectors.statistics(organisation=organisation,
                                 year=year or timezone.localdate().year)
    table["years"] = selectors.statistics_years(organisation)
    table["rows"] = [{**row, "label": str(row["label"])} for row in table["rows"]]
    return table


@router.get("/reports/{slug}/{number}", response={200: CaseOut, **ERRORS}, auth=bearer,
            summary="One report decrypted: content, conversation, files, case record (logged)")
@decorate_view(_no_store)
@_officers_only
def report_detail(request, slug: str, number: int, unlock_token: UnlockHeader = None):
    organisation, private = _unlocked(request, slug, unlock_token)
    report = _report(organisation, number)
    return _case_out(_opened(report, request.user, private))


@router.get("/reports/{slug}/{number}/files/{file_id}", response={200: None, **ERRORS},
            auth=bearer, summary="An attachment's bytes (logged)", openapi_extra=FILE_RESPONSE)
@decorate_view(_no_store)
@_officers_only
def report_file(request, slug: str, number: int, file_id: int,
                unlock_token: UnlockHeader = None):
    organisation, private = _unlocked(request, slug, unlock_token)
    report = _report(organisation, number)
    attachment = get_object_or_404(Attachment.objects.select_related("report__organisation"),
                                   pk=file_id, report=report)
    try:
        name, content_type, data = services.attachment_open(
            attachment=attachment, officer=request.user, private_key=private)
    except services.ReportGone:
        raise Http404 from None
    response = HttpResponse(data, content_type=content_type or "application/octet-stream")
    # A download, never a page: a file from outside must not run in this origin.
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# --- writing ---------------------------------------------------------------------------------

@router.post("/reports/{slug}/{number}/messages", response={201: MessageOut, **ERRORS},
             auth=bearer, summary="Answer the reporter (they read it with their receipt)")
@decorate_view(_no_store)
@_officers_only
def report_message(request, slug: str, number: int, payload: MessageIn,
                   unlock_token: UnlockHeader = None):
    organisation, private = _unlocked(request, slug, unlock_token)
    report = _report(organisation, number)
    try:
        message = services.officer_reply(report=report, officer=request.user,
                                          private_key=private, text=payload.text)
    except services.ReportGone:
        raise Http404 from None
    return Status(201, {"id": message.pk, "from_reporter": False,
                        "author": _author(request.user), "at": message.created_at,
                        "text": payload.text.strip()})


@router.post("/reports/{slug}/{number}/entries", response={201: EntryOut, **ERRORS},
             auth=bearer, summary="A note, measure or decision in the case record")
@decorate_view(_no_store)
@_officers_only
def report_entry(request, slug: str, number: int, payload: EntryIn,
                 unlock_token: UnlockHeader = None):
    organisation, private = _unlocked(request, slug, unlock_token)
    report = _report(organisation, number)
    try:
        entry = services.entry_add(report=report, officer=request.user, private_key=private,
                                   kind=payload.kind, text=payload.text)
    except services.ReportGone:
        raise Http404 from None
    return Status(201, {"kind": entry.kind, "label": str(EntryKind(entry.kind).label),
                        "author": _author(request.user), "at": entry.created_at,
                        "text": payload.text.strip()})


@router.patch("/reports/{slug}/{number}", response={200: ReportOut, **ERRORS}, auth=bearer,
              summary="Status, category or deadline; each change enters the case record")
@decorate_view(_no_store)
@_officers_only
def report_update(request, slug: str, number: int, payload: ReportPatch,
                  unlock_token: UnlockHeader = None):
    organisation, private = _unlocked(request, slug, unlock_token)
    report = _report(organisation, number)
    data = payload.dict(exclude_unset=True)
    for name in ("status", "category"):
        if name in data and data[name] is None:
            raise ValidationError({name: _("This field cannot be empty.")})
    deadline = data.get("deadline", "")  # the service's "unchanged"
    if isinstance(deadline, date) and not 2000 <= deadline.year <= 2200:
        raise ValidationError({"deadline": _("Please give a date between 2000 and 2200.")})
    try:
        updated = services.report_update(
            report=report, officer=request.user, private_key=private,
            status=data.get("status"), category=data.get("category"), deadline=deadline,
            reason=data.get("reason", ""))
    except services.ReportGone:
        raise Http404 from None
    return _report_out(updated)
