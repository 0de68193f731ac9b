"""The practice's providers (the clinicians its users may be linked to): add, change, remove.

The practice's administrators do it in the console (`/console/providers/`); support staff see
the providers in Django admin and change none there. Each change is audited with the actor, in
the transaction of the change. Linking a user to a provider is the user's business
(accounts.lifecycle.provider_set, under the authority rule); a provider is linked to one user
at most (a constraint on the user's row).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from practice.audit import audit_record
from practice.models import Practice, Provider
from practice.vocabulary import AuditAction


def _described(provider: Provider) -> str:
    return f"{provider.name} (NPI {provider.npi})"


def _save_checked(provider: Provider) -> None:
    """Validate (the NPI's ten digits and check digit, the name) and save, saying in words
    when the practice already has a provider with this NPI."""
    provider.name = " ".join(provider.name.split())
    provider.npi = provider.npi.strip()
    provider.full_clean(exclude=["practice"], validate_unique=False, validate_constraints=False)
    taken = Provider.objects.filter(practice_id=provider.practice_id, npi=provider.npi)
    if provider.pk is not None:
        taken = taken.exclude(pk=provider.pk)
    other = taken.first()
    if other is not None:
        raise ValidationError(
            {
                "npi": ValidationError(
                    "This practice already has a provider with this NPI: %(other)s.",
                    code="npi_taken",
                    params={"other": other.name},
                )
            }
        )
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError:
        # Added by someone else at the same moment.
        raise ValidationError(
            {"npi": "This practice already has a provider with this NPI."}
        ) from None


@transaction.atomic
def provider_create(*, practice: Practice, actor, name: str, npi: str, request=None) -> Provider:
    provider = Provider(practice=practice, name=name, npi=npi)
    _save_checked(provider)
    audit_record(
        action=AuditAction.PROVIDER_ADDED,
        actor=actor,
        practice=practice,
        request=request,
        details={"name": provider.name, "npi": provider.npi},
    )
    return provider


@transaction.atomic
def provider_update(*, provider: Provider, actor, name: str, npi: str, request=None) -> bool:
    """Change the name or NPI; False (and nothing written) when neither changed."""
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    before = _described(provider)
    provider.name, provider.npi = name, npi
    _save_checked(provider)
    if _described(provider) == before:
        return False
    audit_record(
        action=AuditAction.PROVIDER_CHANGED,
        actor=actor,
        practice=provider.practice,
        request=request,
        details={"name": provider.name, "npi": provider.npi, "before": before},
    )
    return True


@transaction.atomic
def provider_remove(*, provider: Provider, actor, request=None) -> None:
    """Remove a provider no user is linked to.

    A linked provider is refused, saying who holds it: the link is that user's, changed on
    their page under the authority rule and "Edit user details"; removing the provider here
    would unlink them silently.
    """
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    linked = provider.users.order_by("pk").first()
    if linked is not None:
        raise ValidationError(
            "%(provider)s is linked to %(user)s (%(username)s). Unlink them on their user page "
            "first, then remove the provider.",
            code="provider_linked",
            params={
                "provider": provider.name,
                "user": linked.get_full_name() or linked.username,
                "username": linked.username,
            },
        )
    details = {"name": provider.name, "npi": provider.npi}
    practice = provider.practice
    provider.delete()
    audit_record(
        action=AuditAction.PROVIDER_REMOVED,
        actor=actor,
        practice=practice,
        request=request,
        details=details,
    )
