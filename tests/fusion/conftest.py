from tests.api.conftest import _fast_passwords, alice_material, bob_material  # noqa: F401 - shared fixtures
