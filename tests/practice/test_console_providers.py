"""Providers (issue 24, item 2): the practice's administrators manage them in the console
(/console/providers/), every change audited; an NPI is checked by its check digit; a provider is
linked to one user at most; Django admin shows them and changes none; the demo has one."""

import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext

from accounts.lifecycle import provider_set
from accounts.models import User
from practice.models import AuditEvent, Provider
from practice.validators import npi_is_valid
from tests.factories import ProviderFactory, UserFactory
from tests.practice.test_console_user import form_of
from tests.signin_helpers import sign_in
from tests.threads import run_together

pytestmark = pytest.mark.django_db

NPI = "1234567893"  # CMS's example NPI: its check digit is right
OTHER_NPI = "1245319599"
BAD_CHECK_DIGIT = "1234567890"


def page(response) -> str:
    return response.content.decode()


def provider_events(practice) -> list[tuple[str, str, dict]]:
    return [
        (event.action, event.actor.username, event.details)
        for event in AuditEvent.objects.filter(
            practice=practice, action__startswith="provider."
        ).order_by("id")
    ]


# --- The console's pages ----------------------------------------------------------------------


def test_item2_an_administrator_adds_changes_and_removes_a_provider(console, practice):
    listing = console.get("/console/providers/")
    assert listing.status_code == 200
    assert "No providers yet" in page(listing) and "Add provider" in page(listing)
    # The menu offers it to whoever may edit the practice's settings.
    assert 'href="/console/providers/"' in page(console.get("/console/"))

    response = console.post("/console/providers/new/", {"name": " Dr.  Ada Park ", "npi": NPI})
    assert response.status_code == 302 and response["Location"] == "/console/providers/"
    provider = Provider.objects.get(practice=practice)
    assert (provider.name, provider.npi) == ("Dr. Ada Park", NPI)
    listing = page(console.get("/console/providers/"))
    assert "Added the provider Dr. Ada Park." in listing and NPI in listing

    # An NPI written as printed, with spaces: its digits count.
    response = console.post(
        f"/console/providers/{provider.pk}/", {"name": "Dr. Ada Park-Lee", "npi": "1245 319 599"}
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.name, provider.npi) == ("Dr. Ada Park-Lee", OTHER_NPI)
    assert "Saved Dr. Ada Park-Lee." in page(console.get("/console/providers/"))
    # Saved unchanged: nothing written.
    console.post(
        f"/console/providers/{provider.pk}/", {"name": "Dr. Ada Park-Lee", "npi": OTHER_NPI}
    )

    response = console.post(f"/console/providers/{provider.pk}/remove/")
    assert response.status_code == 302 and response["Location"] == "/console/providers/"
    assert not Provider.objects.filter(pk=provider.pk).exists()
    assert "Removed the provider Dr. Ada Park-Lee." in page(console.get("/console/providers/"))

    assert provider_events(practice) == [
        ("provider.added", "avery", {"name": "Dr. Ada Park", "npi": NPI}),
        (
            "provider.changed",
            "avery",
            {"name": "Dr. Ada Park-Lee", "npi": OTHER_NPI, "before": f"Dr. Ada Park (NPI {NPI})"},
        ),
        ("provider.removed", "avery", {"name": "Dr. Ada Park-Lee", "npi": OTHER_NPI}),
    ]


def test_item2_the_audit_log_says_provider_changes_in_plain_words(console, practice):
    console.post("/console/providers/new/", {"name": "Dr. Ada Park", "npi": NPI})
    html = page(console.get("/console/audit/?action=provider.added"))
    assert "Provider added" in html and "NPI:" in html and NPI in html
    # The audit filter offers the provider actions with the practice's own.
    assert '<option value="provider.removed">Provider removed</option>' in page(
        console.get("/console/audit/")
    )


@pytest.mark.parametrize(
    "npi, message",
    [
        (BAD_CHECK_DIGIT, "is not a valid NPI: its check digit does not match"),
        ("12345", "An NPI is 10 digits."),
        ("12345abcde", "An NPI is 10 digits."),
        ("", "This field is required."),
    ],
)
def test_item2_a_wrong_npi_is_refused_in_words_and_nothing_changes(console, practice, npi, message):
    response = console.post("/console/providers/new/", {"name": "Dr. Ada Park", "npi": npi})
    assert response.status_code == 400
    html = page(response)
    assert message in html
    assert "data-error-summary" in html  # the page's one error summary, linking the field
    assert not Provider.objects.exists()
    assert provider_events(practice) == []


def test_item2_one_npi_once_per_practice_said_on_the_field(console, practice, other_practice):
    ProviderFactory(practice=practice, name="Dr. Ada Park", npi=NPI)
    ProviderFactory(practice=other_practice, name="Dr. Elsewhere", npi=OTHER_NPI)
    response = console.post("/console/providers/new/", {"name": "Dr. Again", "npi": NPI})
    assert response.status_code == 400
    assert "This practice already has a provider with this NPI: Dr. Ada Park." in page(response)
    # Another practice's provider does not count, and is never named.
    response = console.post("/console/providers/new/", {"name": "Dr. Here", "npi": OTHER_NPI})
    assert response.status_code == 302


def test_item2_a_provider_of_another_practice_is_a_404(console, other_practice):
    theirs = ProviderFactory(practice=other_practice, name="Dr. Elsewhere")
    for method, path, data in (
        ("get", f"/console/providers/{theirs.pk}/", None),
        ("post", f"/console/providers/{theirs.pk}/", {"name": "Mine now", "npi": NPI}),
        ("post", f"/console/providers/{theirs.pk}/remove/", {}),
        ("get", "/console/providers/not-a-number/", None),
    ):
        response = getattr(console, method)(path, data) if data is not None else console.get(path)
        assert response.status_code == 404, (method, path)
    theirs.refresh_from_db()
    assert theirs.name == "Dr. Elsewhere"
    assert "Dr. Elsewhere" not in page(console.get("/console/providers/"))


def test_item2_only_who_may_edit_the_practice_settings_opens_them(client, practice, member):
    manager = UserFactory(practice=practice, username="morgan", role="user_manager")
    provider = ProviderFactory(practice=practice)
    for user in (member, manager):
        sign_in(client, user)
        assert client.get("/console/providers/").status_code == 403
        assert client.post(f"/console/providers/{provider.pk}/remove/").status_code == 403
        assert 'href="/console/providers/"' not in page(client.get("/account/"))
    assert Provider.objects.filter(pk=provider.pk).exists()


# --- One user a provider ----------------------------------------------------------------------


def test_item2_a_provider_already_linked_is_refused_on_the_user_page(console, practice, member):
    provider = ProviderFactory(practice=practice, name="Dr. Ada Park")
    member.provider = provider
    member.save()
    other = UserFactory(practice=practice, username="olga", first_name="Olga", last_name="Ode")
    response = console.post(f"/console/users/{other.pk}/", form_of(other, provider=provider.pk))
    assert response.status_code == 400
    assert "Dr. Ada Park is already linked to Nina Reyes (nina): a provider is one person." in page(
        response
    )
    other.refresh_from_db()
    assert other.provider_id is None
    assert not AuditEvent.objects.filter(target=other, action="user.provider_changed").exists()
    # The database holds to it too, whatever writes the row.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=other.pk).update(provider=provider)


def test_item2_a_linked_provider_is_not_removed_and_says_who_holds_it(console, practice, member):
    provider = ProviderFactory(practice=practice, name="Dr. Ada Park")
    member.provider = provider
    member.save()
    edit = page(console.get(f"/console/providers/{provider.pk}/"))
    assert "Unlink them on their user page before removing the provider." in edit
    response = console.post(f"/console/providers/{provider.pk}/remove/", follow=True)
    assert "Dr. Ada Park is linked to Nina Reyes (nina)." in page(response)
    assert Provider.objects.filter(pk=provider.pk).exists()
    member.refresh_from_db()
    assert member.provider == provider
    assert provider_events(practice) == []
    # The list says who is linked.
    assert "Nina Reyes" in page(console.get("/console/providers/"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_item2_two_users_linked_to_one_provider_at_once_one_wins(practice, admin_user):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locking")
    provider = ProviderFactory(practice=practice, name="Dr. Ada Park")
    users = [UserFactory(practice=practice, username=name) for name in ("ann", "bob")]

    def link(index):
        return provider_set(user=users[index], actor=admin_user, provider=provider)

    results, errors = run_together(2, link)
    assert (results, len(errors)) == ([True], 1)
    assert errors[0].error_dict["provider"][0].code == "provider_taken"
    assert User.objects.filter(provider=provider).count() == 1
    assert AuditEvent.objects.filter(action="user.provider_changed").count() == 1


def test_item2_the_list_costs_the_same_queries_for_1_or_20_providers(console, practice):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert console.get("/console/providers/").status_code == 200
        return len(queries)

    ProviderFactory(practice=practice, npi=NPI)
    few = count()
    for number in range(19):
        user = UserFactory(practice=practice, username=f"doc{number}")
        user.provider = Provider.objects.create(
            practice=practice, name=f"Dr. {number}", npi=npi_with_check_digit(f"1{number:08d}")
        )
        user.save()
    assert count() == few


def npi_with_check_digit(first_nine: str) -> str:
    return next(first_nine + digit for digit in "0123456789" if npi_is_valid(first_nine + digit))


# --- The migration that made it one user a provider ------------------------------------------


def latest_but(app: str, name: str) -> list[tuple[str, str]]:
    leaves = MigrationLoader(None).graph.leaf_nodes()
    return [(app, name) if leaf[0] == app else leaf for leaf in leaves]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_item2_shared_links_are_resolved_keeping_the_first_user():
    apps = migrate(latest_but("accounts", "0011_login_windows_per_day"))
    try:
        Practice = apps.get_model("practice", "Practice")
        PracticeRole = apps.get_model("practice", "PracticeRole")
        OldProvider = apps.get_model("practice", "Provider")
        OldUser = apps.get_model("accounts", "User")
        practice = Practice.objects.create(code="valley", name="Valley Pediatrics")
        role = PracticeRole.objects.create(practice=practice, name="User")
        provider = OldProvider.objects.create(practice=practice, name="Dr. Ada Park", npi=NPI)
        _first, second, third = (
            OldUser.objects.create(
                practice=practice, practice_role=role, username=name, provider=provider
            )
            for name in ("first", "second", "third")
        )

        migrate(MigrationLoader(None).graph.leaf_nodes())
        linked = dict(
            User.objects.filter(practice_id=practice.pk).values_list("username", "provider")
        )
        assert linked == {"first": provider.pk, "second": None, "third": None}
        unlinked = AuditEvent.objects.filter(action="user.provider_changed").order_by("id")
        assert [event.target_id for event in unlinked] == [second.pk, third.pk]
        assert unlinked[0].details["before"] == "Dr. Ada Park" and unlinked[0].actor_id is None
    finally:
        migrate(MigrationLoader(None).graph.leaf_nodes())


# --- Django admin and the demo ----------------------------------------------------------------


def test_item2_seed_demo_seeds_a_provider_linked_to_one_demo_user():
    for _ in range(2):  # idempotent
        call_command("seed_demo", stdout=io.StringIO())
    provider = Provider.objects.get(practice__code="demo")
    assert provider.npi == NPI
    assert list(User.objects.filter(provider=provider).values_list("username", flat=True)) == [
        "doctor"
    ]
    assert AuditEvent.objects.filter(action="provider.added", practice__code="demo").count() == 1
