"""Running a self-assessment: starting the year's, scoring each criterion with its evidence,
the improvement plan, and submitting it. Atomic and audited; a refusal is a message and
changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record
from caunoi.core.files import process_upload
from caunoi.network.access import CLINICAL_ROLES
from caunoi.network.models import Facility, Membership
from caunoi.protocols.models import Protocol
from caunoi.quality.access import heads, works_at
from caunoi.quality.models import (
    Assessment,
    AssessmentStatus,
    CriteriaSet,
    Criterion,
    ImprovementAction,
    Score,
)

# A criterion scored at this level or below needs a step in the improvement plan.
NEEDS_ACTION_AT = 2


def criteria_for(facility: Facility) -> CriteriaSet | None:
    """The newest active criteria set for the facility's kind (official before sample)."""
    return (
        CriteriaSet.objects.filter(is_active=True, facility_kinds__contains=f",{facility.kind},")
        .order_by("is_sample", "-created_at")
        .first()
    )


def assessment_start(
    *,
    facility: Facility,
    year: int,
    actor: User,
    criteria_set: CriteriaSet | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[Assessment, bool]:
    """The facility's staff start the year's self-assessment (once a year and set: again
    answers the one started)."""
    if not works_at(actor, facility.pk):
        raise PermissionDenied(_("The facility's own staff assess it."))
    chosen = criteria_set or criteria_for(facility)
    if chosen is None or facility.kind not in chosen.kinds:
        raise ValidationError(_("No criteria set is loaded for this kind of facility."))
    if not 2000 <= year <= timezone.localdate().year:
        raise ValidationError({"year": [_("Assess this year or an earlier one.")]})
    existing = Assessment.objects.filter(facility=facility, criteria_set=chosen, year=year).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            a = Assessment.objects.create(
                facility=facility, criteria_set=chosen, year=year, started_by=actor
            )
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=a,
                purpose="quality self-assessment",
                detail={"year": year, "set": f"{chosen.code} {chosen.version}"},
                origin=origin,
            )
    except IntegrityError:
        return Assessment.objects.get(facility=facility, criteria_set=chosen, year=year), False
    return a, True


def _editable(a: Assessment, actor: User) -> None:
    if not works_at(actor, a.facility_id):
        raise PermissionDenied(_("The facility's own staff assess it."))
    if a.status != AssessmentStatus.DRAFT:
        raise ValidationError(_("This self-assessment is submitted: it no longer changes."))


@dataclass(frozen=True)
class ScoreInput:
    level: int
    note: str = ""
    evidence: bytes | None = None
    evidence_url: str = ""
    protocol: Protocol | None = None


def score_record(
    *,
    assessment: Assessment,
    criterion: Criterion,
    actor: User,
    data: ScoreInput,
    origin: AuditOrigin = SYSTEM,
) -> Score:
    """Score one criterion (again: the new score replaces the old), with its evidence: a file
    checked by content, a link, or a protocol or SOP of the network."""
    _editable(assessment, actor)
    if criterion.section.criteria_set_id != assessment.criteria_set_id:
        raise ValidationError({"criterion": [_("This criterion is not of this assessment's set.")]})
    levels = assessment.criteria_set.levels
    if not 1 <= data.level <= levels:
        raise ValidationError({"level": [_("Choose a level from 1 to %(n)s.") % {"n": levels}]})
    processed = None
    if data.evidence is not None:
        try:
            processed = process_upload(data.evidence, "evidence")
        except ValidationError as exc:
            raise ValidationError({"evidence": exc.messages}) from exc
    with transaction.atomic():
        score = Score.objects.filter(assessment=assessment, criterion=criterion).first() or Score(
            assessment=assessment, criterion=criterion
        )
        score.level = data.level
        score.note = data.note.strip()[:2000]
        score.evidence_url = data.evidence_url.strip()[:200]
        score.protocol = data.protocol
        score.scored_by = actor
        if processed is not None:
            score.evidence.save(
                f"evidence.{processed.extension}", ContentFile(processed.content), save=False
            )
            score.evidence_type = processed.content_type
        score.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=assessment,
            purpose="quality self-assessment",
            detail={"criterion": criterion.code, "level": data.level},
            origin=origin,
        )
    return score


def action_add(
    *,
    assessment: Assessment,
    actor: User,
    action: str,
    owner: User,
    due_on: date,
    criterion: Criterion | None = None,
    origin: AuditOrigin = SYSTEM,
) -> ImprovementAction:
    """A step of the improvement plan, owned by one of the facility's staff, with its date."""
    _editable(assessment, actor)
    errors: dict[str, list[str]] = {}
    if not action.strip():
        errors["action"] = [_("Say what will be done.")]
    staff = Membership.objects.active().filter(
        facility_id=assessment.facility_id, user=owner, role__in=sorted(CLINICAL_ROLES)
    )
    if not staff.exists():
        errors["owner"] = [_("The owner is one of the facility's staff.")]
    if due_on < timezone.localdate():
        errors["due_on"] = [_("The due date is today or later.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        step = ImprovementAction.objects.create(
            assessment=assessment,
            criterion=criterion,
            action=action.strip()[:1000],
            owner=owner,
            due_on=due_on,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=assessment,
            purpose="quality improvement plan",
            detail={"criterion": criterion.code if criterion else None},
            origin=origin,
        )
    return step


def action_done(
    *, action: ImprovementAction, actor: User, origin: AuditOrigin = SYSTEM
) -> ImprovementAction:
    """A step of the plan is done (also after the assessment is submitted: the plan is
    carried out during the year)."""
    if not works_at(actor, action.assessment.facility_id):
        raise PermissionDenied(_("The facility's own staff carry out its plan."))
    if action.done_on is not None:
        return action
    with transaction.atomic():
        action.done_on = timezone.localdate()
        action.save(update_fields=["done_on"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=action.assessment,
            purpose="quality improvement plan",
            detail={"done": action.action[:100]},
            origin=origin,
        )
    return action


def assessment_submit(
    *, assessment: Assessment, actor: User, origin: AuditOrigin = SYSTEM
) -> Assessment:
    """The head of the facility submits the self-assessment: every criterion scored, and every
    criterion at level 2 or below with a step in the improvement plan."""
    if not heads(actor, assessment.facility_id):
        raise PermissionDenied(_("The head of the facility submits its self-assessment."))
    with transaction.atomic():
        a = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if a.status != AssessmentStatus.DRAFT:
            raise ValidationError(_("This self-assessment is submitted already."))
        criteria = list(Criterion.objects.filter(section__criteria_set=a.criteria_set))
        scored = {s.criterion_id: s.level for s in a.scores.all()}
        missing = [c.code for c in criteria if c.pk not in scored]
        if missing:
            raise ValidationError(
                _("Score every criterion first; still to score: %(codes)s.")
                % {"codes": ", ".join(missing[:20])}
            )
        planned = set(a.actions.exclude(criterion=None).values_list("criterion_id", flat=True))
        low = [c.code for c in criteria if scored[c.pk] <= NEEDS_ACTION_AT and c.pk not in planned]
        if low:
            raise ValidationError(
                _("Plan an improvement for each criterion at level %(n)s or below: %(codes)s.")
                % {"n": NEEDS_ACTION_AT, "codes": ", ".join(low[:20])}
            )
        a.status = AssessmentStatus.SUBMITTED
        a.submitted_by = actor
        a.submitted_at = timezone.now()
        a.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=a,
            purpose="quality self-assessment",
            detail={"submitted": True},
            origin=origin,
        )
    return a
