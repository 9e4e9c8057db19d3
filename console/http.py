"""What a console request carries, for type checking: MemberMiddleware sets ``member`` on every
request; behind ``login_required``/``operator_required`` the user is signed in; ``member_required``
adds the member's ``account``. Views annotate their request with the narrowest of these."""

from django.contrib.auth.models import User
from django.http import HttpRequest

from console.models import Account, Member


class ConsoleRequest(HttpRequest):
    member: Member | None


class SignedInRequest(ConsoleRequest):
    user: User


class MemberRequest(SignedInRequest):
    member: Member
    account: Account
