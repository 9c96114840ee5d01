"""``flask users create ROLE EMAIL FULL_NAME``: staff accounts from the command line."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from postal_gateway.accounts.models import Role
from postal_gateway.accounts.services import create_staff_user
from postal_gateway.core.domain import DomainError
from postal_gateway.core.unit_of_work import unit_of_work


@click.group("users")
def accounts_commands() -> None:
    """Manage user accounts."""


@accounts_commands.command("create")
@click.argument("role", type=click.Choice([r.value for r in Role if r != Role.citizen]))
@click.argument("email")
@click.argument("full_name")
@click.option("--post-office", "post_office_code", help="Post office code (postal_staff, office_manager)")
@click.option("--agency", "agency_code", help="Agency code, e.g. 000.00.20.H10 (agency_staff, agency_admin)")
@click.password_option(help="At least 10 characters; prompted if omitted")
@with_appcontext
def create_user(role: str, email: str, full_name: str, post_office_code: str | None, agency_code: str | None, password: str) -> None:
    """Create an active staff account."""
    try:
        with unit_of_work() as session:
            user = create_staff_user(session, Role(role), full_name, email, password, post_office_code, agency_code)
    except DomainError as error:
        # Message ids are Vietnamese; there is no request here to choose another language.
        problems = [f"{item.field}: {item.message % item.params if item.params else item.message}" for item in error.field_errors]
        raise click.ClickException("; ".join(problems) or str(error)) from None
    click.echo(f"created {user.role.value} {user.email} (id {user.id})")


COMMANDS = (accounts_commands,)
