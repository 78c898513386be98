import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mitmachen.core import permissions, services
from mitmachen.core.permissions import can, organisations_where
from mitmachen.core.roles import ROLE_PERMISSIONS, Perm, Role
from mitmachen.organisations import services as org
from mitmachen.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def test_role_holds_in_own_organisation_and_below(world):
    board = world.users["hessen_board"]
    assert can(board, Perm.ORGANISATION_CHANGE, world.hessen)
    assert can(board, Perm.ORGANISATION_CHANGE, world.kassel)
    assert can(board, Perm.ORGANISATION_CHANGE, world.ortsverband)
    assert not can(board, Perm.ORGANISATION_CHANGE, world.federal)
    assert not can(board, Perm.ORGANISATION_CHANGE, world.duesseldorf)


def test_restricted_role_holds_only_in_its_organisation(world):
    user = world.users["duesseldorf_member"]
    services.role_grant(user=user, organisation=world.kassel, role=Role.BOARD, actor=None,
                        include_descendants=False)
    assert can(user, Perm.ORGANISATION_CHANGE, world.kassel)
    assert not can(user, Perm.ORGANISATION_CHANGE, world.ortsverband)


def test_umbrella_role_does_not_reach_member_organisations(world):
    board = world.users["umbrella_board"]
    assert can(board, Perm.TEAM_VIEW, world.umbrella)
    assert not can(board, Perm.TEAM_VIEW, world.member_org)
    assert world.member_org not in organisations_where(board, Perm.TEAM_VIEW)


def test_permission_depends_on_role(world):
    assert can(world.users["kassel_admin"], Perm.AUDIT_VIEW, world.kassel)
    assert not can(world.users["kassel_board"], Perm.AUDIT_VIEW, world.kassel)
    assert not can(world.users["kassel_treasurer"], Perm.PLACE_CHANGE, world.kassel)
    assert can(world.users["kassel_events"], Perm.PLACE_CHANGE, world.kassel)


def test_anonymous_and_inactive_users_may_do_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not can(AnonymousUser(), Perm.STAFF_DASHBOARD, world.kassel)
    board = world.users["kassel_board"]
    board.is_active = False
    assert not can(board, Perm.STAFF_DASHBOARD, world.kassel)


def test_scope_narrows_a_token_to_its_subtree(world):
    board = world.users["hessen_board"]
    assert can(board, Perm.ORGANISATION_CHANGE, world.ortsverband, scope=world.kassel)
    assert not can(board, Perm.ORGANISATION_CHANGE, world.hessen, scope=world.kassel)


def test_revoking_ends_the_permission_at_once(world):
    board = world.users["kassel_board"]
    assignment = board.role_assignments.get()
    services.role_revoke(assignment=assignment, actor=None)
    assert not can(board, Perm.ORGANISATION_CHANGE, world.kassel)


def test_unknown_permission_is_an_error(world):
    with pytest.raises(ValueError):
        can(world.users["kassel_board"], "no.such.permission", world.kassel)


def test_administrators_cannot_raise_their_own_rights(world):
    from django.core.exceptions import ValidationError

    admin = world.users["kassel_admin"]
    for role in [Role.ANTIDISCRIMINATION_OFFICER, Role.BOARD, Role.ADMINISTRATOR]:
        with pytest.raises(ValidationError):
            services.role_grant(user=admin, organisation=world.kassel, role=role, actor=admin)
    assert set(admin.role_assignments.values_list("role", flat=True)) == {Role.ADMINISTRATOR}


def test_a_restricted_administrator_cannot_grant_for_the_subtree(world):
    from django.core.exceptions import ValidationError

    admin = world.users["kassel_admin"]
    admin.role_assignments.update(include_descendants=False)
    permissions.forget(admin)
    member = world.users["duesseldorf_member"]
    with pytest.raises(ValidationError):
        services.role_grant(user=member, organisation=world.kassel, role=Role.BOARD,
                            actor=admin, include_descendants=True)
    assignment = services.role_grant(user=member, organisation=world.kassel, role=Role.BOARD,
                                     actor=admin, include_descendants=False)
    assert not can(member, Perm.ORGANISATION_CHANGE, world.ortsverband)
    assert assignment.include_descendants is False


def test_granting_an_unchanged_role_writes_no_audit_row(world):
    from mitmachen.core.models import AuditEntry

    admin, board = world.users["kassel_admin"], world.users["kassel_board"]
    before = AuditEntry.objects.filter(action="grant").count()
    services.role_grant(user=board, organisation=world.kassel, role=Role.BOARD, actor=admin)
    assert AuditEntry.objects.filter(action="grant").count() == before


# Property: `can` agrees with a plain reading of the rule on random trees and assignments.
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    parents=st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=7),
    grants=st.lists(st.tuples(st.integers(0, 7), st.sampled_from(list(Role)), st.booleans()),
                    max_size=4),
    target=st.integers(0, 7),
)
def test_can_matches_the_rule(django_db_blocker, parents, grants, target):
    from django.db import transaction

    from mitmachen.core.models import User

    with django_db_blocker.unblock(), transaction.atomic():
        nodes = [org.organisation_create(name="root", slug="root-x", kind="network", level=1,
                                         actor=None)]
        for index, parent_index in enumerate(parents):
            parent = nodes[parent_index % len(nodes)]
            if parent.level >= 4:
                parent = nodes[0]
            nodes.append(org.organisation_create(
                name=f"n{index}", slug=f"n{index}-x", kind="network", level=parent.level + 1,
                parent=parent, actor=None))
        user = User.objects.create_user(email="prop@example.org", name="p")
        for node_index, role, subtree in grants:
            services.role_grant(user=user, organisation=nodes[node_index % len(nodes)], role=role,
                                include_descendants=subtree, actor=None)
        goal = nodes[target % len(nodes)]

        def ancestors_or_self(node: Organisation):
            while node is not None:
                yield node
                node = node.parent

        for perm, roles in ROLE_PERMISSIONS.items():
            # Later grants of the same role on the same node overwrite the subtree flag.
            latest = {}
            for i, r, s in grants:
                latest[(nodes[i % len(nodes)].pk, r)] = s
            expected = any(
                role in roles and (pk == goal.pk or (subtree and pk in
                                   [a.pk for a in ancestors_or_self(goal)]))
                for (pk, role), subtree in latest.items()
            )
            fresh = User.objects.get(pk=user.pk)
            assert can(fresh, perm, goal) is expected
            assert (goal in organisations_where(fresh, perm)) is expected
        transaction.set_rollback(True)
