"""Indexes for finding users by part of a name, or by their email, on PostgreSQL only.

The audit log's search first finds the practice's users whose username, first or last name
holds the words typed (Django's `icontains`: UPPER(field::text) LIKE UPPER('%word%')). Without
an index every user's three names are read: 14 ms a search at 10,000 users. pg_trgm's GIN
indexes on the very same expressions answer it, with a plain index for the email compared
whole (`iexact`: UPPER(email::text) = UPPER('…')): one branch without an index would make the
planner read every user for all four. SQLite has none and needs none
at the sizes it serves: there the migration does nothing.

Built CONCURRENTLY (outside a transaction), so sign-ins keep writing users while they are made.
pg_trgm is created by practice 0008 already; IF NOT EXISTS keeps this one independent of it.
"""

from django.db import migrations

INDEXES = {
    "user_username_trgm": "username",
    "user_first_name_trgm": "first_name",
    "user_last_name_trgm": "last_name",
}
EMAIL_INDEX = "user_email_upper"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON accounts_user "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {EMAIL_INDEX} ON accounts_user "
        "((UPPER(email::text)))"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*INDEXES, EMAIL_INDEX]:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0013_user_provider_once"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
