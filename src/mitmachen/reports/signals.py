"""Losing the officer role removes the keys to the organisation's reports at once."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from mitmachen.core.models import RoleAssignment
from mitmachen.core.roles import Role


@receiver(post_delete, sender=RoleAssignment)
@receiver(post_save, sender=RoleAssignment)
def _role_changed(sender, instance, **kwargs):
    if instance.role != Role.ANTIDISCRIMINATION_OFFICER:
        return
    from mitmachen.reports.access import access_sync

    # In the same transaction as the change of role: no moment in which both hold.
    access_sync(instance.user)
