"""The Olofsen 2022 effect site of S-ketamine, linked to PK models from other studies.

Olofsen 2022 fitted the effect site with their own PK model in 17 healthy men;
the models here borrow it, so each states :func:`cross_study_caveat` as its
``pk_pd_caveat``.
"""

from __future__ import annotations

import math

from ketacare.core.pk.models.base import KETAMINE_BASE_MW_G_PER_MOL, Citation, EffectSite, Parameter

OLOFSEN_2022 = EffectSite(
    citation=Citation(
        "olofsen_2022",
        "Olofsen E, et al. Anesthesiology 2022;136:792-801, doi:10.1097/ALN.0000000000004176",
        "[V] abstract: C50 0.51 (95% CI 0.38-0.66) nmol/mL S-ketamine, t1/2ke0 8.3 (5.1-13.0) min; "
        "Emax and Hill coefficient not retrieved",
    ),
    # ke0 = ln 2 / t1/2ke0 with t1/2ke0 = 8.3 min [V abstract] -> 0.0835/min.
    ke0_per_min=Parameter(math.log(2) / 8.3, "1/min", "Olofsen 2022 abstract: t1/2ke0 8.3 min [V]"),
    # C50 0.51 nmol/mL x 237.73 g/mol = 121.2 ng/mL S-ketamine [V abstract; MW of ketamine base].
    c50_ng_per_ml=Parameter(
        0.51 * KETAMINE_BASE_MW_G_PER_MOL, "ng/mL", "Olofsen 2022 abstract: 0.51 nmol/mL [V] x 237.73 g/mol"
    ),
    population="17 healthy men, escalating S- and racemic ketamine infusions (psychedelic effect, antinociception)",
)


def cross_study_caveat(pk: str) -> str:
    """Return the caveat of a model whose PK (described by ``pk``) comes from another study than its effect."""
    return (
        "PK and effect come from different studies: the effect site (t1/2ke0 8.3 min, C50 121 ng/mL "
        "S-ketamine) was fitted by Olofsen 2022 in 17 healthy men with their own PK model, and is applied "
        f"here to {pk}. Treat the effect-site curve as illustrative, not as a validated prediction of how a "
        "patient feels."
    )
