"""The purposes written in the audit trail, and their words in the reader's language.

A row stores its purpose as a short English phrase ("patient record", "registration"): the trail
is evidence, hashed into a chain, and must read the same forever, so it is never translated when
written. It is translated when shown, through this one mapping. A read of several kinds of data
in one request stores its purposes joined by ", " ("patient record, teleconsultation"). A phrase
not listed here is shown as stored. ``tests/test_purposes.py`` finds every purpose the code
writes and checks that it is listed.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

# Each with the context "audit purpose": the same English word elsewhere names a status or a
# model ("closed", "referral", "message"), which Vietnamese words differently.
PURPOSES: dict[str, Promise] = {
    # Reads of patient data (``patients/reads.py``: the access helpers' ``as_read``)
    "patient record": pgettext_lazy("audit purpose", "patient record"),
    "teleconsultation": pgettext_lazy("audit purpose", "teleconsultation"),
    "referral": pgettext_lazy("audit purpose", "referral"),
    "video consultation": pgettext_lazy("audit purpose", "video consultation"),
    # Patients
    "registration": pgettext_lazy("audit purpose", "registration"),
    "consent": pgettext_lazy("audit purpose", "consent"),
    "consent withdrawn": pgettext_lazy("audit purpose", "consent withdrawn"),
    # Consultations
    "teleconsultation request": pgettext_lazy("audit purpose", "teleconsultation request"),
    "draft": pgettext_lazy("audit purpose", "draft"),
    "cancelled": pgettext_lazy("audit purpose", "cancelled"),
    "attachment": pgettext_lazy("audit purpose", "attachment"),
    # Notifications: the channels a person chose, the devices they allowed
    "notification channels": pgettext_lazy("audit purpose", "notification channels"),
    "message": pgettext_lazy("audit purpose", "message"),
    "second opinion": pgettext_lazy("audit purpose", "second opinion"),
    "video guest admitted": pgettext_lazy("audit purpose", "video guest admitted"),
    "video guest access ended": pgettext_lazy("audit purpose", "video guest access ended"),
    "assignment": pgettext_lazy("audit purpose", "assignment"),
    "claimed": pgettext_lazy("audit purpose", "claimed"),
    "re-routed": pgettext_lazy("audit purpose", "re-routed"),
    "advice": pgettext_lazy("audit purpose", "advice"),
    "closed": pgettext_lazy("audit purpose", "closed"),
    "deadline passed": pgettext_lazy("audit purpose", "deadline passed"),
    "on-call roster": pgettext_lazy("audit purpose", "on-call roster"),
    # Referrals
    "referral accepted": pgettext_lazy("audit purpose", "referral accepted"),
    "referral declined": pgettext_lazy("audit purpose", "referral declined"),
    "patient arrived": pgettext_lazy("audit purpose", "patient arrived"),
    "discharge": pgettext_lazy("audit purpose", "discharge"),
    "counter-referral": pgettext_lazy("audit purpose", "counter-referral"),
    "loop closed": pgettext_lazy("audit purpose", "loop closed"),
    "referral cancelled": pgettext_lazy("audit purpose", "referral cancelled"),
    "overdue: arrival": pgettext_lazy("audit purpose", "overdue: arrival"),
    "overdue: counter": pgettext_lazy("audit purpose", "overdue: counter"),
    # Video
    "participant removed": pgettext_lazy("audit purpose", "participant removed"),
    "session ended": pgettext_lazy("audit purpose", "session ended"),
    "joined video session": pgettext_lazy("audit purpose", "joined video session"),
    "video room opened": pgettext_lazy("audit purpose", "video room opened"),
    "viewers invited": pgettext_lazy("audit purpose", "viewers invited"),
    "hand raised": pgettext_lazy("audit purpose", "hand raised"),
    "speaker changed": pgettext_lazy("audit purpose", "speaker changed"),
    "room message": pgettext_lazy("audit purpose", "room message"),
    "question answered": pgettext_lazy("audit purpose", "question answered"),
    "recording asked": pgettext_lazy("audit purpose", "recording asked"),
    "recording consent": pgettext_lazy("audit purpose", "recording consent"),
    "recording started": pgettext_lazy("audit purpose", "recording started"),
    "recording stopped": pgettext_lazy("audit purpose", "recording stopped"),
    "recording converted": pgettext_lazy("audit purpose", "recording converted"),
    "recording deleted": pgettext_lazy("audit purpose", "recording deleted"),
    "recording played": pgettext_lazy("audit purpose", "recording played"),
    # Training and CME
    "training": pgettext_lazy("audit purpose", "training"),
    "training attendance": pgettext_lazy("audit purpose", "training attendance"),
    "training attendance correction": pgettext_lazy(
        "audit purpose", "training attendance correction"
    ),
    "training check-in": pgettext_lazy("audit purpose", "training check-in"),
    "CME credit": pgettext_lazy("audit purpose", "CME credit"),
    "CME certificate": pgettext_lazy("audit purpose", "CME certificate"),
    "CME certificate revoked": pgettext_lazy("audit purpose", "CME certificate revoked"),
    "CME credit declared": pgettext_lazy("audit purpose", "CME credit declared"),
    "CME credit checked": pgettext_lazy("audit purpose", "CME credit checked"),
    "CME ledger of staff": pgettext_lazy("audit purpose", "CME ledger of staff"),
    "training test": pgettext_lazy("audit purpose", "training test"),
    "programme": pgettext_lazy("audit purpose", "programme"),
    "programme money": pgettext_lazy("audit purpose", "programme money"),
    "programme kits": pgettext_lazy("audit purpose", "programme kits"),
    "programme logframe": pgettext_lazy("audit purpose", "programme logframe"),
    "SMART backend services": pgettext_lazy("audit purpose", "SMART backend services"),
    "quality criteria": pgettext_lazy("audit purpose", "quality criteria"),
    "quality self-assessment": pgettext_lazy("audit purpose", "quality self-assessment"),
    "quality improvement plan": pgettext_lazy("audit purpose", "quality improvement plan"),
    "protocol": pgettext_lazy("audit purpose", "protocol"),
    "protocol read": pgettext_lazy("audit purpose", "protocol read"),
    "protocol review overdue": pgettext_lazy("audit purpose", "protocol review overdue"),
    "technique transfer": pgettext_lazy("audit purpose", "technique transfer"),
    "technique transfer case": pgettext_lazy("audit purpose", "technique transfer case"),
    "technique transfer report": pgettext_lazy("audit purpose", "technique transfer report"),
    "overdue: technique transfer report": pgettext_lazy(
        "audit purpose", "overdue: technique transfer report"
    ),
    "teaching case proposed": pgettext_lazy("audit purpose", "teaching case proposed"),
    "teaching case review": pgettext_lazy("audit purpose", "teaching case review"),
    # Registry, reference data, exports
    "network registry": pgettext_lazy("audit purpose", "network registry"),
    "reference data": pgettext_lazy("audit purpose", "reference data"),
    "demo data": pgettext_lazy("audit purpose", "demo data"),
    "DHIS2 push": pgettext_lazy("audit purpose", "DHIS2 push"),
    "icd import-vi": pgettext_lazy("audit purpose", "icd import-vi"),  # `caunoi icd import-vi`
}

SEPARATOR = ", "


def purpose_label(purpose: str) -> str:
    """``purpose`` as stored, in the active language: each known phrase translated, an unknown
    one shown as it is."""
    if not purpose:
        return ""
    return SEPARATOR.join(str(PURPOSES.get(part, part)) for part in purpose.split(SEPARATOR))
