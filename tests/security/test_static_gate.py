"""Static gate for injection and XSS (security.md #15).

Templates never switch escaping off (`|safe`, `|safeseq`, `{% autoescape off %}`); application
code never marks strings safe or builds SQL from strings, except the few reviewed uses
allow-listed below with the reason; every `order_by(...)` takes constants or a value from an
allow-list. The scan reads the source with `ast`, so a new call anywhere under ketacare/
(migrations and tests excluded) is caught.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "ketacare"

# Escaping switched off in a template, in any form.
TEMPLATE_UNSAFE = re.compile(r"\|\s*(safe|safeseq)\b|{%-?\s*autoescape\s+off\b")

# mark_safe / format_html / SafeString: reviewed uses as (path relative to ketacare/, function) -> why.
# None today: every template escapes, server-built SVG charts are drawn by templates from numbers.
SAFE_MARKUP_ALLOWED: dict[tuple[str, str], str] = {
    # The alert inbox's rows (docs/decisions/0027): format_html escapes every value; SafeString wraps
    # only constant text of this module; no mark_safe.
    (
        "alerts/templatetags/alert_rows.py",
        "_csrf_input",
    ): "format_html of the CSRF token; constant empty text",
    ("alerts/templatetags/alert_rows.py", "actions_html"): "format_html of ids, URLs and constant text",
    ("alerts/templatetags/alert_rows.py", "_row"): "format_html of the alert's fields; constant text",
    ("alerts/templatetags/alert_rows.py", "_note"): "format_html of the note (escaped); constant text",
    ("alerts/templatetags/alert_rows.py", "inbox_rows"): "joins _row's output; constant empty-state text",
    ("alerts/templatetags/alert_rows.py", "_field_error"): "format_html of an id and a refusal (escaped)",
    ("alerts/templatetags/alert_rows.py", "_described"): "format_html of ids; constant attribute text",
    (
        "alerts/templatetags/alert_rows.py",
        "_resolve_form",
    ): "format_html of ids, URLs, labels and the typed values (escaped); constant ' selected'",
    (
        "alerts/templatetags/alert_rows.py",
        "_outcome",
    ): "format_html of the outcome's label and the assessor's name (escaped)",
    # The patient list's rows, the same way: format_html_join escapes every field; no mark_safe.
    ("patients/templatetags/patient_rows.py", "patient_rows"): "format_html_join of the patient's fields",
}
SAFE_MARKUP_CALLS = {"mark_safe", "format_html", "format_html_join", "SafeString", "SafeText"}

# Raw SQL entry points. The statement must be a literal, or the call is allow-listed here.
SQL_CALLS = {"raw", "extra", "execute", "executemany", "executescript", "RawSQL"}
SQL_ALLOWED: dict[tuple[str, str], str] = {
    # Append-only triggers: constant DDL from module-level lists, no value from outside.
    ("audit/triggers.py", "_run"): "runs the constant trigger DDL lists of this module",
    # Outcome rates: one windowed query; the text is built only from constants, placeholder lists
    # and two vendor fragments over an int() of a module constant; every value is a %s parameter.
    ("outcomes/course_sql.py", "course_counts"): "constant text with %s placeholders only",
    # The maintained course summary (docs/decisions/0017): the same window pass written with INSERT ... SELECT;
    # constant text, a placeholder list or one %s for the patient, every value a parameter.
    ("outcomes/course_sql.py", "store_summaries"): "constant text with %s placeholders only",
    # The drop-out funnel's per-plan counts (docs/decisions/0017): constant text whose scope is one of
    # three constant fragments or a placeholder list; every value is a %s parameter.
    ("outcomes/funnel_sql.py", "store_plan_funnels"): "constant text with %s placeholders only",
    ("outcomes/funnel_sql.py", "funnel_counts"): "constant text with %s placeholders only",
    # Not SQL: the knowledge loader's own `_Entry.raw(key)` reads a YAML field.
    ("core/knowledge/loader.py", "parse_aftercare"): "YAML accessor named raw(), no database",
}
# Backups go through sqlite3.Connection.backup and pg_dump/pg_restore argument lists: no SQL text.
BACKUP_MODULE = "lib/backup.py"

# order_by arguments that are not literals: allowed expressions (by their source text).
ORDER_BY_ALLOWED_CALLS = {
    # alerts/selectors.py: a Case over the constant SEVERITY_RANK map.
    "severity_rank()",
    # alerts/selectors.py: a Case over the constant PATIENT_SAFETY_SOURCES tuple.
    "safety_rank()",
}
# A module-level constant dict used as an allow-list: `ALLOW.get(value, "literal")` or `ALLOW[value]`.
ALLOW_LIST_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _python_files() -> list[Path]:
    return [p for p in sorted(ROOT.rglob("*.py")) if "migrations" not in p.parts and "tests" not in p.parts]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _functions(tree: ast.AST) -> dict[ast.AST, str]:
    """Map every node to the name of the innermost function around it ("<module>" at top level)."""
    owner: dict[ast.AST, str] = {}

    def visit(node: ast.AST, name: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else name
            owner[child] = inner
            visit(child, inner)

    visit(tree, "<module>")
    return owner


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _is_literal_sql(node: ast.AST) -> bool:
    """A plain string literal (implicit concatenation of literals included)."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _module_constants(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        for target in targets:
            if isinstance(target, ast.Name) and ALLOW_LIST_NAME.match(target.id):
                names.add(target.id)
    return names


def _constants_in_scope(path: Path, tree: ast.Module) -> set[str]:
    """Upper-case constants of the module and the upper-case names it imports."""
    names = _module_constants(tree)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names |= {a.asname or a.name for a in node.names if ALLOW_LIST_NAME.match(a.asname or a.name)}
    return names


def _order_by_arg_ok(arg: ast.expr, constants: set[str]) -> bool:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return True
    if isinstance(arg, ast.Starred):
        return False
    source = ast.unparse(arg)
    if source in ORDER_BY_ALLOWED_CALLS:
        return True
    # ALLOW.get(value, "default") / ALLOW[value]: the value only selects among constant strings.
    if (
        isinstance(arg, ast.Call)
        and isinstance(arg.func, ast.Attribute)
        and arg.func.attr == "get"
        and isinstance(arg.func.value, ast.Name)
        and arg.func.value.id in constants
        and len(arg.args) == 2
        and isinstance(arg.args[1], ast.Constant)
    ):
        return True
    if isinstance(arg, ast.Subscript) and isinstance(arg.value, ast.Name) and arg.value.id in constants:
        return True
    # F("field").asc() / .desc() over a literal field name.
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr in ("asc", "desc"):
        inner = arg.func.value
        return (
            isinstance(inner, ast.Call)
            and _called_name(inner) == "F"
            and all(isinstance(a, ast.Constant) for a in inner.args)
        )
    return False


def test_no_template_switches_escaping_off() -> None:
    offenders = []
    for template in sorted(ROOT.rglob("*.html")):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), start=1):
            if TEMPLATE_UNSAFE.search(line):
                offenders.append(f"{_rel(template)}:{number}: {line.strip()}")
    assert not offenders, "templates must not disable escaping:\n" + "\n".join(offenders)


def test_no_code_marks_strings_safe_outside_the_reviewed_allow_list() -> None:
    offenders = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owner = _functions(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node) in SAFE_MARKUP_CALLS:
                if (_rel(path), owner.get(node, "<module>")) not in SAFE_MARKUP_ALLOWED:
                    offenders.append(f"{_rel(path)}:{node.lineno}: {ast.unparse(node)[:100]}")
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.safestring":
                if not any(_rel(path) == p for p, _ in SAFE_MARKUP_ALLOWED):
                    offenders.append(f"{_rel(path)}:{node.lineno}: imports django.utils.safestring")
    assert not offenders, "mark_safe/format_html on possibly user data:\n" + "\n".join(offenders)


def test_sql_is_never_built_from_strings_outside_the_reviewed_allow_list() -> None:
    offenders = []
    for path in _python_files():
        if _rel(path) == BACKUP_MODULE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owner = _functions(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _called_name(node) in SQL_CALLS):
                continue
            name = _called_name(node)
            # `.raw(` / `.extra(` / RawSQL are refused outright unless reviewed above.
            if name in ("raw", "extra", "RawSQL") or not node.args or not _is_literal_sql(node.args[0]):
                if (_rel(path), owner.get(node, "<module>")) not in SQL_ALLOWED:
                    offenders.append(f"{_rel(path)}:{node.lineno}: {ast.unparse(node)[:100]}")
    assert not offenders, "raw SQL built from strings (use the ORM or constant text + params):\n" + "\n".join(
        offenders
    )


# What course_sql.py may interpolate into its statement text, each reviewed: constants
# (TOLERANCE), placeholder lists, vendor fragments over int(window_days), and text fragments built
# from those. `condition` only goes into a LIKE *parameter* value. A new fragment fails the test.
COURSE_SQL_FRAGMENTS = {
    "TOLERANCE",
    "_placeholders(clinic_ids)",
    "condition",
    "cte",
    "cutoff",
    "days",
    "extra",
    "match",
    "pad",
    "thr_rows",
    "where",
    # The course summary (issue 17): its constant column lists and upsert clause, the scope (one of
    # two constant texts: one patient's %s or the clinics' placeholder list) and the instruments'
    # placeholder list.
    "_FROM_PP",
    "_SUMMARY_COLUMNS",
    "_UPSERT",
    "_placeholders(ids)",
    "scope",
}


def test_the_allow_listed_sql_interpolates_only_reviewed_fragments() -> None:
    tree = ast.parse((ROOT / "outcomes/course_sql.py").read_text(encoding="utf-8"))
    fragments = {
        ast.unparse(value.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for value in node.values
        if isinstance(value, ast.FormattedValue)
    }
    assert fragments <= COURSE_SQL_FRAGMENTS, (
        f"review new SQL fragments: {sorted(fragments - COURSE_SQL_FRAGMENTS)}"
    )
    # No %-formatting or str.format of statement text: values only travel as execute() parameters.
    for node in ast.walk(tree):
        assert not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod)), ast.unparse(node)
        assert not (isinstance(node, ast.Call) and _called_name(node) == "format"), ast.unparse(node)
    triggers = ast.parse((ROOT / "audit/triggers.py").read_text(encoding="utf-8"))
    lists = {
        t.id
        for node in triggers.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name) and isinstance(node.value, ast.List)
    }
    assert {"_SQLITE_INSTALL", "_SQLITE_DROP", "_PG_INSTALL", "_PG_DROP"} <= lists
    # _run() is only ever called with those module constants.
    for node in ast.walk(triggers):
        if isinstance(node, ast.Call) and _called_name(node) == "_run":
            statements = node.args[1]
            names = {n.id for n in ast.walk(statements) if isinstance(n, ast.Name)}
            assert names <= lists | {"connection"}, ast.unparse(node)


def test_the_backup_module_runs_no_sql_text() -> None:
    source = (ROOT / BACKUP_MODULE).read_text(encoding="utf-8")
    assert "execute(" not in source
    assert "shell=True" not in source


def test_every_order_by_takes_constants_or_an_allow_listed_value() -> None:
    offenders = []
    scanned = 0
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants_in_scope(path, tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node) == "order_by":
                scanned += 1
                bad = [ast.unparse(a) for a in node.args if not _order_by_arg_ok(a, constants)]
                if bad or node.keywords:
                    offenders.append(f"{_rel(path)}:{node.lineno}: order_by({', '.join(bad)})")
    assert scanned > 20, "the scan found too few order_by calls: is ROOT right?"
    assert not offenders, "order_by with a value not from an allow-list:\n" + "\n".join(offenders)


def test_the_patient_list_sort_is_an_allow_list_of_field_names() -> None:
    from ketacare.patients.selectors import SORTABLE_FIELDS

    fields = {"full_name", "date_of_birth", "stage", "created_at"}
    assert all(value.lstrip("-") in fields for value in SORTABLE_FIELDS.values()), SORTABLE_FIELDS


@pytest.mark.django_db
def test_an_injected_sort_parameter_falls_back_to_the_default_order(client_for, personas) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    client = client_for("clinician_a")
    for sort in ("full_name); DROP TABLE patients_patient;--", "user__password", "-user__email", "?"):
        page = client.get(reverse("patients:list"), {"sort": sort})
        assert page.status_code == 200
        api = client.get("/api/v1/patients", {"sort": sort})
        assert api.status_code in (200, 422), api.status_code
