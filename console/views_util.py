"""Small pieces every app's views share: one page of a list, a service's refusal shown to the user,
an upload read within its limit."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 20


def page_of(request: HttpRequest, items: Sequence[Any] | QuerySet[Any], per_page: int = PAGE_SIZE) -> Page[Any]:
    """The page of ``items`` named by ``?page=`` (the first or last one when it is out of range)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def errors_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@contextmanager
def errors_as_messages(request: HttpRequest) -> Iterator[None]:
    """Runs the block; a ValidationError it raises (a service's refusal) becomes an error message
    for the next page, and the rest of the block (its success message) is skipped."""
    try:
        yield
    except ValidationError as exc:
        messages.error(request, errors_text(exc))


def add_form_errors(form: forms.BaseForm, exc: ValidationError, *, default_field: str | None = None) -> None:
    """A service's ValidationError on the form: per-field errors on the fields the form has (the rest
    above the form), a plain error on ``default_field`` when the form has it, else above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(default_field if default_field in form.fields else None, exc)


def upload_read(upload: UploadedFile, limit: int, too_big: Callable[[int], ValidationError]) -> bytes:
    """The upload's bytes, or ``too_big(size)`` raised when it is over ``limit``. Never reads more than
    the limit into memory: the size is known from the upload handler."""
    if upload.size is not None and upload.size > limit:
        raise too_big(upload.size)
    return upload.read(limit + 1)
