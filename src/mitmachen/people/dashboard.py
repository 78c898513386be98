from django.urls import reverse
from django.utils.translation import ngettext

from mitmachen.core.dashboard import Item
from mitmachen.core.roles import Role
from mitmachen.groups.models import GroupProposal, JoinRequest
from mitmachen.people.models import MembershipApplication


def items(user, organisation, roles):
    found = []
    if Role.BOARD in roles:
        waiting = MembershipApplication.objects.filter(
            contact__organisation=organisation,
            status=MembershipApplication.Status.PENDING).count()
        if waiting:
            found.append(Item(ngettext("%(n)d membership application is waiting",
                                       "%(n)d membership applications are waiting", waiting)
                              % {"n": waiting},
                              reverse("people:application_queue", args=[organisation.slug]),
                              "warning"))
        proposals = GroupProposal.objects.filter(organisation=organisation,
                                                 status=GroupProposal.Status.PENDING).count()
        if proposals:
            found.append(Item(ngettext("%(n)d proposal for a new group is waiting",
                                       "%(n)d proposals for new groups are waiting", proposals)
                              % {"n": proposals},
                              reverse("groups:staff_list", args=[organisation.slug]), "warning"))
    if roles & {Role.BOARD, Role.GROUP_COORDINATOR}:
        requests = JoinRequest.objects.filter(group__organisation=organisation,
                                              status=JoinRequest.Status.PENDING).count()
        if requests:
            found.append(Item(ngettext("%(n)d person asks to join a group",
                                       "%(n)d people ask to join a group", requests)
                              % {"n": requests},
                              reverse("groups:staff_list", args=[organisation.slug]), "warning"))
    return found
