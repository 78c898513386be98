from django.db import transaction

from mitmachen.core.updates import create_audited
from mitmachen.groups.models import Group


def group_create(*, organisation, name: str, kind: str, actor, districts=(), **fields) -> Group:
    with transaction.atomic():
        group = create_audited(
            instance=Group(organisation=organisation, name=name, kind=kind, **fields), actor=actor
        )
        if districts:
            group.districts.set(districts)
    return group
