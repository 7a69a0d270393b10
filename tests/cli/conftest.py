"""Run the `ketacare` CLI in-process: the subcommands are registered once per test session."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ketacare import cli


@pytest.fixture(scope="session")
def app():
    # _register_subcommands() attaches every part of the CLI; calling it twice would register each
    # command twice, so register only if another test module has not already done it.
    if not any(info.name == "plan" for info in cli.app.registered_commands):
        cli._register_subcommands()
    return cli.app


@pytest.fixture
def run(app):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


@pytest.fixture
def run_json(run):
    def invoke(*args: str):
        result = run(*args, "--json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    return invoke


@pytest.fixture
def assert_bad_input():
    """Check a bad-input result: status 2, exactly one stderr line naming the problem, no traceback."""

    def check(result, *fragments: str) -> str:
        assert result.exit_code == 2, (result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == ""
        for fragment in fragments:
            assert fragment in lines[0], lines[0]
        return lines[0]

    return check
