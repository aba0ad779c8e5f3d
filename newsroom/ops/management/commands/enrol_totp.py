"""Enrol a staff account's authenticator app for the admin's TOTP sign-in."""

from __future__ import annotations

from base64 import b32encode

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Give USERNAME a TOTP device for the admin's two-factor sign-in "
        "(NEWSROOM_ADMIN_TOTP) and print the otpauth:// link and secret to "
        "type or scan into an authenticator app. --replace removes the "
        "account's other TOTP devices (a lost phone)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="authenticator")
        parser.add_argument("--replace", action="store_true")

    def handle(self, *args, username: str, name: str, replace: bool, **options):
        for what, value in (("username", username), ("--name", name)):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise CommandError(f"{what} is not valid UTF-8") from None
        longest = TOTPDevice._meta.get_field("name").max_length or 64
        if not name.strip() or len(name) > longest:
            raise CommandError(f"--name must be 1 to {longest} characters")
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist as exc:
            raise CommandError(f"no account {username!r}") from exc
        if not user.is_staff:
            raise CommandError(f"{username!r} is not staff: the admin is for staff")
        with transaction.atomic():
            if replace:
                TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        secret = b32encode(device.bin_key).decode()
        self.stdout.write(f"enrolled {name!r} for {username}")
        self.stdout.write(f"secret (type it into the app): {secret}")
        self.stdout.write(f"link (or show it as a QR code): {device.config_url}")
