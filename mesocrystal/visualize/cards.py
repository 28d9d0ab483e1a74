"""signac-dashboard modules of the study: a job's label and why, and the phase-diagram table.

Both read small files only (the job document, ``analysis.json``, ``phase_diagram.json``) so pages
stay fast with hundreds of jobs; pictures are produced beforehand by the workflow operations.
"""

from __future__ import annotations

import math
from typing import Any

from flask import render_template_string, url_for
from signac_dashboard.module import Module

from mesocrystal.products import ANALYSIS_JSON, PHASE_DIAGRAM_JSON

from . import style
from .jobs import job_classification
from .phase_diagram import AXIS_TITLES
from .phase_diagram import load as load_phase_diagram

#: The classifier's tests, in the order they are applied: (margin key, what passing means).
TESTS = (
    ("aggregated", "enough bodies in aggregates (otherwise dispersed)"),
    ("crystalline", "solid-like bond order in the aggregates"),
    ("layered", "density wave (and alignment) in the largest aggregate"),
    ("layer_amplitude", "density-wave amplitude"),
    ("oriented", "nematic alignment of anisotropic bodies"),
    ("dense", "packing fraction above hard-sphere freezing"),
)

#: Descriptors shown on the job page: (key, name, format).
DESCRIPTORS = (
    ("aggregated_fraction", "bodies in aggregates", "{:.0%}"),
    ("largest_cluster_fraction", "bodies in the largest aggregate", "{:.0%}"),
    ("n_aggregates", "aggregates", "{:d}"),
    ("mean_coordination", "mean contacts (aggregated bodies)", "{:.1f}"),
    ("solid_fraction", "solid-like fraction", "{:.2f}"),
    ("largest_solid_cluster", "largest solid-like cluster (bodies)", "{:d}"),
    ("q6", "⟨q6⟩ Steinhardt", "{:.3f}"),
    ("q6_avg", "⟨q̄6⟩ Lechner–Dellago", "{:.3f}"),
    ("nematic_order", "nematic order S", "{:.2f}"),
    ("layer_amplitude", "layer amplitude τ", "{:.2f}"),
    ("layer_spacing", "layer spacing (nm)", "{:.2f}"),
    ("packing_fraction", "packing fraction of the aggregates", "{:.3f}"),
)

_BADGE = (
    '<span class="tag is-medium" style="background:{{ colour }};color:{{ ink }};'
    'border:1px solid #555">{{ label }}</span>'
)

_JOB_TEMPLATE = (
    """
{% if c is none %}
<p><span class="tag is-medium">not labelled yet</span></p>
<p class="is-size-7">The label appears once the trajectory has been analysed
(<code>"""
    + ANALYSIS_JSON
    + """</code>) or classified (<code>job.doc["classification"]</code>).</p>
{% else %}
<p>"""
    + _BADGE
    + """
{% if c.confidence is not none %}
&nbsp; confidence <strong>{{ "%.2f" | format(c.confidence) }}</strong>
{% endif %}
{% if c.alternative %}&nbsp; runner-up: {{ c.alternative }}{% endif %}</p>
<p class="is-size-7">from {{ c.source }}
{%- if first %}; first seen at step {{ first }}{% endif %}</p>
{% if tests %}
<table class="table is-narrow is-fullwidth is-size-7">
<thead><tr><th>test</th><th>margin</th><th></th></tr></thead>
<tbody>
{% for name, meaning, margin in tests %}
<tr><td title="{{ meaning }}">{{ name }}<br><span class="has-text-grey">{{ meaning }}</span></td>
<td>{{ margin }}</td>
<td>{% if margin == "n/a" %}{% elif margin.startswith("-") %}&#10007;
{%- else %}&#10003;{% endif %}</td></tr>
{% endfor %}
</tbody></table>
<p class="is-size-7 has-text-grey">Margin: distance from the threshold relative to the reference
structure (+1 as clear as the reference, 0 on the threshold, negative: test failed).</p>
{% endif %}
{% endif %}
{% if descriptors %}
<table class="table is-narrow is-fullwidth is-size-7">
<thead><tr><th>descriptor (final frame)</th><th>value</th></tr></thead>
<tbody>{% for name, value in descriptors %}
<tr><td>{{ name }}</td><td>{{ value }}</td></tr>
{% endfor %}</tbody>
</table>
{% endif %}
{% if pair %}
<p class="is-size-7"><strong>pair prediction:</strong> {{ pair }}</p>
{% endif %}
"""
)

_TABLE_TEMPLATE = """
{% if data is none %}
<p>No phase diagram yet: <code>python project.py run -o phase_diagram</code> draws it once jobs
have labels.</p>
{% else %}
<p class="is-size-7">{{ data.n_jobs }} jobs, {{ rows | length }} conditions{% if truncated %}
(first {{ rows | length }} shown){% endif %}. Replicas: labels of the seeds of a condition.</p>
<table class="table is-narrow is-fullwidth is-size-7">
<thead><tr>{% for h in header %}<th>{{ h }}</th>{% endfor %}<th>majority</th><th>replicas</th>
<th>confidence</th><th>jobs</th></tr></thead>
<tbody>
{% for row in rows %}
<tr>{% for v in row.cells %}<td>{{ v }}</td>{% endfor %}
<td>{% if row.label %}
<span class="tag" style="background:{{ row.colour }};color:{{ row.ink }}">{{ row.label }}</span>
{% else %}pending{% endif %}</td>
<td>{{ row.replicas }}</td><td>{{ row.confidence }}</td>
<td>{% for id in row.jobs %}
<a href="{{ url_for('show_job', jobid=id) }}">{{ id[:8] }}</a>
{% endfor %}</td></tr>
{% endfor %}
</tbody></table>
{% endif %}
"""


def ink(colour: str) -> str:
    """Black or white, whichever reads better on ``colour``."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def _number(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def label_text(job) -> str:
    """``"crystalline 0.93"``, or ``"not labelled yet"`` (for job lists)."""
    c = job_classification(job)
    if c is None:
        return "not labelled yet"
    conf = c.get("confidence")
    return c["label"] + (f" {float(conf):.2f}" if conf is not None else "")


class ClassificationCard(Module):
    """The job's structure label, its confidence, the classifier's tests and key descriptors.

    The label is read with :func:`mesocrystal.visualize.jobs.job_classification` (the job document's
    ``classification``, or ``analysis.json`` before it is stored); the pair-thermodynamics
    prediction from ``job.doc["model"]["pair"]``.
    """

    _supported_contexts = {"JobContext"}

    def __init__(self, name: str = "Structure label", context: str = "JobContext", **kwargs):
        super().__init__(name=name, context=context, template="", **kwargs)

    def get_cards(self, job) -> list[dict[str, str]]:
        """One card for ``job``."""
        c = job_classification(job, details=True)
        tests, descriptors, first = [], [], None
        if c is not None:
            margins = c.get("margins") or {}
            for key, meaning in TESTS:
                if key in margins:
                    m = margins[key]
                    tests.append((key, meaning, "n/a" if m is None else f"{float(m):+.2f}"))
            values = c.get("descriptors") or {}
            for key, text, fmt in DESCRIPTORS:
                if key in values:
                    descriptors.append((text, _number(values[key], fmt)))
            seen = (c.get("first_occurrence") or {}).get(c["label"])
            first = f"{seen['step']:,}" if isinstance(seen, dict) and "step" in seen else None
        pair = (job.doc.get("model") or {}).get("pair") or {}
        pair_text = None
        if pair:
            pair_text = (
                f"{pair.get('regime', '?')} (face contact "
                f"{_number(pair.get('face_contact_kT'), '{:.2f}')} kT, "
                f"B2* = {_number(pair.get('B2_star'), '{:.3g}')})"
            )
        colour = style.label_color(c["label"]) if c else style.UNLABELLED_COLOR
        content = render_template_string(
            _JOB_TEMPLATE,
            c=c,
            label=c["label"] if c else None,
            colour=colour,
            ink=ink(colour),
            tests=tests,
            descriptors=descriptors,
            first=first,
            pair=pair_text,
        )
        return [{"name": self.name, "content": content}]


class PhaseDiagramTable(Module):
    """Table of ``phase_diagram.json``: each condition, its majority label and links to its jobs."""

    _supported_contexts = {"ProjectContext"}

    def __init__(
        self,
        name: str = "Phase diagram data",
        context: str = "ProjectContext",
        max_rows: int = 500,
        **kwargs,
    ):
        super().__init__(name=name, context=context, template="", **kwargs)
        self.max_rows = max_rows

    def get_cards(self, project) -> list[dict[str, str]]:
        """One card for the project."""
        data = load_phase_diagram(project.fn(PHASE_DIAGRAM_JSON))
        rows, header = [], []
        if data is not None:
            axes = data.get("axes", {})
            keys = [k for k in (axes.get("x"), axes.get("y")) if k] + list(axes.get("facets", []))
            header = [AXIS_TITLES.get(k, k) for k in keys]
            for p in data.get("points", [])[: self.max_rows]:
                values = [p["condition"].get(k) for k in keys]
                label = p.get("majority")
                colour = style.label_color(label)
                replicas = ", ".join(f"{n} {lab}" for lab, n in p.get("counts", {}).items())
                if p.get("pending"):
                    replicas += (", " if replicas else "") + f"{p['pending']} pending"
                rows.append(
                    {
                        "cells": ["—" if v is None else v for v in values],
                        "label": label,
                        "colour": colour,
                        "ink": ink(colour),
                        "replicas": replicas,
                        "confidence": _number(p.get("mean_confidence"), "{:.2f}"),
                        "jobs": p.get("jobs", []),
                    }
                )
        content = render_template_string(
            _TABLE_TEMPLATE,
            data=data,
            rows=rows,
            header=header,
            truncated=data is not None and len(data.get("points", [])) > self.max_rows,
            url_for=url_for,
        )
        return [{"name": self.name, "content": content}]
