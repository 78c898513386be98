"""The one permission check, used by pages, the API and commands alike.

A role assigned on an organisation holds there and, unless restricted, in every organisation
below it in the tree. Umbrella links and cooperations never pass roles on: each organisation is
its own data controller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

from mitmachen.core.roles import roles_with

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from mitmachen.organisations.models import Organisation


def assignments(user) -> list:
    """The user's role assignments, loaded once per user object (that is, once per request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_mm_assignments", None)
    if cached is None:
        cached = list(user.role_assignments.select_related("organisation"))
        user._mm_assignments = cached
    return cached


def _covers(assignment, organisation) -> bool:
    if assignment.organisation_id == organisation.pk:
        return True
    return assignment.include_descendants and organisation.path.startswith(
        assignment.organisation.path
    )


def _in_scope(organisation, scope) -> bool:
    return scope is None or organisation.path.startswith(scope.path)


def can(user, perm: str, organisation: Organisation, *, scope: Organisation | None = None) -> bool:
    """May `user` do `perm` in `organisation`? `scope` narrows it (an API token's organisation)."""
    if organisation is None or not _in_scope(organisation, scope):
        return False
    allowed = roles_with(perm)
    return any(a.role in allowed and _covers(a, organisation) for a in assignments(user))


def organisations_where(user, perm: str, *, scope: Organisation | None = None) -> QuerySet:
    """Every organisation in which `user` may do `perm`, as a queryset."""
    from django.db.models import Q

    from mitmachen.organisations.models import Organisation

    allowed = roles_with(perm)
    condition = Q(pk__in=[])
    for a in assignments(user):
        if a.role not in allowed:
            continue
        condition |= Q(pk=a.organisation_id)
        if a.include_descendants:
            condition |= Q(path__startswith=a.organisation.path)
    queryset = Organisation.objects.filter(condition)
    if scope is not None:
        queryset = queryset.filter(path__startswith=scope.path)
    return queryset


def can_for_subtree(user, perm: str, organisation: Organisation) -> bool:
    """Does `perm` hold for `organisation` and everything below it (not only for itself)?"""
    allowed = roles_with(perm)
    return any(
        a.role in allowed and a.include_descendants and organisation.path.startswith(
            a.organisation.path)
        for a in assignments(user)
    )


def roles_in(user, organisation: Organisation) -> set[str]:
    return {a.role for a in assignments(user) if _covers(a, organisation)}


def is_staff_anywhere(user) -> bool:
    return bool(assignments(user))


def forget(user) -> None:
    """Drop the cached assignments after a grant or revoke."""
    if user is not None and hasattr(user, "_mm_assignments"):
        del user._mm_assignments


def request_scope(request):
    return getattr(request, "token_scope", None)


def require(request, perm: str, organisation: Organisation) -> None:
    """Raise unless the request's user may do `perm` in `organisation`.

    An organisation the user has no role in at all answers 404, so that a probe cannot learn
    which ids exist elsewhere; a role without this permission answers 403.
    """
    if can(request.user, perm, organisation, scope=request_scope(request)):
        return
    if roles_in(request.user, organisation) and _in_scope(organisation, request_scope(request)):
        raise PermissionDenied
    raise Http404
