"""DHIS2 `dataValueSets`: the platform's indicators for a period, per mapped province and facility,
as DHIS2 imports them, and the push of that payload to the configured server (HTTP Basic auth,
POST /api/dataValueSets). Suppressed cells (under 5 patients) and empty values are never sent."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.services import audit_record
from caunoi.monitoring.catalogue import BY_CODE, Place
from caunoi.monitoring.freshness import snapshot
from caunoi.monitoring.indicators import compute
from caunoi.monitoring.models import Dhis2DataElement, Dhis2OrgUnit, Dhis2Push
from caunoi.monitoring.periods import Period


def dhis2_period(period: Period) -> str:
    """DHIS2's period ids: 20261005, 2026W42, 202610, 2026Q3, 2026."""
    start = period.start
    if period.grain == "day":
        return f"{start:%Y%m%d}"
    if period.grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}W{week}"
    if period.grain == "month":
        return f"{start:%Y%m}"
    if period.grain == "quarter":
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def data_value_set(period: Period, *, within: list[Place]) -> dict[str, Any]:
    """The payload for every mapped indicator and organisation unit that lies within one of the
    places ``within`` — the places the reader may see, as ``monitoring.access.resolve_place``
    gave them (the same rule as the dashboards and ``/api/indicators``)."""
    elements = list(Dhis2DataElement.objects.all())
    units = list(Dhis2OrgUnit.objects.select_related("province", "facility", "facility__province"))
    values: list[dict[str, str]] = []
    with snapshot():  # one moment for the whole payload
        for unit in units:
            place = (
                Place(kind="province", province_code=unit.province.code)
                if unit.province
                else Place(kind="facility", facility=unit.facility)
            )
            if not any(outer.contains(place) for outer in within):
                continue
            for element in elements:
                cell = compute(BY_CODE[element.indicator], period, place).total
                if cell.suppressed or cell.value is None:
                    continue
                value = {
                    "dataElement": element.data_element,
                    "period": dhis2_period(period),
                    "orgUnit": unit.org_unit,
                    "value": _number(cell.value),
                }
                if element.category_option_combo:
                    value["categoryOptionCombo"] = element.category_option_combo
                values.append(value)
    return {"dataValues": values}


def dhis2_push(*, period: Period, actor: User | None, within: list[Place]) -> Dhis2Push:
    """Send the period's dataValueSet for the places ``within`` to DHIS2 and keep its answer."""
    if not settings.DHIS2_URL:
        raise ImproperlyConfigured(
            "Set DHIS2_URL (and DHIS2_USERNAME, DHIS2_PASSWORD) to push to DHIS2."
        )
    payload = data_value_set(period, within=within)
    body = json.dumps(payload).encode()
    url = (
        settings.DHIS2_URL.rstrip("/")
        + "/api/dataValueSets?orgUnitIdScheme="
        + settings.DHIS2_ORG_UNIT_ID_SCHEME
    )
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 -- URL from settings
    token = base64.b64encode(
        f"{settings.DHIS2_USERNAME}:{settings.DHIS2_PASSWORD}".encode()
    ).decode()
    request.add_header("Authorization", f"Basic {token}")
    request.add_header("Content-Type", "application/json")
    status: int | None
    try:
        with urllib.request.urlopen(request, timeout=settings.DHIS2_TIMEOUT) as response:  # noqa: S310
            status, text = response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode("utf-8", "replace")
    except OSError as exc:
        status, text = None, str(exc)
    with transaction.atomic():
        push = Dhis2Push.objects.create(
            actor=actor if getattr(actor, "pk", None) else None,
            period=dhis2_period(period),
            values=len(payload["dataValues"]),
            status=status,
            ok=status is not None and 200 <= status < 300,
            response=text[:20_000],
        )
        audit_record(
            actor=actor,
            action=AuditAction.EXPORT,
            obj=push,
            purpose="DHIS2 push",
            detail={"values": push.values, "status": status},
        )
    return push
