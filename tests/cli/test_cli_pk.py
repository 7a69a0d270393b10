"""`ketacare pk simulate`: the JSON fields of docs/cli.md, population bands, and one-line errors."""

from __future__ import annotations

import pytest


def test_intranasal_esketamine_reports_exposures_metabolite_and_curve(run_json):
    result = run_json(
        "pk", "simulate", "--model", "perez_ruixo_2021", "--route", "intranasal", "--dose-mg", "56",
        "--weight-kg", "70", "--age", "45", "--sex", "female",
    )  # fmt: skip
    assert result["model"] == "perez_ruixo_2021" and result["analyte"] == "esketamine"
    assert result["cmax_ng_per_ml"] == pytest.approx(72.5, rel=0.02)  # Perez-Ruixo 2021 Table 4
    assert 20 <= result["tmax_min"] <= 60
    assert result["auc_0_24_ng_h_per_ml"] == pytest.approx(254.7, rel=0.02)
    assert result["metabolite"]["analyte"] == "noresketamine"
    assert result["metabolite"]["cmax_ng_per_ml"] == pytest.approx(119.7, rel=0.02)
    curve = result["curve"]
    assert curve["time_min"][:3] == [0.0, 5.0, 10.0] and curve["time_min"][-1] == 1440.0
    assert len(curve["concentration_ng_per_ml"]) == len(curve["time_min"]) == 289
    assert len(curve["metabolite_concentration_ng_per_ml"]) == 289
    assert "different studies" in result["effect_site"]["caveat"]
    assert result["population"] is None and result["warnings"] == []


def test_population_adds_seeded_bands(run_json):
    args = ("pk", "simulate", "--model", "racemic_enantiomers", "--route", "iv", "--dose-mg", "35",
            "--age", "30", "--population", "300", "--seed", "5", "--curve-step-min", "10")  # fmt: skip
    first, second = run_json(*args), run_json(*args)
    band = first["population"]["cmax_ng_per_ml"]
    assert band["p05"] < first["cmax_ng_per_ml"] < band["p95"]
    assert first["population"] == second["population"]
    assert first["population"]["n_patients"] == 300 and first["population"]["seed"] == 5
    assert len(first["population"]["curve"]["p50"]) == len(first["curve"]["time_min"]) == 145
    assert first["infusion_min"] == 40.0


def test_text_output_summarises_the_run(run):
    result = run(
        "pk", "simulate", "--model", "domino_1982", "--route", "iv", "--dose-mg", "35", "--infusion-min", "40"
    )
    assert result.exit_code == 0
    assert "Cmax" in result.stdout and "AUC0-24" in result.stdout


def test_inputs_outside_the_studied_range_are_warnings_not_errors(run_json):
    result = run_json(
        "pk",
        "simulate",
        "--model",
        "perez_ruixo_2021",
        "--route",
        "intranasal",
        "--dose-mg",
        "28",
        "--age",
        "90",
    )
    assert any("outside the 18-86 years" in warning for warning in result["warnings"])


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--model", "nope", "--route", "iv", "--dose-mg", "10"], ["unknown --model", "perez_ruixo_2021"]),
        (["--model", "domino_1982", "--route", "intranasal", "--dose-mg", "28"], ["--route", "allowed: iv"]),
        (
            ["--model", "perez_ruixo_2021", "--route", "intranasal", "--dose-mg", "50"],
            ["--dose-mg 50", "28-112 mg"],
        ),
        (["--model", "perez_ruixo_2021", "--route", "iv", "--dose-mg", "-5"], ["--dose-mg -5", "allowed"]),
        (
            ["--model", "perez_ruixo_2021", "--route", "iv", "--dose-mg", "28", "--weight-kg", "5"],
            ["--weight-kg 5", "20-300 kg"],
        ),
        (
            ["--model", "perez_ruixo_2021", "--route", "iv", "--dose-mg", "28", "--age", "150"],
            ["--age 150", "0-120 years"],
        ),
        (
            ["--model", "perez_ruixo_2021", "--route", "iv", "--dose-mg", "28", "--sex", "x"],
            ["--sex", "female, male, unknown"],
        ),
        (
            [
                "--model",
                "perez_ruixo_2021",
                "--route",
                "intranasal",
                "--dose-mg",
                "28",
                "--infusion-min",
                "40",
            ],
            ["--infusion-min", "iv only"],
        ),
        (
            ["--model", "perez_ruixo_2021", "--route", "iv", "--dose-mg", "28", "--population", "999999"],
            ["--population", "0-20000"],
        ),
        (["--model", "perez_ruixo_2021", "--route", "iv", "--dose-mg", "abc"], ["--dose-mg"]),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_problem_and_range(run, assert_bad_input, args, fragments):
    assert_bad_input(run("pk", "simulate", *args), *fragments)


def test_warm_up_runs_the_timeline_of_every_modelled_route(run):
    result = run("pk", "warm-up")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "PK kernels compiled and cached for: iv, esketamine_in"
