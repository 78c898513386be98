from django.urls import reverse
from django.utils.translation import gettext as _

from mitmachen.core import permissions
from mitmachen.core.roles import Perm


def navigation(request):
    """The staff menu for the organisation being worked on, showing only what the role allows."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not permissions.is_staff_anywhere(user):
        return {"staff_nav": []}
    from mitmachen.organisations.models import Organisation

    slug = request.session.get("staff_org")
    organisation = Organisation.objects.filter(slug=slug).first() if slug else None
    if organisation is None or not permissions.roles_in(user, organisation):
        return {"staff_nav": [], "staff_org": None}
    links = [
        (Perm.CONTACT_VIEW, _("Contacts"), "people:contact_list"),
        (Perm.MEMBERSHIP_DECIDE, _("Applications"), "people:application_queue"),
        (Perm.GROUP_CHANGE, _("Groups"), "groups:staff_list"),
        (Perm.EVENT_CHANGE, _("Events"), "events:staff_list"),
        (Perm.MAILING_SEND, _("Mailings"), "messaging:mailing_list"),
        (Perm.ASSEMBLY_MANAGE, _("Assemblies"), "assemblies:list"),
        (Perm.RESOLUTION_VIEW, _("Resolutions"), "assemblies:resolutions"),
        (Perm.REPORT_HANDLE, _("Reports"), "reports:inbox"),
        (Perm.MENTORING_MANAGE, _("Mentoring"), "mentoring:programmes"),
        (Perm.ORGANISATION_CHANGE, _("Public page"), "organisations:profile_edit"),
        (Perm.PLACE_CHANGE, _("Places"), "organisations:places"),
        (Perm.TEAM_VIEW, _("Team and roles"), "core:team"),
        (Perm.AUDIT_VIEW, _("Audit log"), "core:audit"),
    ]
    nav = [
        {"label": label, "url": reverse(name, args=[organisation.slug])}
        for perm, label, name in links
        if permissions.can(user, perm, organisation)
    ]
    return {"staff_nav": nav, "staff_org": organisation}
