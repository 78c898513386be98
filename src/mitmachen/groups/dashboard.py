from django.utils.translation import gettext as _

from mitmachen.core.dashboard import Item
from mitmachen.core.roles import Role
from mitmachen.groups.models import Group


def items(user, organisation, roles):
    if not roles & {Role.BOARD, Role.GROUP_COORDINATOR}:
        return []
    founding = Group.objects.filter(organisation=organisation, status=Group.Status.FOUNDING)
    return [
        Item(_("Group being founded: %(name)s") % {"name": group.name}) for group in founding
    ]
