"""The acting person as the layers below ``accounts`` see it.

``caunoi.accounts.models.User`` sits above core, audit, places, codes and network, so those
layers name the user by what they use of it; ``User`` satisfies ``Person`` (mypy checks every
caller), and apps from ``accounts`` up type the actor as ``User`` itself.
"""

from __future__ import annotations

from typing import Any, Protocol


class Person(Protocol):
    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def is_superuser(self) -> bool: ...

    def get_full_name(self) -> str: ...

    def get_username(self) -> str: ...
