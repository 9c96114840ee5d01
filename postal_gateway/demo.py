"""``flask load-demo``: the demonstration agency, post offices, procedures and logins.

Idempotent: running it again on a loaded database changes nothing.
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from contracts.demo import load_demo_contracts
from payments.demo import load_demo_payments
from postal_gateway.accounts.demo import load_demo_users
from postal_gateway.catalogue.demo_data import load_demo_catalogue
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.notifications.demo import load_demo_notified_journey
from postal_gateway.workbench.demo import load_demo_forms_04_and_02, load_demo_workbench
from tracking.demo import load_demo_run_sheet_delivery, load_demo_tracking


@click.command("load-demo")
@with_appcontext
def load_demo_command() -> None:
    """Load the demo data (safe to run more than once)."""
    # One unit of work per area's demo: what loaded stays if a later area's demo fails.
    with unit_of_work() as session:
        load_demo_catalogue(session)
        logins = load_demo_users(session)
    # Each loader returns lines to print; order matters: contracts before the dossiers that use them.
    for load in (load_demo_contracts, load_demo_tracking, load_demo_workbench, load_demo_forms_04_and_02,
                 load_demo_payments, load_demo_notified_journey, load_demo_run_sheet_delivery):
        with unit_of_work() as session:
            logins += load(session)
    click.echo("Demo data loaded. Logins (password shown once here and in README):")
    for line in logins:
        click.echo(f"  {line}")
