"""Reads of campaigns, always scoped by account."""

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from campaigns.models import Campaign
from console.models import Account


def campaign_find(*, account: Account, project_id: str) -> Campaign | None:
    """The account's campaign with this ProjectId, or None (also for another account's id)."""
    return Campaign.objects.for_account(account).filter(project_id=project_id).first()


def campaign_get(*, account: Account, project_id: str) -> Campaign:
    """Like campaign_find, but Http404 when missing: for views."""
    return get_object_or_404(Campaign.objects.for_account(account), project_id=project_id)


def campaign_list(*, account: Account, query: str = "", status: str = "") -> QuerySet[Campaign]:
    qs = Campaign.objects.for_account(account).annotate(material_count=Count("materials"))
    query = query.strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(project_id__iexact=query))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def campaign_choices(*, account: Account) -> QuerySet[Campaign]:
    """Campaigns that accept new materials."""
    return Campaign.objects.for_account(account).filter(status="active").order_by("-created_at", "-id")


def campaign_names(*, account: Account, project_ids: Iterable[str]) -> dict[str, str]:
    """ProjectId → name for the account's campaigns among ``project_ids`` (others' ids are left out)."""
    ids = {p for p in project_ids if p}
    if not ids:
        return {}
    return dict(Campaign.objects.for_account(account).filter(project_id__in=ids).values_list("project_id", "name"))
