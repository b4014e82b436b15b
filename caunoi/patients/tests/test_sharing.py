"""The apps above patients register what they share in their ready(): a lost registration
would silently hide shared patients from the hub and the receiving facility."""

from caunoi.notifications.live import _followable
from caunoi.patients.sharing import patient_shares


def test_consultations_and_referrals_share_patients_in_installed_apps_order():
    assert [share.name for share in patient_shares()] == ["consults", "referrals"]


def test_consultations_can_be_followed_live():
    assert set(_followable) == {"consult"}
