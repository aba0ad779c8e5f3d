from django.core.management.base import BaseCommand

from newsroom.articles.demo_loader import DEMO_DIR, load_demo


class Command(BaseCommand):
    help = "Load the demo newsroom (original sample articles); safe to run again."

    def handle(self, *args, **options) -> None:
        created, kept = load_demo()
        self.stdout.write(
            f"demo newsroom: {created} articles created, {kept} already there "
            f"(from {DEMO_DIR})"
        )
