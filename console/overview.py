"""What other apps add to the console's pages: the overview's figure cards (each app's function named
in ``settings.CONSOLE_OVERVIEW_FIGURES``) and the columns of the operators' account list
(``settings.CONSOLE_OPERATOR_ACCOUNT_COLUMNS``). The project package composes them, so the console
(the ground floor every app imports) imports none of the apps above it."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
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


@dataclass(frozen=True)
class AccountColumn:
    """One column of the operators' account list: its heading, the cell's text from the annotated
    account, and optionally where the cell links."""

    label: Promise | str
    text: Callable[[Account], str]
    url: Callable[[Account], str] | None = None


AccountColumnSource = Callable[[QuerySet[Account]], tuple[QuerySet[Account], list[AccountColumn]]]


def operator_account_columns(accounts: QuerySet[Account]) -> tuple[QuerySet[Account], list[AccountColumn]]:
    """The accounts annotated by every app, and the columns that show what they added, in settings order."""
    columns: list[AccountColumn] = []
    for path in settings.CONSOLE_OPERATOR_ACCOUNT_COLUMNS:
        source: AccountColumnSource = import_string(path)
        accounts, more = source(accounts)
        columns.extend(more)
    return accounts, columns
