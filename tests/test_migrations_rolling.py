"""Migrations keep the release before working on the new schema, as
docs/operations.md ("Upgrades") promises: the migrations run once, from one
node, while the other nodes still run the old code until each restarts.

So a migration may add a table, an index, or a column the old code can
ignore: one that is nullable or has a default in the database
(``db_default``; Django drops a plain ``default`` from the schema after
filling existing rows, and the old code's inserts then fail NOT NULL). It may
not drop, rename or retype what the old code reads. Migrations written
before this rule are listed by name; a new one that breaks it fails here."""

from __future__ import annotations

from django.db import migrations
from django.db.migrations.loader import MigrationLoader
from django.db.models import NOT_PROVIDED

# (app, migration): written before the rule, each released already.
BEFORE_THE_RULE = {
    ("api", "0002_delete_ratebucket"),  # a table no release reads any more
    ("articles", "0002_desk"),
    ("search", "0004_search_query_daily_aggregates"),
}

UNSAFE = (
    migrations.RemoveField,
    migrations.RenameField,
    migrations.AlterField,
    migrations.RenameModel,
    migrations.DeleteModel,
)


def ours():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if migration.__module__.startswith("newsroom."):
            yield app, name, migration


def problems(app: str, name: str, migration) -> list[str]:
    found = []
    for op in migration.operations:
        if isinstance(op, UNSAFE):
            found.append(f"{app}.{name}: {type(op).__name__} {op.describe()}")
        elif isinstance(op, migrations.AddField):
            field = op.field
            if field.many_to_many or field.null:
                continue
            if field.db_default is NOT_PROVIDED:
                found.append(
                    f"{app}.{name}: {op.describe()} is NOT NULL with no "
                    "db_default; the old release's inserts would fail"
                )
    return found


def test_every_new_migration_keeps_the_old_release_working():
    broken = []
    for app, name, migration in ours():
        if (app, name) not in BEFORE_THE_RULE and name != "0001_initial":
            broken += problems(app, name, migration)
    assert not broken, broken


def test_the_rule_refuses_what_breaks_the_old_release():
    """The check fails on what it is for, so it cannot pass vacuously."""
    from django.db import models

    class Breaking(migrations.Migration):
        operations = [
            migrations.AddField("searchnode", "x", models.CharField(default="")),
            migrations.RemoveField("searchnode", "generation"),
        ]

    class Safe(migrations.Migration):
        operations = [
            migrations.AddField(
                "searchnode", "y", models.CharField(default="", db_default="")
            ),
            migrations.AddField("searchnode", "z", models.IntegerField(null=True)),
        ]

    assert len(problems("search", "9999", Breaking("9999", "search"))) == 2
    assert problems("search", "9999", Safe("9999", "search")) == []
    assert len(list(ours())) >= 17
