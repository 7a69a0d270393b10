"""Treatment protocols and per-route session rules, loaded from ``knowledge/data/protocols.toml``.

The file is read once into frozen dataclasses (:mod:`.model`) and validated on load (:mod:`.loader`):
an unknown source id, a duplicate id, an unknown key, a missing key or a number out of range raises
:class:`ProtocolDataError` naming the entry (``protocol 'esketamine_trd' dose_bounds: min_mg 90 is
above max_mg 84``). Every rule keeps its ``sources`` (ids from ``sources.toml``) and ``evidence``; a
value the clinical sources leave unverified cites ``clinic-practice`` with evidence ``practice``.

Units are in the field names (``_mg``, ``_mg_per_kg``, ``_minutes``, ``_mmhg``, ``_bpm``, ``_pct``,
``_years``, ``_weeks``, ``_days``).
"""

from __future__ import annotations

from ketacare.core.protocols.loader import (
    DATA_FILE,
    catalog,
    get_protocol,
    get_route,
    load_protocols,
    protocol_ids,
    route_ids,
)
from ketacare.core.protocols.model import (
    AGE_YEARS_RANGE,
    COMPARISONS,
    EVIDENCE_TAGS,
    IN_SESSION_LEVELS,
    PHASES,
    PHYSIOLOGICAL_RANGES,
    PRE_DOSE_LEVELS,
    VITAL_FIELDS,
    WEEKDAYS,
    CheckpointRule,
    Cited,
    Comparison,
    DeviceSpec,
    DoseBasis,
    DoseBounds,
    DoseSpec,
    DrivingRule,
    FastingRule,
    FirstDoseRule,
    Maintenance,
    ObservationRule,
    OutcomeFact,
    Phase,
    Preset,
    Protocol,
    ProtocolCatalog,
    ProtocolDataError,
    RemsRule,
    RouteRules,
    VitalRule,
)

__all__ = [
    "AGE_YEARS_RANGE",
    "COMPARISONS",
    "DATA_FILE",
    "EVIDENCE_TAGS",
    "IN_SESSION_LEVELS",
    "PHASES",
    "PHYSIOLOGICAL_RANGES",
    "PRE_DOSE_LEVELS",
    "VITAL_FIELDS",
    "WEEKDAYS",
    "CheckpointRule",
    "Cited",
    "Comparison",
    "DeviceSpec",
    "DoseBasis",
    "DoseBounds",
    "DoseSpec",
    "DrivingRule",
    "FastingRule",
    "FirstDoseRule",
    "Maintenance",
    "ObservationRule",
    "OutcomeFact",
    "Phase",
    "Preset",
    "Protocol",
    "ProtocolCatalog",
    "ProtocolDataError",
    "RemsRule",
    "RouteRules",
    "VitalRule",
    "catalog",
    "get_protocol",
    "get_route",
    "load_protocols",
    "protocol_ids",
    "route_ids",
]
