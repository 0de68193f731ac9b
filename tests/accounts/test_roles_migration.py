"""Migration accounts 0009, from the schema before roles: every practice gets its three roles and
every user the one of their fixed role, so nothing changes for anyone; and it goes back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0007_lifecycle"), ("practice", "0004_practice_office_cidrs")]
AFTER = [("accounts", "0010_user_practice_role_required"), ("practice", "0005_practice_roles")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_fixed_roles_become_the_practices_three_roles():
    try:
        old = migrate(BEFORE)
        Practice = old.get_model("practice", "Practice")
        User = old.get_model("accounts", "User")
        valley = Practice.objects.create(code="valley", name="Valley")
        strict = Practice.objects.create(
            code="strict", name="Strict", allow_self_pairing_reset=False
        )
        for practice in (valley, strict):
            for username, role in [
                ("avery", "admin"),
                ("morgan", "user_manager"),
                ("nina", "user"),
            ]:
                User.objects.create(practice=practice, username=username, role=role, password="!")
        User.objects.create(username="support", is_staff=True, password="!")

        new = migrate(AFTER)
        User = new.get_model("accounts", "User")
        PracticeRole = new.get_model("practice", "PracticeRole")
        roles = {
            (role.practice.code, role.seeded_as): role
            for role in PracticeRole.objects.select_related("practice")
        }
        assert len(roles) == 6
        assert roles[("valley", "admin")].name == "Practice administrator"
        assert len(roles[("valley", "admin")].permissions) == 15
        assert set(roles[("valley", "user_manager")].permissions) == {
            "users.view",
            "users.add",
            "users.edit",
            "users.unlock",
            "self.reset_pairing",
        }
        assert roles[("valley", "user")].permissions == ["self.reset_pairing"]
        # Self-service 2FA reset only where the practice allowed it.
        assert roles[("strict", "user")].permissions == []
        assert "self.reset_pairing" not in roles[("strict", "admin")].permissions
        for user in User.objects.filter(practice__isnull=False).select_related("practice"):
            role = user.practice_role
            assert (role.practice_id, role.seeded_as) == (user.practice_id, user.role)
        assert User.objects.get(username="support").practice_role is None

        # And back: the fixed roles were kept all along.
        old = migrate(BEFORE)
        User = old.get_model("accounts", "User")
        assert sorted(
            User.objects.filter(practice__code="valley").values_list("role", flat=True)
        ) == [
            "admin",
            "user",
            "user_manager",
        ]
    finally:
        migrate(latest())
