"""The public "Mitglied werden" application: form → e-mail confirmation → board decision."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.people.models import Consent, Contact, MembershipApplication
from mitmachen.people.services import consent_record, contact_create, status_change

PRIVACY_TEXT_VERSION = "application-2026-11"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def application_submit(*, organisation, data: dict, message: str, consents: list[tuple],
                       ) -> tuple[MembershipApplication | None, str]:
    """Create (or reuse) the contact and an unconfirmed application; returns the link token.

    An address the organisation knows already gets the application on its existing record, and
    the visitor sees the same answer either way.
    """
    email = data["email"].strip().lower()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        contact = (Contact.objects.select_for_update()
                   .filter(organisation=organisation, email=email, erased_at__isnull=True)
                   .first())
        if contact is None:
            contact = contact_create(organisation=organisation, data={**data, "email": email},
                                     actor=None)
        elif contact.status == Contact.Status.MEMBER:
            # Already a member: no application; the caller tells the address owner by e-mail.
            return None, ""
        application = MembershipApplication(
            contact=contact, message=message, consents=[list(c) for c in consents],
            text_version=PRIVACY_TEXT_VERSION, token_digest=_digest(token),
            expires_at=timezone.now() + timedelta(days=7))
        application.full_clean()
        application.save()
        audit_record(actor=None, action=AuditEntry.Action.CREATE, obj=contact,
                     organisation=organisation, object_repr=f"application #{application.pk}")
    return application, token


def application_confirm(*, token: str) -> MembershipApplication:
    if not token or len(token) > 100:
        raise ValidationError(_("This confirmation link is not valid."))
    with transaction.atomic():
        application = (MembershipApplication.objects.select_for_update()
                       .select_related("contact").filter(token_digest=_digest(token)).first())
        if application is None or application.contact.erased_at is not None:
            raise ValidationError(_("This confirmation link is not valid."))
        if application.status != MembershipApplication.Status.UNCONFIRMED:
            return application
        if application.expires_at < timezone.now():
            raise ValidationError(_("This confirmation link has expired. Please apply again."))
        application.status = MembershipApplication.Status.PENDING
        application.confirmed_at = timezone.now()
        contact = application.contact
        application.previous_status = contact.status
        application.save(update_fields=["status", "confirmed_at", "previous_status"])
        if contact.status in {Contact.Status.INTERESTED, Contact.Status.SUPPORTER,
                              Contact.Status.FORMER}:
            status_change(contact=contact, to_status=Contact.Status.APPLICANT, actor=None,
                          reason=_("application form"))
        for channel, purpose in application.consents:
            consent_record(contact=contact, channel=channel, purpose=purpose, granted=True,
                           source=Consent.Source.DOUBLE_OPT_IN,
                           text_version=application.text_version, actor=None,
                           address=contact.email)
    return application


def application_decide(*, application: MembershipApplication, accept: bool, answer: str,
                       actor, membership_number: str = "") -> MembershipApplication:
    if len(answer) > 5000 or "\x00" in answer:
        raise ValidationError({"answer": _("The message is too long or contains invalid "
                                           "characters.")})
    with transaction.atomic():
        locked = MembershipApplication.objects.select_for_update().select_related(
            "contact").get(pk=application.pk)
        if locked.status != MembershipApplication.Status.PENDING:
            raise ValidationError(_("This application has already been decided."))
        contact = locked.contact
        if accept:
            status_change(contact=contact, to_status=Contact.Status.MEMBER, actor=actor,
                          reason=_("application accepted"),
                          membership_number=membership_number or None)
        elif contact.status == Contact.Status.APPLICANT:
            # Back to where the person was: a declined former member stays a former member.
            back = locked.previous_status if locked.previous_status in {
                Contact.Status.INTERESTED, Contact.Status.SUPPORTER, Contact.Status.FORMER
            } else Contact.Status.INTERESTED
            status_change(contact=contact, to_status=back, actor=actor,
                          reason=_("application declined"))
        locked.status = (MembershipApplication.Status.ACCEPTED if accept
                         else MembershipApplication.Status.DECLINED)
        locked.answer = answer
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.save()
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=contact,
                     changes={"application": [MembershipApplication.Status.PENDING,
                                              locked.status]})
    return locked
