"""Changes elsewhere that change who can read reports.

Losing the officer role removes the keys to the organisation's reports at once. Gaining it, or
a change to an officer's authenticator app, changes who could read: the readers are told
(access.notify_readers_changed). All of it runs in the transaction of the change.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from mitmachen.core.models import RoleAssignment, TotpDevice, User
from mitmachen.core.roles import Perm, roles_with


def _is_officer_role(assignment) -> bool:
    return assignment.role in roles_with(Perm.REPORT_HANDLE)


def _deleting(origin, model) -> bool:
    """Is this deletion part of deleting a `model` (an instance or a queryset of it)?"""
    if origin is None:
        return False
    origin_model = getattr(origin, "model", None) or type(origin)
    return isinstance(origin_model, type) and issubclass(origin_model, model)


@receiver(post_save, sender=RoleAssignment)
def _role_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw or not _is_officer_role(instance):
        return
    from mitmachen.reports import access

    # In the same transaction as the change of role: no moment in which both hold.
    access.access_sync(instance.user)
    if created:
        access.role_granted(instance.user, instance.organisation)


@receiver(post_delete, sender=RoleAssignment)
def _role_deleted(sender, instance, origin=None, **kwargs):
    if not _is_officer_role(instance):
        return
    from mitmachen.organisations.models import Organisation
    from mitmachen.reports import access
    from mitmachen.reports.models import Reader

    was_reader = Reader.objects.filter(organisation_id=instance.organisation_id,
                                       user_id=instance.user_id).exists()
    access.access_sync(instance.user)
    if _deleting(origin, Organisation):
        return  # the organisation goes with all its reports: nobody left to tell
    # A reader who lost the role is told as well: it may not have been their own wish.
    also = [instance.user] if was_reader and not _deleting(origin, User) else []
    access.notify_readers_changed(instance.organisation, also=also)


@receiver(pre_save, sender=TotpDevice)
def _device_before(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or (update_fields is not None and "confirmed_at" not in update_fields):
        return
    instance._mm_confirmed_before = (
        TotpDevice.objects.filter(pk=instance.pk).values_list("confirmed_at", flat=True).first()
        if instance.pk else None)


@receiver(post_save, sender=TotpDevice)
def _device_saved(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or (update_fields is not None and "confirmed_at" not in update_fields):
        return
    if getattr(instance, "_mm_confirmed_before", None) == instance.confirmed_at:
        return
    from mitmachen.reports import access

    access.factors_changed(instance.user)


@receiver(post_delete, sender=TotpDevice)
def _device_deleted(sender, instance, origin=None, **kwargs):
    if _deleting(origin, User):
        return  # the account goes: its role assignments' deletion tells the readers
    from mitmachen.reports import access

    access.factors_changed(instance.user)
