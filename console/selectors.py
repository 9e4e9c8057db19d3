"""Reads of tenancy data. Every customer lookup is scoped by account: another account's id
raises ``Http404`` exactly like an id that does not exist."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from console.models import Account, AccountStatus, ApiCredential, AuditEvent, Member, Role


def member_for_user(user: User | AnonymousUser) -> Member | None:
    if not user.is_authenticated:
        return None
    try:
        return Member.objects.select_related("account").get(user=user)
    except Member.DoesNotExist:
        return None


def is_operator(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm("console.operator"))


def member_list(*, account: Account) -> QuerySet[Member]:
    return Member.objects.filter(account=account).select_related("user").order_by("created_at", "id")


def member_get(*, account: Account, member_id: int) -> Member:
    return get_object_or_404(Member.objects.select_related("user"), account=account, id=member_id)


def credential_list(*, account: Account, member: Member | None = None) -> QuerySet[ApiCredential]:
    """All of an account's keys, or only ``member``'s when given."""
    qs = ApiCredential.objects.filter(account=account).select_related("member__user")
    if member is not None:
        qs = qs.filter(member=member)
    return qs.order_by("-created_at", "-id")


def credential_get(*, account: Account, credential_id: int, member: Member | None = None) -> ApiCredential:
    return get_object_or_404(credential_list(account=account, member=member), id=credential_id)


def credential_by_secret_id(secret_id: str) -> ApiCredential | None:
    """For the API's signature check: the key whatever its account, with member and account."""
    return (ApiCredential.objects.select_related("account", "member__user")
            .filter(secret_id=secret_id).first())


def audit_events_for(*, account: Account | None, target_type: str, target_id: str) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(target_type=target_type, target_id=str(target_id))
    if account is not None:
        qs = qs.filter(account=account)
    return qs.select_related("actor").order_by("created_at", "id")


def account_list() -> QuerySet[Account]:
    """Operators only: every account."""
    return Account.objects.order_by("-created_at", "-id")


def account_search(qs: QuerySet[Account], *, query: str, status: str) -> QuerySet[Account]:
    """Operators only: the accounts of ``qs`` whose company name contains ``query`` or whose AppID is
    ``query``, in ``status`` when that is a known status (anything else leaves every status)."""
    if query:
        condition = Q(name__icontains=query)
        if query.isdigit():
            condition |= Q(app_id=int(query))
        qs = qs.filter(condition)
    if status in AccountStatus.values:
        qs = qs.filter(status=status)
    return qs


def account_get(*, account_id: int) -> Account:
    """Operators only."""
    return get_object_or_404(Account, id=account_id)


def account_owner(*, account: Account) -> Member | None:
    return Member.objects.select_related("user").filter(account=account, role=Role.OWNER).first()


def account_notice_recipients(*, account: Account) -> list[str]:
    """The account's contact email and its owner's login email, without duplicates."""
    addresses = [account.contact_email]
    owner = account_owner(account=account)
    if owner is not None and owner.user.is_active:
        addresses.append(owner.user.email)
    seen: list[str] = []
    for addr in addresses:
        addr = (addr or "").strip().lower()
        if addr and addr not in seen:
            seen.append(addr)
    return seen
