from __future__ import annotations

from django.tasks import task

from caunoi.protocols.services import review_flag


@task()
def review_check(version_id: int) -> bool:
    """Scheduled at publication for the version's review date (``run_after``; no polling)."""
    return review_flag(version_id=version_id)
