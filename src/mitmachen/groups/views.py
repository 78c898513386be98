from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mitmachen.core import permissions
from mitmachen.core.audit import audit_read
from mitmachen.core.errors import text_of
from mitmachen.core.roles import Perm
from mitmachen.core.tenancy import owned_or_404, staff_organisation
from mitmachen.groups import services
from mitmachen.groups.models import Group, GroupProposal, JoinRequest


@login_required
def staff_list(request, slug):
    organisation = staff_organisation(request, slug, Perm.GROUP_CHANGE)
    groups = Group.objects.filter(organisation=organisation).prefetch_related("members")
    requests = JoinRequest.objects.filter(group__organisation=organisation,
                                          status=JoinRequest.Status.PENDING).select_related(
        "group", "contact")
    may_found = permissions.can(request.user, Perm.GROUP_FOUND, organisation)
    proposals = GroupProposal.objects.filter(
        organisation=organisation, status=GroupProposal.Status.PENDING).select_related(
        "proposed_by") if may_found else []
    audit_read(actor=request.user, organisation=organisation, what="groups and join requests")
    return render(request, "groups/staff_list.html", {
        "organisation": organisation, "groups": groups, "requests": requests,
        "proposals": proposals, "may_found": may_found,
        "statuses": Group.Status.choices,
    })


@login_required
def staff_detail(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.GROUP_CHANGE)
    group = owned_or_404(Group, organisation, pk=pk)
    audit_read(actor=request.user, obj=group, organisation=organisation,
               what=f"members of {group.name}")
    return render(request, "groups/staff_detail.html", {
        "organisation": organisation, "group": group,
        "members": group.members.select_related("contact"),
        "history": group.status_changes.all(),
        "next_statuses": [(s, Group.Status(s).label) for s in
                          sorted(services.GROUP_TRANSITIONS.get(group.status, set()))],
    })


@login_required
@require_POST
def group_status(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.GROUP_CHANGE)
    group = owned_or_404(Group, organisation, pk=pk)
    try:
        services.group_status_change(group=group, to_status=request.POST.get("status", ""),
                                     actor=request.user,
                                     reason=request.POST.get("reason", "")[:300])
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("The group's status has been changed."))
    return redirect("groups:staff_detail", slug=slug, pk=group.pk)


@login_required
@require_POST
def request_decide(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.GROUP_CHANGE)
    join_request = get_object_or_404(JoinRequest, pk=pk, group__organisation=organisation)
    try:
        services.join_request_decide(request=join_request,
                                     accept=request.POST.get("decision") == "accept",
                                     answer=request.POST.get("answer", "")[:2000],
                                     actor=request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("The request has been answered."))
    return redirect("groups:staff_list", slug=slug)


@login_required
@require_POST
def proposal_decide(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.GROUP_FOUND)
    proposal = owned_or_404(GroupProposal, organisation, pk=pk)
    try:
        needed = int(request.POST.get("founding_members_needed", "3"))
        if not 1 <= needed <= 50:
            raise ValueError
    except ValueError:
        messages.error(request, _("The number of founding members must be between 1 and 50."))
        return redirect("groups:staff_list", slug=slug)
    try:
        services.proposal_decide(proposal=proposal, accept=request.POST.get("decision") ==
                                 "accept", actor=request.user, founding_members_needed=needed)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("The proposal has been decided."))
    return redirect("groups:staff_list", slug=slug)
