"""Every dosing route a clinic can plan has its drug and route codes in the FHIR export's tables.

A route missing from ``MEDICATION`` or ``ROUTE`` would export a dose with no coding and its raw id as the
text (what an EHR cannot file), so the tables are checked against the routes themselves.
"""

from __future__ import annotations

from ketacare.core.protocols import route_ids
from ketacare.interop.fhir_common import MEDICATION, ROUTE
from ketacare.treatments.models import Route


def test_every_route_a_plan_can_take_has_a_drug_and_a_route_code() -> None:
    routes = set(Route.values) | set(route_ids())
    assert routes <= set(MEDICATION), routes - set(MEDICATION)
    assert routes <= set(ROUTE), routes - set(ROUTE)


def test_an_im_dose_is_racemic_ketamine_given_by_the_intramuscular_route() -> None:
    # SNOMED CT 78421000 [FHIR-RouteCodes]; ketamine's RxNorm ingredient, as for IV, oral and sublingual.
    assert ROUTE["im"] == ("78421000", "Intramuscular route (qualifier value)")
    assert MEDICATION["im"] == MEDICATION["iv"] == ("6130", "ketamine")
