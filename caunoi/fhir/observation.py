"""Observation: the vital signs and the written summary a station sends with a consultation
(``vitals``), read and searched through the consultation's access helper — one source per item,
so a consultation gives as many Observations as it has items filled in, and one a caller cannot
open gives none."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.fhir.clinical import (
    HISTORY_INTERACTIONS,
    PATIENT_PARAMS,
    consultations,
    patient_q,
    request_of,
    uuid_field,
)
from caunoi.fhir.search import NOTHING, Param, ResourceType, Source, date_q, token
from caunoi.fhir.vitals import CATEGORY, ITEMS, LOINC, Item, observation


def _filled(item: Item) -> Q:
    q = Q()
    for name in item.fields:
        q |= ~Q(**{name: ""}) if item.narrative else Q(**{f"{name}__isnull": False})
    return q


_CACHE = "_fhir_observation_consultations"


def _rows(item: Item) -> Any:
    def rows(user: User) -> QuerySet[Consultation]:
        # The consultations the caller may open, built once per request for the eleven
        # sources (the user object lives as long as the request, as ``user_scope``'s cache).
        visible: QuerySet[Consultation] | None = getattr(user, _CACHE, None)
        if visible is None:
            visible = consultations(user)
            setattr(user, _CACHE, visible)
        return visible.filter(_filled(item))

    return rows


def _id_q(item: Item) -> Any:
    suffix = f"-{item.key}"
    return lambda v: uuid_field("public_id", v[: -len(suffix)]) if v.endswith(suffix) else NOTHING


def _code_q(item: Item) -> Any:
    def build(m: str, v: str) -> Q:
        system, code = token(v)
        return Q() if code == item.code and system in (None, LOINC) else NOTHING

    return build


def _category_q(item: Item) -> Any:
    def build(m: str, v: str) -> Q:
        system, code = token(v)
        return (
            Q()
            if item.category and code == item.category and system in (None, CATEGORY)
            else NOTHING
        )

    return build


def _source(item: Item) -> Source:
    return Source(
        item.key,
        _rows(item),
        lambda c: observation(c, item),
        _id_q(item),
        {
            "patient": patient_q("patient"),
            "subject": patient_q("patient"),
            "based-on": request_of(""),
            "code": _code_q(item),
            "category": _category_q(item),
            "date": lambda m, v: date_q("submitted_at", v),
        },
    )


OBSERVATION = ResourceType(
    "Observation",
    tuple(_source(item) for item in ITEMS),
    (
        *PATIENT_PARAMS,
        Param("based-on", "reference", "The consultation's ServiceRequest."),
        Param("code", "token", "The LOINC code (8310-5, 85354-9, 59408-5…)."),
        Param("category", "token", "vital-signs, exam or laboratory."),
        Param("date", "date", "When the consultation was sent (with prefixes)."),
    ),
    interactions=HISTORY_INTERACTIONS,
)
