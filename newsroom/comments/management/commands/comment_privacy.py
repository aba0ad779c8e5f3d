"""Export or delete everything stored about one commenter's email address."""

import json

from django.core.management.base import BaseCommand, CommandError

from newsroom.comments import privacy


class Command(BaseCommand):
    help = "comment_privacy export|delete EMAIL: a reader's data request."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["export", "delete"])
        parser.add_argument("email")

    def handle(self, *args, action: str, email: str, **options) -> None:
        try:
            email.encode("utf-8")
        except UnicodeEncodeError:
            raise CommandError("the address is not valid UTF-8") from None
        if "@" not in email:
            raise CommandError(f"{email!r} is not an email address")
        if action == "export":
            self.stdout.write(
                json.dumps(privacy.export(email), indent=2, ensure_ascii=False)
            )
            return
        counts = privacy.delete(email)
        self.stdout.write(
            f"deleted {counts['comments']} comment(s) and "
            f"{counts['bans']} ban(s) for {email.strip().lower()}"
        )
