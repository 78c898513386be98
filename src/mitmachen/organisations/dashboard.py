from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mitmachen.core.dashboard import Item
from mitmachen.core.roles import Role
from mitmachen.organisations.models import Place


def items(user, organisation, roles):
    found = []
    if roles & {Role.BOARD, Role.ADMINISTRATOR}:
        missing = [
            label for label, value in [
                (_("who we are"), organisation.about),
                (_("how to get involved"), organisation.how_to_join),
                (_("contact e-mail"), organisation.contact_email),
            ] if not value
        ]
        if missing:
            found.append(Item(
                _("The public page lacks: %(fields)s") % {"fields": ", ".join(missing)},
                reverse("organisations:profile_edit", args=[organisation.slug]),
                "warning",
            ))
    if roles & {Role.BOARD, Role.ADMINISTRATOR, Role.EVENT_ORGANISER}:
        unknown = Place.objects.filter(organisation=organisation).filter(
            Q(step_free=Place.Access.UNKNOWN) | Q(accessible_toilet=Place.Access.UNKNOWN)
        ).count()
        if unknown:
            found.append(Item(
                ngettext("%(n)d place has no accessibility information",
                         "%(n)d places have no accessibility information", unknown)
                % {"n": unknown},
                reverse("organisations:places", args=[organisation.slug]) + "?access=unknown",
                "warning",
            ))
    return found
