"""How long a booked visit lasts: from arrival at the booked time to the end of the observation.

An appointment's length is what the patient is told ("Booked until about 10:55": when to be collected)
and what the opening hours are checked against. It is three parts, each from where KetaCare keeps it:
arrival and the checks before the dose (clinic practice), giving the dose (the protocol's infusion
time, or its nasal devices with the label's wait after each), and the minimum observation after the
dose (the route's rule, lengthened by the clinic's own setting). See docs/decisions/0031.
"""

from __future__ import annotations

from ketacare.clinics.models import Clinic
from ketacare.core import monitoring
from ketacare.core.protocols import Protocol
from ketacare.treatments.models import ClinicSessionSettings

# From arrival to the start of the dose: check-in (weight, fasting, ride home, medicines), the pre-dose
# vital signs (a high blood pressure retaken after five minutes' rest, `pathway.BP_RETAKE_REST`) and
# the questionnaires due before the dose. Clinic practice: no source KetaCare holds gives this time.
ARRIVAL_TO_DOSE_MIN = 15


def administration_minutes(protocol: Protocol) -> int:
    """How long giving the dose takes, to the end of dosing the observation counts from: an infusion's
    planned minutes; for a nasal spray, the wait after each device but the last, for the most devices
    the protocol's dose range allows (84 mg: three devices, two 5-minute waits [label]); an oral,
    sublingual or IM dose is given at one time (0)."""
    if protocol.dose.infusion_minutes:
        return int(protocol.dose.infusion_minutes)
    device = protocol.device
    if device is not None:
        most_mg = protocol.dose_bounds.max_mg or device.mg_per_device
        devices = max(1, int(most_mg // device.mg_per_device))
        return (devices - 1) * device.wait_between_devices_minutes
    return 0


def observation_minutes_at(clinic: Clinic, route: str) -> int:
    """The minimum observation after the dose on ``route`` at ``clinic`` (the core's rule for the route,
    lengthened by the clinic's setting when it has one)."""
    setting = ClinicSessionSettings.objects.filter(clinic=clinic, route=route).first()
    return monitoring.observation_minutes(route, setting.min_observation_min if setting else None)


def appointment_minutes(clinic: Clinic, protocol: Protocol) -> int:
    """The length of a visit booked for ``protocol`` at ``clinic``: arrival and pre-dose checks, the
    dose, then the minimum observation (IV 15 + 40 + 60 = 115 min; esketamine 15 + 10 + 120 = 145)."""
    return (
        ARRIVAL_TO_DOSE_MIN
        + administration_minutes(protocol)
        + observation_minutes_at(clinic, protocol.route)
    )
