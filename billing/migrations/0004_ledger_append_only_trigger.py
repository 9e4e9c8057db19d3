"""The ledger is append-only in the database too, not only in LedgerEntry.save/delete: a bulk
``update()``/``delete()`` or a hand-typed SQL statement is refused. TRUNCATE (test flushes) is not
a row operation and still works."""

from django.db import migrations

MESSAGE = "billing_ledgerentry is append-only: write a reversal entry instead"

POSTGRES_CREATE = f"""
CREATE OR REPLACE FUNCTION billing_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_ledger_append_only BEFORE UPDATE OR DELETE ON billing_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION billing_ledger_append_only();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS billing_ledger_append_only ON billing_ledgerentry;
DROP FUNCTION IF EXISTS billing_ledger_append_only();
"""
SQLITE_CREATE = [
    f"CREATE TRIGGER billing_ledger_no_update BEFORE UPDATE ON billing_ledgerentry "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER billing_ledger_no_delete BEFORE DELETE ON billing_ledgerentry "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS billing_ledger_no_update;", "DROP TRIGGER IF EXISTS billing_ledger_no_delete;"]


def create(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_order_confirm_key")]

    operations = [migrations.RunPython(create, drop)]
