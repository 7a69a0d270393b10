"""Pharmacokinetics and effect-site pharmacodynamics of ketamine and esketamine (pure Python).

- :mod:`~ketacare.core.pk.engine`: exact solutions of linear compartment systems,
  vectorised over patients (matrix-exponential reference and a fast modal path).
- :mod:`~ketacare.core.pk.models`: named, cited parameter sets (Perez-Ruixo 2021,
  Fanta 2015 / Otto 2021, racemic enantiomers, Kamp 2020, Domino 1982) and the
  Olofsen 2022 effect site.
- :mod:`~ketacare.core.pk.population`: typical-value and seeded Monte Carlo runs,
  with medians and 5-95% bands.
- :mod:`~ketacare.core.pk.timeline`: the personal recovery timeline for a session,
  with its caveat.

Choices and caveats: docs/decisions/0005-pk-models.md.
"""

from ketacare.core.pk.models import MODELS, Covariates, get_model
from ketacare.core.pk.population import Regimen, simulate, simulate_population
from ketacare.core.pk.timeline import CAVEAT, Timeline, personal_timeline

__all__ = [
    "CAVEAT",
    "MODELS",
    "Covariates",
    "Regimen",
    "Timeline",
    "get_model",
    "personal_timeline",
    "simulate",
    "simulate_population",
]
