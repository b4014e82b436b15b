"""Loading a criteria set from its file: the standard is data, so an older set (the 83 criteria
of QĐ 6858/QĐ-BYT), the one in force (Circular 35/2024/TT-BYT) or a future one for stations is
added without code. The file is JSON (``data/sample-criteria.json`` shows the format); a file
already loaded (same content) is not loaded twice; a wrong file is refused with what is wrong,
and nothing is loaded."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from caunoi.audit.models import AuditAction
from caunoi.audit.services import audit_record
from caunoi.network.models import FacilityKind
from caunoi.quality.models import CriteriaSet, Criterion, Section


def _text(item: dict[str, Any], key: str, where: str, limit: int) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValidationError(
            _("%(where)s: “%(key)s” must be a text of 1 to %(limit)s characters.")
            % {"where": where, "key": key, "limit": limit}
        )
    return value.strip()


def criteria_load(content: bytes, *, actor: Any = None) -> tuple[CriteriaSet, bool]:
    """Load a criteria file; answers the set and whether it was loaded now."""
    digest = hashlib.sha256(content).hexdigest()
    existing = CriteriaSet.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing, False
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(
            _("The file is not JSON in UTF-8: %(error)s") % {"error": exc}
        ) from exc
    if not isinstance(data, dict):
        raise ValidationError(_("The file holds one object with the set's fields."))
    code = _text(data, "code", _("the set"), 40)
    version = _text(data, "version", _("the set"), 40)
    levels = data.get("levels", 5)
    if not isinstance(levels, int) or not 2 <= levels <= 10:
        raise ValidationError(_("“levels” is a whole number from 2 to 10."))
    kinds = data.get("facility_kinds")
    if not isinstance(kinds, list) or not kinds or any(k not in FacilityKind.values for k in kinds):
        raise ValidationError(
            _("“facility_kinds” lists facility kinds among: %(kinds)s.")
            % {"kinds": ", ".join(FacilityKind.values)}
        )
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        raise ValidationError(_("“sections” lists the sections, each with its criteria."))
    if CriteriaSet.objects.filter(code=code, version=version).exists():
        raise ValidationError(
            _("Version %(version)s of %(code)s is loaded already, with other content.")
            % {"version": version, "code": code}
        )
    seen: set[str] = set()
    with transaction.atomic():
        criteria_set = CriteriaSet.objects.create(
            code=code,
            version=version,
            name_vi=_text(data, "name_vi", _("the set"), 300),
            name_en=str(data.get("name_en", ""))[:300],
            source=str(data.get("source", ""))[:500],
            levels=levels,
            facility_kinds=f",{','.join(sorted(set(kinds)))},",
            is_sample=bool(data.get("sample", False)),
            sha256=digest,
        )
        for s_pos, s in enumerate(sections, start=1):
            if not isinstance(s, dict):
                raise ValidationError(_("Section %(n)s is not an object.") % {"n": s_pos})
            s_code = _text(s, "code", _("section %(n)s") % {"n": s_pos}, 20)
            section = Section.objects.create(
                criteria_set=criteria_set,
                code=s_code,
                name_vi=_text(s, "name_vi", s_code, 300),
                name_en=str(s.get("name_en", ""))[:300],
                position=s_pos,
            )
            criteria = s.get("criteria")
            if not isinstance(criteria, list) or not criteria:
                raise ValidationError(_("Section %(code)s has no criteria.") % {"code": s_code})
            for c_pos, c in enumerate(criteria, start=1):
                if not isinstance(c, dict):
                    raise ValidationError(
                        _("Criterion %(n)s of %(code)s is not an object.")
                        % {"n": c_pos, "code": s_code}
                    )
                c_code = _text(c, "code", s_code, 20)
                if c_code in seen:
                    raise ValidationError(
                        _("The criterion code %(code)s appears twice.") % {"code": c_code}
                    )
                seen.add(c_code)
                Criterion.objects.create(
                    section=section,
                    code=c_code,
                    text_vi=_text(c, "text_vi", c_code, 1000),
                    text_en=str(c.get("text_en", ""))[:1000],
                    position=c_pos,
                )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=criteria_set,
            purpose="quality criteria",
            detail={"code": code, "version": version, "criteria": len(seen)},
        )
    return criteria_set, True
