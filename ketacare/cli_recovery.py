"""`ketacare recovery-code EMAIL`: the installation operator's way back in for a staff member.

An administrator who lost their authenticator app and has no recovery code left is reset by another
administrator of their clinic; when there is none (the first administrator `ketacare setup` made), the
sign-in page sends them to whoever runs the installation, who makes one single-use recovery code with
this command and hands it over. The code is accepted on the sign-in page like the ten the person was
given; then they replace their authenticator app under Sign-in security.
"""

from __future__ import annotations

import json

import typer

from ketacare.lib.errors import FieldError


def register(app: typer.Typer) -> None:
    """Attach `recovery-code` to the main app."""

    @app.command("recovery-code")
    def recovery_code(
        email: str = typer.Argument(..., help="the staff member's login e-mail"),
        as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    ) -> None:
        """Make one single-use recovery code for a staff member who lost their authenticator app."""
        from ketacare.cli_ops import setup_django

        setup_django()
        from ketacare.accounts.services import issue_operator_recovery_code

        try:
            user, code = issue_operator_recovery_code(email=email)
        except FieldError as error:
            # docs/cli.md: bad input exits 2 with one line on stderr and nothing on stdout.
            typer.echo(f"ketacare recovery-code: error: {error.message}", err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps({"email": user.email, "code": code}))
            return
        typer.echo(
            f"Recovery code for {user.email}: {code}\n"
            "It works once, in place of the six-digit code on the sign-in page. Give it to them in person "
            "or by phone, not by e-mail; once in, they replace their authenticator app under Sign-in security."
        )
