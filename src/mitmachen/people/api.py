"""API for contacts, memberships and consents, under the same permissions as the pages."""

from datetime import date

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from mitmachen.api.auth import bearer
from mitmachen.api.schemas import Choice, Error, Text
from mitmachen.core import permissions
from mitmachen.core.audit import audit_read
from mitmachen.core.roles import Perm
from mitmachen.organisations.models import District, Organisation
from mitmachen.people import applications, notifications, selectors, services
from mitmachen.people.models import Consent, Contact

router = Router(tags=["people"])
ERRORS = {401: Error, 403: Error, 404: Error, 422: Error}


class ContactOut(Schema):
    id: int
    organisation_id: int
    first_name: str
    last_name: str
    pronouns: str
    gender: str
    quota_category: str
    street: str
    postcode: str
    city: str
    district_id: int | None
    email: str
    phone: str
    messenger_phone: str
    birthday: date | None
    language: str
    notes: str
    status: str
    membership_number: str


class ContactIn(Schema):
    first_name: Text(100, 1)
    last_name: Text(100) = ""
    pronouns: Text(40) = ""
    gender: Text(100) = ""
    quota_category: Choice(Contact.Quota) | None = None
    street: Text(200) = ""
    postcode: Text(10) = ""
    city: Text(100) = ""
    district_id: int | None = None
    email: Text(254) = ""
    phone: Text(40) = ""
    messenger_phone: Text(40) = ""
    birthday: date | None = None
    language: Text(8) = "de"
    notes: Text(5000) = ""


class ContactPatch(Schema):
    first_name: Text(100, 1) | None = None
    last_name: Text(100) | None = None
    pronouns: Text(40) | None = None
    gender: Text(100) | None = None
    quota_category: Choice(Contact.Quota) | None = None
    street: Text(200) | None = None
    postcode: Text(10) | None = None
    city: Text(100) | None = None
    district_id: int | None = None
    email: Text(254) | None = None
    phone: Text(40) | None = None
    messenger_phone: Text(40) | None = None
    birthday: date | None = None
    language: Text(8) | None = None
    notes: Text(5000) | None = None


class StatusIn(Schema):
    status: Choice(Contact.Status)
    reason: Text(300) = ""
    membership_number: Text(30) | None = None


class ConsentOut(Schema):
    channel: str
    purpose: str
    granted: bool
    source: str
    text_version: str
    created_at: str

    @staticmethod
    def resolve_created_at(obj):
        return obj.created_at.isoformat()


class ConsentIn(Schema):
    channel: Choice(Consent.Channel)
    purpose: Choice(Consent.Purpose)
    granted: bool
    text_version: Text(40, 1)


class OptInIn(Schema):
    channel: Choice(Consent.Channel) = Consent.Channel.EMAIL
    purpose: Choice(Consent.Purpose)
    text_version: Text(40, 1)


class TokenIn(Schema):
    token: Text(100, 1)


class ApplicationIn(Schema):
    first_name: Text(100, 1)
    last_name: Text(100, 1)
    pronouns: Text(40) = ""
    email: Text(254, 3)
    phone: Text(40) = ""
    street: Text(200, 1)
    postcode: Text(10, 1)
    city: Text(100, 1)
    message: Text(2000) = ""
    invitations_by_email: bool = False
    privacy_accepted: bool


class Accepted(Schema):
    detail: str


def _organisation(request, organisation_id: int, perm: str) -> Organisation:
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    permissions.require(request, perm, organisation)
    return organisation


def _contact(request, contact_id: int, perm: str) -> Contact:
    contact = get_object_or_404(Contact.objects.select_related("organisation"), pk=contact_id,
                                erased_at__isnull=True)
    permissions.require(request, perm, contact.organisation)
    return contact


def _data(payload: dict, organisation: Organisation) -> dict:
    data = dict(payload)
    if "quota_category" in data and data["quota_category"] is None:
        data["quota_category"] = ""
    if "district_id" in data:
        district_id = data.pop("district_id")
        data["district"] = None
        if district_id is not None:
            data["district"] = District.objects.filter(
                pk=district_id, municipality_id=organisation.municipality_id).first()
            if data["district"] is None or organisation.municipality_id is None:
                raise ValidationError({"district_id": _("Unknown district.")})
    return data


@router.get("/organisations/{organisation_id}/contacts", response={200: list[ContactOut],
            **ERRORS}, auth=bearer, summary="Search contacts (personal data, logged)")
@paginate(PageNumberPagination)
def contact_list(request, organisation_id: int, q: str = "", status: str = "",
                 district_id: int | None = None, group_id: int | None = None):
    organisation = _organisation(request, organisation_id, Perm.CONTACT_VIEW)
    audit_read(actor=request.user, organisation=organisation,
               what=f"contact list (API): q={q[:50]} status={status[:20]}")
    return selectors.search(organisation, text=q[:100], status=status[:20],
                            district_id=district_id, group_id=group_id)


@router.post("/organisations/{organisation_id}/contacts", response={201: ContactOut, **ERRORS},
             auth=bearer, summary="Create a contact")
def contact_create(request, organisation_id: int, payload: ContactIn):
    organisation = _organisation(request, organisation_id, Perm.CONTACT_CHANGE)
    contact = services.contact_create(organisation=organisation,
                                      data=_data(payload.dict(), organisation),
                                      actor=request.user)
    return Status(201, contact)


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, auth=bearer,
            summary="One contact (personal data, logged)")
def contact_detail(request, contact_id: int):
    contact = _contact(request, contact_id, Perm.CONTACT_VIEW)
    audit_read(actor=request.user, obj=contact, organisation=contact.organisation,
               what=f"{contact} (API)")
    return contact


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, auth=bearer,
              summary="Change a contact")
def contact_update(request, contact_id: int, payload: ContactPatch):
    contact = _contact(request, contact_id, Perm.CONTACT_CHANGE)
    services.contact_update(contact=contact,
                            data=_data(payload.dict(exclude_unset=True), contact.organisation),
                            actor=request.user)
    return contact


@router.post("/contacts/{contact_id}/status", response={200: ContactOut, **ERRORS},
             auth=bearer, summary="Change membership status (applicant → member → former …)")
def contact_status(request, contact_id: int, payload: StatusIn):
    contact = _contact(request, contact_id, Perm.CONTACT_CHANGE)
    return services.status_change(contact=contact, to_status=payload.status, actor=request.user,
                                  reason=payload.reason,
                                  membership_number=payload.membership_number)


@router.get("/contacts/{contact_id}/consents", response={200: list[ConsentOut], **ERRORS},
            auth=bearer, summary="A contact's consent log, newest first")
def contact_consents(request, contact_id: int):
    contact = _contact(request, contact_id, Perm.CONTACT_VIEW)
    audit_read(actor=request.user, obj=contact, organisation=contact.organisation,
               what=f"{contact}: consents (API)")
    return list(contact.consents.all())


@router.post("/contacts/{contact_id}/consents", response={201: ConsentOut, **ERRORS},
             auth=bearer, summary="Record a grant or a withdrawal")
def contact_consent_record(request, contact_id: int, payload: ConsentIn):
    contact = _contact(request, contact_id, Perm.CONTACT_CHANGE)
    consent = services.consent_record(contact=contact, source=Consent.Source.STAFF,
                                      actor=request.user, **payload.dict())
    return Status(201, consent)


@router.post("/contacts/{contact_id}/consent-requests", response={202: Accepted, **ERRORS},
             auth=bearer, summary="Send a double opt-in e-mail")
def contact_consent_request(request, contact_id: int, payload: OptInIn):
    contact = _contact(request, contact_id, Perm.CONTACT_CHANGE)
    _request, token = services.consent_request_create(contact=contact, actor=request.user,
                                                      **payload.dict())
    notifications.consent_requested(request, contact, token,
                                    Consent.Purpose(payload.purpose).label)
    return Status(202, {"detail": _("The confirmation e-mail is on its way.")})


@router.post("/consent-confirmations", response={200: Accepted, 422: Error},
             summary="Confirm a double opt-in with the token from the e-mail (public)")
def consent_confirmation(request, payload: TokenIn):
    services.consent_confirm(token=payload.token)
    return {"detail": _("Thank you! Your consent is recorded.")}


@router.post("/organisations/{organisation_id}/applications", response={202: Accepted,
             404: Error, 422: Error}, summary="Apply for membership (public)")
def application_submit(request, organisation_id: int, payload: ApplicationIn):
    from mitmachen.core import throttle

    organisation = get_object_or_404(Organisation, pk=organisation_id, is_public=True)
    if not payload.privacy_accepted:
        raise ValidationError({"privacy_accepted": _("Please accept the privacy notice.")})
    if throttle.form_limited(request, "apply"):
        raise ValidationError(_("Too many applications from here. Please try again later."))
    data = payload.dict()
    consents = ([(Consent.Channel.EMAIL, Consent.Purpose.INVITATIONS)]
                if data.pop("invitations_by_email") else [])
    data.pop("privacy_accepted")
    message = data.pop("message")
    application, token = applications.application_submit(
        organisation=organisation, data=data, message=message, consents=consents)
    if application is None:
        notifications.already_member(request, organisation, data["email"])
    else:
        notifications.application_received(request, application.contact, token)
    return Status(202, {"detail": _("Please confirm your e-mail address with the link we sent "
                                    "you.")})


@router.post("/application-confirmations", response={200: Accepted, 422: Error},
             summary="Confirm an application's e-mail address (public)")
def application_confirmation(request, payload: TokenIn):
    applications.application_confirm(token=payload.token)
    return {"detail": _("Thank you! Your application is with the board.")}


class MyContactOut(Schema):
    id: int
    organisation_id: int
    organisation: str
    status: str
    consents: list[ConsentOut]

    @staticmethod
    def resolve_organisation(obj):
        return obj.organisation.name

    @staticmethod
    def resolve_consents(obj):
        return list(selectors.consent_state(obj).values())


class MyConsentIn(Schema):
    channel: Choice(Consent.Channel)
    purpose: Choice(Consent.Purpose)
    granted: bool


@router.get("/me/contacts", response={200: list[MyContactOut], 401: Error}, auth=bearer,
            summary="Your own records in the organisations")
def my_contacts(request):
    contacts = request.user.contacts.filter(erased_at__isnull=True).select_related(
        "organisation")
    scope = permissions.request_scope(request)
    if scope is not None:
        contacts = contacts.filter(organisation__path__startswith=scope.path)
    return list(contacts)


@router.post("/me/contacts/{contact_id}/consents", response={200: Accepted, **ERRORS},
             auth=bearer, summary="Grant or withdraw your own consent")
def my_consent(request, contact_id: int, payload: MyConsentIn):
    from mitmachen.people.member import SELF_TEXT_VERSION

    contact = get_object_or_404(Contact, pk=contact_id, user=request.user,
                                erased_at__isnull=True,
                                organisation__path__startswith=permissions.request_scope(
                                    request).path)
    if payload.granted and payload.channel == Consent.Channel.EMAIL and \
            contact.status != Contact.Status.MEMBER:
        _r, token = services.consent_request_create(
            contact=contact, channel=payload.channel, purpose=payload.purpose,
            text_version=SELF_TEXT_VERSION, actor=request.user)
        notifications.consent_requested(request, contact, token,
                                        Consent.Purpose(payload.purpose).label)
        return {"detail": _("We have sent you an e-mail. Your consent counts once you confirm "
                            "it there.")}
    services.consent_record(contact=contact, channel=payload.channel, purpose=payload.purpose,
                            granted=payload.granted, source=Consent.Source.SELF,
                            text_version=SELF_TEXT_VERSION, actor=request.user)
    return {"detail": _("Your consent has been saved.") if payload.granted
            else _("Your consent has been withdrawn.")}


class ApplicationOut(Schema):
    id: int
    contact_id: int
    first_name: str
    last_name: str
    email: str
    message: str
    status: str
    confirmed_at: str | None

    @staticmethod
    def resolve_first_name(obj):
        return obj.contact.first_name

    @staticmethod
    def resolve_last_name(obj):
        return obj.contact.last_name

    @staticmethod
    def resolve_email(obj):
        return obj.contact.email

    @staticmethod
    def resolve_confirmed_at(obj):
        return obj.confirmed_at.isoformat() if obj.confirmed_at else None


class ApplicationDecisionIn(Schema):
    accept: bool
    answer: Text(5000) = ""
    membership_number: Text(30) = ""


@router.get("/organisations/{organisation_id}/applications",
            response={200: list[ApplicationOut], **ERRORS}, auth=bearer,
            summary="Applications waiting for the board (personal data, logged)")
@paginate(PageNumberPagination)
def application_list(request, organisation_id: int):
    from mitmachen.people.models import MembershipApplication

    organisation = _organisation(request, organisation_id, Perm.MEMBERSHIP_DECIDE)
    audit_read(actor=request.user, organisation=organisation,
               what="membership applications (API)")
    return MembershipApplication.objects.filter(
        contact__organisation=organisation,
        status=MembershipApplication.Status.PENDING).select_related("contact")


@router.post("/applications/{application_id}/decision", response={200: ApplicationOut,
             **ERRORS}, auth=bearer, summary="Accept or decline an application")
def application_decision(request, application_id: int, payload: ApplicationDecisionIn):
    from django.db import transaction

    from mitmachen.people.models import MembershipApplication

    application = get_object_or_404(MembershipApplication.objects.select_related(
        "contact__organisation"), pk=application_id)
    permissions.require(request, Perm.MEMBERSHIP_DECIDE, application.contact.organisation)
    with transaction.atomic():
        decided = applications.application_decide(
            application=application, accept=payload.accept, answer=payload.answer,
            membership_number=payload.membership_number, actor=request.user)
        new_account = False
        if payload.accept:
            _user, new_account = services.contact_account_link(contact=decided.contact,
                                                               actor=request.user)
        notifications.application_decided(request, decided, new_account)
    return decided
