"""Writes for groups: their lifecycle, members, join requests and proposals."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.core.updates import create_audited
from mitmachen.groups.models import (
    Group,
    GroupMember,
    GroupProposal,
    GroupStatusChange,
    JoinRequest,
)

G = Group.Status
# being founded → active → dormant → dissolved; dormant groups can wake up again.
GROUP_TRANSITIONS = {
    G.FOUNDING: {G.ACTIVE, G.DISSOLVED},
    G.ACTIVE: {G.DORMANT, G.DISSOLVED},
    G.DORMANT: {G.ACTIVE, G.DISSOLVED},
    G.DISSOLVED: set(),
}


def group_create(*, organisation, name: str, kind: str, actor, districts=(), **fields) -> Group:
    with transaction.atomic():
        group = create_audited(
            instance=Group(organisation=organisation, name=name, kind=kind, **fields), actor=actor
        )
        if districts:
            group.districts.set(districts)
        GroupStatusChange.objects.create(group=group, to_status=group.status,
                                         reason=_("group created"))
    return group


def group_status_change(*, group: Group, to_status: str, actor, reason: str = "") -> Group:
    with transaction.atomic():
        locked = Group.objects.select_for_update().get(pk=group.pk)
        if to_status not in GROUP_TRANSITIONS.get(locked.status, set()):
            raise ValidationError({"status": _("A group cannot go from “%(from)s” to “%(to)s”.")
                                   % {"from": G(locked.status).label,
                                      "to": G(to_status).label if to_status in G.values
                                      else to_status}})
        before = locked.status
        locked.status = to_status
        locked.save(update_fields=["status", "updated_at"])
        GroupStatusChange.objects.create(group=locked, from_status=before, to_status=to_status,
                                         reason=reason[:300])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                     changes={"status": [before, to_status]})
    group.refresh_from_db()
    return group


def group_member_add(*, group: Group, contact, actor, role: str = GroupMember.Role.MEMBER
                     ) -> GroupMember:
    if contact.organisation_id != group.organisation_id:
        raise ValidationError(_("The person and the group belong to different organisations."))
    with transaction.atomic():
        member, created = GroupMember.objects.get_or_create(group=group, contact=contact,
                                                            defaults={"role": role})
        if not created and member.role != role and role == GroupMember.Role.COORDINATOR:
            member.role = role
            member.save(update_fields=["role"])
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=member,
                     organisation=group.organisation,
                     changes={"group": [None, group.name], "role": [None, member.role]})
        locked = Group.objects.select_for_update().get(pk=group.pk)
        if locked.status == G.FOUNDING and locked.founding_members_missing() == 0:
            group_status_change(group=locked, to_status=G.ACTIVE, actor=actor,
                                reason=_("enough founding members"))
    return member


def join_request_create(*, group: Group, contact, actor, message: str = "") -> JoinRequest:
    if group.status == G.DISSOLVED:
        raise ValidationError(_("This group has been dissolved."))
    if contact.organisation_id != group.organisation_id:
        raise ValidationError(_("The person and the group belong to different organisations."))
    if GroupMember.objects.filter(group=group, contact=contact).exists():
        raise ValidationError(_("You are already in this group."))
    if group.audience == Group.Audience.MEMBERS and contact.status != "member":
        raise ValidationError(_("This group is open to members only."))
    request = JoinRequest(group=group, contact=contact, message=message)
    request.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            request.save()
            audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=request,
                         organisation=group.organisation)
    except IntegrityError:
        raise ValidationError(_("You have already asked to join this group.")) from None
    return request


def may_decide_for(user, group: Group) -> bool:
    """Staff with the group role, or the group's own coordinators, answer its join requests."""
    from mitmachen.core import permissions
    from mitmachen.core.roles import Perm

    if permissions.can(user, Perm.GROUP_CHANGE, group.organisation):
        return True
    return GroupMember.objects.filter(
        group=group, role=GroupMember.Role.COORDINATOR, contact__user=user,
        contact__erased_at__isnull=True).exists()


def join_request_decide(*, request: JoinRequest, accept: bool, actor, answer: str = ""
                        ) -> JoinRequest:
    with transaction.atomic():
        locked = JoinRequest.objects.select_for_update().select_related("group", "contact").get(
            pk=request.pk)
        if locked.status != JoinRequest.Status.PENDING:
            raise ValidationError(_("This request has already been answered."))
        locked.status = JoinRequest.Status.ACCEPTED if accept else JoinRequest.Status.DECLINED
        locked.answer = answer
        locked.decided_at = timezone.now()
        locked.full_clean(validate_constraints=False)
        locked.save()
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                     organisation=locked.group.organisation,
                     changes={"status": [JoinRequest.Status.PENDING, locked.status]})
        if accept:
            group_member_add(group=locked.group, contact=locked.contact, actor=actor)
    return locked


def group_propose(*, contact, name: str, description: str, kind: str, actor) -> GroupProposal:
    with transaction.atomic():
        return create_audited(instance=GroupProposal(
            organisation=contact.organisation, proposed_by=contact, name=name,
            description=description, kind=kind), actor=actor)


def proposal_decide(*, proposal: GroupProposal, accept: bool, actor,
                    founding_members_needed: int = 3) -> GroupProposal:
    """Accepting founds the group, with the proposer as its first member and coordinator."""
    with transaction.atomic():
        locked = GroupProposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.status != GroupProposal.Status.PENDING:
            raise ValidationError(_("This proposal has already been decided."))
        locked.status = (GroupProposal.Status.ACCEPTED if accept
                         else GroupProposal.Status.DECLINED)
        if accept:
            locked.group = group_create(
                organisation=locked.organisation, name=locked.name, kind=locked.kind,
                description=locked.description, status=G.FOUNDING, actor=actor,
                founding_members_needed=founding_members_needed)
        locked.save()
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                     changes={"status": [GroupProposal.Status.PENDING, locked.status]})
        if accept:
            group_member_add(group=locked.group, contact=locked.proposed_by, actor=actor,
                             role=GroupMember.Role.COORDINATOR)
    return locked


def public_join_request_create(*, group: Group, data: dict, message: str
                               ) -> tuple[JoinRequest | None, str]:
    """A visitor without a login asks to join: the request counts once the e-mail is confirmed.

    A known address reuses its contact; the visitor sees the same answer either way.
    """
    import hashlib
    import secrets

    from mitmachen.people.models import Contact
    from mitmachen.people.services import contact_create

    if group.status == G.DISSOLVED or group.visibility != Group.Visibility.PUBLIC or \
            group.audience == Group.Audience.MEMBERS:
        raise ValidationError(_("This group does not take requests from the public page."))
    email = data["email"].strip().lower()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        contact = (Contact.objects.select_for_update().filter(
            organisation=group.organisation, email=email, erased_at__isnull=True).first())
        if contact is None:
            contact = contact_create(organisation=group.organisation, actor=None,
                                     data={**data, "email": email})
        if GroupMember.objects.filter(group=group, contact=contact).exists() or \
                JoinRequest.objects.filter(group=group, contact=contact,
                                           status=JoinRequest.Status.PENDING).exists():
            return None, ""
        request = JoinRequest(group=group, contact=contact, message=message,
                              status=JoinRequest.Status.UNCONFIRMED,
                              token_digest=hashlib.sha256(token.encode()).hexdigest())
        request.full_clean(validate_constraints=False)
        request.save()
        audit_record(actor=None, action=AuditEntry.Action.CREATE, obj=request,
                     organisation=group.organisation)
    return request, token


def public_join_request_confirm(*, token: str) -> JoinRequest:
    import hashlib

    if not token or len(token) > 100:
        raise ValidationError(_("This confirmation link is not valid."))
    digest = hashlib.sha256(token.encode()).hexdigest()
    with transaction.atomic():
        request = JoinRequest.objects.select_for_update().select_related(
            "group", "contact").filter(token_digest=digest).first()
        if request is None or request.contact.erased_at is not None:
            raise ValidationError(_("This confirmation link is not valid."))
        if request.status != JoinRequest.Status.UNCONFIRMED:
            return request
        if (timezone.now() - request.created_at).days >= 7:
            raise ValidationError(_("This confirmation link has expired. Please ask again."))
        if JoinRequest.objects.filter(group=request.group, contact=request.contact,
                                      status=JoinRequest.Status.PENDING).exists():
            request.status = JoinRequest.Status.DECLINED
            request.save(update_fields=["status"])
            return request
        request.status = JoinRequest.Status.PENDING
        request.save(update_fields=["status", "updated_at"])
        audit_record(actor=None, action=AuditEntry.Action.UPDATE, obj=request,
                     organisation=request.group.organisation,
                     changes={"status": ["unconfirmed", "pending"]})
    return request
