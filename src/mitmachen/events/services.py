from django.db import transaction

from mitmachen.core.updates import create_audited
from mitmachen.events.models import Event


def event_create(*, organisation, title: str, kind: str, starts_at, actor, **fields) -> Event:
    with transaction.atomic():
        return create_audited(
            instance=Event(organisation=organisation, title=title, kind=kind,
                           starts_at=starts_at, **fields),
            actor=actor,
        )
