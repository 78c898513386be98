"""Writes for accounts, roles and API tokens."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mitmachen.core import permissions
from mitmachen.core.audit import audit_record
from mitmachen.core.models import ApiToken, AuditEntry, RoleAssignment, User
from mitmachen.core.roles import Perm, Role


def user_create(
    *, email: str, name: str, password: str | None, actor=None, language: str = "de"
) -> User:
    user = User(email=User.objects.normalize_email(email.strip()).lower(), name=name.strip(),
                language=language)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    with transaction.atomic():
        if User.objects.filter(email__iexact=user.email).exists():
            raise ValidationError({"email": _("An account with this e-mail address exists.")})
        user.save()
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=user)
    return user


def user_set_password(*, user: User, password: str, actor) -> User:
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        # The password itself is never logged, only that it changed.
        audit_record(actor=actor or user, action=AuditEntry.Action.UPDATE, obj=user,
                     changes={"password": ["***", "***"]})
    return user


def role_grant(
    *, user: User, organisation, role: str, actor, include_descendants: bool = True
) -> RoleAssignment:
    """Give `user` a role. With an actor, the actor may not raise their own rights."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if actor is not None:
        if actor.pk == user.pk:
            raise ValidationError({"email": _("You cannot change your own roles. Ask another "
                                              "administrator.")})
        if include_descendants and not permissions.can_for_subtree(
                actor, Perm.ROLE_MANAGE, organisation):
            raise ValidationError({"include_descendants": _(
                "Your own role holds for this organisation only, so you can only grant roles "
                "for this organisation only.")})
    with transaction.atomic():
        assignment, created = RoleAssignment.objects.select_for_update().get_or_create(
            user=user,
            organisation=organisation,
            role=role,
            defaults={"include_descendants": include_descendants, "granted_by": actor},
        )
        if created:
            changes = {"user": [None, user.email], "role": [None, role],
                       "include_descendants": [None, include_descendants]}
        elif assignment.include_descendants != include_descendants:
            changes = {"include_descendants": [assignment.include_descendants,
                                               include_descendants]}
            assignment.include_descendants = include_descendants
            assignment.save(update_fields=["include_descendants", "updated_at"])
        else:
            changes = {}
        if changes:
            audit_record(actor=actor, action=AuditEntry.Action.GRANT, obj=assignment,
                         organisation=organisation, changes=changes)
    permissions.forget(user)
    return assignment


def account_for_role(*, email: str, actor) -> tuple[User, bool]:
    """The account with this e-mail, or a new one without a password (invited to set one)."""
    email = User.objects.normalize_email(email.strip()).lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing, False
    return user_create(email=email, name=email.split("@")[0], password=None, actor=actor), True


def role_revoke(*, assignment: RoleAssignment, actor) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditEntry.Action.REVOKE,
            obj=assignment,
            organisation=assignment.organisation,
            changes={"user": [assignment.user.email, None], "role": [assignment.role, None]},
        )
        assignment.delete()
    permissions.forget(assignment.user)


def token_create(
    *, user: User, organisation, name: str, actor=None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Creates a token and returns it with its plaintext, which is shown once and never stored."""
    # Staff get tokens for their roles; members for their own record (the /me endpoints).
    own_record = user.contacts.filter(organisation=organisation, erased_at__isnull=True).exists()
    if not permissions.roles_in(user, organisation) and not own_record:
        raise ValidationError(
            {"organisation": _("The account holds no role in this organisation.")}
        )
    plaintext, key_id, digest = ApiToken.new_secret()
    token = ApiToken(user=user, organisation=organisation, name=name.strip(), key_id=key_id,
                     digest=digest, expires_at=expires_at)
    token.full_clean()
    with transaction.atomic():
        token.save()
        audit_record(actor=actor or user, action=AuditEntry.Action.TOKEN_CREATE, obj=token,
                     organisation=organisation)
    return token, plaintext


def token_revoke(*, token: ApiToken, actor=None) -> ApiToken:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at", "updated_at"])
            audit_record(actor=actor, action=AuditEntry.Action.TOKEN_REVOKE, obj=token,
                         organisation=token.organisation)
    return token


def token_authenticate(*, plaintext: str) -> ApiToken | None:
    if not plaintext or len(plaintext) > 200 or not plaintext.startswith(f"{ApiToken.PREFIX}_"):
        return None
    token = (
        ApiToken.objects.select_related("user", "organisation")
        .filter(digest=ApiToken.digest_of(plaintext))
        .first()
    )
    if token is None or not token.is_usable:
        return None
    now = timezone.now()
    # Only touch the row once a minute: a busy client must not turn every read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
