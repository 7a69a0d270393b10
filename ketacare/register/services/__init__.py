"""Writes for the controlled-drug register: one transaction each, refusals as `ketacare.lib.errors`.

One module per part: stock (configuration, receipts, corrections, destruction), sessions (draws, the
dose receiver, wasting the remainder), witness (re-authentication on the same device), counts (blind
counts, discrepancies, losses); `_common` holds the balance and `_post`. Every name is re-exported.
"""

from __future__ import annotations

from ketacare.register.services._common import (
    CENT,
    ESKETAMINE_MG_PER_DEVICE,
    INVESTIGATORS,
    LIVE_SESSION_STATES,
    MAX_TEXT,
    MAX_UNITS,
    RECORDERS,
    VerifiedWitness,
    administered_from,
    balance_mg,
    closing_split,
    fmt_mg,
    outstanding_mg,
    register_settings,
    role_at,
    show_mg,
)
from ketacare.register.services.counts import (
    count_lots,
    investigate_discrepancy,
    report_loss,
    submit_count,
)
from ketacare.register.services.sessions import (
    close_draw,
    draw_stock,
    on_dose_recorded,
    open_draw_criteria,
)
from ketacare.register.services.stock import (
    add_location,
    add_product,
    configure_register,
    destroy_stock,
    receive_stock,
    record_correction,
)
from ketacare.register.services.witness import verify_witness

__all__ = [
    "CENT",
    "ESKETAMINE_MG_PER_DEVICE",
    "INVESTIGATORS",
    "LIVE_SESSION_STATES",
    "MAX_TEXT",
    "MAX_UNITS",
    "RECORDERS",
    "VerifiedWitness",
    "add_location",
    "add_product",
    "administered_from",
    "closing_split",
    "balance_mg",
    "close_draw",
    "configure_register",
    "count_lots",
    "destroy_stock",
    "draw_stock",
    "fmt_mg",
    "investigate_discrepancy",
    "on_dose_recorded",
    "open_draw_criteria",
    "outstanding_mg",
    "receive_stock",
    "record_correction",
    "register_settings",
    "report_loss",
    "role_at",
    "show_mg",
    "submit_count",
    "verify_witness",
]
