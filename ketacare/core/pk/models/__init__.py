"""Named pharmacokinetic models of ketamine and esketamine, each a cited parameter set with its population.

Every model here is a linear compartment system for :mod:`ketacare.core.pk.engine`:
it turns covariates and random effects into per-patient rate matrices (1/min),
dosing events (mg) and output weights (ng/mL per mg). Each parameter carries its
source; the status tags are those of docs/decisions/0005-pk-models.md:

- ``[V]`` checked against a retrieved source (abstract or label);
- ``[C]`` from public code that cites the paper's table (nlmixr2lib, opentiva);
  the number was not checked against the paper itself;
- ``[U]`` unverified;
- ``[Ours]`` our own choice or calculation, to be read as an assumption.

One module per published model, the shared structure in :mod:`.base`:

- ``perez_ruixo_2021`` (:mod:`.perez_ruixo`): esketamine and noresketamine,
  intranasal / IV / oral solution (SPRAVATO population PK).
- ``fanta_2015`` (:mod:`.fanta`): S-ketamine IV (Fanta 2015 parent, as fixed in
  Otto 2021) with S-norketamine (Otto 2021).
- ``racemic_enantiomers`` (:mod:`.racemic_enantiomers`): racemic ketamine IV as
  S (Fanta/Otto) plus R with a lower clearance (Persson 2002): the documented
  choice for racemic IV (docs/decisions/0005-pk-models.md).
- ``kamp_2020`` (:mod:`.kamp`): one-compartment racemic meta-analysis values, cross-check.
- ``domino_1982`` (:mod:`.domino`): three-compartment racemic micro-constants, cross-check only.

The effect site follows Olofsen 2022 (:mod:`.olofsen`; S-ketamine, t1/2ke0 8.3 min,
C50 0.51 nmol/mL); it is linked to models from other studies, which the
``pk_pd_caveat`` of each model states.
"""

from __future__ import annotations

from ketacare.core.pk.models import domino, fanta, kamp, perez_ruixo, racemic_enantiomers
from ketacare.core.pk.models.base import (
    DEVICE_INTERVAL_MIN,
    ESKETAMINE_DEVICE_MG,
    KETAMINE_BASE_MW_G_PER_MOL,
    Citation,
    Covariates,
    EffectSite,
    Model,
    Output,
    Parameter,
    RandomEffect,
    ValidityRange,
    plain_status,
)
from ketacare.core.pk.models.domino import DOMINO_1982, Domino1982
from ketacare.core.pk.models.fanta import FANTA_2015, Fanta2015
from ketacare.core.pk.models.kamp import KAMP_2020, Kamp2020
from ketacare.core.pk.models.olofsen import OLOFSEN_2022
from ketacare.core.pk.models.perez_ruixo import PEREZ_RUIXO_2021, PerezRuixo2021
from ketacare.core.pk.models.racemic_enantiomers import RacemicEnantiomers

__all__ = [
    "Citation",
    "Covariates",
    "EffectSite",
    "Model",
    "Output",
    "Parameter",
    "RandomEffect",
    "ValidityRange",
    "MODELS",
    "OLOFSEN_2022",
    "get_model",
    "plain_status",
    "KETAMINE_BASE_MW_G_PER_MOL",
    "ESKETAMINE_DEVICE_MG",
    "DEVICE_INTERVAL_MIN",
    "DOMINO_1982",
    "FANTA_2015",
    "KAMP_2020",
    "PEREZ_RUIXO_2021",
    "Domino1982",
    "Fanta2015",
    "Kamp2020",
    "PerezRuixo2021",
    "RacemicEnantiomers",
]

# Listings show the models in this order: the esketamine model first, the cross-checks last.
MODELS: dict[str, Model] = {
    model.name: model
    for model in (
        perez_ruixo.MODEL,
        fanta.MODEL,
        racemic_enantiomers.MODEL,
        kamp.MODEL,
        domino.MODEL,
    )
}


def get_model(name: str) -> Model:
    """Return the model called ``name``; raise ``KeyError`` naming the known models otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown PK model {name!r}; known models: {', '.join(MODELS)}") from None
