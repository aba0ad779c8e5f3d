"""Send the comment mail the mail relay did not take (a cron job)."""

from django.core.management.base import BaseCommand

from newsroom.comments import moderation


class Command(BaseCommand):
    help = (
        "Send what the mail relay refused or did not answer, from the last "
        "two days: reply notifications, and one notice to the moderators of "
        "held comments no email told them of."
    )

    def handle(self, *args, **options) -> None:
        replies = moderation.send_owed_reply_mail()
        notices = moderation.tell_moderators_owed(force=True)
        self.stdout.write(
            f"sent {replies} owed reply notification(s) and {notices} "
            "notice(s) to the moderators"
        )
