"""Pictures and plots of nanocrystal assemblies, for the dashboard and for papers.

Engine-agnostic: everything is read from HOOMD-schema GSD files (``docs/gsd_schema.md``), the
JSON written by :func:`mesocrystal.analysis.analyze_trajectory` and the signac job documents.

Modules
-------
render
    The final frame as the real body shapes in their orientations (whole box coloured by
    aggregate; close-up of the largest aggregate coloured by local order): the figure layout.
scene, camera
    What a picture shows (bodies, aggregates, colours) and how it is drawn (view, shading).
movie
    A GIF movie of the trajectory.
plots
    Order parameters and aggregation against time, energy and temperature against time, g(r).
phase_diagram
    Labels of all jobs over the two swept state-point variables, replicas combined.
paper_report
    Every condition of the paper's study beside the paper's values (``paper_report.json``,
    ``.md``, ``.png``) and the per-job measures behind it (``morphology.json``).
afm
    AFM-like height maps of the largest aggregate (``afm.png``).
jobs
    One call per workflow operation (up-to-date checks, the job's label); the file names are
    in :mod:`mesocrystal.products`.
cards
    signac-dashboard modules (imported by ``dashboard.py`` only).
meshes, style
    Polygon meshes of ``particles/type_shapes``; colours shared by all pictures.
examples
    Known configurations (FCC crystallite, platelet stacks, gas) written in the GSD schema.

The job's label is read from ``job.doc["classification"]``
(:data:`mesocrystal.products.CLASSIFICATION_KEY`).
"""

from .jobs import job_classification

__all__ = ["job_classification"]
