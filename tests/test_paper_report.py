"""The reproduction report (visualize.paper_report) on a small signac project of synthetic jobs."""

from __future__ import annotations

import json
import math
import os
import shutil
import types

import numpy as np
import pytest
import signac

from mesocrystal import products
from mesocrystal.visualize import examples
from mesocrystal.visualize import paper_report as report

DT = 0.005
RANDOMIZE = 1000
BOX = 45.0


def _trajectory(path, crystal: bool) -> None:
    """One final frame: a 108-body FCC cube in a vapour, or a dilute gas (no aggregate)."""
    if crystal:
        pos = examples.fcc_cluster(3)
    else:
        pos = examples.random_gas(40, BOX, 8.0, seed=1)
    frame = examples.make_frame(pos, BOX, examples.SPHERE_SHAPE, step=RANDOMIZE + 20_000)
    examples.write_trajectory([frame], path)


# condition -> (labels of the replicas, aggregate in the final frame, first crystal step)
JOBS = {
    ("toluene", 45.0, 1.0): (["crystalline", "crystalline", "layered"], True, 4000),
    ("dichloromethane", 25.0, 1.0): (["rcp", "rcp"], True, None),
    ("toluene", 25.0, 1.0): (["dispersed", "dispersed"], False, None),
}

#: Synthetic measures of replica ``seed``: mesocrystal size 20 + seed nm, roughness 1 + seed nm.
SIZE0, ROUGH0 = 20.0, 1.0


def _measures(aggregate: bool, seed: int) -> dict:
    """A ``morphology.json`` with known values (the format of analysis.morphology)."""
    extents = [SIZE0 + seed, 15.0, 10.0] if aggregate else [0.0, 0.0, 0.0]
    morph = {
        "n_bodies": 108 if aggregate else 0,
        "extents_nm": extents,
        "shape": "cuboid" if aggregate else "none",
        "percolating": False,
        "size_nm": extents[0],
    }
    return {
        "step": RANDOMIZE + 20_000,
        "mesocrystal": morph,
        "crystallite": {**morph, "size_nm": 0.5 * extents[0]},
        "roughness": {"sq_nm": ROUGH0 + seed, "reliable": True} if aggregate else None,
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Seven labelled, measured jobs in three conditions; toluene 45 °C has a reaction record."""
    root = tmp_path_factory.mktemp("paper")
    proj = signac.init_project(str(root))
    crystal_gsd = root / "crystal.gsd"
    _trajectory(crystal_gsd, True)
    png = root / "tiny.png"
    import matplotlib.pyplot as plt

    plt.imsave(png, np.zeros((2, 2)))
    for (solvent, temp, conc), (labels, aggregate, first) in JOBS.items():
        for seed, label in enumerate(labels):
            sp = {
                "solvent": solvent,
                "temperature_C": temp,
                "concentration": conc,
                "seed": seed,
                "dt": DT,
                "randomize_steps": RANDOMIZE,
            }
            job = proj.open_job(sp).init()
            job.doc["classification"] = {"label": label, "confidence": 0.9}
            rows = [
                {"frame": 0, "step": 0, "largest_solid_cluster": 0},
                {"frame": 1, "step": RANDOMIZE + 2000, "largest_solid_cluster": 5},
            ]
            if first is not None:
                # replica k crystallises k * 1000 steps later
                step = RANDOMIZE + first + 1000 * seed
                rows.append({"frame": 2, "step": step, "largest_solid_cluster": 20})
            with open(job.fn("analysis.json"), "w") as fh:
                json.dump({"label": label, "timeseries": rows}, fh)
            if solvent == "toluene" and temp == 45.0:
                job.doc["reaction"] = {
                    "rate_per_tau": math.log(2) / (100.0 + 10 * seed),
                    "half_time_tau": 100.0 + 10 * seed if seed else None,
                    "half_time_days": 70.0,
                    "time_scale_separation": 1000.0,
                    "conversion": [[0.0, 0.0], [100.0 + 10 * seed, 0.5]],
                }
            if solvent == "toluene" and temp == 25.0:
                # no reaction record: the conversion comes from the trajectory's log
                frames = [
                    examples.make_frame(
                        examples.random_gas(8, BOX, 8.0, seed=1),
                        BOX,
                        examples.SPHERE_SHAPE,
                        step=RANDOMIZE + 1000 * k,
                        log={"conversion": 0.2 * k},
                    )
                    for k in range(4)
                ]
                examples.write_trajectory(frames, job.fn("trajectory.gsd"))
            if solvent == "toluene" and temp == 45.0 and seed == 0:
                # one job measured for real
                shutil.copy(crystal_gsd, job.fn("trajectory.gsd"))
                report.measure(job)
                continue
            with open(job.fn(products.MORPHOLOGY_JSON), "w") as fh:
                json.dump(_measures(aggregate, seed), fh)
            shutil.copy(png, job.fn(products.AFM_PNG))
    # a job of another kind of study is left out of the report
    other = proj.open_job({"epsilon_kT": 0.3, "seed": 0}).init()
    other.doc["classification"] = {"label": "rcp", "confidence": 0.5}
    return proj


def test_measure_writes_morphology_and_afm(project):
    job = next(iter(project.find_jobs({"solvent": "toluene", "temperature_C": 45.0, "seed": 0})))
    assert report.measured(job)
    data = json.loads(open(job.fn(products.MORPHOLOGY_JSON)).read())
    assert data["mesocrystal"]["n_bodies"] == 108
    assert data["mesocrystal"]["shape"] == "cuboid"
    # a cube of 3 conventional cells of side 4.3 sqrt(2) nm
    assert data["mesocrystal"]["size_nm"] == pytest.approx(3 * 4.3 * math.sqrt(2), rel=0.05)
    assert data["roughness"]["tip_radius_nm"] == 8.0
    assert open(job.fn(products.AFM_PNG), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    # a trajectory newer than the products (made 10 s before it) is measured again
    earlier = os.stat(job.fn("trajectory.gsd")).st_mtime - 10
    for name in (products.MORPHOLOGY_JSON, products.AFM_PNG):
        os.utime(job.fn(name), (earlier, earlier))
    assert not report.measured(job)
    report.measure(job)
    assert report.measured(job)


@pytest.fixture(scope="module")
def written(project):
    """The report of the project, written once."""
    jobs = list(project)
    assert report.applicable(*jobs)
    return report.write(*jobs)


def test_report_schema_and_label_counts(project, written):
    jobs = list(project)
    data = written
    root = project.path
    for name in (products.REPORT_JSON, products.REPORT_MD, products.REPORT_PNG):
        assert os.path.isfile(os.path.join(root, name))
    assert json.loads(open(os.path.join(root, products.REPORT_JSON)).read()) == data
    conditions = {
        (c["solvent"], c["temperature_C"], c["concentration"]): c for c in data["conditions"]
    }
    assert set(conditions) == set(JOBS)
    required = {
        "stage": str,
        "solvent": str,
        "temperature_C": float,
        "concentration": float,
        "replicas": int,
        "labels": dict,
        "mesocrystal_shape": (str, type(None)),
        "paper": (dict, type(None)),
    }
    for key, (labels, aggregate, _) in JOBS.items():
        c = conditions[key]
        for field, kind in required.items():
            assert isinstance(c[field], kind), field
        assert c["stage"] == "nanoparticles"
        assert c["replicas"] == len(labels)
        expected = {}
        for label in labels:
            expected[label] = expected.get(label, 0) + 1
        assert c["labels"] == expected
        if aggregate and key != ("toluene", 45.0, 1.0):
            seeds = np.arange(len(labels))
            sizes, rough = SIZE0 + seeds, ROUGH0 + seeds
            assert c["mesocrystal_size_nm"] == pytest.approx(sizes.mean())
            err = sizes.std(ddof=1) / math.sqrt(len(sizes))
            assert c["mesocrystal_size_nm_error"] == pytest.approx(err)
            assert c["roughness_nm"] == pytest.approx(rough.mean())
            assert c["crystallite_size_nm"] == pytest.approx(0.5 * sizes.mean())
            assert c["mesocrystal_shape"] == "cuboid"
        elif not aggregate:
            assert c["mesocrystal_size_nm"] is None and c["roughness_nm"] is None
            assert c["mesocrystal_shape"] is None
    tol = conditions[("toluene", 45.0, 1.0)]
    assert tol["majority_label"] == "crystalline"
    assert tol["paper"]["afm_rms_nm"] == 6.24 and tol["paper"]["time_days"] == 100.0
    assert tol["paper"]["replicas_matching"] == "3/3"
    # first crystal at 4000, 5000, 6000 steps after randomisation
    assert tol["time_to_first_crystal_tau"] == pytest.approx(5000 * DT)
    assert tol["time_to_first_crystal_tau_error"] == pytest.approx(1000 * DT / math.sqrt(3))
    assert tol["replicas_with_crystal"] == 3
    assert tol["time_to_half_conversion_tau"] == pytest.approx(110.0)
    assert tol["time_to_half_conversion_days"] == pytest.approx(70.0)
    assert tol["time_to_half_conversion_source"] == ["conversion"]
    # days on the reaction clock: 70 days per half-time
    assert tol["time_to_first_crystal_days"] == pytest.approx(
        np.mean([70 / (100 + 10 * k) * (4000 + 1000 * k) * DT for k in range(3)])
    )
    dcm = conditions[("dichloromethane", 25.0, 1.0)]
    assert dcm["paper"]["afm_rms_nm"] == 22.05 and dcm["paper"]["labels"] == ["rcp"]
    assert dcm["time_to_half_conversion_tau"] is None
    assert dcm["time_to_first_crystal_tau"] is None
    assert dcm["replicas_with_crystal"] == 0
    # toluene 25 °C: conversion 0.4 at 2000 steps, 0.6 at 3000 steps -> half at 2500 steps
    cold = conditions[("toluene", 25.0, 1.0)]
    assert cold["time_to_half_conversion_tau"] == pytest.approx(2500 * DT)
    assert cold["time_to_half_conversion_days"] is None
    names = [c["name"] for c in data["calibrated"]]
    assert "epsilon_ligand" in names
    assert all(c["fitted_to"] for c in data["calibrated"])
    # pictures of the representative replica exist, relative to the project root
    md = open(os.path.join(root, products.REPORT_MD)).read()
    assert tol["pictures"]["afm"] in md
    assert os.path.isfile(os.path.join(root, tol["pictures"]["afm"]))
    assert tol["representative"] in tol["jobs"]
    assert report.current(*jobs)


def test_report_goes_stale_and_waits_for_labels(project, written):
    jobs = list(project)
    assert report.current(*jobs)
    job = next(iter(project.find_jobs({"solvent": "dichloromethane"})))
    old = job.doc["classification"]
    job.doc["classification"] = {"label": "crystalline", "confidence": 0.6}
    try:
        assert not report.current(*jobs)
        del job.doc["classification"]
        assert not report.applicable(*jobs)
    finally:
        job.doc["classification"] = old
    assert report.applicable(*jobs)


def test_half_conversion_from_the_series():
    series = {"conversion": [[0.0, 0.0], [10.0, 0.4], [20.0, 0.6], [30.0, 0.8]]}
    assert report.half_conversion(series) == {
        "tau": pytest.approx(15.0),
        "days": None,
        "source": "conversion",
    }
    # measured crossing first; days on the reaction clock (2 days per tau)
    record = {**series, "half_time_tau": 14.0, "half_time_days": 28.0}
    assert report.half_conversion(record) == {
        "tau": pytest.approx(15.0),
        "days": pytest.approx(30.0),
        "source": "conversion",
    }
    assert report.half_conversion({**record, "tau_per_day": 1.0})["days"] == pytest.approx(15.0)
    # no crossing within the run: the rate constant's half-time
    short = {"conversion": [[0.0, 0.0], [10.0, 0.3]], "half_time_tau": 20.0}
    assert report.half_conversion(short) == {"tau": 20.0, "days": None, "source": "rate"}
    assert report.half_conversion({"conversion": [[0.0, 0.0], [10.0, 0.3]]})["tau"] is None
    assert report.half_conversion(None) == {"tau": None, "days": None, "source": None}


def test_mean_and_standard_error():
    assert report.mean_error([1.0, 2.0, 3.0, None]) == (2.0, pytest.approx(1 / math.sqrt(3)), 3)
    assert report.mean_error([4.0]) == (4.0, None, 1)
    assert report.mean_error([None, float("nan")]) == (None, None, 0)


def test_calibrated_coefficients_from_either_module_layout():
    declared = types.ModuleType("declared")
    declared.MAPPING = {"epsilon_ligand": 0.3, "hansen_alpha": 0.6}
    declared.CALIBRATED = {"epsilon_ligand": "toluene at 45 C crystallises"}
    assert report.calibrated_coefficients(declared) == [
        {"name": "epsilon_ligand", "value": 0.3, "fitted_to": "toluene at 45 C crystallises"}
    ]
    ranged = types.ModuleType("ranged")
    ranged.MAPPING = {"epsilon_ligand": 0.3}
    ranged.CALIBRATED = {"epsilon_ligand": (0.05, 1.0, "crystallisation window in toluene")}
    assert report.calibrated_coefficients(ranged) == [
        {
            "name": "epsilon_ligand",
            "value": 0.3,
            "fitted_to": "crystallisation window in toluene",
            "allowed_range": [0.05, 1.0],
        }
    ]
    marked = types.ModuleType("marked")
    marked.MAPPING = {
        "epsilon_ligand": {"value": 0.3, "calibrated": True, "fitted_to": "the paper's outcomes"},
        "hansen_alpha": {"value": 0.6, "calibrated": False},
    }
    out = report.calibrated_coefficients(marked)
    assert [(c["name"], c["value"], c["fitted_to"]) for c in out] == [
        ("epsilon_ligand", 0.3, "the paper's outcomes")
    ]
    # the present module marks coefficients in comments above the MAPPING entries
    from mesocrystal.model import conditions

    found = {c["name"]: c for c in report.calibrated_coefficients(conditions)}
    for name, value in conditions.MAPPING.items():
        if name in found:
            assert found[name]["value"] == value
    assert "hansen_alpha" not in found


def test_conditions_that_differ_beyond_the_four_fields_stay_apart():
    """Sensitivity runs (coefficient overrides) of one microenvironment are separate conditions,
    each named by its variant."""

    def row(seed, label, coefficients=None):
        sp = {"solvent": "toluene", "temperature_C": 45.0, "seed": seed}
        if coefficients:
            sp["coefficients"] = coefficients
        plain = {k: v for k, v in sp.items() if k != "seed"}
        return {
            "id": f"{seed}{label}{coefficients}",
            "seed": seed,
            "condition": report.condition_of(sp),
            "statepoint": plain,
            "label": label,
            "mesocrystal_size_nm": None,
            "mesocrystal_extents_nm": None,
            "mesocrystal_shape": None,
            "percolating": False,
            "crystallite_size_nm": None,
            "roughness_nm": None,
            "roughness_reliable": None,
            "time_to_half_conversion": {"tau": None, "days": None, "source": None},
            "time_to_first_crystal_tau": None,
            "time_to_first_crystal_days": None,
            "pictures": {},
        }

    rows = [
        row(0, "crystalline"),
        row(1, "crystalline"),
        row(0, "rcp", {"epsilon_ligand": 0.34}),
        row(0, "dispersed", {"epsilon_ligand": 0.18}),
    ]
    out = report.combine(rows)
    assert len(out) == 3
    variants = sorted(json.dumps(c["variant"], sort_keys=True) for c in out)
    assert variants == sorted(
        [
            json.dumps({"coefficients": None}),
            json.dumps({"coefficients": {"epsilon_ligand": 0.34}}),
            json.dumps({"coefficients": {"epsilon_ligand": 0.18}}),
        ]
    )
    base = next(c for c in out if c["variant"] == {"coefficients": None})
    assert base["labels"] == {"crystalline": 2} and base["replicas"] == 2
    assert "epsilon_ligand 0.34" in report.condition_title(
        next(c for c in out if c["labels"] == {"rcp": 1})
    )
