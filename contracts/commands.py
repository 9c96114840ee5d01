"""Operator commands: ``flask contracts import|limits|show|demo``."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from contracts.demo import load_demo_contracts
from contracts.importer import ImportRefused, import_contracts
from contracts.limits import LimitBelowPromises, national_limits, set_national_limit
from contracts.places.offline import write_units_json
from contracts.places.store import refresh_units
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import InvalidInput
from postal_gateway.core.unit_of_work import unit_of_work


@click.group("contracts")
def contracts_commands() -> None:
    """Contracts with the post, tariffs and national full-trip limits."""


@contracts_commands.command("import")
@click.option("--contracts", "contracts_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tariff", "tariff_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(contracts_path: Path | None, tariff_path: Path | None) -> None:
    """Import contract versions and/or tariffs (CSV or XLSX); a file with a bad row imports nothing."""
    try:
        with unit_of_work() as session:
            report = import_contracts(
                session,
                contracts_file=(contracts_path.name, contracts_path.read_bytes()) if contracts_path else None,
                tariff_file=(tariff_path.name, tariff_path.read_bytes()) if tariff_path else None,
                now=utcnow(),
            )
            for line in report.lines():
                click.echo(line)
            report.raise_if_refused()
    except ImportRefused:
        raise SystemExit(1) from None


@contracts_commands.group("limits")
def limits_group() -> None:
    """National full-trip limits (R-17)."""


@limits_group.command("list")
@with_appcontext
def limits_list() -> None:
    with unit_of_work() as session:  # the provisional defaults, created on first listing, are kept
        for (leg, zone), row in national_limits(session).items():
            flag = " (provisional)" if row.provisional else ""
            click.echo(f"{leg.value:8} {zone.value:15} {row.max_hours:5} h  {row.legal_source}{flag}")


@limits_group.command("set")
@click.argument("leg")
@click.argument("zone")
@click.argument("max_hours", type=int)
@click.option("--source", "legal_source", required=True, help="legal text the figure comes from")
@click.option("--note", default="")
@click.option("--confirm", is_flag=True, help="lower the limit even below what contracts in force promise")
@with_appcontext
def limits_set(leg: str, zone: str, max_hours: int, legal_source: str, note: str, confirm: bool) -> None:
    """Record a verified limit: LEG is forward|return, ZONE same_commune|same_province|other_province|remote."""
    confirmed: tuple[int, ...] = ()
    for _attempt in range(2):  # a second time only to confirm the contracts listed the first time
        try:
            with unit_of_work() as session:
                set_national_limit(session, leg=leg, zone=zone, max_hours=max_hours, legal_source=legal_source,
                                   note=note, now=utcnow(), confirmed_versions=confirmed)
            break
        except InvalidInput as error:
            for item in error.field_errors:
                click.echo(f"{item.field}: {item.message % item.params if item.params else item.message}", err=True)
            raise SystemExit(1) from None
        except LimitBelowPromises as below:
            click.echo(below.message % below.params, err=True)
            for item in below.affected:
                click.echo(f"  {item.contract_number} v{item.version_number} ({item.agency_name}): "
                           f"{item.promised_hours} h", err=True)
            if not confirm or confirmed:
                raise SystemExit(1) from None
            confirmed = tuple(item.version_id for item in below.affected)
    click.echo(f"{leg} {zone}: {max_hours} h")


@contracts_commands.command("units")
@click.option("--write-json", is_flag=True, help="also regenerate the pickers' static units.json")
@with_appcontext
def units_command(write_json: bool) -> None:
    """Load or refresh provinces and communes from the installed packages; report what changed."""
    with unit_of_work() as session:
        for line in refresh_units(session, now=utcnow()).lines():
            click.echo(line)
    if write_json:
        click.echo(f"wrote {write_units_json()}")


@contracts_commands.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo contract (idempotent)."""
    with unit_of_work() as session:
        for line in load_demo_contracts(session):
            click.echo(line)


COMMANDS = (contracts_commands,)
