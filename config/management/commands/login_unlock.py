"""``python manage.py login_unlock NAME``: let a login sign in again from anywhere (for the operators'
own logins, which no account page lists). Recorded in the audit log like the operator page's button."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from console.services import login_unlock


class Command(BaseCommand):
    help = "Drop every failed sign-in count of a login, so it can sign in again from any device."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args: object, **options: object) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No login named {options['username']!r}.")
        login_unlock(user=user, actor=None)
        self.stdout.write(f"{user.get_username()} can sign in again from any device.")
