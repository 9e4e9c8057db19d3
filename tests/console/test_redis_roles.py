"""Redis by role: a database (or URL) per role, one key prefix for all, a cache.clear() that keeps
other deployments' keys."""

import pytest

from console.redis_roles import PrefixedRedisCache, key_prefix, redis_client, role_urls


def test_it_gives_each_role_the_next_database():
    assert role_urls("redis://:pw@cache.example:6379/3") == {
        "cache": "redis://:pw@cache.example:6379/3", "limits": "redis://:pw@cache.example:6379/4",
        "broker": "redis://:pw@cache.example:6379/5", "results": "redis://:pw@cache.example:6379/6",
        "answers": "redis://:pw@cache.example:6379/7"}
    assert role_urls("redis://cache.example")["broker"] == "redis://cache.example/2"
    assert role_urls("") == {}


def test_it_takes_a_roles_own_url_and_refuses_databases_past_the_last():
    own = {"broker": "redis://broker.example:6380/0"}
    assert role_urls("redis://cache.example:6379/0", own)["broker"] == "redis://broker.example:6380/0"
    with pytest.raises(ValueError, match="REDIS_ANSWERS_URL"):
        role_urls("redis://cache.example:6379/12")


def test_each_test_worker_has_a_prefix_of_its_own():
    assert key_prefix("ronghe") == "ronghe"
    assert key_prefix("ronghe", test_worker="gw3") == "ronghe-gw3"


def test_clearing_the_cache_keeps_other_deployments_keys(settings):
    from django.core.cache import caches

    cache = caches["default"]
    assert isinstance(cache, PrefixedRedisCache)
    client = redis_client("cache")
    client.set("another-deployment:1:kept", "1")
    cache.set("mine", "1")
    try:
        cache.clear()
        assert cache.get("mine") is None
        assert client.get("another-deployment:1:kept") == b"1"
    finally:
        client.delete("another-deployment:1:kept")


def test_the_throttles_survive_a_cache_clear(settings):
    from django.core.cache import caches

    from console.counters import counter_bump, throttle_cache

    counter_bump("login-fail:test", window=60)
    caches["default"].clear()
    assert throttle_cache.get("login-fail:test") == 1
