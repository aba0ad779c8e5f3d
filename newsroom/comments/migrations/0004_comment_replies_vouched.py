from django.db import migrations, models


def vouch_the_subscribed(apps, schema_editor):
    """Comments that get reply emails today keep them: a comment asking,
    under an address that said yes. (From now on the yes of who pressed the
    button vouches for their own comments only.)"""
    Comment = apps.get_model("comments", "Comment")
    ReplyConsent = apps.get_model("comments", "ReplyConsent")
    Comment.objects.filter(
        notify_replies=True,
        email__in=ReplyConsent.objects.values("email"),
    ).update(replies_vouched=True)


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0003_comment_owed_mail"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="replies_vouched",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.RunPython(vouch_the_subscribed, migrations.RunPython.noop),
    ]
