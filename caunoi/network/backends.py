"""Who may use the administration screens, answered from the network's roles."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from caunoi.audit.admin import NETWORK_ADMIN
from caunoi.network.access import user_scope


class NetworkAdminBackend(BaseBackend):
    """Grants ``audit.admin.NETWORK_ADMIN`` to network administrators (and superusers), so the
    admin classes of every app, down to audit and places, ask ``user.has_perm`` instead of
    importing ``network.access``. It authenticates nobody."""

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm == NETWORK_ADMIN and user_scope(user_obj).is_network_admin
