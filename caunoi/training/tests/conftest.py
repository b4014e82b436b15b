import pytest

from caunoi.training.models import TrainingCentre


@pytest.fixture
def centre(specialist):
    """Huế's hub as a training centre, organised by the `specialist` persona."""
    hub = specialist.memberships.get(role="specialist").facility
    return TrainingCentre.objects.create(facility=hub, cme_provider_code="HUE-CME-01")
