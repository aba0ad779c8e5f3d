from django.db import migrations, models


def owed_are_not_told(apps, schema_editor):
    """Comments held before this field were told of, but for those whose
    email did not go (owed): the next notice still names them."""
    Comment = apps.get_model("comments", "Comment")
    Comment.objects.filter(moderators_owed=True, status="pending").update(
        moderators_told=False
    )


class Migration(migrations.Migration):
    """``moderators_told``: every comment already there counts as told (a
    column default, no rewrite on PostgreSQL), so the upgrade sends no
    notice of old held comments; so does a row written by other code than
    the intake (an import, the admin, a node still on the version before),
    while the intake says not told for those it holds. Its partial index
    holds the few untold and replaces the one of ``moderators_owed``."""

    dependencies = [
        ("comments", "0004_comment_replies_vouched"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="moderators_told",
            field=models.BooleanField(db_default=True, default=True, editable=False),
        ),
        migrations.RunPython(owed_are_not_told, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="comment",
            name="comment_moderators_owed_idx",
        ),
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(
                condition=models.Q(("moderators_told", False)),
                fields=["created_at"],
                name="comment_moderators_untold_idx",
            ),
        ),
    ]
