"""Test data. Users get a known password that satisfies the default practice rules."""

import factory
from django.utils import timezone

from accounts.models import Role, User
from practice.models import OfficeNetwork, Practice, Provider

PASSWORD = "Correct-Horse-9!"


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"clinic{n}")
    name = factory.Sequence(lambda n: f"Riverside Clinic {n}")
    time_zone = "America/New_York"


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
