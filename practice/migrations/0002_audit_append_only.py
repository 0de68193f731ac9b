from django.db import migrations

# The database itself refuses to change an audit event (ASVS V16.4.2), not only the model.
# PostgreSQL refuses UPDATE and DELETE row by row (TRUNCATE, a table owner's deliberate act,
# stays possible, and is how a test database is emptied). SQLite refuses UPDATE; it cannot
# refuse DELETE, because emptying a test database there is a DELETE.
POSTGRESQL_ON = """
CREATE OR REPLACE FUNCTION practice_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER practice_auditevent_append_only
    BEFORE UPDATE OR DELETE ON practice_auditevent
    FOR EACH ROW EXECUTE FUNCTION practice_auditevent_append_only();
"""
POSTGRESQL_OFF = """
DROP TRIGGER IF EXISTS practice_auditevent_append_only ON practice_auditevent;
DROP FUNCTION IF EXISTS practice_auditevent_append_only();
"""
SQLITE_ON = """
CREATE TRIGGER practice_auditevent_append_only
BEFORE UPDATE ON practice_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
"""
SQLITE_OFF = "DROP TRIGGER IF EXISTS practice_auditevent_append_only;"


def _run(statements: dict):
    def run(apps, schema_editor):
        sql = statements.get(schema_editor.connection.vendor)
        if sql:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("practice", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_ON, "sqlite": SQLITE_ON}),
            _run({"postgresql": POSTGRESQL_OFF, "sqlite": SQLITE_OFF}),
        ),
    ]
