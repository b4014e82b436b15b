from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from caunoi.core.api import FieldErrors, Filters, ListFilters, Pagination, no_filters
from caunoi.monitoring.access import default_place, resolve_place
from caunoi.monitoring.catalogue import BY_CODE, CATALOGUE, Indicator
from caunoi.monitoring.freshness import snapshot
from caunoi.monitoring.indicators import compute
from caunoi.monitoring.periods import current_month, parse_period

router = Router(tags=["monitoring"])


class ValuesFilters(Filters):
    period: str = Field(
        "", description="2026-10-05, 2026-W42, 2026-10, 2026-Q3 or 2026; default: this month"
    )
    place: str = Field("", description="network, a province code, or a facility id; default: yours")
    by: str = Field("", description="a breakdown the indicator allows (see the catalogue)")


class IndicatorOut(Schema):
    code: str
    name_vi: str
    name_en: str
    definition_vi: str
    definition_en: str
    numerator: str
    denominator: str
    unit: str
    breakdowns: list[str]


class CellOut(Schema):
    key: str
    label: str
    numerator: float | None
    denominator: float | None
    value: float | None
    suppressed: bool


class ValuesOut(Schema):
    indicator: str
    unit: str
    period: str
    place: str
    by: str | None
    total: CellOut
    values: list[CellOut]


@router.get("/indicators", response=list[IndicatorOut], summary="The indicator catalogue")
@paginate(Pagination)
def list_indicators(request: HttpRequest, filters: ListFilters = no_filters()) -> list[Indicator]:
    return CATALOGUE


@router.get("/indicators/{code}/values", response=ValuesOut, summary="Values of one indicator")
def indicator_values(
    request: HttpRequest, code: str, filters: Query[ValuesFilters]
) -> dict[str, object]:
    """The same numbers, and the same suppression of cells under 5 patients, as the dashboards."""
    period, place, by = filters.period, filters.place, filters.by
    indicator = BY_CODE.get(code)
    if indicator is None:
        raise FieldErrors({"code": _("Unknown indicator.")})
    try:
        chosen = parse_period(period) if period else current_month()
    except ValueError as exc:
        raise FieldErrors(
            {"period": _("Use a period like 2026-10, 2026-Q3, 2026-W42, 2026-10-05 or 2026.")}
        ) from exc
    if by and by not in indicator.breakdowns:
        raise FieldErrors(
            {
                "by": _("This indicator allows: %(allowed)s.")
                % {"allowed": ", ".join(indicator.breakdowns)}
            }
        )
    where = resolve_place(request.user, place or default_place(request.user))
    with snapshot():  # the total and its breakdown from one moment
        return compute(indicator, chosen, where, by).as_dict()
