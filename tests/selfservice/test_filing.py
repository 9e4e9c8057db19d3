"""The algorithm filing (算法备案) page."""

from django.test import Client

from selfservice import services
from tests.conftest import login
from tests.selfservice.conftest import owner_of, signup


def test_it_says_when_the_operator_has_not_entered_the_filing(alice):
    text = login(alice.viewer).get("/filing/").content.decode()
    assert 'data-testid="filing-missing"' in text


def test_it_shows_the_configured_filing_and_how_to_cite_it(alice, operator):
    services.platform_settings_update(actor=operator, signup_mode="open", filing_algorithm_name="融合人脸融合算法",
                                      filing_number="网信算备110000000000000001号", filing_provider="融合科技")
    for who in (alice.developer, operator, owner_of(signup())):
        text = login(who).get("/filing/").content.decode()
        assert "融合人脸融合算法" in text and "网信算备110000000000000001号" in text
        assert 'data-testid="filing-sample"' in text and "GB 45438-2025" in text
    assert "网信算备110000000000000001号" in login(alice.owner).get("/activate/").content.decode()


def test_it_needs_a_sign_in(db):
    assert Client().get("/filing/").status_code == 302
