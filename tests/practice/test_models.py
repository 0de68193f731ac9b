import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import LoginWindow, User
from practice.models import AuditEvent, OfficeNetwork, Practice, Provider
from practice.validators import npi_is_valid
from tests.factories import PracticeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_same_username_in_two_practices_is_allowed():
    one, two = PracticeFactory(), PracticeFactory()
    UserFactory(practice=one, username="jsmith")
    UserFactory(practice=two, username="jsmith")
    assert User.objects.filter(username="jsmith").count() == 2


def test_case_variants_of_a_username_in_one_practice_are_refused_by_the_database():
    practice = PracticeFactory()
    UserFactory(practice=practice, username="jsmith")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(practice=practice, username="JSmith")


def test_a_practice_user_needs_a_practice_but_support_staff_do_not():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="orphan", practice=None, is_staff=False)
    staff = User.objects.create(username="support1", practice=None, is_staff=True)
    assert staff.practice is None


def test_remote_access_without_a_practice_management_username_is_refused_by_the_database():
    user = UserFactory(pm_username="")
    user.remote_access = True
    with pytest.raises(IntegrityError), transaction.atomic():
        user.save()


@pytest.mark.parametrize("cidr", ["10.0.0.0/33", "banana", "10.0.0.0/", "2001:db8::/129"])
def test_a_bad_office_network_is_refused_with_a_clear_message(cidr):
    network = OfficeNetwork(practice=PracticeFactory(), cidr=cidr)
    with pytest.raises(ValidationError) as caught:
        network.full_clean()
    assert "is not a network" in str(caught.value)


def test_an_office_network_with_host_bits_suggests_the_network():
    network = OfficeNetwork(practice=PracticeFactory(), cidr="192.168.1.7/24")
    with pytest.raises(ValidationError) as caught:
        network.full_clean()
    assert "Did you mean 192.168.1.0/24?" in str(caught.value)


@pytest.mark.parametrize("cidr", ["192.168.1.0/24", "2001:db8::/48", "203.0.113.9/32"])
def test_ipv4_and_ipv6_office_networks_are_accepted(cidr):
    network = OfficeNetwork(practice=PracticeFactory(), cidr=cidr)
    network.full_clean()
    network.save()
    assert OfficeNetwork.objects.get().cidr == cidr


@pytest.mark.parametrize(
    ("cidr", "stored"),
    [("::ffff:10.0.0.0/104", "10.0.0.0/8"), ("::FFFF:192.168.1.0/120", "192.168.1.0/24")],
)
def test_an_ipv4_mapped_office_network_is_saved_as_the_ipv4_network(cidr, stored):
    # Clients are matched by their IPv4 address, so the mapped form would match nobody.
    network = OfficeNetwork(practice=PracticeFactory(), cidr=cidr)
    network.full_clean()
    network.save()
    assert OfficeNetwork.objects.get().cidr == stored


def test_an_ipv4_mapped_office_network_with_host_bits_suggests_the_ipv4_network():
    network = OfficeNetwork(practice=PracticeFactory(), cidr="::ffff:10.0.0.1/104")
    with pytest.raises(ValidationError) as caught:
        network.full_clean()
    assert "Did you mean 10.0.0.0/8?" in str(caught.value)


def test_npi_check_digit_follows_luhn_with_the_80840_prefix():
    # 1234567893 is CMS's published example of a valid NPI.
    assert npi_is_valid("1234567893")
    assert not npi_is_valid("1234567890")
    assert not npi_is_valid("123456789")


@pytest.mark.parametrize(
    ("npi", "message"),
    [
        ("1234567890", "check digit does not match"),
        ("12345", "An NPI is 10 digits."),
        ("12345678a3", "An NPI is 10 digits."),
    ],
)
def test_a_bad_npi_is_refused_with_a_clear_message(npi, message):
    provider = Provider(practice=PracticeFactory(), name="Dr. Lee", npi=npi)
    with pytest.raises(ValidationError) as caught:
        provider.full_clean()
    assert message in str(caught.value)


def test_a_non_digit_npi_is_refused_by_the_database_too():
    with pytest.raises(IntegrityError), transaction.atomic():
        Provider.objects.create(practice=PracticeFactory(), name="Dr. Lee", npi="abcdefghij")


def test_practice_defaults_come_from_the_seeds():
    practice = Practice.objects.create(code="new", name="New Practice")
    assert practice.lockout_threshold == 5
    assert practice.password_min_length == 8
    assert practice.password_history == 6
    assert practice.password_expiry_days == 90
    assert practice.idle_timeout_minutes == 30
    assert practice.auto_unlock_minutes == 0
    assert practice.two_factor_policy == "none"


def test_a_login_window_cannot_be_empty_or_doubled():
    user = UserFactory()
    LoginWindow.objects.create(user=user, weekday=0, start="08:00", end="17:00")
    with pytest.raises(IntegrityError), transaction.atomic():
        LoginWindow.objects.create(user=user, weekday=0, start="08:00", end="18:00")
    # A second window of the day (a split shift) is a row of its own; overlaps are refused by
    # accounts.login_times, which sees the whole week.
    LoginWindow.objects.create(user=user, weekday=0, start="18:00", end="20:00")
    with pytest.raises(IntegrityError), transaction.atomic():
        LoginWindow.objects.create(user=user, weekday=1, start="09:00", end="09:00")


def test_audit_events_are_append_only(member):
    from practice.audit import audit_record

    event = audit_record(action="user.unlocked", target=member)
    event.action = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="rewritten")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "user.unlocked"


@pytest.mark.parametrize("text", ["", "\x00", "valley\x00", "v" * 41, "val ley", "vällëy", "../x"])
def test_text_that_cannot_be_a_practice_code_finds_nothing_without_a_query(
    text, django_assert_num_queries
):
    PracticeFactory(code="valley")
    with django_assert_num_queries(0):
        assert Practice.objects.by_code(text) is None


def test_a_practice_code_is_found_in_any_case():
    practice = PracticeFactory(code="valley")
    assert Practice.objects.by_code(" Valley ") == practice
