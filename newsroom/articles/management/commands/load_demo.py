from django.core.management.base import BaseCommand

from newsroom.articles.demo_loader import DEMO_DIR, load_demo
from newsroom.articles.demo_pictures import attach_pictures


class Command(BaseCommand):
    help = (
        "Load the demo newsroom (original sample articles, with pictures); "
        "safe to run again."
    )

    def handle(self, *args, **options) -> None:
        created, kept = load_demo()
        pictures = attach_pictures()
        self.stdout.write(
            f"demo newsroom: {created} articles created, {kept} already there "
            f"(from {DEMO_DIR}); {pictures} pictures added"
        )
