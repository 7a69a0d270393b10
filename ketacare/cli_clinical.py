"""Placeholder: filled in by its owner."""

import typer


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
