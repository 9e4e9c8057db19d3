"""``python manage.py mfa_reset NAME``: turn two-step verification off for a login that lost its phone
and its recovery codes (for the operators' own logins, which no account page lists). Recorded in the
audit log like the operator page's button; an operator enrols again at the next sign-in."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from console.mfa import mfa_reset


class Command(BaseCommand):
    help = "Turn two-step verification off for a login (its app secret and recovery codes are deleted)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args: object, **options: object) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No login named {options['username']!r}.")
        if not mfa_reset(user=user, actor=None, reason="manage.py mfa_reset"):
            raise CommandError(f"{user.get_username()} has not turned on two-step verification.")
        self.stdout.write(f"Two-step verification of {user.get_username()} is reset; it enrols again at sign-in.")
