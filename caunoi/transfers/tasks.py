from __future__ import annotations

from datetime import date

from django.tasks import task

from caunoi.transfers.services import report_flag_overdue


@task()
def monthly_report_check(transfer_id: int, month: str) -> bool:
    """Scheduled at authorisation for each of the twelve months, to run at the report's due
    date (``run_after``; no polling). Safe to run twice: a month is flagged once."""
    return report_flag_overdue(transfer_id=transfer_id, month=date.fromisoformat(month))
