"""Imports of the apps stand at the top of each module, where readers and the layers contract see them.

grimp (behind import-linter) sees imports inside functions too, so the layers contract already refuses
one that breaks the floors; this test keeps the graph readable from the file heads as well. Allowed
exceptions, each for a reason: `AppConfig.ready()` (Django requires app modules be imported after the
registry is ready) and the command line's modules (the CLI answers `--help` and the pure clinical
commands without loading Django).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "ketacare"
ALLOWED_FILES = {
    "cli.py",
    "cli_django.py",
    "cli_pk.py",
    "cli_clinical.py",
    "cli_setup.py",
    "cli_ops.py",
    "cli_recovery.py",
}


def _function_level_app_imports() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "migrations" in relative.parts or "tests" in relative.parts or "core" in relative.parts[:1]:
            continue
        if path.name in ALLOWED_FILES and len(relative.parts) == 1:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if path.name == "apps.py" and function.name == "ready":
                continue
            for node in ast.walk(function):
                names = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                for name in names:
                    if name.startswith("ketacare."):
                        found.append(
                            f"ketacare/{relative}:{node.lineno} imports {name} inside {function.name}()"
                        )
    return found


def test_no_app_module_is_imported_inside_a_function() -> None:
    assert _function_level_app_imports() == []


def test_the_scan_finds_an_import_inside_a_function(tmp_path: Path, monkeypatch: object) -> None:
    # Positive control: the scanner must see what it is meant to refuse.
    package = tmp_path / "ketacare" / "someapp"
    package.mkdir(parents=True)
    (package / "views.py").write_text("def view():\n    from ketacare.other import thing\n    return thing\n")
    import tests.test_no_hidden_imports as module

    monkeypatch.setattr(module, "ROOT", tmp_path / "ketacare")  # type: ignore[attr-defined]
    assert module._function_level_app_imports() == [
        "ketacare/someapp/views.py:2 imports ketacare.other inside view()"
    ]
