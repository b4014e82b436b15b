"""Who sees and does what with technique transfers.

The hub's specialists and coordinators manage their hub's transfers (record them, teach, log
the cases, assess, sign off); the receiving facility's clinical staff see theirs, log the cases
their trainees perform and file the monthly reports; its head (``Membership.is_head``)
authorises the technique; a provincial officer reads the transfers to facilities of their
province. Donors read the aggregates of the M&E catalogue only. Everyone else: 404.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from caunoi.accounts.models import User
from caunoi.core.access import get_or_404
from caunoi.network.access import user_scope
from caunoi.transfers.models import Transfer


def visible_transfers(user: User | AnonymousUser) -> QuerySet[Transfer]:
    scope = user_scope(user)
    if scope.user_id is None:
        return Transfer.objects.none()
    return Transfer.objects.filter(
        Q(hub_id__in=scope.hub_ids)
        | Q(receiver_id__in=scope.facility_ids)
        | Q(receiver__province_id__in=scope.province_ids)
    )


def access_transfer(user: User | AnonymousUser, public_id: UUID | str) -> Transfer:
    return get_or_404(
        visible_transfers(user).select_related("hub", "receiver", "specialty", "technique"),
        public_id=public_id,
    )


def manages(user: User | AnonymousUser, transfer: Transfer) -> bool:
    """The hub's specialists and coordinators."""
    return transfer.hub_id in user_scope(user).hub_ids


def receives(user: User | AnonymousUser, transfer: Transfer) -> bool:
    """The receiving facility's clinical staff."""
    return transfer.receiver_id in user_scope(user).facility_ids


def heads_receiver(user: User | AnonymousUser, transfer: Transfer) -> bool:
    return any(
        m.is_head and m.facility_id == transfer.receiver_id for m in user_scope(user).memberships
    )
