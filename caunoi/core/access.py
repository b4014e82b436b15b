"""The one way an access helper answers "not found".

An ``access_*`` helper looks a row up inside what the person may see. Whether the row does not
exist, is not theirs, or the id in the address cannot even be read (``"abc"`` for a UUID), the
answer is the same 404: a malformed id must not become a 500, and a refusal must not tell that
the row exists."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.http import Http404


def get_or_404[M: models.Model](queryset: models.QuerySet[M], /, **lookup: Any) -> M:
    """``queryset.get(**lookup)``, with no such row, an unreadable id (``ValidationError`` from
    a UUID field, ``ValueError`` from an integer one) all raising ``Http404``."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
