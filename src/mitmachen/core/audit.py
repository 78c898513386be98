"""Writing the audit log. Called inside the transaction of the change it records."""

from __future__ import annotations

from contextvars import ContextVar

from django.db import models

from mitmachen.core.models import AuditEntry

# Set by the middleware and the API auth, so services need not pass the channel around.
current_channel: ContextVar[str] = ContextVar("mitmachen_channel", default="cli")


def _label(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        # Without a person behind it, a command-line or task write is the system's own.
        return "system" if current_channel.get() in {"cli", "task"} else "anonymous"
    return actor.email


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def changes_between(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed."""
    return {
        key: [_plain(before.get(key)), _plain(after[key])]
        for key in after
        if _plain(before.get(key)) != _plain(after[key])
    }


def snapshot(instance: models.Model, fields: list[str]) -> dict:
    return {name: _plain(getattr(instance, name)) for name in fields}


def _owner(obj: models.Model):
    """The organisation an object belongs to, for filing its audit row."""
    if obj._meta.label_lower == "organisations.organisation":
        return obj
    for attribute in ("organisation", "umbrella"):
        owner = getattr(obj, attribute, None)
        if owner is not None:
            return owner
    # Parts of a larger record (an agenda item, a participant, an event's file) belong to the
    # organisation that owns the whole.
    for attribute in ("assembly", "event", "item", "election", "motion", "participant"):
        parent = getattr(obj, attribute, None)
        if isinstance(parent, models.Model):
            return _owner(parent)
    return None


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    organisation=None,
    changes: dict | None = None,
    object_repr: str = "",
) -> AuditEntry:
    if organisation is None and obj is not None:
        organisation = _owner(obj)
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_label(actor),
        organisation=organisation,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        changes=changes or {},
        via=current_channel.get(),
    )


def audit_read(*, actor, obj: models.Model | None = None, organisation=None, what: str = ""):
    """Log a staff read of personal data."""
    return audit_record(
        actor=actor,
        action=AuditEntry.Action.VIEW,
        obj=obj,
        organisation=organisation,
        object_repr=what,
    )
