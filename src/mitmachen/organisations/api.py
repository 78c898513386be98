from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from mitmachen.api.auth import bearer
from mitmachen.api.schemas import Choice, Error, Text
from mitmachen.core import permissions
from mitmachen.core.audit import audit_read
from mitmachen.core.models import AuditEntry, RoleAssignment
from mitmachen.core.roles import Perm
from mitmachen.organisations import services
from mitmachen.organisations.models import Cooperation, District, Municipality, Organisation, Place

router = Router(tags=["organisations"])
ERRORS = {401: Error, 403: Error, 404: Error, 422: Error}


class OrganisationOut(Schema):
    id: int
    name: str
    short_name: str
    slug: str
    kind: str
    level: int
    parent_id: int | None
    municipality_id: int | None
    tagline: str
    about: str
    how_to_join: str
    contact_email: str
    contact_phone: str
    website: str
    member_organisation_ids: list[int]
    umbrella_ids: list[int]

    @staticmethod
    def resolve_member_organisation_ids(obj):
        return [link.member_id for link in obj.member_links.all() if link.member.is_public]

    @staticmethod
    def resolve_umbrella_ids(obj):
        return [link.umbrella_id for link in obj.umbrella_links.all() if link.umbrella.is_public]


class OrganisationPatch(Schema):
    name: Text(200, 1) | None = None
    short_name: Text(60) | None = None
    tagline: Text(200) | None = None
    about: Text(5000) | None = None
    how_to_join: Text(5000) | None = None
    contact_email: Text(254) | None = None
    contact_phone: Text(40) | None = None
    website: Text(200) | None = None
    is_public: bool | None = None


class MunicipalityOut(Schema):
    id: int
    name: str
    slug: str
    state: str


class CooperationOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    partner_ids: list[int]

    @staticmethod
    def resolve_partner_ids(obj):
        return [partner.pk for partner in obj.partners.all() if partner.is_public]


class DistrictOut(Schema):
    id: int
    name: str
    slug: str
    number: int | None
    municipality: str = Field(..., alias="municipality.name")
    municipality_id: int


class PlaceOut(Schema):
    id: int
    organisation_id: int
    name: str
    kind: str
    operator: str
    street: str
    postcode: str
    city: str
    district_id: int | None
    step_free: str
    accessible_toilet: str
    accessibility_notes: str
    is_public: bool


class PlaceIn(Schema):
    name: Text(200, 1)
    kind: Choice(Place.Kind) = Place.Kind.VENUE
    operator: Text(200) = ""
    street: Text(200) = ""
    postcode: Text(10) = ""
    city: Text(100) = ""
    district_id: int | None = None
    step_free: Choice(Place.Access) = Place.Access.UNKNOWN
    accessible_toilet: Choice(Place.Access) = Place.Access.UNKNOWN
    accessibility_notes: Text(2000) = ""
    is_public: bool = True


class PlacePatch(Schema):
    name: Text(200, 1) | None = None
    kind: Choice(Place.Kind) | None = None
    operator: Text(200) | None = None
    street: Text(200) | None = None
    postcode: Text(10) | None = None
    city: Text(100) | None = None
    district_id: int | None = None
    step_free: Choice(Place.Access) | None = None
    accessible_toilet: Choice(Place.Access) | None = None
    accessibility_notes: Text(2000) | None = None
    is_public: bool | None = None


class RoleHolderOut(Schema):
    id: int
    email: str = Field(..., alias="user.email")
    name: str = Field(..., alias="user.name")
    role: str
    include_descendants: bool


class AuditOut(Schema):
    id: int
    created_at: str
    actor: str = Field(..., alias="actor_label")
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict
    via: str

    @staticmethod
    def resolve_created_at(obj):
        return obj.created_at.isoformat()


def _public_organisations():
    return Organisation.objects.filter(is_public=True).prefetch_related(
        "member_links__member", "umbrella_links__umbrella")


def _staff_organisation(request, organisation_id: int, perm: str) -> Organisation:
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    permissions.require(request, perm, organisation)
    return organisation


def _place_data(payload: dict, organisation: Organisation) -> dict:
    """Resolve district_id to a district of the organisation's municipality."""
    data = dict(payload)
    if "district_id" in data:
        district_id = data.pop("district_id")
        district = None
        if district_id is not None:
            district = District.objects.filter(
                pk=district_id, municipality_id=organisation.municipality_id).first()
            if district is None or organisation.municipality_id is None:
                raise ValidationError({"district_id": _("Unknown district.")})
        data["district"] = district
    return data


@router.get("/organisations", response=list[OrganisationOut], summary="Public organisations")
@paginate(PageNumberPagination)
def organisation_list(request, kind: Choice(Organisation.Kind) | None = None):
    queryset = _public_organisations()
    return queryset.filter(kind=kind) if kind else queryset


@router.get("/organisations/{organisation_id}", response={200: OrganisationOut, 404: Error},
            summary="One public organisation")
def organisation_detail(request, organisation_id: int):
    return get_object_or_404(_public_organisations(), pk=organisation_id)


@router.patch("/organisations/{organisation_id}", response={200: OrganisationOut, **ERRORS},
              auth=bearer, summary="Change an organisation's public profile")
def organisation_update(request, organisation_id: int, payload: OrganisationPatch):
    organisation = _staff_organisation(request, organisation_id, Perm.ORGANISATION_CHANGE)
    services.organisation_update(organisation=organisation,
                                 data=payload.dict(exclude_unset=True), actor=request.user)
    return Organisation.objects.prefetch_related(
        "member_links__member", "umbrella_links__umbrella").get(pk=organisation.pk)


@router.get("/organisations/{organisation_id}/roles", response={200: list[RoleHolderOut],
            **ERRORS}, auth=bearer, summary="Who holds which role (personal data, logged)")
@paginate(PageNumberPagination)
def organisation_roles(request, organisation_id: int):
    organisation = _staff_organisation(request, organisation_id, Perm.TEAM_VIEW)
    audit_read(actor=request.user, organisation=organisation, what="team list (API)")
    return RoleAssignment.objects.filter(organisation=organisation).select_related("user")


@router.get("/organisations/{organisation_id}/audit", response={200: list[AuditOut], **ERRORS},
            auth=bearer, summary="The organisation's audit log (administrators)")
@paginate(PageNumberPagination)
def organisation_audit(request, organisation_id: int, action: str | None = None):
    organisation = _staff_organisation(request, organisation_id, Perm.AUDIT_VIEW)
    entries = AuditEntry.objects.filter(organisation=organisation)
    if action:
        entries = entries.filter(action=action)
    audit_read(actor=request.user, organisation=organisation, what="audit log (API)")
    return entries


@router.get("/municipalities", response=list[MunicipalityOut], summary="Municipalities")
@paginate(PageNumberPagination)
def municipality_list(request):
    return Municipality.objects.all()


@router.get("/cooperations", response=list[CooperationOut],
            summary="Projects run by several organisations together")
@paginate(PageNumberPagination)
def cooperation_list(request):
    return Cooperation.objects.prefetch_related("partners")


@router.get("/cooperations/{cooperation_id}", response={200: CooperationOut, 404: Error},
            summary="One cooperation")
def cooperation_detail(request, cooperation_id: int):
    return get_object_or_404(Cooperation.objects.prefetch_related("partners"), pk=cooperation_id)


@router.get("/districts", response=list[DistrictOut], summary="City districts")
@paginate(PageNumberPagination)
def district_list(request, municipality: str | None = None):
    queryset = District.objects.select_related("municipality")
    return queryset.filter(municipality__slug=municipality) if municipality else queryset


@router.get("/districts/{district_id}", response={200: DistrictOut, 404: Error},
            summary="One district")
def district_detail(request, district_id: int):
    return get_object_or_404(District.objects.select_related("municipality"), pk=district_id)


@router.get("/places", response=list[PlaceOut], summary="Public places")
@paginate(PageNumberPagination)
def place_list(request, organisation_id: int | None = None, district_id: int | None = None):
    queryset = Place.objects.filter(is_public=True, organisation__is_public=True)
    if organisation_id is not None:
        queryset = queryset.filter(organisation_id=organisation_id)
    if district_id is not None:
        queryset = queryset.filter(district_id=district_id)
    return queryset


@router.get("/places/{place_id}", response={200: PlaceOut, 404: Error}, summary="One place")
def place_detail(request, place_id: int):
    return get_object_or_404(Place, Q(is_public=True, organisation__is_public=True), pk=place_id)


@router.post("/organisations/{organisation_id}/places", response={201: PlaceOut, **ERRORS},
             auth=bearer, summary="Add a place")
def place_create(request, organisation_id: int, payload: PlaceIn):
    organisation = _staff_organisation(request, organisation_id, Perm.PLACE_CHANGE)
    data = _place_data(payload.dict(), organisation)
    place = services.place_create(organisation=organisation, data=data, actor=request.user)
    return Status(201, place)


def _staff_place(request, place_id: int) -> Place:
    place = get_object_or_404(Place.objects.select_related("organisation"), pk=place_id)
    permissions.require(request, Perm.PLACE_CHANGE, place.organisation)
    return place


@router.patch("/places/{place_id}", response={200: PlaceOut, **ERRORS}, auth=bearer,
              summary="Change a place")
def place_update(request, place_id: int, payload: PlacePatch):
    place = _staff_place(request, place_id)
    data = _place_data(payload.dict(exclude_unset=True), place.organisation)
    services.place_update(place=place, data=data, actor=request.user)
    return place


@router.delete("/places/{place_id}", response={204: None, **ERRORS}, auth=bearer,
               summary="Delete a place")
def place_delete(request, place_id: int):
    services.place_delete(place=_staff_place(request, place_id), actor=request.user)
    return Status(204, None)
