"""Create (or reset) an editor account: no default password exists anywhere."""

import getpass
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db.models import Field

from newsroom.articles.roles import ROLE_CHOICES, sync_roles


class Command(BaseCommand):
    help = (
        "Create (or reset) a staff account in one role: reporter, editor, "
        "moderator or administrator. Never a superuser unless --superuser is "
        "given. Asks for a password, or with --generate prints a random one once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--role",
            choices=sorted(ROLE_CHOICES),
            default="editor",
            help="the account's role (default: editor)",
        )
        parser.add_argument(
            "--superuser",
            action="store_true",
            help="also make it a superuser (every permission, unchecked)",
        )
        parser.add_argument(
            "--generate", action="store_true", help="generate and print a password"
        )

    def handle(
        self,
        *args,
        username: str,
        email: str,
        generate: bool,
        role: str = "editor",
        superuser: bool = False,
        **options,
    ):
        User = get_user_model()
        # As the sign-in form and the user model would have them: an account
        # the site refuses to sign in is never made.
        name_field = User._meta.get_field(User.USERNAME_FIELD)
        try:
            assert isinstance(name_field, Field)
            name_field.clean(username, None)
        except ValidationError as exc:
            raise CommandError(f"invalid username: {' '.join(exc.messages)}") from exc
        try:
            if email:
                validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"invalid email: {' '.join(exc.messages)}") from exc
        if generate:
            password = secrets.token_urlsafe(15)
        else:
            try:
                password = getpass.getpass("Password: ")
                if password != getpass.getpass("Password (again): "):
                    raise CommandError("The two passwords differ.")
            except EOFError as exc:
                raise CommandError(
                    "no password given (no terminal to ask on): use --generate"
                ) from exc
        user = User.objects.filter(username=username).first() or User(username=username)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        user.email = email or user.email
        user.is_staff = True
        user.is_superuser = superuser
        user.set_password(password)
        user.save()
        from django.contrib.auth.models import Group

        sync_roles()
        user.groups.set([Group.objects.get(name=ROLE_CHOICES[role])])
        kind = f"{role} (superuser)" if superuser else role
        self.stdout.write(f"{kind} {username!r} is ready at /admin/")
        if generate:
            self.stdout.write(f"password: {password}")
