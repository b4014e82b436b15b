from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def page_in() -> Callable[[Any, str], Client]:
    """A page client signed in as ``user`` who chose ``language`` on their account (applied at
    sign-in, as for a person), with the browser asking for it too."""

    def make(user: Any, language: str) -> Client:
        type(user).objects.filter(pk=user.pk).update(language=language)
        user.language = language
        client = Client(headers={"Accept-Language": language})
        client.force_login(user)
        return client

    return make
