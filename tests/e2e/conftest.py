"""Fixtures the browser tests share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation, PendingUpload, ResumableUpload
from caunoi.patients.models import Patient
from caunoi.patients.tests.factories import make_patient


def _remove(p: Patient) -> None:
    """The patient, with the consultations, files and uploads a test made for them."""
    for c in Consultation.objects.filter(patient=p):
        for a in c.attachments.all():
            a.file.delete(save=False)
            a.thumbnail.delete(save=False)
    Consultation.objects.filter(patient=p).delete()
    for kept in PendingUpload.objects.filter(patient=p):
        kept.file.delete(save=False)
        kept.thumbnail.delete(save=False)
    PendingUpload.objects.filter(patient=p).delete()
    ResumableUpload.objects.filter(patient=p).delete()
    p.consents.all().delete()
    p.delete()


@pytest.fixture
def station_patient(committed_db: None) -> Iterator[Callable[..., Patient]]:
    """Registers patients at ``worker``'s station (committed, for the live server), and
    removes them and what the test made for them afterwards."""
    made: list[Patient] = []

    def make(name: str, **extra: Any) -> Patient:
        p = make_patient(User.objects.get(username="worker"), name=name, **extra)
        made.append(p)
        return p

    yield make
    for p in made:
        _remove(p)
