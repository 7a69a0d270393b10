"""The `ketacare` command line: clinical core tools, PK simulation and demo data.

Every command takes `--json` where it prints results; bad input exits with
status 2 and one line naming the problem (docs/cli.md documents each field).
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="ketacare",
    help="KetaCare command line: clinical knowledge, scoring, triage, planning, PK and demo data.",
    no_args_is_help=True,
    add_completion=False,
)


def _register_subcommands() -> None:
    # Imported lazily so `ketacare --help` stays fast and a missing optional
    # part cannot break the others.
    from ketacare import (
        cli_clinical,
        cli_django,
        cli_knowledge,
        cli_ops,
        cli_pathway,
        cli_pk,
        cli_recovery,
        cli_setup,
    )

    cli_clinical.register(app)
    cli_knowledge.register(app)
    cli_pathway.register(app)
    cli_pk.register(app)
    cli_django.register(app)
    cli_setup.register(app)
    cli_recovery.register(app)
    cli_ops.register(app)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"ketacare {version('ketacare')}")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """KetaCare command line."""


def main() -> None:
    """Entry point of the `ketacare` console script."""
    _register_subcommands()
    app()


if __name__ == "__main__":
    main()
