"""Bulk changes over many contacts. Small ones run at once, large ones as a task with progress."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mitmachen.core.models import Job
from mitmachen.people.models import Contact

IMMEDIATE_LIMIT = 100
CHUNK = 200


def bulk_start(*, organisation, contact_ids: list[int], action: str, params: dict, actor) -> Job:
    """Record the job; run it now when small, else enqueue it after the commit."""
    owned = list(Contact.objects.filter(organisation=organisation, pk__in=contact_ids,
                                        erased_at__isnull=True).values_list("pk", flat=True))
    if len(owned) != len(set(contact_ids)):
        # Another organisation's ids, or erased ones: refuse the whole request.
        raise ValidationError(_("Some selected contacts are not available."))
    job = Job.objects.create(organisation=organisation, created_by=actor, kind=action,
                             params={**params, "contact_ids": sorted(owned)}, total=len(owned))
    if len(owned) <= IMMEDIATE_LIMIT:
        bulk_run(job_id=job.pk)
        job.refresh_from_db()
    else:
        from mitmachen.people.tasks import bulk_contacts

        transaction.on_commit(lambda: bulk_contacts.enqueue(job.pk))
    return job


def bulk_run(*, job_id: int) -> None:
    """Apply the job in chunks; each chunk is one transaction. Safe to run twice."""
    from mitmachen.groups.models import Group
    from mitmachen.groups.services import group_member_add
    from mitmachen.people.services import status_change

    job = Job.objects.select_related("organisation", "created_by").get(pk=job_id)
    if job.status == Job.Status.DONE:
        return
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    ids = job.params["contact_ids"]
    skipped = 0
    try:
        group = (Group.objects.get(pk=job.params["group_id"], organisation=job.organisation)
                 if job.kind == "add_to_group" else None)
        for start in range(job.done, len(ids), CHUNK):
            with transaction.atomic():
                for contact in Contact.objects.filter(pk__in=ids[start:start + CHUNK]):
                    if group is not None:
                        group_member_add(group=group, contact=contact, actor=job.created_by)
                    elif contact.status != job.params["status"]:
                        try:
                            status_change(contact=contact, to_status=job.params["status"],
                                          actor=job.created_by, reason=_("bulk change"))
                        except ValidationError:
                            skipped += 1
                done = min(len(ids), start + CHUNK)
                Job.objects.filter(pk=job.pk).update(done=done)
    except Exception as exc:
        Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, message=str(exc)[:500])
        raise
    message = (_("%(n)d contacts could not take this status and were left as they were.")
               % {"n": skipped}) if skipped else ""
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE, done=len(ids), message=message)
