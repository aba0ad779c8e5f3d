"""Send the comment mail that is owed (a cron job): the relay did not take
it, or the process that queued it was killed first."""

from django.core.management.base import BaseCommand

from newsroom.comments import moderation


class Command(BaseCommand):
    help = (
        "Send the comment mail of the last two days that the mail relay "
        "refused or did not answer, or that a killed server process had "
        "queued: reply notifications, and one notice to the moderators of "
        "held comments no email told them of."
    )

    def handle(self, *args, **options) -> None:
        replies = moderation.send_owed_reply_mail()
        notices = moderation.tell_moderators_owed(force=True)
        self.stdout.write(
            f"sent {replies} owed reply notification(s) and {notices} "
            "notice(s) to the moderators"
        )
