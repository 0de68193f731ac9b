import pytest

from tests.factories import AdminFactory, PracticeFactory, UserFactory


@pytest.fixture
def practice(db):
    return PracticeFactory(code="valley", name="Valley Pediatrics")


@pytest.fixture
def admin_user(practice):
    return AdminFactory(practice=practice, username="avery", first_name="Avery", last_name="Admin")


@pytest.fixture
def member(practice):
    return UserFactory(practice=practice, username="nina", first_name="Nina", last_name="Reyes")
