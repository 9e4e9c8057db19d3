"""Every console and operator page under the Content-Security-Policy, in real Chromium: no violation
in the console, and what depends on script still works (htmx polling, Chart.js, the face boxes,
selects that submit their form).

The pages are not listed by hand: every URL pattern of the project is filled with the ids of real
rows and fetched as an anonymous visitor, a customer owner and an operator; each one that answers
an HTML page is then opened in the browser. A pattern with a parameter the walk cannot fill fails
the test, so a new page is walked from the day it exists."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.conftest import approved_material
from tests.conftest import PASSWORD, browser_login, login, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Not pages: the API, downloads, signed links, JSON and the framework's own views.
SKIPPED_PREFIXES = ("django-admin/", "api/", "files/", "healthz/", "jsi18n/", "i18n/", "logout/")
# Parameters that only ever name a download or a one-time link, never a page.
NOT_PAGES = {"materials:proof_download", "billing:invoice_pdf", "billing:operator_invoice_pdf",
             "console:verify_email"}


def _patterns(patterns=None, prefix: str = "", namespace: str = ""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace or "") if n)
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), ":".join(n for n in (namespace, pattern.name or "") if n)


def _fill(route: str, values: dict[str, str]) -> str | None:
    missing = [name for name in re.findall(r"<(?:\w+:)?(\w+)>", route) if name not in values]
    if missing:
        return None
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def _pages(client: Client, values: dict[str, str]) -> tuple[list[str], list[str]]:
    """(URLs answering an HTML page to this client, patterns whose parameters could not be filled)."""
    pages, unfilled = [], []
    for route, name in _patterns():
        if route.startswith(SKIPPED_PREFIXES) or name in NOT_PAGES:
            continue
        url = _fill(route, values)
        if url is None:
            unfilled.append(f"{name} ({route})")
            continue
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages.append(url)
    return pages, unfilled


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    return problems


@pytest.fixture
def walk_data(alice, operator, faces_dir, settings):
    """A customer with a campaign, an approved material, a test-effect job waiting for a worker, an
    invitation, a closed bill and a sub-account; and the operator."""
    from billing.models import Bill
    from billing.services import bills_close
    from selfservice.services import invitation_create
    from tests.billing.conftest import at, make_calls

    # The job must still be waiting when the walk, a minute or more, reaches its page.
    settings.FUSION_CONSOLE_JOB_DEADLINE_SECONDS = 3600
    material = approved_material(alice, faces_dir / "two_people.jpg")
    owner = Client()
    owner.force_login(alice.owner.user)
    with (faces_dir / "obama.jpg").open("rb") as photo:
        run = owner.post(f"/test-effect/materials/{material.model_id}/run/",
                         {"photo_1": photo, "face_1": "face_0"})
    assert run.status_code == 302, run.content[:500]
    job_id = run["Location"].rstrip("/").rsplit("/", 1)[1]
    settings.FREE_PACK_CALLS = 1  # the second call is postpaid, so April closes with a bill
    make_calls(alice.account, 2, now=at(2026, 4, 3), campaign=material.campaign.project_id,
               material=material.model_id)
    bills_close(now=at(2026, 5, 1, 0, 5))
    bill = Bill.objects.get(account=alice.account)
    invitation = invitation_create(actor=operator, days=7, email="")
    # A video material and a video test-effect run waiting for a worker (its page polls as JSON).
    from tests.video.conftest import clip_bytes, video_material
    from video.services import video_test_run

    video = video_material(alice, clip_bytes(faces_dir / "biden.jpg", seconds=0.2))
    video_job = video_test_run(account=alice.account, member=alice.owner, material=video,
                               photo=(faces_dir / "obama.jpg").read_bytes())
    return {
        "member_id": alice.developer.id, "credential_id": 0, "account_id": alice.account.id,
        "project_id": material.campaign.project_id, "model_id": material.model_id, "job_id": job_id,
        "job_pk": str(video_job.id),
        "bill_id": bill.id, "invitation_id": invitation.invitation.id,
        "template_id": 0, "figure_id": 0, "item_id": 0, "entry_id": 0, "invoice_id": 0,
        "token": "x", "uidb64": "x", "number": "P0",
    }


def test_every_page_works_under_the_content_security_policy(browser, live_server, alice, operator, walk_data):
    identities = {"anonymous": None, "owner": alice.owner.user, "operator": operator}
    problems: list[str] = []
    walked: list[str] = []
    for who, user in identities.items():
        client = Client() if user is None else login(user)
        pages, unfilled = _pages(client, walk_data)
        assert not unfilled, f"give the walk a value for: {unfilled}"
        context = browser.new_context(locale="zh-CN")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.base_url = live_server.url
        problems += _watch(page)
        try:
            if user is not None:
                browser_login(page, user.get_username(), PASSWORD)
            for url in pages:
                response = page.goto(live_server.url + url)
                page.wait_for_load_state("networkidle")
                header = response.headers.get("content-security-policy", "")
                if "script-src 'self'" not in header:
                    problems.append(f"{url}: no strict Content-Security-Policy ({header!r})")
                walked.append(f"{who} {url}")
            if who == "owner":
                _check_scripts_still_work(page, live_server.url, walk_data)
        finally:
            context.close()
    print("\n".join(walked))
    assert len(walked) > 30, walked
    assert not problems, "\n".join(problems)


def _check_scripts_still_work(page, base: str, data: dict) -> None:
    # htmx: the waiting test-effect job polls its status every second.
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.url.endswith("/status/") else None)
    page.goto(f"{base}/test-effect/jobs/{data['job_id']}/")
    page.wait_for_timeout(2600)
    assert len(polls) >= 2, polls
    # Chart.js draws the usage chart.
    page.goto(f"{base}/billing/usage/")
    wait_until(page, "() => Boolean(window.Chart && Chart.getChart(document.getElementById('usage-chart')))",
               timeout_ms=5_000)
    # Face boxes are placed from data-box.
    page.goto(f"{base}/materials/{data['model_id']}/")
    box = page.locator(".face-box").first.bounding_box()
    assert box and box["width"] > 10 and box["height"] > 10, box
    # A select submits its form on change (data-autosubmit).
    page.goto(f"{base}/test-effect/")
    page.select_option("[data-testid=campaign-select]", data["project_id"])
    page.wait_for_selector("[data-testid=material-select]")
    assert f"campaign={data['project_id']}" in page.url
