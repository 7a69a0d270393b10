"""The `ketacare pk` commands: simulate a named pharmacokinetic model for one dose.

A thin wrapper around ketacare.core.pk: options become plain values, one core
call runs the typical patient (and, with `--population`, a seeded virtual
population), and the result prints as text or, with `--json`, as the object
documented in docs/cli.md ("ketacare pk"). Bad input exits 2 with one line on
stderr naming the problem and the allowed range.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import numpy as np
import typer

from ketacare.cli_clinical import JsonFlag, _emit, _fail, _OneLineErrors
from ketacare.core.pk.models import ESKETAMINE_DEVICE_MG, MODELS, Covariates
from ketacare.core.pk.population import Regimen, simulate, simulate_population

# Hard limits: outside them the input is an error, not just outside a model's studied range.
DOSE_MG = (0.0, 1000.0)
WEIGHT_KG = (20.0, 300.0)
AGE_YEARS = (0.0, 120.0)
INFUSION_MIN = (1.0, 600.0)
POPULATION = (0, 20_000)  # two curves of 1441 float64 per virtual patient: 0.46 GB at the limit
CURVE_STEP_MIN = (1, 60)
SEXES = ("female", "male", "unknown")
INTRANASAL_DEVICES = (1, 4)  # 28-112 mg, the intranasal range of Perez-Ruixo 2021
HORIZON_MIN = 24 * 60.0
STEP_MIN = 1.0


def _check_range(
    command: str, option: str, value: float, bounds: tuple[float, float], unit: str = ""
) -> None:
    low, high = bounds
    if not low <= value <= high:
        _fail(command, f"{option} {value:g}{unit} is out of range; allowed {low:g}-{high:g}{unit}")


def _band(band: Any, digits: int = 3) -> dict[str, float]:
    return {"p05": round(band.p05, digits), "p50": round(band.p50, digits), "p95": round(band.p95, digits)}


def _series(values: np.ndarray, every: int, digits: int = 4) -> list[float]:
    return [round(float(v), digits) for v in values[::every]]


def simulate_command(
    model: Annotated[str, typer.Option(help=f"Model name: {', '.join(MODELS)}.")],
    route: Annotated[str, typer.Option(help="intranasal, iv or oral (each model lists what it supports).")],
    dose_mg: Annotated[
        float, typer.Option("--dose-mg", help="Total dose in mg (intranasal: 28 mg per device).")
    ],
    weight_kg: Annotated[float, typer.Option("--weight-kg", help="Body weight in kg.")] = 70.0,
    age: Annotated[float, typer.Option(help="Age in years.")] = 45.0,
    sex: Annotated[str, typer.Option(help="female, male or unknown.")] = "unknown",
    infusion_min: Annotated[
        float | None, typer.Option("--infusion-min", help="IV infusion length in minutes (default 40).")
    ] = None,
    population: Annotated[int, typer.Option(help="Virtual patients for the 5-95% band (0: none).")] = 0,
    seed: Annotated[int, typer.Option(help="Random seed of the virtual population.")] = 0,
    curve_step_min: Annotated[
        int,
        typer.Option(
            "--curve-step-min", help="Minutes between printed curve points (simulated every 1 min)."
        ),
    ] = 5,
    as_json: JsonFlag = False,
) -> None:
    """Simulate one dose of a named PK model over 24 h: Cmax, tmax, AUC0-24, metabolite and curve."""
    command = "pk simulate"
    if model not in MODELS:
        _fail(command, f"unknown --model {model!r}; allowed: {', '.join(MODELS)}")
    pk_model = MODELS[model]
    if route not in pk_model.routes:
        _fail(command, f"--route {route!r} is not modelled by {model}; allowed: {', '.join(pk_model.routes)}")
    if not dose_mg > DOSE_MG[0]:
        _fail(
            command,
            f"--dose-mg {dose_mg:g} is out of range; allowed above {DOSE_MG[0]:g} up to {DOSE_MG[1]:g} mg",
        )
    _check_range(command, "--dose-mg", dose_mg, DOSE_MG, " mg")
    if route == "intranasal":
        devices = dose_mg / ESKETAMINE_DEVICE_MG
        low, high = INTRANASAL_DEVICES
        if abs(devices - round(devices)) > 1e-9 or not low <= round(devices) <= high:
            _fail(
                command,
                f"--dose-mg {dose_mg:g} is not a whole number of 28-mg devices; allowed "
                f"{low * ESKETAMINE_DEVICE_MG:g}-{high * ESKETAMINE_DEVICE_MG:g} mg in steps of 28 mg",
            )
    _check_range(command, "--weight-kg", weight_kg, WEIGHT_KG, " kg")
    _check_range(command, "--age", age, AGE_YEARS, " years")
    if sex not in SEXES:
        _fail(command, f"--sex {sex!r} is not allowed; allowed: {', '.join(SEXES)}")
    if infusion_min is not None:
        if route != "iv":
            _fail(command, f"--infusion-min applies to --route iv only, not {route}")
        _check_range(command, "--infusion-min", infusion_min, INFUSION_MIN, " min")
    _check_range(command, "--population", population, POPULATION)
    if seed < 0:
        _fail(command, f"--seed {seed} is out of range; allowed 0 or more")
    _check_range(command, "--curve-step-min", curve_step_min, CURVE_STEP_MIN, " min")

    regimen = Regimen(route, dose_mg, (infusion_min or 40.0) if route == "iv" else None)
    covariates = Covariates(weight_kg=weight_kg, age_years=age, sex=sex)
    try:
        result = simulate(model, regimen, covariates, duration_min=HORIZON_MIN, step_min=STEP_MIN)
    except ValueError as exc:
        _fail(command, str(exc))
    every = int(curve_step_min / STEP_MIN)
    outputs = {output.key: output for output in pk_model.outputs}
    parent = result.exposures["parent"]
    payload: dict[str, Any] = {
        "model": pk_model.name,
        "title": pk_model.title,
        "drug": pk_model.drug,
        "citation": pk_model.citation.reference,
        "route": route,
        "dose_mg": dose_mg,
        "infusion_min": regimen.infusion_min,
        "covariates": {"weight_kg": weight_kg, "age_years": age, "sex": sex},
        "analyte": outputs["parent"].analyte,
        "cmax_ng_per_ml": round(parent.cmax_ng_per_ml, 3),
        "tmax_min": parent.tmax_min,
        "auc_0_24_ng_h_per_ml": round(parent.auc_ng_h_per_ml, 3),
        "metabolite": None,
        "effect_site": None,
        "curve": {
            "time_min": _series(result.time_min, every, 2),
            "concentration_ng_per_ml": _series(result.curves["parent"], every),
        },
        "warnings": list(result.warnings),
        "notes": list(pk_model.notes),
        "population": None,
    }
    if "metabolite" in outputs:
        metabolite = result.exposures["metabolite"]
        payload["metabolite"] = {
            "analyte": outputs["metabolite"].analyte,
            "cmax_ng_per_ml": round(metabolite.cmax_ng_per_ml, 3),
            "tmax_min": metabolite.tmax_min,
            "auc_0_24_ng_h_per_ml": round(metabolite.auc_ng_h_per_ml, 3),
            "note": outputs["metabolite"].note,
        }
        payload["curve"]["metabolite_concentration_ng_per_ml"] = _series(result.curves["metabolite"], every)
    if pk_model.effect_site is not None:
        effect = result.exposures["effect_site"]
        payload["effect_site"] = {
            "analyte": outputs["effect_site"].analyte,
            "cmax_ng_per_ml": round(effect.cmax_ng_per_ml, 3),
            "tmax_min": effect.tmax_min,
            "c50_ng_per_ml": round(pk_model.effect_site.c50_ng_per_ml.value, 2),
            "citation": pk_model.effect_site.citation.reference,
            "caveat": pk_model.pk_pd_caveat,
        }
        payload["curve"]["effect_site_ng_per_ml"] = _series(result.curves["effect_site"], every)
    if population:
        threads = min(os.cpu_count() or 1, 8) if population >= 10_000 else 1
        keys = tuple(key for key in ("parent", "metabolite") if key in outputs)
        bands = simulate_population(
            model,
            regimen,
            covariates,
            n_patients=population,
            seed=seed,
            duration_min=HORIZON_MIN,
            step_min=STEP_MIN,
            outputs=keys,
            threads=threads,
        )

        def summary(key: str) -> dict[str, Any]:
            metrics = bands.exposure_bands[key]
            return {
                "cmax_ng_per_ml": _band(metrics["cmax_ng_per_ml"]),
                "tmax_min": _band(metrics["tmax_min"]),
                "auc_0_24_ng_h_per_ml": _band(metrics["auc_ng_h_per_ml"]),
            }

        curve_band = bands.curve_bands["parent"]
        payload["population"] = {
            "n_patients": population,
            "seed": seed,
            **summary("parent"),
            "metabolite": summary("metabolite") if "metabolite" in keys else None,
            "curve": {
                "p05": _series(np.asarray(curve_band.p05), every),
                "p50": _series(np.asarray(curve_band.p50), every),
                "p95": _series(np.asarray(curve_band.p95), every),
            },
            "notes": list(bands.notes)
            + ["Bands cover inter-individual variability of the model's parameters, not assay error."],
        }

    def text(p: dict[str, Any]) -> list[str]:
        lines = [
            f"{p['title']}: {p['route']} {p['dose_mg']:g} mg",
            f"{p['analyte']}: Cmax {p['cmax_ng_per_ml']:.1f} ng/mL at {p['tmax_min']:g} min, "
            f"AUC0-24 {p['auc_0_24_ng_h_per_ml']:.1f} ng*h/mL",
        ]
        if p["metabolite"]:
            m = p["metabolite"]
            lines.append(
                f"{m['analyte']}: Cmax {m['cmax_ng_per_ml']:.1f} ng/mL at {m['tmax_min']:g} min, "
                f"AUC0-24 {m['auc_0_24_ng_h_per_ml']:.1f} ng*h/mL"
            )
        if p["population"]:
            c = p["population"]["cmax_ng_per_ml"]
            lines.append(
                f"population of {p['population']['n_patients']} (seed {p['population']['seed']}): "
                f"Cmax median {c['p50']:.1f}, 5-95% {c['p05']:.1f}-{c['p95']:.1f} ng/mL"
            )
        lines += [f"WARNING: {w}" for w in p["warnings"]]
        return lines

    _emit(payload, as_json, text)


def warm_up_command() -> None:
    """Compile the PK kernels the clinic pages use and keep them in numba's cache (run after install)."""
    from ketacare.core.pk.timeline import warm_up

    routes = warm_up()
    typer.echo(f"PK kernels compiled and cached for: {', '.join(routes)}")


def register(app: typer.Typer) -> None:
    """Attach the `pk` sub-commands (`ketacare pk simulate`) to the main app (a second call does nothing)."""
    if any(info.name == "pk" for info in app.registered_groups):
        return
    pk_app = typer.Typer(help="Pharmacokinetic models: simulate a dose.", no_args_is_help=True)
    pk_app.command("simulate", cls=_OneLineErrors)(simulate_command)
    pk_app.command("warm-up")(warm_up_command)
    app.add_typer(pk_app, name="pk")
