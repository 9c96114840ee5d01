"""Operator commands: ``flask payments query-pending|send-refunds|import-file|reconcile``."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from postal_gateway.db import db_session, utcnow


@click.group("payments")
def payments_commands() -> None:
    """Online payments (VNPay), refunds and reconciliation."""


@payments_commands.command("query-pending")
@with_appcontext
def query_pending_command() -> None:
    """querydr every pending payment past expiry (what the beat job does)."""
    from payments.tasks import query_pending

    for outcome, count in sorted(query_pending().items()):
        click.echo(f"{outcome}: {count}")


@payments_commands.command("send-refunds")
@with_appcontext
def send_refunds_command() -> None:
    """Send refunds that are authorised but not yet accepted by VNPay."""
    from payments.tasks import send_refunds

    click.echo(f"refunds sent: {send_refunds()}")


@payments_commands.command("import-file")
@click.argument("day")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_file_command(day: str, path: Path) -> None:
    """Import VNPay's daily CSV for DAY (YYYY-MM-DD), streamed; broken rows are listed."""
    from payments import reconciliation, runtime

    session = db_session()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        result = reconciliation.import_gateway_file(session, handle, day=reconciliation.parse_day(day),
                                                    tmn_code=runtime.config().tmn_code, filename=path.name, now=utcnow())
    session.commit()
    click.echo(f"rows loaded: {result.record.row_count}, rows refused: {result.record.error_count}")
    for error in result.errors[:50]:
        click.echo(f"  line {error['line']} {error['column']}: {error['message']}")


@payments_commands.command("reconcile")
@click.argument("agency_code")
@click.argument("day")
@with_appcontext
def reconcile_command(agency_code: str, day: str) -> None:
    """Reconcile AGENCY_CODE's fees for DAY and print the totals."""
    from sqlalchemy import select

    from payments import reconciliation
    from postal_gateway.catalogue.models import Agency

    session = db_session()
    agency = session.scalar(select(Agency).where(Agency.code == agency_code))
    if agency is None:
        raise click.ClickException(f"no agency {agency_code}")
    record = reconciliation.reconcile(session, agency_id=agency.id, day=reconciliation.parse_day(day), user=None, now=utcnow())
    session.commit()
    for category, total in record.totals.items():
        click.echo(f"{category}: {total['count']} ({total['ours_vnd']} / {total['gateway_vnd']} VND)")


COMMANDS = (payments_commands,)
