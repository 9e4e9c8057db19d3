"""One transition table per state machine (docs/state-machines.md).

A table maps (state, action) to the next state. A service asks it for the next state before its
compare-and-swap, so a change the table does not list is refused before anything is written; pages
ask it which actions to offer. Views and tasks send actions, never target states.
"""

from collections.abc import Hashable, Mapping
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _

State = TypeVar("State", bound=Hashable)
Action = TypeVar("Action", bound=Hashable)


class TransitionRefused(ValidationError):
    """The table has no such (state, action): nothing was changed."""


class TransitionTable(Generic[State, Action]):
    def __init__(self, name: str | Promise, edges: Mapping[tuple[State, Action], State]) -> None:
        self.name = name
        self._edges = dict(edges)

    def allows(self, state: State, action: Action) -> bool:
        return (state, action) in self._edges

    def target(self, state: State, action: Action, *, refused: str | None = None) -> State:
        """The state ``action`` leads to from ``state``; ``TransitionRefused`` when the table has none,
        with the message ``refused`` (what the user should read) or a general one."""
        try:
            return self._edges[(state, action)]
        except KeyError:
            message = refused or _("This change is not possible now (%(machine)s: %(action)s from %(state)s). "
                                   "Reload the page: someone may have changed it meanwhile.") % {
                "machine": self.name, "action": action, "state": state}
            raise TransitionRefused(message, code="transition") from None

    def move(self, rows: QuerySet, action: Action, *, field: str = "status", **fields: Any) -> int:
        """Does ``action`` to those of ``rows`` whose state allows it, in one UPDATE whose WHERE
        names the allowed source states (a compare-and-swap); the number of rows it moved. The
        action must lead to one state from every source (as a job's start, finish or expiry does)."""
        sources = self.sources(action)
        (target,) = {self._edges[(state, action)] for state in sources}
        return rows.filter(**{f"{field}__in": sources}).update(**{field: target}, **fields)

    def sources(self, action: Action) -> frozenset[State]:
        """Every state ``action`` may start from."""
        return frozenset(state for (state, act) in self._edges if act == action)

    def actions_from(self, state: State) -> list[Action]:
        """The actions allowed from ``state``, in the table's order."""
        return [act for (src, act) in self._edges if src == state]

    def edges(self) -> dict[tuple[State, Action], State]:
        return dict(self._edges)
