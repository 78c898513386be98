"""Trigram indexes for finding contacts by any fragment of name, e-mail or phone (PostgreSQL).

Django's icontains becomes UPPER(column) LIKE UPPER('%fragment%'); a GIN trigram index on the
same expression serves it. SQLite has no such index and scans the organisation's rows.
"""

from django.db import migrations

COLUMNS = ["first_name", "last_name", "email", "phone", "messenger_phone"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS people_contact_{column}_trgm ON people_contact "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS people_contact_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("people", "0002_application")]

    operations = [migrations.RunPython(forwards, backwards)]
