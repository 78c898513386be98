from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from mitmachen.core.dashboard import Item
from mitmachen.core.roles import Role
from mitmachen.messaging.models import Mailing, Message

BOUNCES_RECENT = timedelta(days=30)


def items(user, organisation, roles):
    if not roles & {Role.BOARD, Role.GROUP_COORDINATOR, Role.EVENT_ORGANISER}:
        return []
    found = []
    failed = Message.objects.filter(organisation=organisation,
                                    status=Message.Status.FAILED).exclude(
        last_error="recipient erased").count()
    if failed:
        found.append(Item(ngettext("%(n)d message could not be delivered",
                                   "%(n)d messages could not be delivered", failed)
                          % {"n": failed},
                          reverse("messaging:mailing_list", args=[organisation.slug]) +
                          "#failures", "warning"))
    # Bounces cannot be retried, so only recent ones ask for attention; the list keeps them all.
    bounced = Message.objects.filter(
        organisation=organisation, bounced_at__gte=timezone.now() - BOUNCES_RECENT).exclude(
        to_address="[erased]").count()
    if bounced:
        found.append(Item(ngettext("%(n)d e-mail came back in the last 30 days",
                                   "%(n)d e-mails came back in the last 30 days", bounced)
                          % {"n": bounced},
                          reverse("messaging:mailing_list", args=[organisation.slug]) +
                          "#bounces", "warning"))
    letters = Message.objects.filter(organisation=organisation, channel=Message.Channel.LETTER,
                                     status=Message.Status.QUEUED)
    mailings_with_letters = Mailing.objects.filter(pk__in=letters.values("mailing_id")).count()
    if mailings_with_letters:
        found.append(Item(ngettext("%(n)d mailing has letters waiting to be printed",
                                   "%(n)d mailings have letters waiting to be printed",
                                   mailings_with_letters) % {"n": mailings_with_letters},
                          reverse("messaging:mailing_list", args=[organisation.slug]),
                          "warning"))
    return found
