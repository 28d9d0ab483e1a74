"""The dashboard in a real browser, the picture operations, and pages of a large project.

A small study with known structures (FCC crystallites and dilute gases of spheres, two seeds
each) is written in the project's GSD schema, analysed with
``mesocrystal.analysis.analyze_trajectory`` and labelled in the job document; ``project.py run``
then draws its pictures and phase diagram, and ``dashboard.py`` serves it to headless Chromium.
"""

from __future__ import annotations

import html
import http.cookiejar
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, run_script

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
TOKEN = "dashboard-test-token"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JOB_PICTURES = ("structure.png", "aggregate.png", "timeseries.png", "thermo.png", "rdf.png")

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian: apt-get install chromium chromium-driver; "
    ".ci/run installs it)",
)


# -- a finished study -------------------------------------------------------------------------
def _write_job(project, statepoint: dict, crystal: bool, seed: int):
    """A finished job: init.gsd and model (initialize), trajectory, checkpoint and its label."""
    from mesocrystal import analysis, workflow
    from mesocrystal.model.parameters import normalize
    from mesocrystal.visualize import examples

    job = project.open_job(normalize({**statepoint, "seed": seed})).init()
    workflow.initialize(job)
    box = float(job.doc["model"]["box_length_nm"])
    n = int(job.sp["N"])
    rng = np.random.default_rng(seed)
    if crystal:
        final = examples.fcc_cluster(3, spacing=4.3) + rng.normal(scale=0.08, size=(n, 3))
    else:
        final = examples.random_gas(n, box, 6.0, seed=seed)
    total = int(job.sp["randomize_steps"]) + int(job.sp["steps"])
    frames = examples.assembly_trajectory(
        final, box, examples.SPHERE_SHAPE, frames=6, steps_per_frame=total // 5, seed=seed
    )
    examples.write_trajectory(frames, job.fn("trajectory.gsd"))
    examples.write_trajectory(frames[-1:], job.fn("restart.gsd"))
    result = analysis.analyze_trajectory(
        job.fn("trajectory.gsd"), job.fn("analysis.json"), stride=1
    )
    job.doc["classification"] = {"label": result["label"], "confidence": result["confidence"]}
    return job


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Project directory with four finished, labelled jobs and their pictures."""
    import signac

    root = tmp_path_factory.mktemp("study")
    for name in ("project.py", "init.py", "dashboard.py"):
        shutil.copy(REPO / name, root / name)
    project = signac.init_project(root)
    base = {"shape": "sphere", "N": 108, "steps": 400, "randomize_steps": 100}
    jobs = {}
    for eps, crystal in ((0.3, True), (0.02, False)):
        for seed in (0, 1):
            jobs[(eps, seed)] = _write_job(project, {**base, "epsilon_kT": eps}, crystal, seed)
    proc = run_script(root, "project.py", "run", "-o", "render", "plot", "phase_diagram")
    return {"root": root, "project": project, "jobs": jobs, "run": proc}


@pytest.mark.slow
def test_operations_draw_every_picture_once(study):
    root, jobs = study["root"], study["jobs"]
    labels = {key: job.doc["classification"]["label"] for key, job in jobs.items()}
    assert labels == {
        (0.3, 0): "crystalline",
        (0.3, 1): "crystalline",
        (0.02, 0): "dispersed",
        (0.02, 1): "dispersed",
    }
    stamps = {}
    for job in jobs.values():
        for name in JOB_PICTURES:
            data = Path(job.fn(name)).read_bytes()
            assert data.startswith(PNG_MAGIC) and len(data) > 5000, (job.id, name)
            stamps[job.fn(name)] = os.stat(job.fn(name)).st_mtime_ns
    data = json.loads((root / "phase_diagram.json").read_text())
    assert (root / "phase_diagram.png").read_bytes().startswith(PNG_MAGIC)
    assert data["axes"]["x"] == "epsilon_kT" and data["n_jobs"] == 4
    assert {p["x"]: p["majority"] for p in data["points"]} == {
        0.3: "crystalline",
        0.02: "dispersed",
    }
    assert all(p["agreement"] == 1.0 for p in data["points"])

    # products are cached: nothing is eligible, nothing is redrawn
    run_script(root, "project.py", "run", "-o", "render", "plot", "phase_diagram")
    for path, stamp in stamps.items():
        assert os.stat(path).st_mtime_ns == stamp
    # a changed label makes the phase diagram stale, and only it is redrawn
    job = jobs[(0.02, 1)]
    job.doc["classification"] = {"label": "rcp", "confidence": 0.3}
    run_script(root, "project.py", "run", "-o", "render", "plot", "phase_diagram")
    data = json.loads((root / "phase_diagram.json").read_text())
    weak = next(p for p in data["points"] if p["x"] == 0.02)
    assert weak["counts"] == {"rcp": 1, "dispersed": 1}
    job.doc["classification"] = {"label": "dispersed", "confidence": 1.0}
    run_script(root, "project.py", "run", "-o", "phase_diagram")
    for path, stamp in stamps.items():
        assert os.stat(path).st_mtime_ns == stamp


# -- the server and the browser ----------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(study):
    """``python dashboard.py run`` on a free local port; yields its base URL."""
    port = _free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["MESOCRYSTAL_DASHBOARD_TOKEN"] = TOKEN
    log = open(study["root"] / "dashboard.log", "w")  # closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "dashboard.py", "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=study["root"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2).close()
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise AssertionError(
                    "dashboard did not start:\n" + (study["root"] / "dashboard.log").read_text()
                ) from None
            time.sleep(0.3)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def _chromium(url: str, screenshot: Path, profile: Path) -> str:
    """DOM of ``url`` after loading in headless Chromium; writes a screenshot."""
    profile.mkdir(parents=True, exist_ok=False)
    args = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1400,2200",
        f"--screenshot={screenshot}",
        "--dump-dom",
        url,
    ]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _opener(base: str, login: bool = True) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    if login:
        opener.open(f"{base}/login?token={TOKEN}", timeout=30).close()
    return opener


def _img_sources(dom: str) -> list[str]:
    return [html.unescape(s) for s in re.findall(r'<img[^>]*\ssrc="([^"]+)"', dom)]


def _assert_png(opener, url: str) -> int:
    with opener.open(url, timeout=30) as response:
        assert response.status == 200, url
        assert response.headers.get_content_type() == "image/png", url
        body = response.read()
    assert body.startswith(PNG_MAGIC) and len(body) > 1000, url
    return len(body)


def _assert_screenshot(path: Path) -> None:
    from PIL import Image

    assert path.read_bytes().startswith(PNG_MAGIC)
    pixels = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert pixels.shape[0] > 500 and pixels.std() > 10


@pytest.mark.slow
@needs_chromium
def test_job_list_shows_state_points_and_labels(study, server, tmp_path):
    shot = tmp_path / "jobs.png"
    dom = _chromium(f"{server}/login?token={TOKEN}&next=/jobs/", shot, tmp_path / "profile")
    _assert_screenshot(shot)
    text = html.unescape(dom)
    for (eps, seed), job in study["jobs"].items():
        entry = re.search(rf"<a href=\"/jobs/{job.id}\">([^<]*)</a>", text)
        assert entry, f"job {job.id} is not listed"
        assert f"epsilon_kT={eps}" in entry.group(1) and f"seed={seed}" in entry.group(1)
        assert job.doc["classification"]["label"] in entry.group(1)


@pytest.mark.slow
@needs_chromium
def test_job_page_shows_label_state_point_and_pictures(study, server, tmp_path):
    job = study["jobs"][(0.3, 0)]
    shot = tmp_path / "job.png"
    dom = _chromium(f"{server}/login?token={TOKEN}&next=/jobs/{job.id}", shot, tmp_path / "p")
    _assert_screenshot(shot)
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    assert "Structure label" in text and "crystalline" in text
    assert re.search(r"epsilon_kT:\s*0\.3\b", text) and re.search(r"N:\s*108\b", text)
    assert "solid-like fraction" in text
    sources = _img_sources(dom)
    for name in JOB_PICTURES:
        assert any(s.endswith(f"/jobs/{job.id}/file/{name}") for s in sources), name
    opener = _opener(server)
    for src in set(sources):
        _assert_png(opener, server + src)
    # pictures are not served without logging in
    anonymous = _opener(server, login=False)
    with pytest.raises(urllib.error.HTTPError) as refused:
        anonymous.open(server + sources[0], timeout=30)
    assert refused.value.code == 401


@pytest.mark.slow
@needs_chromium
def test_project_page_shows_the_phase_diagram(study, server, tmp_path):
    shot = tmp_path / "project.png"
    dom = _chromium(f"{server}/login?token={TOKEN}&next=/project/", shot, tmp_path / "p")
    _assert_screenshot(shot)
    sources = _img_sources(dom)
    assert "/project/file/phase_diagram.png" in sources
    _assert_png(_opener(server), server + "/project/file/phase_diagram.png")
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    assert "Phase diagram data" in text and "2 crystalline" in text
    for job in study["jobs"].values():
        assert f'href="/jobs/{job.id}"' in dom


@pytest.mark.slow
@needs_chromium
def test_browser_decodes_every_picture(study, server, tmp_path):
    """Each img element of a job page and the project page is loaded by the browser."""
    if CHROMEDRIVER is None:
        pytest.skip("chromedriver is not installed (Debian: apt-get install chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'selenium-profile'}",
        "--window-size=1400,2200",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        job = study["jobs"][(0.02, 0)]
        driver.get(f"{server}/login?token={TOKEN}&next=/jobs/{job.id}")
        checked = 0
        for page in (f"/jobs/{job.id}", "/project/"):
            if not driver.current_url.endswith(page):
                driver.get(server + page)
            if page.startswith("/jobs/"):
                assert "dispersed" in driver.page_source
            images = driver.find_elements("tag name", "img")
            assert images, page
            for img in images:
                deadline = time.monotonic() + 20
                while not driver.execute_script("return arguments[0].complete", img):
                    if time.monotonic() > deadline:  # a deadline for waiting, not a speed check
                        pytest.fail(f"image never loaded: {img.get_attribute('src')}")
                    time.sleep(0.1)
                width = driver.execute_script("return arguments[0].naturalWidth", img)
                assert width > 0, img.get_attribute("src")
                checked += 1
        driver.save_screenshot(str(tmp_path / "selenium-job.png"))
        assert checked >= len(JOB_PICTURES) + 1
    finally:
        driver.quit()


# -- many jobs ---------------------------------------------------------------------------------
def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pages_stay_fast_with_hundreds_of_jobs(tmp_path):
    import signac

    project_module = _load("project", REPO / "project.py")
    dashboard_module = _load("mesocrystal_dashboard", REPO / "dashboard.py")
    signac.init_project(tmp_path)
    project = project_module.Project.get_project(tmp_path)
    labels = ("crystalline", "layered", "rcp", "dispersed")
    for k in range(300):
        sp = {"shape": "sphere", "epsilon_kT": 0.01 * (1 + k % 30), "seed": k // 30}
        job = project.open_job(sp).init()
        if k % 3:
            job.doc["classification"] = {"label": labels[k % 4], "confidence": 0.5}
        else:
            unlabelled = job
    dash = dashboard_module.make_dashboard(project=project, config={"ACCESS_TOKEN": TOKEN})
    client = dash.app.test_client()
    assert client.get("/jobs/").status_code == 401
    client.get(f"/login?token={TOKEN}")
    timings = {}
    for page in ("/jobs/", "/jobs/?view=grid&page=5", "/project/", f"/jobs/{unlabelled.id}"):
        start = time.perf_counter()
        response = client.get(page)
        timings[page] = time.perf_counter() - start
        assert response.status_code == 200, page
    body = response.get_data(as_text=True)
    assert "seed=9" in html.unescape(body) and "not labelled yet" in body
    listing = html.unescape(client.get("/jobs/?page=2").get_data(as_text=True))
    assert len(re.findall(r'<a href="/jobs/[0-9a-f]{32}">', listing)) == 24
    assert any(label in listing for label in labels)
    assert max(timings.values()) < 5.0, timings


def test_login_redirects_only_to_local_pages(tmp_path):
    import signac

    project_module = _load("project", REPO / "project.py")
    dashboard_module = _load("mesocrystal_dashboard", REPO / "dashboard.py")
    signac.init_project(tmp_path)
    project = project_module.Project.get_project(tmp_path)
    dash = dashboard_module.make_dashboard(project=project, config={"ACCESS_TOKEN": TOKEN})
    for target, expected in (("/jobs/", "/jobs/"), ("//evil.example/x", "/"), ("http://x", "/")):
        client = dash.app.test_client()
        response = client.get("/login", query_string={"token": TOKEN, "next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == expected
    assert dash.config["HOST"] == "127.0.0.1"
