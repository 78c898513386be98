"""Looking up an organisation's objects for a request, with the permission check applied."""

from django.shortcuts import get_object_or_404

from mitmachen.core.permissions import require


def staff_organisation(request, slug: str, perm: str):
    """The organisation behind a staff URL, or 404/403 (see permissions.require)."""
    from mitmachen.organisations.models import Organisation

    organisation = get_object_or_404(Organisation, slug=slug)
    require(request, perm, organisation)
    request.session["staff_org"] = organisation.slug
    return organisation


def owned_or_404(queryset, organisation, **lookup):
    """An object of `organisation`; another organisation's id answers 404, never the data."""
    return get_object_or_404(queryset, organisation=organisation, **lookup)
