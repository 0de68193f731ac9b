"""Shaping a practice's roles and giving them to users, with the guards that keep it safe.

- Nobody gives or takes away a permission they do not hold, or changes a role (or a user's
  role) that holds more than they do: the authority rule (accounts.permissions).
- Someone can always manage roles: the only role holding "Manage roles" keeps it, and the last
  active user who may manage roles (the practice's last administrator) cannot lose that role,
  be deactivated, offboarded or given an end date.
- Every change is audited with what was before and after, in its own transaction.

The practice row is locked first in each change, so two administrators editing roles at once
apply one after the other and the "someone can always manage roles" count cannot race.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.notices import acted_on_notify
from accounts.permissions import (
    authority_check,
    is_support,
    may_give_role,
    refuse_escalation,
    role_managers,
)
from practice.audit import audit_record
from practice.models import Practice, PracticeRole
from practice.roles import effective_permissions, kind_of, roles_seed, stored
from practice.vocabulary import ActedOn, AuditAction, Permission, RoleKind


def role_for_kind(practice: Practice, kind: str) -> PracticeRole:
    """The practice's starting role of that kind (the command line's --role admin|...)."""
    return roles_seed(practice)[RoleKind(kind)]


def _lock_practice(practice_id: int) -> None:
    Practice.objects.select_for_update().filter(pk=practice_id).first()


def _snapshot(role: PracticeRole) -> dict:
    return {"name": role.name, "permissions": list(role.permissions)}


def _clean_name(practice_id: int, name: str, *, exclude: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give the role a name."})
    taken = PracticeRole.objects.filter(practice_id=practice_id, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError(
            {
                "name": ValidationError(
                    "This practice already has a role named “%(name)s”.",
                    code="role_name_taken",
                    params={"name": name},
                )
            }
        )
    return name


def _save(role: PracticeRole, **kwargs) -> None:
    try:
        with transaction.atomic():
            role.save(**kwargs)
    except IntegrityError:
        # Two saves of the same name at once: the database's unique constraint decides.
        raise ValidationError({"name": "This practice already has a role of that name."}) from None


@transaction.atomic
def role_create(
    *, practice: Practice, actor: User, name: str, permissions, request=None
) -> PracticeRole:
    _lock_practice(practice.pk)
    held = stored(permissions)
    refuse_escalation(actor, held)
    role = PracticeRole(
        practice=practice, name=_clean_name(practice.pk, name), permissions=held, seeded_as=""
    )
    _save(role)
    audit_record(
        action=AuditAction.ROLE_CREATED,
        actor=actor,
        practice=practice,
        request=request,
        details={"role_id": role.pk, "before": None, "after": _snapshot(role)},
    )
    return role


@transaction.atomic
def role_update(*, role: PracticeRole, actor: User, name: str, permissions, request=None) -> bool:
    """Rename the role and set its permissions; True if anything changed."""
    _lock_practice(role.practice_id)
    role = PracticeRole.objects.select_for_update().get(pk=role.pk)
    before = _snapshot(role)
    if not may_give_role(actor, role):
        # The authority rule: changing a role acts on everyone who holds it.
        raise ValidationError(
            "This role holds permissions you do not have: only someone who holds all of them "
            "can change it.",
            code="outside_authority",
        )
    held = stored(permissions)
    name = _clean_name(role.practice_id, name, exclude=role.pk)
    if name == role.name and held == role.permissions:
        return False
    # What changes, either way, must be the actor's own to give.
    refuse_escalation(actor, set(held) ^ set(role.permissions))
    if Permission.MANAGE_ROLES in effective_permissions(
        role.permissions
    ) and Permission.MANAGE_ROLES not in effective_permissions(held):
        _refuse_losing_role_management(role)
    role.name = name
    role.permissions = held
    _save(role, update_fields=["name", "permissions"])
    # The tier is a copy kept for sorting: rewrite it for everyone holding the role.
    User.objects.filter(practice_role=role).update(role=kind_of(held))
    audit_record(
        action=AuditAction.ROLE_CHANGED,
        actor=actor,
        practice=role.practice,
        request=request,
        details={"role_id": role.pk, "before": before, "after": _snapshot(role)},
    )
    return True


def _refuse_losing_role_management(role: PracticeRole) -> None:
    others = [
        other
        for other in PracticeRole.objects.filter(practice_id=role.practice_id).exclude(pk=role.pk)
        if Permission.MANAGE_ROLES in effective_permissions(other.permissions)
    ]
    if not others:
        raise ValidationError(
            {
                "permissions": ValidationError(
                    "“Manage roles” stays: this is the only role that has it.",
                    code="last_role_manager_role",
                )
            }
        )
    if not role_managers(role.practice_id).exclude(practice_role=role).exists():
        raise ValidationError(
            {
                "permissions": ValidationError(
                    "“Manage roles” stays: nobody else who is active could manage roles.",
                    code="last_role_manager",
                )
            }
        )


def refuse_last_role_manager(user: User, *, what: str) -> None:
    """The last active user who may manage roles keeps that ability (and stays active)."""
    if user.practice_id is None or not user.is_active:
        return
    _lock_practice(user.practice_id)
    managers = role_managers(user.practice_id)
    if managers.filter(pk=user.pk).exists() and not managers.exclude(pk=user.pk).exists():
        raise ValidationError(
            "%(user)s is the last active user who can manage roles: they cannot %(what)s. "
            "Give someone else a role that can manage roles first.",
            code="last_role_manager",
            params={"user": user, "what": what},
        )


@transaction.atomic
def user_role_set(*, user: User, actor: User | None, role: PracticeRole, request=None) -> bool:
    """Give the user another role of their practice; True if it changed."""
    if role.practice_id != user.practice_id:
        # SECURITY: a role id of another practice is refused, never assigned.
        raise ValidationError({"role": "Choose a role of this practice."})
    if role.pk == user.practice_role_id:
        return False
    if actor is not None and user.pk == actor.pk:
        raise ValidationError(
            {"role": ValidationError("You cannot change the role of your own account here.")},
            code="self",
        )
    authority_check(actor=actor, user=user)
    previous = user.practice_role
    refuse_escalation(actor, role.permissions, field="role")
    if previous is not None:
        refuse_escalation(actor, previous.permissions, field="role")
    if Permission.MANAGE_ROLES not in effective_permissions(role.permissions):
        try:
            refuse_last_role_manager(user, what="lose the role")
        except ValidationError as exc:
            raise ValidationError({"role": exc.error_list}) from None
    user.practice_role = role
    user.role = kind_of(role.permissions)
    user.save(update_fields=["practice_role", "role"])
    audit_record(
        action=AuditAction.USER_ROLE_CHANGED,
        actor=actor,
        target=user,
        request=request,
        details={
            "before": previous.name if previous else None,
            "after": role.name,
            "before_permissions": list(previous.permissions) if previous else [],
            "after_permissions": list(role.permissions),
        },
    )
    acted_on_notify(
        user=user,
        actor=actor,
        what=ActedOn.ROLE_CHANGED,
        before=previous.name if previous else "",
        after=role.name,
    )
    return True


@transaction.atomic
def role_copy(
    *, role: PracticeRole, practice: Practice, actor: User, name: str = "", request=None
) -> PracticeRole:
    """Support staff copy a role into another practice (its name, unless one is given)."""
    if not is_support(actor):
        raise ValidationError("Only support staff copy roles between practices.", code="support")
    _lock_practice(practice.pk)
    copy = PracticeRole(
        practice=practice,
        name=_clean_name(practice.pk, name or role.name),
        permissions=stored(role.permissions),
        seeded_as="",
    )
    _save(copy)
    audit_record(
        action=AuditAction.ROLE_COPIED,
        actor=actor,
        practice=practice,
        request=request,
        details={
            "role_id": copy.pk,
            "from_practice": role.practice.code,
            "from_role": role.name,
            "before": None,
            "after": _snapshot(copy),
        },
    )
    return copy
