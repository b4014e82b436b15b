"""``get_or_404``: no such row, and an id that cannot even be read, both answer 404 (never a
500, never a hint that the row exists)."""

from __future__ import annotations

import pytest
from django.http import Http404

from caunoi.core.access import get_or_404
from caunoi.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_get_or_404_answers_the_row():
    row = WorkerHeartbeat.objects.create(worker_id="w-access", host="app-1", pid=1)
    assert get_or_404(WorkerHeartbeat.objects.all(), pk=row.pk) == row


@pytest.mark.parametrize("value", [0, "0", "not-a-number", "", None])
def test_get_or_404_on_a_missing_or_malformed_id_is_404(value):
    WorkerHeartbeat.objects.create(worker_id="w-access", host="app-1", pid=1)
    with pytest.raises(Http404):
        get_or_404(WorkerHeartbeat.objects.all(), pk=value)


def test_get_or_404_looks_only_inside_the_queryset_it_is_given():
    row = WorkerHeartbeat.objects.create(worker_id="w-access", host="app-1", pid=1)
    with pytest.raises(Http404):
        get_or_404(WorkerHeartbeat.objects.exclude(pk=row.pk), pk=row.pk)
