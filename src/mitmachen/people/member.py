"""The member's own pages: profile, consents, groups, organisations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mitmachen.core.errors import add_to_form, text_of
from mitmachen.groups import services as group_services
from mitmachen.groups.models import Group, GroupMember, JoinRequest
from mitmachen.people import notifications, selectors, services
from mitmachen.people.forms import JoinForm, ProfileForm, ProposalForm
from mitmachen.people.models import Consent, Contact

SELF_TEXT_VERSION = "member-portal-2026-11"


def _own_contact(request, slug) -> Contact:
    return get_object_or_404(Contact.objects.select_related("organisation"), user=request.user,
                             organisation__slug=slug, erased_at__isnull=True)


@login_required
def me(request):
    contacts = request.user.contacts.filter(erased_at__isnull=True).select_related(
        "organisation")
    return render(request, "people/me.html", {"contacts": contacts})


@login_required
def me_organisation(request, slug):
    contact = _own_contact(request, slug)
    form = ProfileForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        data = {field: form.cleaned_data[field] for field in ProfileForm.Meta.fields}
        try:
            services.contact_update(contact=Contact.objects.get(pk=contact.pk), data=data,
                                    actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("people:me_organisation", slug=slug)
    if request.method == "POST":
        messages.error(request, _("Please correct the errors below. Nothing was saved."))
    state = selectors.consent_state(contact)
    consent_rows = [
        {"channel": channel, "channel_label": channel_label, "purpose": purpose,
         "purpose_label": purpose_label, "consent": state.get((channel, purpose))}
        for channel, channel_label in Consent.Channel.choices
        for purpose, purpose_label in Consent.Purpose.choices
    ]
    group_ids = set(contact.group_memberships.values_list("group_id", flat=True))
    pending = set(contact.join_requests.filter(status="pending").values_list("group_id",
                                                                           flat=True))
    open_groups = Group.objects.filter(organisation=contact.organisation).exclude(
        status=Group.Status.DISSOLVED).exclude(pk__in=group_ids)
    if contact.status != Contact.Status.MEMBER:
        open_groups = open_groups.exclude(audience=Group.Audience.MEMBERS).exclude(
            visibility=Group.Visibility.MEMBERS)
    coordinated = JoinRequest.objects.filter(
        status=JoinRequest.Status.PENDING, group__members__contact=contact,
        group__members__role=GroupMember.Role.COORDINATOR).select_related("group", "contact")
    return render(request, "people/me_organisation.html", {
        "requests_to_answer": coordinated,
        "contact": contact, "organisation": contact.organisation, "form": form,
        "consent_rows": consent_rows,
        "memberships": contact.group_memberships.select_related("group"),
        "open_groups": open_groups, "pending": pending, "join_form": JoinForm(),
        "proposal_form": ProposalForm(), "proposals": contact.group_proposals.all(),
        "assemblies": my_assemblies(contact),
    })


def my_assemblies(contact: Contact) -> list[dict]:
    """Assemblies the member takes part in that are not over, with their personal link."""
    from mitmachen.assemblies.access import participant_token
    from mitmachen.assemblies.models import Assembly, Participant

    rows = Participant.objects.filter(contact=contact).exclude(
        assembly__status=Assembly.Status.CLOSED).select_related("assembly__event")
    return [{"assembly": p.assembly, "token": participant_token(p)}
            for p in rows.order_by("assembly__event__starts_at")]


@login_required
@require_POST
def me_consent(request, slug):
    contact = _own_contact(request, slug)
    channel, purpose = request.POST.get("channel"), request.POST.get("purpose")
    granted = request.POST.get("granted") == "yes"
    if channel not in Consent.Channel.values or purpose not in Consent.Purpose.values:
        messages.error(request, _("Please correct the errors below. Nothing was saved."))
        return redirect("people:me_organisation", slug=slug)
    needs_opt_in = (granted and channel == Consent.Channel.EMAIL
                    and contact.status != Contact.Status.MEMBER)
    try:
        if needs_opt_in:
            _request, token = services.consent_request_create(
                contact=contact, channel=channel, purpose=purpose,
                text_version=SELF_TEXT_VERSION, actor=request.user)
            notifications.consent_requested(request, contact, token,
                                            Consent.Purpose(purpose).label)
            messages.success(request, _("We have sent you an e-mail. Your consent counts once "
                                        "you confirm it there."))
        else:
            services.consent_record(contact=contact, channel=channel, purpose=purpose,
                                    granted=granted, source=Consent.Source.SELF,
                                    text_version=SELF_TEXT_VERSION, actor=request.user)
            messages.success(request, _("Your consent has been saved.") if granted
                             else _("Your consent has been withdrawn."))
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    return redirect("people:me_organisation", slug=slug)


@login_required
@require_POST
def me_join(request, slug, group_id):
    contact = _own_contact(request, slug)
    group = get_object_or_404(Group, pk=group_id, organisation=contact.organisation)
    form = JoinForm(request.POST)
    if form.is_valid():
        try:
            group_services.join_request_create(group=group, contact=contact, actor=request.user,
                                               message=form.cleaned_data["message"])
        except ValidationError as exc:
            messages.error(request, text_of(exc))
        else:
            messages.success(request, _("Your request has been sent to the group's "
                                        "coordinators."))
    else:
        messages.error(request, _("Please correct the errors below. Nothing was saved."))
    return redirect("people:me_organisation", slug=slug)


@login_required
@require_POST
def me_propose(request, slug):
    contact = _own_contact(request, slug)
    form = ProposalForm(request.POST)
    if contact.status != Contact.Status.MEMBER:
        messages.error(request, _("Only members can propose a new group."))
    elif form.is_valid():
        group_services.group_propose(contact=contact, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Your proposal has been sent to the board."))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("people:me_organisation", slug=slug)


@login_required
@require_POST
def me_decide(request, slug, request_id):
    """A group's coordinator answers a join request for that group."""
    contact = _own_contact(request, slug)
    join_request = get_object_or_404(JoinRequest.objects.select_related("group"),
                                     pk=request_id, group__organisation=contact.organisation)
    if not group_services.may_decide_for(request.user, join_request.group):
        raise Http404
    try:
        group_services.join_request_decide(
            request=join_request, accept=request.POST.get("decision") == "accept",
            answer=request.POST.get("answer", "")[:2000], actor=request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("The request has been answered."))
    return redirect("people:me_organisation", slug=slug)
