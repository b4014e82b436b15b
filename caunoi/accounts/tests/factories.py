"""Users and personas for tests (factory_boy).

``UserFactory()`` makes a person who belongs nowhere; the persona factories make a user with
one membership, e.g. ``WorkerFactory(facility=station)`` or
``SpecialistFactory(facility=hub, specialties=["paediatrics"])``. Every account signs in with
``PASSWORD`` (the demo password, so browser tests sign in the same way on both networks).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import factory
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from caunoi.accounts.models import User
from caunoi.network.models import Profession, Role
from caunoi.network.tests.factories import MembershipFactory

PASSWORD = "caunoi-demo"


@cache
def _password_hash() -> str:
    return make_password(PASSWORD)


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"nguoi.thu{n}")
    full_name = factory.Sequence(lambda n: f"Người Thử {n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@test.caunoi.vn")
    password = factory.LazyFunction(_password_hash)


class PersonaFactory(UserFactory):
    """A user with one membership. ``facility`` (or ``organisation`` for donors and admins),
    ``role``, ``profession``, ``title`` and ``specialties`` (codes) describe it."""

    facility = None
    organisation = ""
    role = Role.WORKER
    profession = Profession.ASSISTANT_DOCTOR
    title = ""
    specialties: tuple[str, ...] = ()

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        fields = ("facility", "organisation", "role", "profession", "title", "specialties")
        membership = {name: kwargs.pop(name) for name in fields}
        user: User = super()._create(model_class, *args, **kwargs)
        MembershipFactory(user=user, **membership)
        return user


class WorkerFactory(PersonaFactory):
    """Commune health worker (give ``facility``: a station)."""


class SpecialistFactory(PersonaFactory):
    """Hub specialist (give ``facility``: a hub); internal medicine unless told."""

    role = Role.SPECIALIST
    profession = Profession.DOCTOR
    specialties = ("internal-medicine",)


class CoordinatorFactory(PersonaFactory):
    role = Role.COORDINATOR
    profession = Profession.NURSE


class ClinicianFactory(PersonaFactory):
    """Clinician at a receiving hospital (the ``receiver`` persona's role)."""

    role = Role.CLINICIAN
    profession = Profession.DOCTOR
    specialties = ("internal-medicine",)


class OfficerFactory(PersonaFactory):
    """M&E officer (give ``facility``: a health department)."""

    role = Role.OFFICER
    profession = Profession.PUBLIC_HEALTH


class DonorFactory(PersonaFactory):
    role = Role.DONOR
    profession = Profession.OTHER
    organisation = "KOFIH"


class AdminFactory(PersonaFactory):
    """Network administrator (staff, no facility)."""

    is_staff = True
    role = Role.ADMIN
    profession = Profession.IT
