"""Render docs/clinical-sources.md from the knowledge base (a test keeps the committed file current)."""

from __future__ import annotations

from ketacare.core.knowledge.loader import Knowledge
from ketacare.core.knowledge.model import CLINIC_PRACTICE, Evidence

REGENERATE = (
    'python -c "from ketacare.core.knowledge import render_sources_markdown as r; '
    "print(r(), end='')\" > docs/clinical-sources.md"
)


def _cell(text: str) -> str:
    """Make ``text`` safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def clinic_practice_uses(kb: Knowledge) -> list[tuple[str, str, str]]:
    """Every place that cites clinic-practice, as (file, entry, what) rows, in file order."""
    rows: list[tuple[str, str, str]] = []
    for effect in kb.side_effects.values():
        if CLINIC_PRACTICE in effect.self_care_sources:
            rows.append(("side_effects.toml", effect.id, "self-care tips"))
        for course in effect.courses:
            parts = []
            if CLINIC_PRACTICE in course.sources:
                window = course.window
                parts.append(
                    f"window {window.onset_min:g}/{window.peak_min:g}/{window.resolution_min:g} min "
                    "(onset/peak/resolution)"
                )
            if CLINIC_PRACTICE in course.threshold_sources:
                parts.append(f"longer than expected after {course.longer_than_expected_after_min:g} min")
            if parts:
                rows.append(("side_effects.toml", f"{effect.id} / {course.route}", "; ".join(parts)))
    if CLINIC_PRACTICE in kb.persistence.sources:
        rows.append(
            (
                "side_effects.toml",
                "[persistence]",
                f"any expected effect still present after {kb.persistence.contact_clinic_after_min:g} min "
                "-> contact the clinic",
            )
        )
    for flag in kb.red_flags.values():
        if CLINIC_PRACTICE in flag.sources:
            rows.append(("red_flags.toml", flag.id, f"level {flag.level.value}"))
    for condition in kb.conditions.values():
        if CLINIC_PRACTICE in condition.sources:
            rows.append(("screening.toml", condition.id, condition.level))
    for interaction in kb.interactions.values():
        if CLINIC_PRACTICE in interaction.sources:
            rows.append(("screening.toml", interaction.id, interaction.level))
    for phase in kb.aftercare:
        for item in phase.items:
            if CLINIC_PRACTICE in item.sources:
                rows.append(("aftercare.toml", f"{phase.id} / {item.id}", item.kind))
    for entry in kb.education.values():
        if CLINIC_PRACTICE in entry.sources:
            rows.append(("education.toml", entry.id, entry.topic))
    return rows


def render_sources_markdown(kb: Knowledge) -> str:
    """The Markdown text of docs/clinical-sources.md for ``kb``: every source, then what to review."""
    lines = [
        "# Clinical sources",
        "",
        "Generated from `ketacare/core/knowledge/data/sources.toml` by",
        "`ketacare.core.knowledge.render_sources_markdown()`. Do not edit by hand; regenerate with",
        "",
        "```sh",
        REGENERATE,
        "```",
        "",
        "Ids are the bracket labels of the clinical brief, verbatim, except the group *Looked up after the",
        "brief*, found later for decision 0012. *Secondary* means the text was read in a copy or summary,",
        "not in the primary document.",
        "",
        "| Evidence tag | Meaning |",
        "|---|---|",
    ]
    lines += [f"| `{evidence.value}` | {evidence.plain} |" for evidence in Evidence]
    groups: dict[str, list[str]] = {}
    for source in kb.sources.values():
        citation = _cell(source.citation)
        if source.note:
            citation += f" *({_cell(source.note)})*"
        evidence = f"`{source.evidence.value}`" + (" secondary" if source.secondary else "")
        links = " ".join(f"<{url}>" for url in ((source.url,) if source.url else ()) + source.mirrors)
        year = str(source.year) if source.year is not None else "—"
        groups.setdefault(source.group, []).append(
            f"| `{source.id}` | {citation} | {year} | {evidence} | {links or '—'} |"
        )
    for group, rows in groups.items():
        lines += [
            "",
            f"## {group}",
            "",
            "| Id | Citation | Year | Evidence | Link |",
            "|---|---|---|---|---|",
            *rows,
        ]
    lines += [
        "",
        "## Clinic-practice values to review",
        "",
        f"These values cite `{CLINIC_PRACTICE}`: the clinical brief marks them unverified or does not",
        "source them, so KetaCare ships them as clinic practice, never as evidence. A clinic should review",
        "each one before use. This list covers the knowledge files above; `protocols.toml` and",
        "`safety_net.toml` mark their own clinic-practice values (see decision 0012).",
        "",
        "| File | Entry | Value |",
        "|---|---|---|",
    ]
    lines += [f"| {file} | `{entry}` | {_cell(what)} |" for file, entry, what in clinic_practice_uses(kb)]
    return "\n".join(lines) + "\n"
