from __future__ import annotations

from django.tasks import task

from caunoi.video.recordings import recording_process


@task()
def recording_process_task(recording_id: int) -> int:
    """Enqueued when a recording stops: converts it (safe to run twice)."""
    return recording_process(recording_id=recording_id)
