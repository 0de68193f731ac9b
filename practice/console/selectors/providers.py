"""The providers page: the practice's providers, each with the user linked to it, if any."""

from dataclasses import dataclass

from accounts.models import User
from practice.models import Practice, Provider


@dataclass
class ProviderRow:
    provider: Provider
    user: User | None


def provider_rows(practice: Practice) -> list[ProviderRow]:
    """Two queries: the providers, and the users linked to them."""
    providers = list(Provider.objects.filter(practice=practice).order_by("name", "npi"))
    linked = {
        user.provider_id: user
        for user in User.objects.filter(practice=practice, provider__in=providers).only(
            "pk", "username", "first_name", "last_name", "provider_id"
        )
    }
    return [ProviderRow(provider=p, user=linked.get(p.pk)) for p in providers]


def provider_of_practice(practice: Practice, provider_id) -> Provider | None:
    """A provider of the practice, or None (another practice's is as good as none: a 404)."""
    try:
        pk = int(provider_id)
    except (TypeError, ValueError):
        return None
    return Provider.objects.filter(practice=practice, pk=pk).first()


def provider_user(provider: Provider | None) -> User | None:
    """The user linked to the provider, if any."""
    if provider is None:
        return None
    return User.objects.filter(provider=provider).first()
