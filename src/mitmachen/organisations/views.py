from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mitmachen.core.errors import add_to_form
from mitmachen.core.roles import Perm
from mitmachen.core.tenancy import owned_or_404, staff_organisation
from mitmachen.events.models import Event
from mitmachen.organisations import selectors, services
from mitmachen.organisations.forms import OrganisationProfileForm, PlaceForm
from mitmachen.organisations.models import Cooperation, Municipality, Organisation, Place


def detail(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug, is_public=True)
    return render(request, "organisations/detail.html",
                  {"page": selectors.mitmachen_page(organisation)})


def cooperation(request, slug):
    coop = get_object_or_404(Cooperation, slug=slug)
    partners = coop.partners.filter(is_public=True)
    events = (coop.events.filter(visibility=Event.Visibility.PUBLIC, starts_at__gte=timezone.now())
              .exclude(status=Event.Status.CANCELLED).select_related("place"))
    return render(request, "organisations/cooperation.html",
                  {"cooperation": coop, "partners": partners, "events": events})


def municipality(request, slug):
    town = get_object_or_404(Municipality, slug=slug)
    public_places = Place.objects.filter(is_public=True, organisation__is_public=True)
    districts = town.districts.prefetch_related(Prefetch("places", queryset=public_places))
    return render(request, "organisations/municipality.html",
                  {"municipality": town, "districts": districts})


@login_required
def profile_edit(request, slug):
    organisation = staff_organisation(request, slug, Perm.ORGANISATION_CHANGE)
    form = OrganisationProfileForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(organisation=Organisation.objects.get(pk=organisation.pk),
                                         data=form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The public page has been updated."))
            return redirect("organisations:profile_edit", slug=organisation.slug)
    if request.method == "POST":
        messages.error(request, _("Please correct the errors below. Nothing was saved."))
    return render(request, "organisations/profile_form.html",
                  {"organisation": organisation, "form": form})


@login_required
def places(request, slug):
    organisation = staff_organisation(request, slug, Perm.PLACE_CHANGE)
    queryset = organisation.places.select_related("district")
    if request.GET.get("access") == "unknown":
        queryset = queryset.filter(step_free=Place.Access.UNKNOWN) | queryset.filter(
            accessible_toilet=Place.Access.UNKNOWN)
    return render(request, "organisations/places.html",
                  {"organisation": organisation, "places": queryset})


@login_required
def place_edit(request, slug, pk=None):
    organisation = staff_organisation(request, slug, Perm.PLACE_CHANGE)
    place = owned_or_404(Place, organisation, pk=pk) if pk else None
    form = PlaceForm(request.POST or None, instance=place, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            if place is None:
                services.place_create(organisation=organisation, data=form.cleaned_data,
                                      actor=request.user)
            else:
                services.place_update(place=Place.objects.get(pk=place.pk),
                                      data=form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The place has been saved."))
            return redirect("organisations:places", slug=organisation.slug)
    if request.method == "POST":
        messages.error(request, _("Please correct the errors below. Nothing was saved."))
    return render(request, "organisations/place_form.html",
                  {"organisation": organisation, "form": form, "place": place})


@login_required
@require_POST
def place_delete(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.PLACE_CHANGE)
    place = owned_or_404(Place, organisation, pk=pk)
    services.place_delete(place=place, actor=request.user)
    messages.success(request, _("The place has been deleted."))
    return redirect("organisations:places", slug=organisation.slug)
