"""Staff roles and what each may do.

The table is the single source of truth; `permissions.can` reads it. Apps add their
permissions here rather than checking role names in their own code.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BOARD = "board", _("Board")
    GROUP_COORDINATOR = "group_coordinator", _("Group coordinator")
    EVENT_ORGANISER = "event_organiser", _("Event organiser")
    CONSULTATION_STAFF = "consultation_staff", _("Consultation staff")
    MENTORING_COORDINATOR = "mentoring_coordinator", _("Mentoring coordinator")
    ANTIDISCRIMINATION_OFFICER = "antidiscrimination_officer", _("Anti-discrimination officer")
    TREASURER = "treasurer", _("Treasurer")
    ADMINISTRATOR = "administrator", _("Administrator")


class Perm:
    """Permission names; a plain namespace so a typo is an AttributeError, not a silent False."""

    STAFF_DASHBOARD = "staff.dashboard"
    ORGANISATION_CHANGE = "organisation.change"
    PLACE_CHANGE = "place.change"
    TEAM_VIEW = "team.view"
    ROLE_MANAGE = "role.manage"
    AUDIT_VIEW = "audit.view"
    GROUP_CHANGE = "group.change"
    EVENT_CHANGE = "event.change"
    CONTACT_VIEW = "contact.view"
    CONTACT_CHANGE = "contact.change"
    CONTACT_EXPORT = "contact.export"
    CONTACT_ERASE = "contact.erase"
    MEMBERSHIP_DECIDE = "membership.decide"
    GROUP_FOUND = "group.found"
    MAILING_SEND = "mailing.send"
    ASSEMBLY_MANAGE = "assembly.manage"
    ASSEMBLY_CHECKIN = "assembly.checkin"
    RESOLUTION_VIEW = "resolution.view"
    REPORT_HANDLE = "report.handle"
    MENTORING_MANAGE = "mentoring.manage"


ALL_ROLES = frozenset(Role)

# Administrators run the platform for their organisation; they get no automatic access to the
# work of other roles (reports, mentoring files), which is why this is not "everything".
ROLE_PERMISSIONS: dict[str, frozenset[Role]] = {
    Perm.STAFF_DASHBOARD: ALL_ROLES,
    Perm.ORGANISATION_CHANGE: frozenset({Role.BOARD, Role.ADMINISTRATOR}),
    Perm.PLACE_CHANGE: frozenset({Role.BOARD, Role.ADMINISTRATOR, Role.EVENT_ORGANISER}),
    Perm.TEAM_VIEW: frozenset({Role.BOARD, Role.ADMINISTRATOR}),
    Perm.ROLE_MANAGE: frozenset({Role.ADMINISTRATOR}),
    Perm.AUDIT_VIEW: frozenset({Role.ADMINISTRATOR}),
    Perm.GROUP_CHANGE: frozenset({Role.BOARD, Role.GROUP_COORDINATOR}),
    Perm.EVENT_CHANGE: frozenset({Role.BOARD, Role.EVENT_ORGANISER}),
    # Party membership is special-category data: only roles that need the list see it.
    Perm.CONTACT_VIEW: frozenset({Role.BOARD, Role.ADMINISTRATOR, Role.GROUP_COORDINATOR,
                                  Role.TREASURER}),
    Perm.CONTACT_CHANGE: frozenset({Role.BOARD, Role.ADMINISTRATOR}),
    Perm.CONTACT_EXPORT: frozenset({Role.BOARD, Role.ADMINISTRATOR}),
    Perm.CONTACT_ERASE: frozenset({Role.BOARD, Role.ADMINISTRATOR}),
    Perm.MEMBERSHIP_DECIDE: frozenset({Role.BOARD}),
    Perm.GROUP_FOUND: frozenset({Role.BOARD}),
    Perm.MAILING_SEND: frozenset({Role.BOARD, Role.GROUP_COORDINATOR, Role.EVENT_ORGANISER}),
    # Calling an assembly, its agenda, motions, elections and minutes. The chair and the
    # minute-taker named on an assembly act on that assembly without the role.
    Perm.ASSEMBLY_MANAGE: frozenset({Role.BOARD}),
    Perm.ASSEMBLY_CHECKIN: frozenset({Role.BOARD, Role.EVENT_ORGANISER}),
    Perm.RESOLUTION_VIEW: frozenset({Role.BOARD, Role.ADMINISTRATOR, Role.GROUP_COORDINATOR,
                                     Role.EVENT_ORGANISER, Role.TREASURER}),
    # The reporting channel: officers only. No other role implies it, administrators included.
    Perm.REPORT_HANDLE: frozenset({Role.ANTIDISCRIMINATION_OFFICER}),
    # Mentoring profiles hold gender, accessibility needs and goals: the coordinator only.
    Perm.MENTORING_MANAGE: frozenset({Role.MENTORING_COORDINATOR}),
}


def roles_with(perm: str) -> frozenset[Role]:
    try:
        return ROLE_PERMISSIONS[perm]
    except KeyError:
        raise ValueError(f"unknown permission {perm!r}") from None
