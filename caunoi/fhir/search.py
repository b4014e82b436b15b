"""FHIR search over the platform's rows: the search parameters of each resource type as Django
filters, ``_include``/``_revinclude``, ``_count`` and paging that stays stable while rows are
added, and the searchset Bundle.

A resource type reads one or more *sources* (Organization: the provinces' jurisdictions, then
the facilities); each source maps a row to the resource, knows which of the type's parameters
it can answer (a parameter it cannot answer matches none of its rows) and says which row a FHIR
id names. Rows come in primary-key order, source after source.

**Paging (decision).** The first page notes, per source, the largest primary key it could see;
every next link carries that bound and the last row given (an opaque ``_page`` token). A row
inserted while a client pages is never given in the middle of that search (no row shifts into a
page already read, none is skipped or given twice), and ``total`` stays the same on every page;
a new search sees it. A row changed meanwhile is given as it is when its page is read.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Max, Model, Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.core.text import fold
from caunoi.fhir.http import FhirError, require_scope

TZ = ZoneInfo(settings.TIME_ZONE)
DEFAULT_COUNT = 50
MAX_COUNT = 500
# Query parameters every search understands besides the resource's own.
RESULT_PARAMS = ("_count", "_include", "_revinclude", "_page", "_format", "_total")
NOTHING = Q(pk__in=[])

# What a parameter's filter receives: its modifier ("" when none) and one value (a value with
# commas is an OR of them, split before).
Filter = Callable[[str, str], Q]


@dataclass(frozen=True)
class Param:
    """A search parameter as the CapabilityStatement lists it."""

    name: str
    type: str  # string, token, reference, date, uri
    documentation: str
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    key: str
    queryset: Callable[[User], QuerySet[Any]]
    to_fhir: Callable[[Any], dict[str, Any]]
    id_q: Callable[[str], Q]
    filters: dict[str, Filter]
    # The field whose time is the resource's lastUpdated, or a constant time for rows that
    # carry none (the provinces).
    updated_field: str | None = "updated_at"
    constant_updated: datetime | None = None


@dataclass(frozen=True)
class Include:
    """``_include=Type:param`` (resources the page's rows point to) or ``_revinclude``
    (resources that point to them): the type given and how to fetch them, as resources, for
    the page's rows (through the same access rules as a search of that type)."""

    name: str
    target: str
    fetch: Callable[[User, list[Any]], Iterable[dict[str, Any]]]


@dataclass(frozen=True)
class ResourceType:
    name: str
    sources: tuple[Source, ...]
    params: tuple[Param, ...]
    includes: tuple[Include, ...] = ()
    revincludes: tuple[Include, ...] = ()
    interactions: tuple[str, ...] = ("read", "search-type")
    conditional_create: bool = False
    # Bundle.total on every page (an exact count): cheap for the directory; for patient data,
    # counted only when asked (``_total=accurate``) or known from the page itself.
    count_total: bool = False
    # create(body, user, criteria=…, origin=…) → (resource, created);
    # update(id, body, user, if_match=…, origin=…) → resource.
    create: Callable[..., tuple[dict[str, Any], bool]] | None = None
    update: Callable[..., dict[str, Any]] | None = None


# --- parameter values -------------------------------------------------------------------------


def split_or(value: str) -> list[str]:
    """A parameter's comma-separated values (an OR), with "\\," for a comma inside one."""
    parts, current, escaped = [], "", False
    for ch in value:
        if escaped:
            current += ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def string_q(field: str, exact_field: str, modifier: str, value: str) -> Q:
    """A string parameter (decision: diacritics and case aside by default, as Vietnamese names
    need): by default each word of the value begins a word of the name ("lung cu" finds "Trạm Y
    tế xã Lũng Cú"); ``:contains`` finds the folded value anywhere; ``:exact`` the name exactly
    as written. ``field`` is the folded copy, ``exact_field`` the name itself."""
    if modifier == "exact":
        return Q(**{exact_field: value})
    folded = fold(value)
    if not folded:
        return NOTHING
    if modifier == "contains":
        return Q(**{f"{field}__contains": folded})
    q = Q()
    for word in folded.split(" "):
        q &= Q(**{f"{field}__startswith": word}) | Q(**{f"{field}__contains": f" {word}"})
    return q


def token(value: str) -> tuple[str | None, str]:
    """``system|code`` → (system, code); ``code`` → (None, code); ``|code`` → ("", code)."""
    if "|" in value:
        system, code = value.split("|", 1)
        return system, code
    return None, value


def reference_id(value: str, target: str) -> str:
    """The id of a reference parameter's value: ``Type/id``, ``id`` or an absolute URL."""
    value = value.rstrip("/")
    if "/" in value:
        kind, _sep, ident = value.rpartition("/")
        if kind.rsplit("/", 1)[-1] != target:
            return ""
        return ident
    return value


PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")


def date_range(value: str) -> tuple[str, datetime, datetime]:
    """A date parameter's prefix and the range its value covers (a day, a month, a year or a
    moment to the second; without a zone, Vietnam's time)."""
    prefix = "eq"
    if value[:2] in PREFIXES:
        prefix, value = value[:2], value[2:]
    try:
        if len(value) == 4:
            start = datetime(int(value), 1, 1, tzinfo=TZ)
            return prefix, start, start.replace(year=start.year + 1)
        if len(value) == 7:
            day = date.fromisoformat(f"{value}-01")
            start = datetime.combine(day, time.min, TZ)
            following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
            return prefix, start, datetime.combine(following, time.min, TZ)
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime.combine(day, time.min, TZ)
            return prefix, start, start + timedelta(days=1)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=TZ)
        return prefix, moment, moment + timedelta(seconds=1)
    except (ValueError, OverflowError) as exc:
        raise FhirError(
            400, "invalid", _("%(value)s is not a FHIR date.") % {"value": value}
        ) from exc


def date_q(field: str, value: str) -> Q:
    prefix, start, end = date_range(value)
    return {
        "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
        "ne": ~Q(**{f"{field}__gte": start, f"{field}__lt": end}),
        "gt": Q(**{f"{field}__gte": end}),
        "sa": Q(**{f"{field}__gte": end}),
        "lt": Q(**{f"{field}__lt": start}),
        "eb": Q(**{f"{field}__lt": start}),
        "ge": Q(**{f"{field}__gte": start}),
        "le": Q(**{f"{field}__lt": end}),
    }[prefix]


def date_matches(moment: datetime, value: str) -> bool:
    prefix, start, end = date_range(value)
    inside = start <= moment < end
    return {
        "eq": inside,
        "ne": not inside,
        "gt": moment >= end,
        "sa": moment >= end,
        "lt": moment < start,
        "eb": moment < start,
        "ge": moment >= start,
        "le": moment < end,
    }[prefix]


# --- the search -------------------------------------------------------------------------------


@dataclass
class Page:
    matches: list[dict[str, Any]]
    total: int | None
    next_token: str | None
    included: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def _decode(text: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(text.encode()))
        if not isinstance(state, dict) or not isinstance(state.get("bounds"), list):
            raise ValueError(text)
        int(state["source"])
        int(state["after"])
        [int(b) for b in state["bounds"]]
        if int(state["source"]) < 0 or int(state["after"]) < 0:
            raise ValueError(text)
    except (ValueError, KeyError, TypeError, OverflowError, binascii.Error) as exc:
        raise FhirError(400, "invalid", _("The page token is not one this server gave.")) from exc
    return state


def _count(request: HttpRequest) -> int:
    text = request.GET.get("_count", "")
    if not text:
        return DEFAULT_COUNT
    if not (text.isascii() and text.isdigit()):
        raise FhirError(400, "invalid", _("_count is a whole number."), "_count")
    return min(int(text), MAX_COUNT)


def _strict(request: HttpRequest) -> bool:
    prefer = request.headers.get("Prefer", "").replace(" ", "").lower()
    return "handling=strict" in prefer.split(";") or "handling=strict" in prefer.split(",")


def source_filter(
    resource: ResourceType, source: Source, params: QueryDict, ignored: list[str]
) -> Q | None:
    """The source's filter for the search parameters, or None when it can match nothing.
    Unknown parameters (or modifiers) are noted in ``ignored``."""
    known = {p.name: p for p in resource.params}
    q = Q()
    for key, values in params.lists():
        name, _sep, modifier = key.partition(":")
        if key in RESULT_PARAMS:
            continue
        param = known.get(name)
        if param is None or (modifier and modifier not in param.modifiers):
            if key not in ignored:
                ignored.append(key)
            continue
        for value in values:
            alternatives = Q()
            matched_any = False
            for one in split_or(value):
                if name == "_id":
                    part = source.id_q(one)
                elif name == "_lastUpdated":
                    part = _updated_q(source, one)
                elif name in source.filters:
                    part = source.filters[name](modifier, one)
                else:
                    return None  # this source cannot have such rows
                alternatives |= part
                matched_any = True
            if matched_any:
                q &= alternatives
    return q


def _updated_q(source: Source, value: str) -> Q:
    if source.updated_field is not None:
        return date_q(source.updated_field, value)
    assert source.constant_updated is not None
    return Q() if date_matches(source.constant_updated, value) else NOTHING


def search(resource: ResourceType, request: HttpRequest, user: User) -> Page:
    """One page of the search the request asks, with its included rows."""
    ignored: list[str] = []
    filters = [source_filter(resource, s, request.GET, ignored) for s in resource.sources]
    if ignored and _strict(request):
        raise FhirError(
            400,
            "not-supported",
            _("Unknown search parameter: %(names)s.") % {"names": ", ".join(ignored)},
            ignored[0],
        )
    rows, total, next_token = _paginate(resource, request, user, filters)
    page = Page([s.to_fhir(row) for s, row in rows], total, next_token, ignored=ignored)
    page.included = _included(resource, request, user, [row for _s, row in rows])
    return page


def history(resource: ResourceType, request: HttpRequest, user: User) -> Page:
    """The type's history since ``_since`` (mCSD ITI-91: how a directory keeps itself in sync).
    **Decision:** one entry per resource changed since then, in its current version — the
    platform keeps no past versions and deletes no directory row (a facility or a membership
    is made inactive, and so appears changed)."""
    since = request.GET.get("_since", "")
    unknown = sorted(set(request.GET) - {"_since", "_count", "_page", "_format"})
    if unknown:
        raise FhirError(
            400,
            "not-supported",
            _("Unknown search parameter: %(names)s.") % {"names": ", ".join(unknown)},
            unknown[0],
        )
    filters: list[Q | None] = []
    for source in resource.sources:
        q = Q()
        if since:
            q = _updated_q(source, f"ge{since}")
        filters.append(q)
    rows, total, next_token = _paginate(resource, request, user, filters)
    return Page([s.to_fhir(row) for s, row in rows], total, next_token)


def _paginate(
    resource: ResourceType, request: HttpRequest, user: User, filters: list[Q | None]
) -> tuple[list[tuple[Source, Any]], int | None, str | None]:
    """The page the request asks of the rows each source's filter keeps (None: none of its
    rows), with the total and the next page's token."""
    count = _count(request)
    token_text = request.GET.get("_page", "")
    querysets = [s.queryset(user) for s in resource.sources]
    if token_text:
        state = _decode(token_text)
        if len(state["bounds"]) != len(resource.sources) or int(state["source"]) >= len(
            resource.sources
        ):
            raise FhirError(400, "invalid", _("The page token is not one this server gave."))
        bounds = [int(b) for b in state["bounds"]]
        position, after = int(state["source"]), int(state["after"])
    else:
        # The table's largest key (an index's last entry), not the visible rows': the
        # caller's filter applies anyway, and this costs nothing at any size.
        # Once per table (Observation's eleven sources are one table).
        largest: dict[type[Model], int] = {}
        for model in (qs.model for qs in querysets):
            if model not in largest:
                largest[model] = model._default_manager.aggregate(m=Max("pk"))["m"] or 0
        bounds = [largest[qs.model] for qs in querysets]
        position, after = 0, 0
    matching = [
        _distinct_if_needed(qs.filter(q, pk__lte=bound), q) if q is not None else None
        for qs, q, bound in zip(querysets, filters, bounds, strict=True)
    ]
    counting = resource.count_total or request.GET.get("_total") == "accurate"
    total: int | None = sum(m.count() for m in matching if m is not None) if counting else None
    rows: list[tuple[Source, Any]] = []
    next_state: dict[str, Any] | None = None
    for index in range(position, len(resource.sources)) if count else ():
        qs = matching[index]
        if qs is None:
            continue
        start = after if index == position else 0
        wanted = count - len(rows)
        chunk = list(qs.filter(pk__gt=start).order_by("pk")[: wanted + 1])
        rows.extend((resource.sources[index], row) for row in chunk[:wanted])
        if len(chunk) > wanted:
            next_state = {"source": index, "after": chunk[wanted - 1].pk}
            break
        if len(rows) == count:
            # Full, and this source done: a next page when a later source has rows.
            if any(m is not None and m.exists() for m in matching[index + 1 :]):
                next_state = {"source": index + 1, "after": 0}
            break
    next_token = _encode({**next_state, "bounds": bounds}) if next_state is not None else None
    if total is None and next_token is None and not token_text:
        total = len(rows)  # the whole result is this one page
    return rows, total, next_token


def _lookups(q: Q) -> list[str]:
    found: list[str] = []
    for child in q.children:
        if isinstance(child, Q):
            found.extend(_lookups(child))
        elif isinstance(child, tuple):
            found.append(child[0])
    return found


def _many_valued(model: type[Model], lookup: str) -> bool:
    """Whether the lookup passes through a relation that holds several rows for one."""
    current: Any = model
    for part in lookup.split("__"):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:  # a lookup or transform (contains, gte…), not a field
            return False
        if field.many_to_many or field.one_to_many:
            return True
        if not field.is_relation:
            return False
        current = field.related_model
    return False


def _distinct_if_needed(qs: QuerySet[Any], q: Q) -> QuerySet[Any]:
    """distinct() when the filter goes through a many-valued relation (a person's licences, a
    link's specialties), which would otherwise give a row once per match; not otherwise, as
    it costs a sort of every matching row."""
    if any(_many_valued(qs.model, lookup) for lookup in _lookups(q)):
        return qs.distinct()
    return qs


def _included(
    resource: ResourceType, request: HttpRequest, user: User, rows: list[Any]
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for key, options in (("_include", resource.includes), ("_revinclude", resource.revincludes)):
        by_name = {i.name: i for i in options}
        for name in request.GET.getlist(key):
            include = by_name.get(name)
            if include is None:
                raise FhirError(
                    400,
                    "not-supported",
                    _("%(key)s=%(name)s is not supported here.") % {"key": key, "name": name},
                    key,
                )
            # A system client's token must allow searching what it includes, too.
            require_scope(request, include.target, "s")
            if rows:
                found.extend(include.fetch(user, rows))
    return found
