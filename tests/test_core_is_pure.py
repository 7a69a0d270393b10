"""`ketacare.core` imports and works with Django absent (architecture.md: three zones)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys, pkgutil, importlib
for blocked in ("django", "ninja", "fhir", "weasyprint"):
    sys.modules[blocked] = None  # any import of these now raises ImportError
import ketacare.core
names = [m.name for m in pkgutil.walk_packages(ketacare.core.__path__, "ketacare.core.") if ".tests" not in m.name]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def test_every_core_module_imports_without_django():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 3
