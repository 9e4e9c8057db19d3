import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Each tenant fixture creates five logins; the production hasher makes that seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
