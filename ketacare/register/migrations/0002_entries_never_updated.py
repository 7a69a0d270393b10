from django.db import migrations

# An UPDATE of a register entry fails inside the database too (the model and queryset refuse updates
# and deletes; DELETE stays possible for the database owner so the test suite can flush tables).
_SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS register_entry_no_update BEFORE UPDATE ON register_entry
       BEGIN SELECT RAISE(ABORT, 'the register is append-only: UPDATE refused'); END""",
]
_PG = [
    """CREATE OR REPLACE FUNCTION register_entry_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'the register is append-only: % refused', TG_OP; END $$""",
    "DROP TRIGGER IF EXISTS register_entry_no_update ON register_entry",
    """CREATE TRIGGER register_entry_no_update BEFORE UPDATE ON register_entry
       FOR EACH ROW EXECUTE FUNCTION register_entry_refuse()""",
]


def install(apps, schema_editor):
    statements = _PG if schema_editor.connection.vendor == "postgresql" else _SQLITE
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS register_entry_no_update ON register_entry")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS register_entry_no_update")


class Migration(migrations.Migration):
    dependencies = [("register", "0001_initial")]
    operations = [migrations.RunPython(install, drop)]
