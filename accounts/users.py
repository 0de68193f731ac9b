"""Creating practice users."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.passwords import validate_password
from accounts.validators import normalize_phone
from practice.audit import audit_record
from practice.models import Practice


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
    role: str | None = None,
    password: str | None = None,
    request=None,
) -> User:
    """Create a user of the practice. Without a password the account waits for an invitation.

    The first user of a practice becomes its administrator (as MySecurePractice makes the
    first account its User Manager), whatever role was asked for.
    """
    username = username.strip()
    if not username:
        raise ValidationError({"username": "A username is required."})
    # Lock the practice row so two "first users" created at once cannot both become admin.
    Practice.objects.select_for_update().filter(pk=practice.pk).first()
    if User.objects.filter(practice=practice, username__iexact=username).exists():
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
    user = User(
        practice=practice,
        username=username,
        email=email.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        mobile_phone=normalize_phone(mobile_phone) if mobile_phone else "",
        role=Role.ADMIN if is_first else (role or Role.USER),
    )
    if role is not None and role not in Role.values:
        raise ValidationError({"role": f"Role must be one of {', '.join(Role.values)}."})
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
        action="user.created",
        actor=actor,
        target=user,
        request=request,
        details={"role": user.role, "first_user": is_first},
    )
    return user
