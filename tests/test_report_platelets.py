"""Report rows of the platelet stage: stacks.json, stacks.png and the stacking entry of
paper_report.json / paper_report.md, on jobs whose final frames are known stacks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rowan
import signac

from mesocrystal.model import platelets
from mesocrystal.visualize import examples
from mesocrystal.visualize import paper_report as report
from mesocrystal.visualize import stacks as vstacks

A = 4.036
SHAPE, _ = platelets.platelet_shape(4, 2, A, 3.5)
SPACING = platelets.stacking_vector(2, A)[2]
WIDTH = 4 * A


def _block_frame(columns: int, layers: int, seed: int):
    """Platelets in registry (``columns`` x ``columns`` side by side, ``layers`` stacked),
    turned by a random rotation, plus four free platelets far away."""
    rng = np.random.default_rng(seed)
    pos = np.array(
        [
            [i * (WIDTH + 0.05), j * (WIDTH + 0.05), k * SPACING]
            for i in range(columns)
            for j in range(columns)
            for k in range(layers)
        ]
    )
    pos -= pos.mean(axis=0)
    q = rowan.normalize(rng.normal(size=4))
    pos = rowan.rotate(q, pos)
    quat = np.tile(q, (len(pos), 1))
    free = rng.uniform(80.0, 150.0, size=(4, 3)) * np.array([1, -1, 1])
    free[:, 0] = np.array([100.0, 140.0, -120.0, -150.0])
    pos = np.vstack([pos, free])
    quat = np.vstack([quat, np.tile([1.0, 0.0, 0.0, 0.0], (4, 1))])
    return examples.make_frame(pos, 400.0, SHAPE.type_shape, quat, step=1000)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("platelets")
    proj = signac.init_project(str(root))
    for seed in (0, 1):
        sp = {
            "solvent": "toluene",
            "temperature_C": 45.0,
            "concentration": 1.0,
            "stage": "platelets",
            "shape": "platelet",
            "seed": seed,
        }
        job = proj.open_job(sp).init()
        examples.write_trajectory([_block_frame(2, 6, seed)], job.fn("trajectory.gsd"))
        job.doc["classification"] = {"label": "layered", "confidence": 0.8}
        report.measure(job)
    return proj


@pytest.mark.slow
def test_platelet_rows(project):
    jobs = list(project)
    for job in jobs:
        assert report.measured(job)
        data = json.loads(open(job.fn(vstacks.STACKS_JSON)).read())
        # 24 of 28 platelets lie in the 2 x 2 x 6 block, all stacked face to face
        assert data["stacked_fraction"] == pytest.approx(24 / 28)
        assert data["stack_sizes"] == {"6": 4, "1": 4}
        largest = data["mesocrystals"][0]
        assert largest["n_layers"] == 6 and largest["registry_fraction"] == 1.0
        assert open(job.fn(vstacks.STACKS_PNG), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    written = report.write(*jobs)
    (entry,) = written["conditions"]
    assert entry["stage"] == "platelets"
    assert entry["labels"] == {"layered": 2}
    assert entry["paper"]["replicas_matching"] == "2/2"
    s = entry["stacking"]
    assert s["replicas"] == 2
    assert s["stacked_fraction"] == pytest.approx(24 / 28) and s["stacked_fraction_error"] == 0
    assert s["n_layers"] == 6 and s["largest_stack"] == 6
    assert s["layer_spacing_nm"] == pytest.approx(SPACING, rel=0.01)
    assert s["shape"] == "cuboid" and s["shapes"] == {"cuboid": 2}
    assert s["roughness_nm"] is not None and s["roughness_nm"] < 0.2
    assert "stacks" in entry["pictures"]
    md = open(project.fn(report.REPORT_MD)).read()
    assert "largest mesocrystal coloured by layer" in md
    assert "| its layers | 6 ± 0 |" in md
