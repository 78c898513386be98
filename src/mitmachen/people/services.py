"""Writes for contacts, their membership status and their consents."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.core.updates import create_audited, update_audited
from mitmachen.people.models import Consent, ConsentRequest, Contact, StatusChange
from mitmachen.people.phones import to_e164

CONTACT_FIELDS = [
    "first_name", "last_name", "pronouns", "gender", "quota_category", "street", "postcode",
    "city", "district", "email", "phone", "messenger_phone", "birthday", "language", "notes",
]
S = Contact.Status
# Which status may follow which. Staff may also correct a status with a reason.
TRANSITIONS = {
    S.INTERESTED: {S.SUPPORTER, S.APPLICANT, S.MEMBER},
    S.SUPPORTER: {S.INTERESTED, S.APPLICANT, S.MEMBER},
    S.APPLICANT: {S.MEMBER, S.INTERESTED, S.SUPPORTER, S.FORMER},
    S.MEMBER: {S.FORMER},
    S.FORMER: {S.APPLICANT, S.MEMBER, S.INTERESTED},
}
OPT_IN_DAYS = 7


def _normalise(data: dict) -> dict:
    data = dict(data)
    for field in ("phone", "messenger_phone"):
        if field in data:
            data[field] = to_e164(data[field], field=field)
    if data.get("email"):
        data["email"] = data["email"].strip().lower()
    return data


def _check_district(organisation, data: dict) -> None:
    district = data.get("district")
    if district is not None and district.municipality_id != organisation.municipality_id:
        raise ValidationError({"district": _("This district does not belong to the "
                                             "organisation's municipality.")})


def contact_create(*, organisation, data: dict, actor, status: str = S.INTERESTED) -> Contact:
    unknown = set(data) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"fields not editable here: {sorted(unknown)}")
    data = _normalise(data)
    _check_district(organisation, data)
    with transaction.atomic():
        contact = create_audited(
            instance=Contact(organisation=organisation, status=status, **data), actor=actor)
        StatusChange.objects.create(contact=contact, to_status=status, date=date.today(),
                                    reason=_("record created"), recorded_by=_user(actor))
    return contact


def contact_update(*, contact: Contact, data: dict, actor) -> dict:
    data = _normalise(data)
    _check_district(contact.organisation, data)
    with transaction.atomic():
        return update_audited(instance=contact, data=data, fields=CONTACT_FIELDS, actor=actor)


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def status_change(*, contact: Contact, to_status: str, actor, reason: str = "",
                  on: date | None = None, membership_number: str | None = None) -> Contact:
    """Move a contact along applicant → member → former (and the other allowed steps)."""
    if to_status not in S.values:
        raise ValidationError({"status": _("Unknown status.")})
    if len(reason) > 300 or "\x00" in reason:
        raise ValidationError({"reason": _("The reason is too long or contains invalid "
                                           "characters.")})
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if to_status not in TRANSITIONS[locked.status]:
            raise ValidationError({"status": _("A contact cannot go from “%(from)s” to "
                                               "“%(to)s”.") % {
                "from": S(locked.status).label, "to": S(to_status).label}})
        if to_status == S.FORMER and not reason:
            raise ValidationError({"reason": _("Please give a reason for leaving.")})
        data = {"status": to_status}
        if membership_number is not None:
            data["membership_number"] = membership_number.strip()
        before = locked.status
        locked.status = to_status
        if membership_number is not None:
            locked.membership_number = membership_number.strip()
        locked.full_clean()
        if locked.membership_number and Contact.objects.filter(
                organisation=locked.organisation, membership_number=locked.membership_number
        ).exclude(pk=locked.pk).exists():
            raise ValidationError({"membership_number": _("This membership number is taken.")})
        locked.save()
        if to_status == S.MEMBER:
            from mitmachen.people.models import MembershipApplication

            MembershipApplication.objects.filter(
                contact=locked, status__in=["unconfirmed", "pending"]).update(
                status="accepted", decided_at=timezone.now(), decided_by=_user(actor))
        StatusChange.objects.create(contact=locked, from_status=before, to_status=to_status,
                                    date=on or date.today(), reason=reason,
                                    recorded_by=_user(actor))
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                     changes={"status": [before, to_status], **(
                         {"membership_number": [contact.membership_number,
                                                locked.membership_number]}
                         if membership_number is not None else {})})
    contact.refresh_from_db()
    return contact


def consent_record(*, contact: Contact, channel: str, purpose: str, granted: bool, source: str,
                   text_version: str, actor, address: str = "") -> Consent:
    consent = Consent(contact=contact, channel=channel, purpose=purpose, granted=granted,
                      source=source, text_version=text_version, recorded_by=_user(actor),
                      address=address)
    consent.full_clean()
    with transaction.atomic():
        consent.save()
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=contact,
                     changes={f"consent.{channel}.{purpose}": [None, granted]})
    return consent


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def consent_request_create(*, contact: Contact, channel: str, purpose: str, text_version: str,
                           actor) -> tuple[ConsentRequest, str]:
    """Start a double opt-in; returns the request and the token for the confirmation link."""
    if channel == Consent.Channel.EMAIL and not contact.email:
        raise ValidationError({"email": _("An e-mail address is needed for this.")})
    token = secrets.token_urlsafe(32)
    request = ConsentRequest(contact=contact, channel=channel, purpose=purpose,
                             text_version=text_version, token_digest=_digest(token),
                             address=contact.email,
                             expires_at=timezone.now() + timedelta(days=OPT_IN_DAYS))
    with transaction.atomic():
        request.save()
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=contact,
                     object_repr=f"opt-in requested: {channel}/{purpose}")
    return request, token


def consent_confirm(*, token: str) -> ConsentRequest:
    """The person clicked the link: record the consent as double opt-in. Safe to click twice."""
    if not token or len(token) > 100:
        raise ValidationError(_("This confirmation link is not valid."))
    with transaction.atomic():
        request = (ConsentRequest.objects.select_for_update().select_related("contact")
                   .filter(token_digest=_digest(token)).first())
        if request is None or request.contact.erased_at is not None:
            raise ValidationError(_("This confirmation link is not valid."))
        if request.confirmed_at is not None:
            return request
        if request.expires_at < timezone.now():
            raise ValidationError(_("This confirmation link has expired. Please sign up "
                                    "again."))
        request.confirmed_at = timezone.now()
        request.save(update_fields=["confirmed_at"])
        consent_record(contact=request.contact, channel=request.channel, purpose=request.purpose,
                       granted=True, source=Consent.Source.DOUBLE_OPT_IN,
                       text_version=request.text_version, actor=None,
                       address=request.address)
    return request


def contact_account_link(*, contact: Contact, actor):
    """Give a contact a login (new accounts get no password until they set one)."""
    from mitmachen.core.services import account_for_role

    if contact.user_id:
        return contact.user, False
    if not contact.email:
        raise ValidationError({"email": _("An e-mail address is needed for a login.")})
    with transaction.atomic():
        user, created = account_for_role(email=contact.email, actor=actor)
        if created:
            user.name = contact.full_name[:150]
            user.language = contact.language
            user.save(update_fields=["name", "language"])
        contact.user = user
        contact.save(update_fields=["user", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=contact,
                     changes={"user": [None, user.pk]})
    return user, created
