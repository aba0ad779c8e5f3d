"""Send the reply notifications the mail relay did not take (a cron job)."""

from django.core.management.base import BaseCommand

from newsroom.comments import moderation


class Command(BaseCommand):
    help = (
        "Send reply notifications an earlier batch could not (the relay "
        "refused or did not answer), from the last two days."
    )

    def handle(self, *args, **options) -> None:
        sent = moderation.send_owed_reply_mail()
        self.stdout.write(f"sent {sent} owed reply notification(s)")
