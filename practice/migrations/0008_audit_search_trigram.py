"""A trigram index for the audit log's free-text search, on PostgreSQL only.

The console's search compares an event's details as text, case-insensitively (Django's
`icontains`: UPPER(details::text) LIKE UPPER('%word%')). Without an index a word that is in no
event reads every event of the practice (820-970 ms at 1,000,000 events); pg_trgm's GIN index on
the very same expression answers it from the index. SQLite has no such index and needs none at
the sizes it serves: there the migration does nothing.

Built CONCURRENTLY (outside a transaction), so a live audit log keeps taking events while it is
made. pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may create
it.
"""

from django.db import migrations

INDEX = "audit_details_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON practice_auditevent "
        "USING gin ((UPPER(details::text)) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("practice", "0007_practice_support_digest"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
