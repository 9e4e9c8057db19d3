"""The history a material's page shows reads in the reader's language: action labels, status names,
and the machine's reasons (stored in Chinese) in English for an English reader; no internal codes."""

import re

from django.conf import settings
from django.urls import reverse

from tests.conftest import login
from tests.materials.conftest import landscape, side_face

CODES = re.compile(r"material\.\w+|^(0|1|2|3|11|12|21|22)$", re.M)


def _history(client, material) -> str:
    """The history table's text, one cell a line (tags and their attributes left out)."""
    page = client.get(reverse("materials:detail", args=[material.model_id])).content.decode()
    table = page[page.index('data-testid="history"'):].split("</table>")[0]
    return "\n".join(cell.strip() for cell in re.split(r"<[^>]+>", table) if cell.strip())


def test_it_reads_in_chinese(alice, make_material):
    material = make_material(alice, landscape())
    history = _history(login(alice.owner), material)
    assert "上传素材" in history
    assert "机器审核" in history and "机器审核不通过" in history and "未检测到人脸" in history
    assert not CODES.search(history), CODES.search(history)


def test_it_reads_in_english_machine_reasons_included(alice, make_material):
    material = make_material(alice, side_face())
    client = login(alice.owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    history = _history(client, material)
    assert "Material uploaded" in history and "Machine review" in history and "Reviewing" in history
    assert "turned more than 30°" in history
    assert not re.search(r"[\u4e00-\u9fff]", history), "Chinese left in the English history"
    assert not CODES.search(history)


def test_operators_read_billing_actions_by_name(alice, operator):
    from tests.billing.conftest import top_up

    top_up(alice.account, 10_000, operator)
    client = login(operator)
    page = client.get(reverse("console:operator_account_detail", args=[alice.account.id])).content.decode()
    assert "billing.top_up" not in page.split('data-action="billing.top_up"', 1)[1]
    assert "余额充值" in page
