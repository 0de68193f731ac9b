"""Creating practice users: from a command (user_create), or from the console's "Add user" and
"Copy user" (user_add), which then invites them or sets a temporary password."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.invitations import invitation_create, invitation_email
from accounts.lifecycle import registration_verification_set, two_factor_setup_set
from accounts.login_times import login_windows_set
from accounts.models import Role, User
from accounts.password_rules import validate_password
from accounts.passwords import temporary_password_set
from accounts.permissions import refuse_escalation
from accounts.roles import role_for_kind
from accounts.usernames import normalize_username, validate_username
from phonecodes.numbers import normalize_phone
from practice.audit import audit_record
from practice.models import Practice, PracticeRole
from practice.roles import kind_of
from practice.vocabulary import AuditAction


@transaction.atomic
def user_create(
    *,
    practice: Practice,
    username: str,
    email: str,
    actor: User | None,
    first_name: str = "",
    last_name: str = "",
    mobile_phone: str = "",
    role: PracticeRole | str | None = None,
    password: str | None = None,
    request=None,
) -> User:
    """Create a user of the practice. Without a password the account waits for an invitation.

    `role` is a role of the practice, or the kind of one of its starting roles ("admin",
    "user_manager", "user", as the command line names them); by default the starting "User".
    The first user of a practice becomes its administrator (as MySecurePractice makes the
    first account its User Manager), whatever role was asked for.
    """
    if isinstance(role, str) and role not in Role.values:
        raise ValidationError({"role": f"Role must be one of {', '.join(Role.values)}."})
    username = normalize_username(username)
    try:
        validate_username(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.error_list}) from None
    # Lock the practice row so two "first users" created at once cannot both become admin.
    Practice.objects.select_for_update().filter(pk=practice.pk).first()
    if User.objects.with_username(username).filter(practice=practice).exists():
        raise ValidationError(
            {
                "username": ValidationError(
                    "The username “%(username)s” is already taken in this practice.",
                    code="username_taken",
                    params={"username": username},
                )
            }
        )
    is_first = not User.objects.filter(practice=practice).exists()
    if is_first:
        role = role_for_kind(practice, Role.ADMIN)
    elif role is None or isinstance(role, str):
        role = role_for_kind(practice, role or Role.USER)
    elif role.practice_id != practice.pk:
        # SECURITY: a role of another practice is refused, never given.
        raise ValidationError({"role": "Choose a role of this practice."})
    user = User(
        practice=practice,
        username=username,
        email=email.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        mobile_phone=normalize_phone(mobile_phone) if mobile_phone else "",
        practice_role=role,
        role=kind_of(role.permissions),
    )
    if password is not None:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.error_list}) from None
        user.set_password(password)
        user.password_changed_at = timezone.now()
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError(
            {"username": "This username is already taken in this practice."}
        ) from None
    audit_record(
        action=AuditAction.USER_CREATED,
        actor=actor,
        target=user,
        request=request,
        details={"role": role.name, "permissions": role.permissions, "first_user": is_first},
    )
    return user


@dataclass
class NewUser:
    username: str
    first_name: str
    last_name: str
    email: str
    mobile_phone: str
    role: PracticeRole
    verify_phone_at_registration: bool = False


@dataclass
class AddResult:
    user: User
    invitation_sent: bool = False
    invitation_failed: bool = False


def user_add(
    *,
    practice,
    actor: User,
    new: NewUser,
    invite: bool,
    temporary_password: str = "",
    copy_from: User | None = None,
    request=None,
) -> AddResult:
    """Create a user, copy settings from `copy_from`, then invite or set a temporary password.

    Copy User (OfficeEMR) copies the role (as pre-filled on the form), login times and the
    second-factor setup option; never credentials, second factors or remote access.
    """
    if invite and not new.email.strip():
        raise ValidationError({"email": "An invitation needs an email address."})
    # Nobody adds a user with more than they may do themselves.
    refuse_escalation(actor, new.role.permissions, field="role")
    with transaction.atomic():
        user = user_create(
            practice=practice,
            username=new.username,
            email=new.email,
            first_name=new.first_name,
            last_name=new.last_name,
            mobile_phone=new.mobile_phone,
            role=new.role,
            actor=actor,
            request=request,
        )
        if new.verify_phone_at_registration:
            registration_verification_set(user=user, actor=actor, verify=True, request=request)
        if copy_from is not None:
            _copy_settings(source=copy_from, user=user, actor=actor, request=request)
        token = None
        if invite:
            token = invitation_create(user=user, actor=actor, request=request)
        else:
            try:
                validate_password(temporary_password, user=user)
            except ValidationError as exc:
                raise ValidationError({"temporary_password": exc.error_list}) from None
            temporary_password_set(
                user=user, password=temporary_password, actor=actor, request=request
            )
    # Emailed only after the commit: a rolled-back user never receives a link.
    result = AddResult(user=user)
    if token is not None:
        result.invitation_sent = invitation_email(user=user, token=token)
        result.invitation_failed = not result.invitation_sent
    return result


def _copy_settings(*, source: User, user: User, actor: User, request) -> None:
    if source.practice_id != user.practice_id:
        raise ValidationError("Copy a user of this practice.")
    audit_record(
        action=AuditAction.USER_COPIED,
        actor=actor,
        target=user,
        request=request,
        details={"from": source.username},
    )
    two_factor_setup_set(user=user, actor=actor, setup=source.two_factor_setup, request=request)
    windows: dict[int, list] = {}
    for window in source.login_windows.all():
        windows.setdefault(window.weekday, []).append((window.start, window.end))
    login_windows_set(
        user=user,
        actor=actor,
        restricted=source.login_times_restricted,
        windows=windows,
        request=request,
    )
