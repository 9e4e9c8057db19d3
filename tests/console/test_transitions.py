"""The transition table itself: next states, refusals, sources and the actions a page may offer."""

import pytest

from console.transitions import TransitionRefused, TransitionTable

TABLE: TransitionTable[str, str] = TransitionTable("door", {
    ("closed", "open"): "opened", ("opened", "close"): "closed", ("closed", "lock"): "locked",
    ("locked", "unlock"): "closed",
})


def test_it_gives_the_next_state_of_a_listed_pair():
    assert TABLE.target("closed", "lock") == "locked"
    assert TABLE.allows("opened", "close") and not TABLE.allows("opened", "lock")


@pytest.mark.parametrize(("state", "action"), [("opened", "lock"), ("locked", "open"), ("closed", "close"),
                                               ("missing", "open")])
def test_it_refuses_a_pair_it_does_not_list(state, action):
    with pytest.raises(TransitionRefused) as exc:
        TABLE.target(state, action)
    assert exc.value.code == "transition"


def test_a_refusal_says_what_the_caller_asks_it_to():
    with pytest.raises(TransitionRefused) as exc:
        TABLE.target("opened", "lock", refused="关着才能锁")
    assert exc.value.messages == ["关着才能锁"]


def test_it_lists_sources_and_the_actions_from_a_state():
    assert TABLE.sources("open") == frozenset({"closed"})
    assert TABLE.actions_from("closed") == ["open", "lock"]
    assert TABLE.actions_from("locked") == ["unlock"]
