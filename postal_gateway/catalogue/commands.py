"""``flask catalogue import FILE`` and ``flask catalogue list``: the operator's catalogue commands."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from postal_gateway.catalogue.importer import import_procedures
from postal_gateway.catalogue.services import MAX_PAGE_SIZE, search_procedures
from postal_gateway.core.db import db_session
from postal_gateway.core.formatting import format_vnd
from postal_gateway.core.unit_of_work import unit_of_work


@click.group("catalogue")
def catalogue_commands() -> None:
    """Procedure catalogue: import from CSV/XLSX, list."""


@catalogue_commands.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(file: Path) -> None:
    """Import procedures from FILE (.csv or .xlsx); nothing is imported if any row is bad."""
    with unit_of_work() as session:  # a bad file writes nothing: the report lists every bad row
        report = import_procedures(session, file.name, file.read_bytes())
    for line in report.lines():
        click.echo(line, err=not report.ok)
    if not report.ok:
        raise SystemExit(1)


@catalogue_commands.command("list")
@click.option("--postal-only", is_flag=True, help="Only procedures the post may receive.")
@with_appcontext
def list_command(postal_only: bool) -> None:
    """Print every procedure: code, days, fee, by post, name."""
    session = db_session()
    offset = 0
    while True:
        page = search_procedures(session, postal_only=postal_only, limit=MAX_PAGE_SIZE, offset=offset)
        for procedure in page.items:
            flags = ("" if procedure.postal_eligible else " [không qua bưu chính]") + (
                " [cần xem lại]" if procedure.needs_review else ""
            )
            click.echo(
                f"{procedure.code}\t{procedure.processing_days} ngày\t{format_vnd(procedure.fee_vnd)}\t"
                f"{procedure.name}{flags}"
            )
        offset += len(page.items)
        if not page.items or offset >= page.total:
            break
    click.echo(f"{offset} thủ tục")


COMMANDS = (catalogue_commands,)
