"""The shared shape of an audited update, so each app's services stay short."""

from django.db import models

from mitmachen.core.audit import audit_record, changes_between, snapshot
from mitmachen.core.models import AuditEntry


def update_audited(*, instance: models.Model, data: dict, fields: list[str], actor) -> dict:
    """Set `fields` from `data`, validate, save and audit. Call inside transaction.atomic.

    Fields missing from `data` keep their value. Returns the changes ({field: [old, new]}).
    Raises ValidationError before anything is written.
    """
    unknown = set(data) - set(fields)
    if unknown:
        raise ValueError(f"fields not editable here: {sorted(unknown)}")
    before = snapshot(instance, fields)
    for name, value in data.items():
        setattr(instance, name, value)
    instance.full_clean()
    changes = changes_between(before, snapshot(instance, fields))
    if changes:
        instance.save()
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=instance, changes=changes)
    return changes


def create_audited(*, instance: models.Model, actor) -> models.Model:
    """Validate, save and audit a new object. Call inside transaction.atomic."""
    instance.full_clean()
    instance.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=instance)
    return instance


def delete_audited(*, instance: models.Model, actor, organisation=None) -> None:
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, obj=instance,
                 organisation=organisation or getattr(instance, "organisation", None))
    instance.delete()
