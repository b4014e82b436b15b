from __future__ import annotations

from django.tasks import task


@task()
def draft_keys_expire_task() -> int:
    """Scheduled when a draft key is made, with ``run_after`` = when it expires: destroys every
    key past its time (the forms it sealed can no longer be read). Safe to run twice or late."""
    from caunoi.accounts.services import draft_keys_expire

    return draft_keys_expire()
