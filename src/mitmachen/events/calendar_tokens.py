"""The secret address of a person's own calendar feed ("my events" in a calendar app).

Only the SHA-256 digest is stored: the address is shown once, and whoever reads the database
cannot subscribe to someone's registrations. A reset replaces the token, so the old address
stops working at once.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.events.models import CalendarToken

MAX_TOKEN_LENGTH = 100


def calendar_token_reset(*, user) -> str:
    """Create the user's calendar token, or replace the one they have. Returns the secret."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        existing = CalendarToken.objects.select_for_update().filter(user=user).first()
        if existing is None:
            record = CalendarToken.objects.create(user=user,
                                                  digest=CalendarToken.digest_of(token))
            action = AuditEntry.Action.CREATE
        else:
            existing.digest = CalendarToken.digest_of(token)
            existing.save(update_fields=["digest"])
            record, action = existing, AuditEntry.Action.UPDATE
        audit_record(actor=user, action=action, obj=record, object_repr="calendar token")
    return token


def calendar_token_delete(*, user) -> bool:
    with transaction.atomic():
        record = CalendarToken.objects.filter(user=user).first()
        if record is None:
            return False
        audit_record(actor=user, action=AuditEntry.Action.DELETE, obj=record,
                     object_repr="calendar token")
        record.delete()
    return True


def user_of(token: str):
    """The owner of a calendar token, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    record = CalendarToken.objects.select_related("user").filter(
        digest=CalendarToken.digest_of(token)).first()
    if record is None or not record.user.is_active:
        return None
    return record.user
