"""On PostgreSQL, refuse UPDATE and DELETE on the audit log inside the database itself.

The application never updates or deletes entries; this stops a stray SQL session too.
(SQLite relies on the hash chain, which `ketacare audit verify` checks.)
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ketacare_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_append_only ON accounts_auditentry;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON accounts_auditentry
    FOR EACH ROW EXECUTE FUNCTION ketacare_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_append_only ON accounts_auditentry;
DROP FUNCTION IF EXISTS ketacare_audit_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
