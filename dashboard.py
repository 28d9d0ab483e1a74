"""Browse a study in the web browser (signac-dashboard).

Usage, in the project directory::

    python dashboard.py run                              # http://127.0.0.1:8888
    python dashboard.py run --host 127.0.0.1 --port 8890

The server listens on 127.0.0.1 (this machine only) unless ``--host`` says otherwise, and prints
the login address with its access token. ``MESOCRYSTAL_DASHBOARD_TOKEN`` fixes the token (e.g.
for a bookmark); otherwise a new random one is made at every start. From a cluster login node,
reach it through an SSH tunnel (``docs/dashboard.md``).

Pages show, per job, the structure label and why it was given, the final structure and the
largest aggregate, the order parameters, energies and g(r) against time, the state point and the
workflow status; the project page shows the phase diagram. The pictures are made by the
workflow (``python project.py run -o render plot phase_diagram``), never by the web server.
"""

from __future__ import annotations

import functools
import os
import secrets

from flask import request, session
from signac_dashboard import Dashboard
from signac_dashboard.modules import DocumentList, FlowStatus, ImageViewer, StatepointList

from mesocrystal import products
from mesocrystal.visualize.cards import ClassificationCard, PhaseDiagramTable, label_text
from mesocrystal.visualize.phase_diagram import REPLICA_KEYS, varying_keys

#: Environment variable that fixes the access token.
TOKEN_ENV = "MESOCRYSTAL_DASHBOARD_TOKEN"

#: Settings of the server (see ``signac_dashboard.Dashboard``).
DEFAULT_CONFIG = {
    "HOST": "127.0.0.1",
    "PORT": 8888,
    "PER_PAGE": 24,
    "CARDS_PER_ROW": 2,
}


class MesocrystalDashboard(Dashboard):
    """signac-dashboard whose job lists show each job's varying state point and its label."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.app.before_request(_remember_next_page)

    @functools.lru_cache  # noqa: B019 (one dashboard per process; cleared by update_cache)
    def _title_keys(self) -> tuple:
        statepoints = [job.cached_statepoint for job in self.project]
        keys = varying_keys(statepoints)
        keys += [k for k in REPLICA_KEYS if len({repr(sp.get(k)) for sp in statepoints}) > 1]
        return tuple(keys)

    def job_title(self, job) -> str:
        """The state-point values that vary in the project, e.g. ``"epsilon_kT=0.1 seed=2"``."""
        sp = job.cached_statepoint
        parts = []
        for key in self._title_keys():
            value = sp.get(key)
            if isinstance(value, float):
                value = f"{value:.6g}"
            parts.append(f"{key}={value}")
        return " ".join(parts) or job.id

    def job_subtitle(self, job) -> str:
        """Short job id and label, e.g. ``"c50cfc76 · crystalline 0.93"``."""
        return f"{super().job_subtitle(job)} · {label_text(job)}"

    def _job_details(self, job) -> dict:
        # Not cached (the base class caches it): a label stored while the server runs shows on
        # the next page load. Only the jobs of one page are read.
        return {"job": job, "title": self.job_title(job), "subtitle": self.job_subtitle(job)}


def _remember_next_page() -> None:
    """``/login?token=...&next=/jobs/<id>`` opens that page after logging in (local paths only)."""
    if request.path != "/login":
        return
    target = request.args.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        session["redirect_url"] = target


def _in_order(names: list[str]) -> dict:
    """ImageViewer arguments showing ``names`` in this order."""
    return {"img_globs": names, "sort_key": lambda path: names.index(os.path.basename(path))}


def modules() -> list:
    """Cards of the job pages and of the project page."""
    return [
        ClassificationCard(),
        ImageViewer(name="Final structure", **_in_order(list(products.RENDER_PRODUCTS))),
        ImageViewer(
            name="Evolution",
            **_in_order([products.TIMESERIES_PNG, products.THERMO_PNG, products.RDF_PNG]),
        ),
        ImageViewer(name="AFM-like height maps", img_globs=[products.AFM_PNG]),
        ImageViewer(name="Stacks coloured by layer", img_globs=[products.STACKS_PNG]),
        StatepointList(),
        FlowStatus(),
        ImageViewer(name="Movie", img_globs=[products.MOVIE_GIF], enabled=False),
        DocumentList(max_chars=160),
        ImageViewer(
            name="Phase diagram",
            context="ProjectContext",
            img_globs=[products.PHASE_DIAGRAM_PNG],
        ),
        PhaseDiagramTable(),
        ImageViewer(
            name="Paper report",
            context="ProjectContext",
            img_globs=[products.REPORT_PNG],
        ),
        DocumentList(context="ProjectContext", max_chars=160),
    ]


def make_dashboard(project=None, config: dict | None = None) -> MesocrystalDashboard:
    """The dashboard of a project.

    Parameters
    ----------
    project : flow.FlowProject, optional
        The project (default: ``project.Project`` of the current directory, so that the workflow
        status can be shown).
    config : dict, optional
        Settings overriding :data:`DEFAULT_CONFIG` (``HOST``, ``PORT``, ``ACCESS_TOKEN``, ...).

    Returns
    -------
    MesocrystalDashboard
        Call ``.main()`` for the command line, or use it as a WSGI application.
    """
    if project is None:
        from project import Project

        project = Project.get_project()
    settings = dict(DEFAULT_CONFIG)
    settings["ACCESS_TOKEN"] = os.environ.get(TOKEN_ENV) or secrets.token_hex(24)
    settings.update(config or {})
    return MesocrystalDashboard(config=settings, project=project, modules=modules())


if __name__ == "__main__":
    make_dashboard().main()
