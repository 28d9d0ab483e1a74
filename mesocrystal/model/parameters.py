"""State-point schema: every field, its unit, default and allowed range, validated in one place.

A state point names either the **microenvironment** (``solvent``, ``temperature_C``,
``concentration``), which :mod:`mesocrystal.model.conditions` maps to model parameters, or
the **model parameters directly** (``epsilon_kT``, ``packing_fraction``, ``polydispersity``,
``damping_time``). Geometry and run-length fields (``shape``, ``N``, ``steps``, ``seed``, ...)
are shared by both kinds.

:func:`validate` checks everything before anything is written and raises
:class:`StatePointError` naming the field and its allowed range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mesocrystal.model import conditions
from mesocrystal.model.population import (
    MAX_INSERTION_PACKING,
    max_packing_fraction,
    size_classes,
)

SHAPES = ("sphere", "platelet", "cuboid")
STAGES = ("nanoparticles", "platelets")
#: Shape each stage is made of.
STAGE_SHAPE = {"nanoparticles": "sphere", "platelets": "platelet"}


class StatePointError(ValueError):
    """A state-point field is missing, unknown, of the wrong type or out of range."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        super().__init__(f"state point field '{field_name}': {message}")


@dataclass(frozen=True)
class Field:
    """Schema entry of one state-point field."""

    kind: type | tuple
    default: Any
    unit: str
    doc: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple = ()


#: Fields shared by both kinds of state point.
COMMON: dict[str, Field] = {
    "shape": Field(str, "sphere", "", "body shape", choices=SHAPES),
    "N": Field(int, 64, "bodies", "number of nanocrystals", 16, 10_000_000),
    "steps": Field(int, 20_000, "steps", "length of the assembly run", 100, 10**10),
    "seed": Field(int, 0, "", "replica seed (initial state and noise)", 0, 2**31 - 1),
    "patchy": Field(bool, False, "", "only large faces / polar caps attract"),
    "core_diameter_nm": Field(float, 3.5, "nm", "sphere core diameter (mean)", 1.0, 100.0),
    "platelet_width_nm": Field(float, 7.0, "nm", "platelet core width", 1.0, 100.0),
    "aspect_ratio": Field(float, 0.3, "", "platelet thickness / width", 0.05, 1.0),
    "platelet_sides": Field(int, 4, "", "square (4) or hexagonal (6) platelet", choices=(4, 6)),
    "cuboid_edges_nm": Field(list, [6.0, 5.0, 3.0], "nm", "cuboid core edges", 1.0, 100.0),
    "shell_nm": Field(float, 0.75, "nm", "ligand shell thickness (PET)", 0.1, 5.0),
    "site_diameter_nm": Field(float, 1.5, "nm", "interaction-site contact diameter", 0.2, 10.0),
    "site_spacing": Field(float, 0.5, "site diameters", "site spacing", 0.25, 0.8),
    "attraction_range_nm": Field(float, 0.75, "nm", "attraction range", 0.05, 5.0),
    "dt": Field(float, 0.005, "tau", "time step", 1e-4, 0.02),
    "randomize_steps": Field(int, 2_000, "steps", "repulsive randomisation stage", 0, 10**9),
}

#: Fields of a state point that gives the model parameters directly.
DIRECT: dict[str, Field] = {
    "epsilon_kT": Field(float, 0.25, "kT", "attraction of two attractive sites", 0.0, 10.0),
    "packing_fraction": Field(
        float, 0.1, "", "volume fraction of steric envelopes", 0.0, 0.74, low_open=True
    ),
    "polydispersity": Field(float, 0.0, "", "coefficient of variation of core size", 0.0, 0.6),
    "damping_time": Field(float, 1.0, "tau", "Langevin damping time", 0.01, 100.0),
}

#: Fields of the platelet stage only (``"stage": "platelets"``; ``docs/platelets.md``).
PLATELET: dict[str, Field] = {
    "platelet_layers": Field(
        list,
        [4, 2],
        "particles",
        "platelet size: particles per edge and FCC (100) layers",
        2,
        40,
    ),
    "platelet_energy_scale": Field(
        float,
        0.5,
        "",
        "kappa: factor on the attraction of platelet sites (1: the nanoparticle level)",
        0.0,
        1.0,
        low_open=True,
    ),
}
#: Largest number of (100) layers of a platelet.
MAX_PLATELET_LAYERS = 10

#: Fields of a state point that names the reaction microenvironment.
ENVIRONMENT: dict[str, Field] = {
    "solvent": Field(str, None, "", "solvent", choices=tuple(conditions.SOLVENTS)),
    "temperature_C": Field(float, None, "C", "temperature"),
    "concentration": Field(
        float, 1.0, "", "particle concentration relative to the paper", 0.0, 3.5, low_open=True
    ),
    "stage": Field(str, "nanoparticles", "", "assembly stage", choices=STAGES),
    "time_scale_separation": Field(
        float,
        200.0,
        "diffusion times per 100 days",
        "S: 100 days of reaction last S product diffusion times in the run (divided by the "
        "relative concentration)",
        1.0,
        1e5,
    ),
    "exchange_rate": Field(
        float,
        0.0,
        "attempts per product per tau",
        "size-class swap moves between product particles (0: none; docs/mechanism.md)",
        0.0,
        100.0,
    ),
    "coefficients": Field(dict, {}, "", "overrides of calibrated mapping coefficients"),
}


@dataclass(frozen=True)
class ModelParameters:
    """Validated, fully resolved parameters of one state point (model units)."""

    shape: str
    N: int
    steps: int
    seed: int
    patchy: bool
    core_dimensions_nm: tuple[float, ...]
    platelet_sides: int
    shell_nm: float
    site_diameter_nm: float
    site_spacing_nm: float
    attraction_range_nm: float
    dt: float
    randomize_steps: int
    epsilon_kT: float
    packing_fraction: float
    polydispersity: float
    damping_time: float
    kT: float = 1.0
    environment: dict | None = field(default=None)
    #: One particle per body with a tabulated pair potential (isotropic spheres).
    single_particle: bool = False
    #: Reaction on the simulation clock (``conditions.ReactionKinetics`` as a dict), or None.
    reaction: dict | None = field(default=None)
    #: Bodies at the reference concentration; the box volume is set by it (``N`` is the
    #: number actually simulated, ``concentration`` times this).
    N_reference: int | None = None
    #: Platelet stage: ``{"layers": [n_lateral, n_layers], "energy_scale": kappa}``; then
    #: ``packing_fraction`` is the volume fraction of the particles the platelets are made of.
    platelet: dict | None = None
    #: Size-class swap attempts per product particle per tau (reaction models only).
    exchange_rate: float = 0.0

    def to_dict(self) -> dict:
        """JSON-serialisable form (for the job document)."""
        return asdict(self)


def _check(name: str, spec: Field, value: Any) -> Any:
    if spec.kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise StatePointError(name, f"must be a number ({spec.doc}), got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise StatePointError(name, f"must be finite, got {value!r}")
    elif spec.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise StatePointError(name, f"must be an integer ({spec.doc}), got {value!r}")
    elif spec.kind is bool:
        if not isinstance(value, bool):
            raise StatePointError(name, f"must be true or false, got {value!r}")
    elif spec.kind is str:
        if not isinstance(value, str):
            raise StatePointError(name, f"must be a string, got {value!r}")
    elif spec.kind is dict:
        if not isinstance(value, Mapping):
            raise StatePointError(name, f"must be a mapping ({spec.doc}), got {value!r}")
        value = dict(value)
        for key, v in value.items():
            if key not in conditions.CALIBRATED:
                allowed = ", ".join(conditions.CALIBRATED)
                raise StatePointError(
                    f"{name}.{key}", f"is not a calibrated coefficient; allowed: {allowed}"
                )
            lo, hi, what = conditions.CALIBRATED[key]
            value[key] = _check(f"{name}.{key}", Field(float, None, "", what, lo, hi), v)
        return value
    elif spec.kind is list and name == "platelet_layers":
        return _check_layers(name, spec, value)
    elif spec.kind is list:
        if not isinstance(value, (list, tuple)) or len(value) != 3:
            raise StatePointError(name, f"must be a list of 3 edge lengths in nm, got {value!r}")
        return [
            _check(name, Field(float, None, spec.unit, spec.doc, spec.low, spec.high), v)
            for v in value
        ]
    if spec.choices and value not in spec.choices:
        allowed = ", ".join(repr(c) for c in spec.choices)
        raise StatePointError(name, f"{value!r} is not allowed; choose one of {allowed}")
    if spec.low is not None or spec.high is not None:
        lo_ok = spec.low is None or (value > spec.low if spec.low_open else value >= spec.low)
        hi_ok = spec.high is None or value <= spec.high
        if not (lo_ok and hi_ok):
            bracket = "(" if spec.low_open else "["
            unit = f" {spec.unit}" if spec.unit else ""
            raise StatePointError(
                name,
                f"{value!r} is out of range; allowed {bracket}{spec.low}, {spec.high}]{unit} "
                f"({spec.doc})",
            )
    return value


def _check_layers(name: str, spec: Field, value: Any) -> list[int]:
    """``[n_lateral, n_layers]`` of a platelet, both integers in range."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise StatePointError(
            name, f"must be [particles per edge, layers] (two integers), got {value!r}"
        )
    per_edge = Field(int, None, "", "particles per edge", spec.low, spec.high)
    lateral = _check(name, per_edge, value[0])
    layers = _check(name, Field(int, None, "", "(100) layers", 1, MAX_PLATELET_LAYERS), value[1])
    return [lateral, layers]


def is_environment(statepoint: Mapping) -> bool:
    """Whether a state point names a microenvironment (has a ``solvent`` field)."""
    return "solvent" in statepoint


def normalize(statepoint: Mapping) -> dict:
    """Validate a state point and fill in defaults; this is what init.py stores.

    Parameters
    ----------
    statepoint : Mapping
        User-given fields.

    Returns
    -------
    dict
        The complete state point (every field of its kind, validated).

    Raises
    ------
    StatePointError
        Naming the offending field and what is allowed.
    """
    if not isinstance(statepoint, Mapping):
        raise StatePointError("<state point>", f"must be a mapping, got {type(statepoint)}")
    own = ENVIRONMENT if is_environment(statepoint) else DIRECT
    other = DIRECT if own is ENVIRONMENT else ENVIRONMENT
    schema = {**COMMON, **own}
    if own is ENVIRONMENT and statepoint.get("stage") == "platelets":
        schema.update(PLATELET)
    for name in statepoint:
        if name in PLATELET and name not in schema:
            raise StatePointError(name, 'belongs to the platelet stage only ("stage": "platelets")')
        if name in other:
            kind = "microenvironment" if own is ENVIRONMENT else "direct-parameter"
            raise StatePointError(
                name,
                f"cannot be combined with a {kind} state point; give either solvent/"
                "temperature_C/concentration or epsilon_kT/packing_fraction/polydispersity/"
                "damping_time",
            )
        if name not in schema:
            raise StatePointError(name, f"unknown field; allowed fields: {', '.join(schema)}")
    out = {}
    for name, spec in schema.items():
        if name in statepoint:
            out[name] = _check(name, spec, statepoint[name])
        elif spec.default is None:
            raise StatePointError(name, f"is required ({spec.doc})")
        else:
            out[name] = spec.default
    if own is ENVIRONMENT:
        solvent = conditions.SOLVENTS[out["solvent"]]
        t = out["temperature_C"]
        if not solvent.melting_C < t < solvent.boiling_C:
            raise StatePointError(
                "temperature_C",
                f"{t} C is outside the liquid range of {out['solvent']}: allowed "
                f"({solvent.melting_C}, {solvent.boiling_C}) C",
            )
        shape = STAGE_SHAPE[out["stage"]]
        if out["shape"] != shape:
            raise StatePointError(
                "shape",
                f"{out['shape']!r} does not match stage {out['stage']!r}, which is made of "
                f"{shape!r} bodies",
            )
    resolve(out)  # cross-field checks (geometry, packing) before anything is written
    return out


def resolve(statepoint: Mapping) -> ModelParameters:
    """Turn a normalized state point into model parameters (applies the mapping).

    Raises
    ------
    StatePointError
        For combinations of fields that no single-field range can catch (sites that do not fit
        the smallest body, a packing fraction the shape cannot reach).
    """
    sp = dict(statepoint)
    env = None
    reaction = None
    n_bodies, n_reference = sp["N"], None
    single = sp["shape"] == "sphere" and not sp["patchy"]
    if is_environment(sp) and sp["stage"] == "platelets":
        return _resolve_platelets(sp)
    if is_environment(sp):
        overrides = sp.get("coefficients") or {}
        m = conditions.map_microenvironment(
            sp["solvent"], sp["temperature_C"], sp["concentration"], sp["shell_nm"], overrides
        )
        env = asdict(m)
        epsilon, phi, cv, damping, kT = (
            m.epsilon_kT,
            m.packing_fraction,
            m.product_effective_cv,
            m.damping_time,
            m.kT,
        )
        core_d = m.product_core_nm[0] if sp["shape"] == "sphere" else None
        if single:
            # Parents convert into products during the run; the box is a fixed volume of the
            # mixture holding ``concentration`` times the reference number of particles.
            n_reference = sp["N"]
            n_bodies = round(sp["N"] * sp["concentration"])
            if n_bodies < COMMON["N"].low:
                raise StatePointError(
                    "concentration",
                    f"N x concentration = {n_bodies} particles; at least {COMMON['N'].low:.0f} "
                    "are needed: raise N or concentration",
                )
            kinetics = conditions.reaction_kinetics(
                sp["solvent"],
                sp["temperature_C"],
                sp["time_scale_separation"],
                core_d + sp["shell_nm"],
                damping,
                overrides,
                concentration=sp["concentration"],
            )
            reaction = asdict(kinetics)
    else:
        epsilon, phi, cv, damping, kT = (
            sp["epsilon_kT"],
            sp["packing_fraction"],
            sp["polydispersity"],
            sp["damping_time"],
            1.0,
        )
        core_d = sp["core_diameter_nm"]
    if sp["shape"] == "sphere":
        dims = (core_d if core_d is not None else sp["core_diameter_nm"],)
    elif sp["shape"] == "platelet":
        dims = (sp["platelet_width_nm"], sp["platelet_width_nm"] * sp["aspect_ratio"])
    else:
        dims = tuple(sorted(sp["cuboid_edges_nm"], reverse=True))
    params = ModelParameters(
        shape=sp["shape"],
        N=n_bodies,
        patchy=sp["patchy"],
        core_dimensions_nm=tuple(float(x) for x in dims),
        **_run_and_site_fields(sp),
        epsilon_kT=float(epsilon),
        packing_fraction=float(phi),
        polydispersity=float(cv),
        damping_time=float(damping),
        kT=float(kT),
        environment=env,
        single_particle=single,
        reaction=reaction,
        N_reference=n_reference,
        # .get: state points written before the field existed mean "no swaps"
        exchange_rate=float(sp.get("exchange_rate", 0.0)) if reaction is not None else 0.0,
    )
    _check_geometry(params)
    return params


def _run_and_site_fields(sp: Mapping) -> dict:
    """The fields of :class:`ModelParameters` copied from any state point: run length and
    seed, interaction-site geometry, time step."""
    return {
        "steps": sp["steps"],
        "seed": sp["seed"],
        "platelet_sides": sp["platelet_sides"],
        "shell_nm": sp["shell_nm"],
        "site_diameter_nm": sp["site_diameter_nm"],
        "site_spacing_nm": sp["site_spacing"] * sp["site_diameter_nm"],
        "attraction_range_nm": sp["attraction_range_nm"],
        "dt": sp["dt"],
        "randomize_steps": sp["randomize_steps"],
    }


def _resolve_platelets(sp: dict) -> ModelParameters:
    """Model parameters of the platelet stage (``docs/platelets.md``).

    The microenvironment sets the nanoparticle pair potential the platelets are built from
    (``epsilon_kT``, ``kT``), the solvent friction and, through the concentration, the volume
    fraction of the product particles the platelets hold
    (:func:`~mesocrystal.model.conditions.product_volume_fraction`).
    """
    overrides = sp.get("coefficients") or {}
    m = conditions.map_microenvironment(
        sp["solvent"], sp["temperature_C"], sp["concentration"], sp["shell_nm"], overrides
    )
    phi = conditions.product_volume_fraction(sp["concentration"], sp["shell_nm"], overrides)
    params = ModelParameters(
        shape="platelet",
        N=sp["N"],
        patchy=False,
        core_dimensions_nm=(float(m.product_core_nm[0]),),
        **_run_and_site_fields(sp),
        epsilon_kT=float(m.epsilon_kT),
        packing_fraction=float(phi),
        polydispersity=0.0,
        damping_time=float(m.damping_time),
        kT=float(m.kT),
        environment=asdict(m),
        platelet={
            "layers": list(sp["platelet_layers"]),
            "energy_scale": float(sp["platelet_energy_scale"]),
        },
    )
    if sp["platelet_sides"] != 4:
        raise StatePointError(
            "platelet_sides",
            "the platelet stage builds square platelets from the (100) facet of the "
            "nanoparticle crystal; use 4",
        )
    n_lateral, n_layers = params.platelet["layers"]
    if n_layers > 1 and n_lateral < 3:
        raise StatePointError(
            "platelet_layers", "slabs of more than one layer need at least 3 particles per edge"
        )
    # Envelope fraction of the platelets (bounded by the particle fraction times the ratio of
    # a platelet's convex envelope to its particles' envelopes, at most 2.5 for n >= 2).
    if 2.5 * phi > MAX_INSERTION_PACKING:
        raise StatePointError(
            "concentration",
            f"the platelets' envelopes would fill up to {2.5 * phi:.3f} of the box, above "
            f"{MAX_INSERTION_PACKING} (random insertion); lower concentration",
        )
    return params


def _check_geometry(p: ModelParameters) -> None:
    scales, _ = size_classes(p.polydispersity, p.N)
    smallest = min(p.core_dimensions_nm) * min(scales)
    inner = smallest + p.shell_nm - p.site_diameter_nm
    if inner < 0.1 * p.site_spacing_nm and p.shape != "sphere":
        raise StatePointError(
            "site_diameter_nm",
            f"{p.site_diameter_nm} nm sites do not fit the thinnest body dimension "
            f"({smallest:.2f} nm core + {p.shell_nm} nm shell); use sites smaller than "
            f"{smallest + p.shell_nm - 0.1 * p.site_spacing_nm:.2f} nm or a thicker shape",
        )
    if p.shape == "sphere" and inner <= 0.0:
        raise StatePointError(
            "site_diameter_nm",
            f"{p.site_diameter_nm} nm sites are larger than the smallest sphere's envelope "
            f"({smallest + p.shell_nm:.2f} nm); lower site_diameter_nm or polydispersity",
        )
    limit = max_packing_fraction(p)
    if p.packing_fraction > limit:
        name = "concentration" if p.environment else "packing_fraction"
        raise StatePointError(
            name,
            f"packing fraction {p.packing_fraction:.3f} is above {limit:.3f}, the most this "
            f"shape reaches (densest packing, capped at {MAX_INSERTION_PACKING} for the random "
            "initial configuration)",
        )
