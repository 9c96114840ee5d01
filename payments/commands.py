"""Operator commands: ``flask payments query-pending|send-refunds|import-file|reconcile``."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from payments import reconciliation, runtime, terminals
from payments.tasks import query_pending, send_refunds
from postal_gateway.catalogue.models import Agency
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import DomainError
from postal_gateway.core.unit_of_work import unit_of_work


@click.group("payments")
def payments_commands() -> None:
    """Online payments (VNPay), refunds and reconciliation."""


@payments_commands.command("query-pending")
@with_appcontext
def query_pending_command() -> None:
    """querydr every pending payment past expiry (what the beat job does)."""
    for outcome, count in sorted(query_pending().items()):
        click.echo(f"{outcome}: {count}")


@payments_commands.command("send-refunds")
@with_appcontext
def send_refunds_command() -> None:
    """Send refunds that are authorised but not yet accepted by VNPay."""
    click.echo(f"refunds sent: {send_refunds()}")


@payments_commands.command("import-file")
@click.argument("day")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agency", "agency_code", required=True, help="the agency whose terminal issued the file")
@with_appcontext
def import_file_command(day: str, path: Path, agency_code: str) -> None:
    """Import the agency's VNPay daily CSV for DAY (YYYY-MM-DD), streamed; broken rows are listed."""
    with unit_of_work() as session, path.open(encoding="utf-8-sig", newline="") as handle:
        agency = _agency(session, agency_code)
        vnpay = runtime.config_for_agency(session, agency.id)
        if vnpay is None:
            raise click.ClickException(f"agency {agency_code} has no usable VNPay terminal")
        result = reconciliation.import_gateway_file(session, handle, agency_id=agency.id, day=reconciliation.parse_day(day),
                                                    tmn_code=vnpay.tmn_code, filename=path.name, now=utcnow())
    click.echo(f"rows loaded: {result.record.row_count}, rows refused: {result.record.error_count}")
    for error in result.errors[:50]:
        click.echo(f"  line {error['line']} {error['column']}: {error['message']}")


@payments_commands.command("reconcile")
@click.argument("agency_code")
@click.argument("day")
@with_appcontext
def reconcile_command(agency_code: str, day: str) -> None:
    """Reconcile AGENCY_CODE's fees for DAY and print the totals."""
    with unit_of_work() as session:
        agency = _agency(session, agency_code)
        record = reconciliation.reconcile(session, agency_id=agency.id, day=reconciliation.parse_day(day), user=None,
                                          now=utcnow())
    for category, total in record.totals.items():
        click.echo(f"{category}: {total['count']} ({total['ours_vnd']} / {total['gateway_vnd']} VND)")


@payments_commands.command("terminal")
@click.argument("agency_code")
@click.argument("tmn_code")
@click.option("--payment-url", default="", help="VNPay's vpcpay.html address for this terminal")
@click.option("--api-url", default="", help="VNPay's merchant API address (querydr, refund)")
@click.option("--secret-variable", default="", help="environment variable holding the hash secret "
              "(default VNPAY_HASH_SECRET_<TMN_CODE>)")
@click.option("--sandbox", is_flag=True, help="a demo terminal of the local sandbox (development only)")
@with_appcontext
def terminal_command(agency_code: str, tmn_code: str, payment_url: str, api_url: str, secret_variable: str,
                     sandbox: bool) -> None:
    """Set AGENCY_CODE's VNPay terminal TMN_CODE; a real one needs its secret in the environment first."""
    try:
        with unit_of_work() as session:
            agency = _agency(session, agency_code)
            terminal = terminals.register_terminal(
                session, runtime.settings(), agency=agency, tmn_code=tmn_code, payment_url=payment_url, api_url=api_url,
                hash_secret_variable=secret_variable, sandbox=sandbox, now=utcnow())
    except terminals.TerminalMisconfigured as error:
        raise click.ClickException(str(error)) from None
    except DomainError as error:
        raise click.ClickException(error.message) from None
    secret = "demo secret" if terminal.sandbox else f"secret in {terminal.hash_secret_variable}"
    click.echo(f"agency {agency.code}: terminal {terminal.tmn_code} ({secret})")


def _agency(session, agency_code: str):
    agency = session.scalar(select(Agency).where(Agency.code == agency_code))
    if agency is None:
        raise click.ClickException(f"no agency {agency_code}")
    return agency


COMMANDS = (payments_commands,)
