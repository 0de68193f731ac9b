"""Test data. Users get a known password that satisfies the default practice rules."""

import factory
from django.utils import timezone

from accounts.models import Role, User
from practice.models import OfficeNetwork, Practice, Provider
from practice.roles import kind_of, roles_seed

PASSWORD = "Correct-Horse-9!"


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"clinic{n}")
    name = factory.Sequence(lambda n: f"Riverside Clinic {n}")
    time_zone = "America/New_York"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Every practice starts with its three roles, as practice_create makes them.
        practice = super()._create(model_class, *args, **kwargs)
        roles_seed(practice)
        return practice


class OfficeNetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfficeNetwork

    practice = factory.SubFactory(PracticeFactory)
    cidr = "10.0.0.0/24"
    label = "Front office"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Keep the practice's copy of its networks (Practice.office_cidrs) as the services do.
        network = super()._create(model_class, *args, **kwargs)
        practice = network.practice
        practice.office_cidrs = sorted({*practice.office_cidrs, network.cidr})
        practice.save(update_fields=["office_cidrs"])
        return network


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    practice = factory.SubFactory(PracticeFactory)
    name = "Dr. Ada Park"
    npi = "1234567893"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    practice = factory.SubFactory(PracticeFactory)
    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Tester{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    role = Role.USER
    password_changed_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # `role` names one of the practice's starting roles (Role.ADMIN: the Practice
        # administrator); `practice_role` gives any role of the practice instead.
        practice = kwargs.get("practice")
        if practice is not None:
            if kwargs.get("practice_role") is None:
                kwargs["practice_role"] = roles_seed(practice)[Role(kwargs.get("role", Role.USER))]
            kwargs["role"] = kind_of(kwargs["practice_role"].permissions)
        return super()._create(model_class, *args, **kwargs)

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class AdminFactory(UserFactory):
    role = Role.ADMIN


class StaffFactory(UserFactory):
    practice = None
    is_staff = True
    is_superuser = True


def starting_role(practice: Practice, kind: str = Role.USER):
    """One of the practice's three starting roles (what the console's "Role" select posts)."""
    return roles_seed(practice)[Role(kind)]
