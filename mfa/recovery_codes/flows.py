"""Recovery codes: ten single-use codes for when the phone or key is lost, shown once."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from accounts.notices import notice_send
from mfa.models import (
    RECOVERY_ALPHABET,
    RECOVERY_CODE_COUNT,
    RECOVERY_CODE_GROUPS,
    RecoveryCode,
    RecoveryCodeDevice,
)
from mfa.selectors import has_second_factor
from practice.audit import audit_record
from practice.vocabulary import AuditAction


def recovery_codes_generate(*, user: User, actor: User, request=None) -> list[str]:
    """A new set of codes replacing any old set; returns the codes, for showing once."""
    if not has_second_factor(user):
        raise ValidationError(
            "Set up an authenticator app, a phone or a security key first.", code="no_factor"
        )
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        replaced = RecoveryCodeDevice.objects.filter(user=user).delete()[0] > 0
        device = RecoveryCodeDevice.objects.create(
            user=user, name="Recovery codes", salt=secrets.token_hex(16), confirmed=True
        )
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(device=device, code_hash=device.code_hash(code)) for code in codes]
        )
        audit_record(
            action=AuditAction.MFA_RECOVERY_CODES_GENERATED,
            actor=actor,
            target=user,
            request=request,
            details={"count": len(codes), "replaced": replaced},
        )
    notice_send(
        user=user,
        subject="PracticeGate: new recovery codes for your account",
        template="emails/mfa_recovery_codes_generated.txt",
        context={"replaced": replaced},
    )
    return codes


def recovery_code_used_notice(*, user: User, codes_left: int) -> None:
    notice_send(
        user=user,
        subject="PracticeGate: a recovery code was used to sign in",
        template="emails/mfa_recovery_code_used.txt",
        context={"codes_left": codes_left},
    )


def _new_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(4 * RECOVERY_CODE_GROUPS))
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
