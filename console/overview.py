"""The overview page's figure cards. Each app contributes its own card through a function named in
``settings.CONSOLE_OVERVIEW_FIGURES``: the project package composes them, so the console (the
ground floor every app imports) imports none of the apps above it."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.module_loading import import_string

from console.models import Account, Member


@dataclass(frozen=True)
class Figure:
    label: Promise | str
    value: str
    note: Promise | str
    url: str | None


FigureSource = Callable[..., Figure | None]


def overview_figures(*, account: Account, member: Member) -> list[Figure]:
    """The cards of every app, in settings order; an app answers None for a role that may not see it."""
    figures: list[Figure] = []
    for path in settings.CONSOLE_OVERVIEW_FIGURES:
        source: FigureSource = import_string(path)
        figure = source(account=account, member=member)
        if figure is not None:
            figures.append(figure)
    return figures
