"""Calling an assembly: the organisation's rules, the assembly itself, its agenda and who may
take part. Invitations, attendance, speakers, motions, votes, elections and minutes have
modules of their own."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from mitmachen.assemblies import live
from mitmachen.assemblies.models import (
    AgendaDocument,
    AgendaItem,
    Assembly,
    AssemblyRules,
    Election,
    Motion,
    Participant,
    QuotaCategory,
    SpeakerRequest,
    Vote,
)
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.core.updates import create_audited, delete_audited, update_audited
from mitmachen.events.models import Event
from mitmachen.people.models import Contact, StatusChange

RULE_FIELDS = ["lead_days", "reminder_days", "quorum_kind", "quorum_value", "alternate",
               "first_time_first", "speaking_seconds"]
ASSEMBLY_FIELDS = ["reference_date", "chair", "minute_taker", "invitation_text",
                   *RULE_FIELDS]
ITEM_FIELDS = ["title", "description", "kind", "minutes_estimate", "parent", "notes"]
MAX_ITEMS = 200
S = Assembly.Status
NEXT_STATUSES = {
    S.PREPARING: [S.INVITED, S.IN_SESSION],
    S.INVITED: [S.IN_SESSION],
    S.IN_SESSION: [S.CLOSED],
    S.CLOSED: [],
}


def lock_open(assembly_id: int) -> Assembly:
    """Lock the assembly row — always first, before any item, vote or election row, so that
    services never wait for each other in opposite orders — and refuse once it is closed."""
    locked = Assembly.objects.select_for_update().get(pk=assembly_id)
    if locked.status == Assembly.Status.CLOSED:
        raise ValidationError(_("The assembly is closed; its record can no longer change."))
    return locked


def rules_for(organisation) -> AssemblyRules:
    """The organisation's statutes for assemblies; the defaults until the board sets them."""
    rules = AssemblyRules.objects.filter(organisation=organisation).first()
    return rules or AssemblyRules(organisation=organisation)


def rules_update(*, organisation, data: dict, actor) -> AssemblyRules:
    with transaction.atomic():
        rules = AssemblyRules.objects.select_for_update().filter(
            organisation=organisation).first()
        if rules is None:
            return create_audited(instance=AssemblyRules(organisation=organisation, **data),
                                  actor=actor)
        update_audited(instance=rules, data=data, fields=RULE_FIELDS, actor=actor)
    return rules


def _check_people(organisation, data: dict) -> None:
    """Chair and minute-taker must be staff of this organisation (accounts are global)."""
    from mitmachen.core.models import RoleAssignment

    for name in ("chair", "minute_taker"):
        user = data.get(name)
        if user is not None and not RoleAssignment.objects.filter(
                user=user, organisation=organisation).exists() and not Contact.objects.filter(
                user=user, organisation=organisation, erased_at__isnull=True).exists():
            raise ValidationError({name: _("Choose someone of this organisation.")})


def assembly_create(*, event: Event, actor, reference_date: date | None = None,
                    **fields) -> Assembly:
    """Turn an event of kind assembly into an assembly, with the organisation's rules as they
    stand today."""
    if event.kind != Event.Kind.ASSEMBLY:
        raise ValidationError({"event": _("Only an event of the kind “assembly” can become an "
                                          "assembly.")})
    if Assembly.objects.filter(event=event).exists():
        raise ValidationError({"event": _("This event is already an assembly.")})
    _check_people(event.organisation, fields)
    rules = rules_for(event.organisation)
    data = {name: getattr(rules, name) for name in RULE_FIELDS}
    data.update(fields)
    reference = reference_date or timezone.localdate(event.starts_at)
    with transaction.atomic():
        return create_audited(instance=Assembly(event=event, organisation=event.organisation,
                                                reference_date=reference, **data),
                              actor=actor)


def assembly_update(*, assembly: Assembly, data: dict, actor) -> Assembly:
    if assembly.status == Assembly.Status.CLOSED:
        raise ValidationError(_("The assembly is closed; its record can no longer change."))
    _check_people(assembly.organisation, data)
    if "reference_date" in data and assembly.participants.filter(
            kind=Participant.Kind.VOTER).exists() and data["reference_date"] != \
            assembly.reference_date and assembly.status != Assembly.Status.PREPARING:
        raise ValidationError({"reference_date": _(
            "The invitations have gone out: the reference date can no longer change.")})
    with transaction.atomic():
        locked = lock_open(assembly.pk)
        fixed = {"lead_days", "reminder_days", "quorum_kind", "quorum_value"} & {
            name for name, value in data.items() if value != getattr(locked, name)}
        if fixed and locked.invited_at:
            # The invitation was sent under these statutes; changing them would rewrite it.
            raise ValidationError({sorted(fixed)[0]: _(
                "The invitations have gone out: lead time, reminder and quorum are fixed.")})
        update_audited(instance=assembly, data=data, fields=ASSEMBLY_FIELDS, actor=actor)
        live.bump(assembly.pk)
    return assembly


def lead_time_problem(assembly: Assembly, at=None) -> str:
    """A sentence when inviting at `at` breaks the statutory lead time; "" when it is kept.
    Without `at`: measured from the last invitation sent (a member added and invited late makes
    the assembly late too), or from now when none has gone out."""
    if at is not None or assembly.pk is None:
        sent = at or timezone.now()
    else:
        from mitmachen.assemblies.models import Invitation

        sent = Invitation.objects.filter(
            participant__assembly=assembly, kind=Invitation.Kind.INVITATION).aggregate(
            last=Max("created_at"))["last"] or assembly.invited_at or timezone.now()
    starts = assembly.event.starts_at
    days = (timezone.localdate(starts) - timezone.localdate(sent)).days
    if days >= assembly.lead_days:
        return ""
    return _("Invited %(days)d days ahead: the statutes require %(lead)d days (invite by "
             "%(by)s).") % {"days": max(days, 0), "lead": assembly.lead_days,
                            "by": (timezone.localdate(starts) - timedelta(
                                days=assembly.lead_days)).strftime("%d.%m.%Y")}


def status_change(*, assembly: Assembly, status: str, actor) -> Assembly:
    with transaction.atomic():
        locked = Assembly.objects.select_for_update().get(pk=assembly.pk)
        if status not in NEXT_STATUSES[locked.status]:
            raise ValidationError(_("An assembly cannot go from “%(a)s” to “%(b)s”.") % {
                "a": locked.get_status_display(), "b": Assembly.Status(status).label})
        if status == Assembly.Status.CLOSED and (
                locked.votes.filter(status=Vote.Status.OPEN).exists()
                or locked.elections.filter(status=Election.Status.VOTING).exists()):
            raise ValidationError(_("A vote or an election is still open: close it before "
                                    "closing the assembly."))
        before = locked.status
        locked.status = status
        now = timezone.now()
        if status == Assembly.Status.IN_SESSION:
            locked.opened_at = now
        if status == Assembly.Status.CLOSED:
            locked.closed_at = now
            # A speech in progress ends with the assembly; the last item stays on the console
            # as the record of where the assembly ended.
            SpeakerRequest.objects.filter(item__assembly=locked,
                                          status=SpeakerRequest.Status.SPEAKING).update(
                status=SpeakerRequest.Status.DONE, ended_at=now)
        locked.save(update_fields=["status", "opened_at", "closed_at", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                     changes={"status": [before, status]})
        live.bump(locked.pk)
    return locked


# --- agenda ----------------------------------------------------------------------------------

def _check_parent(assembly: Assembly, parent: AgendaItem | None) -> None:
    if parent is None:
        return
    if parent.assembly_id != assembly.pk:
        raise ValidationError({"parent": _("Choose an item of this assembly.")})
    if parent.parent_id is not None:
        raise ValidationError({"parent": _("Sub-items cannot have sub-items of their own.")})


def item_create(*, assembly: Assembly, title: str, actor, parent: AgendaItem | None = None,
                **fields) -> AgendaItem:
    _check_parent(assembly, parent)
    with transaction.atomic():
        lock_open(assembly.pk)  # also keeps positions in order
        siblings = assembly.items.filter(parent=parent)
        if assembly.items.count() >= MAX_ITEMS:
            raise ValidationError(_("An agenda holds at most %(n)d items.") % {"n": MAX_ITEMS})
        position = (siblings.aggregate(m=Max("position"))["m"] or 0) + 1
        item = create_audited(instance=AgendaItem(assembly=assembly, parent=parent,
                                                  title=title, position=position, **fields),
                              actor=actor)
        live.bump(assembly.pk)
    return item


def item_update(*, item: AgendaItem, data: dict, actor) -> AgendaItem:
    if "parent" in data:
        _check_parent(item.assembly, data["parent"])
        if data["parent"] is not None and (data["parent"].pk == item.pk
                                           or item.children.exists()):
            raise ValidationError({"parent": _("An item with sub-items cannot become a "
                                               "sub-item.")})
    with transaction.atomic():
        lock_open(item.assembly_id)
        update_audited(instance=item, data=data, fields=ITEM_FIELDS, actor=actor)
        live.bump(item.assembly_id)
    return item


def item_move(*, item: AgendaItem, direction: int, actor) -> AgendaItem:
    """Swap with the neighbour above (-1) or below (+1) among the same parent's items."""
    with transaction.atomic():
        lock_open(item.assembly_id)
        siblings = list(AgendaItem.objects.filter(assembly_id=item.assembly_id,
                                                  parent_id=item.parent_id))
        index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
        other = index + (1 if direction > 0 else -1)
        if 0 <= other < len(siblings):
            siblings[index], siblings[other] = siblings[other], siblings[index]
            for position, sibling in enumerate(siblings, start=1):
                if sibling.position != position:
                    AgendaItem.objects.filter(pk=sibling.pk).update(position=position)
            audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=item,
                         organisation=item.assembly.organisation,
                         changes={"position": [index + 1, other + 1]})
            live.bump(item.assembly_id)
    item.refresh_from_db()
    return item


def item_delete(*, item: AgendaItem, actor) -> None:
    with transaction.atomic():
        # Under the lock, so no speaker request slips in between the check and the delete.
        lock_open(item.assembly_id)
        # Sub-items go with their parent, so their records count too.
        family = AgendaItem.objects.filter(Q(pk=item.pk) | Q(parent=item))
        if (SpeakerRequest.objects.filter(item__in=family).exists()
                or Vote.objects.filter(item__in=family).exists()
                or Election.objects.filter(item__in=family).exists()
                or Motion.objects.filter(item__in=family).exists()):
            raise ValidationError(_("This item or one of its sub-items has speakers, motions, "
                                    "votes or elections on record; it cannot be deleted."))
        assembly_id = item.assembly_id
        delete_audited(instance=item, actor=actor, organisation=item.assembly.organisation)
        live.bump(assembly_id)


def item_call(*, assembly: Assembly, item: AgendaItem | None, actor) -> Assembly:
    """Make `item` the one under discussion (the live view follows); the previous one is done."""
    if item is not None and item.assembly_id != assembly.pk:
        raise ValidationError(_("Choose an item of this assembly."))
    with transaction.atomic():
        locked = lock_open(assembly.pk)
        if item is not None and locked.status != Assembly.Status.IN_SESSION:
            raise ValidationError(_("Items are called while the assembly is in session."))
        if locked.current_item_id and (item is None or locked.current_item_id != item.pk):
            AgendaItem.objects.filter(pk=locked.current_item_id).update(
                status=AgendaItem.Status.DONE)
            # A speech in progress ends with its item.
            SpeakerRequest.objects.filter(item_id=locked.current_item_id,
                                          status=SpeakerRequest.Status.SPEAKING).update(
                status=SpeakerRequest.Status.DONE, ended_at=timezone.now())
        if item is not None:
            AgendaItem.objects.filter(pk=item.pk).update(status=AgendaItem.Status.CURRENT)
        locked.current_item = item
        locked.save(update_fields=["current_item", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                     changes={"current_item": [assembly.current_item_id,
                                               item.pk if item else None]})
        live.bump(locked.pk)
    return locked


def document_add(*, item: AgendaItem, title: str, upload, actor) -> AgendaDocument:
    """Attach a document (PDF, image or office document, checked by content, at most 10 MB)."""
    from django.utils.text import slugify

    from mitmachen.events.services import checked_upload

    content_type, suffix = checked_upload(upload)
    title = (title or "").strip() or (upload.name or "").rsplit("/", 1)[-1][:200]
    with transaction.atomic():
        lock_open(item.assembly_id)
        document = AgendaDocument(item=item, title=title, content_type=content_type,
                                  size=upload.size)
        document.file.save(f"{item.pk}-{slugify(title)[:40] or 'dokument'}{suffix}", upload,
                           save=False)
        return create_audited(instance=document, actor=actor)


def document_delete(*, document: AgendaDocument, actor) -> None:
    with transaction.atomic():
        lock_open(document.item.assembly_id)
        organisation = document.item.assembly.organisation
        document.file.delete(save=False)
        delete_audited(instance=document, actor=actor, organisation=organisation)


# --- who may take part ----------------------------------------------------------------------

def eligible_contacts(organisation, reference_date: date):
    """Members in good standing on the reference date: their last recorded status change up to
    that day made them members (or, without any history, they are members now and were on
    record by then). Erased contacts never vote."""
    last_status = StatusChange.objects.filter(
        contact=OuterRef("pk"), date__lte=reference_date).order_by("-date", "-pk").values(
        "to_status")[:1]
    any_history = StatusChange.objects.filter(contact=OuterRef("pk"))
    return Contact.objects.filter(organisation=organisation, erased_at__isnull=True).annotate(
        status_then=Subquery(last_status), has_history=Exists(any_history)).filter(
        Q(status_then=Contact.Status.MEMBER)
        | Q(has_history=False, status=Contact.Status.MEMBER,
            created_at__date__lte=reference_date))


def voters_build(*, assembly: Assembly, actor) -> int:
    """Add every eligible member who is not yet a participant; returns how many were added.
    Run again after the reference date changed or members were added; it never removes."""
    if assembly.status == Assembly.Status.CLOSED:
        raise ValidationError(_("The assembly is closed; its record can no longer change."))
    with transaction.atomic():
        lock_open(assembly.pk)
        known = set(assembly.participants.exclude(contact=None).values_list("contact_id",
                                                                            flat=True))
        new = [
            Participant(assembly=assembly, contact=contact, kind=Participant.Kind.VOTER,
                        name=contact.full_name, quota_category=contact.quota_category)
            for contact in eligible_contacts(assembly.organisation, assembly.reference_date)
            .order_by("pk") if contact.pk not in known
        ]
        Participant.objects.bulk_create(new, batch_size=500)
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=assembly,
                     changes={"voters_added": [0, len(new)]})
        live.bump(assembly.pk)
    return len(new)


def guest_add(*, assembly: Assembly, name: str, actor, contact: Contact | None = None,
              quota_category: str = "") -> Participant:
    name = (name or "").strip()
    if contact is not None:
        if contact.organisation_id != assembly.organisation_id:
            raise ValidationError(_("Choose a contact of this organisation."))
        name = name or contact.full_name
        quota_category = quota_category or contact.quota_category
    if quota_category and quota_category not in QuotaCategory.values:
        raise ValidationError({"quota_category": _("Choose a valid quota category.")})
    with transaction.atomic():
        lock_open(assembly.pk)
        participant = create_audited(instance=Participant(
            assembly=assembly, contact=contact, kind=Participant.Kind.GUEST, name=name,
            quota_category=quota_category), actor=actor)
        live.bump(assembly.pk)
    return participant
