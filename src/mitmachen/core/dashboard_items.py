from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mitmachen.core.dashboard import Item
from mitmachen.core.models import ApiToken, AuditEntry, RoleAssignment
from mitmachen.core.roles import Role


def items(user, organisation, roles):
    if Role.ADMINISTRATOR not in roles:
        return []
    found = []
    since = timezone.now() - timedelta(days=1)
    team = RoleAssignment.objects.filter(organisation=organisation).values_list(
        "user__email", flat=True)
    failed = AuditEntry.objects.filter(
        action=AuditEntry.Action.LOGIN_FAILED, created_at__gte=since, object_repr__in=team
    ).count()
    if failed >= 10:
        found.append(Item(
            ngettext("%(n)d failed login to this team's accounts in the last 24 hours",
                     "%(n)d failed logins to this team's accounts in the last 24 hours",
                     failed) % {"n": failed},
            level="warning",
        ))
    soon = timezone.now() + timedelta(days=14)
    expiring = ApiToken.objects.filter(
        organisation=organisation, revoked_at__isnull=True, expires_at__lte=soon,
        expires_at__gt=timezone.now(),
    ).count()
    if expiring:
        found.append(Item(
            ngettext("%(n)d API token expires within 14 days",
                     "%(n)d API tokens expire within 14 days", expiring) % {"n": expiring},
            level="warning",
        ))
    if not found:
        found.append(Item(_("Nothing needs the administrator's attention.")))
    return found
