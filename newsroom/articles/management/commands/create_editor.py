"""Create (or reset) an editor account: no default password exists anywhere."""

import getpass
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Create an editor (staff superuser) account. Asks for a password, or "
        "with --generate prints a random one once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--generate", action="store_true", help="generate and print a password"
        )

    def handle(self, *args, username: str, email: str, generate: bool, **options):
        User = get_user_model()
        if generate:
            password = secrets.token_urlsafe(15)
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        user = User.objects.filter(username=username).first() or User(username=username)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        user.email = email or user.email
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"editor {username!r} is ready at /admin/")
        if generate:
            self.stdout.write(f"password: {password}")
