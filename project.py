"""signac-flow project: simulate and classify the self-assembly of nanocrystals.

Operations are thin calls into :mod:`mesocrystal.workflow`; every condition reads a product
on disk. Typical use::

    python init.py                 # create the default study
    python project.py run          # run every eligible operation here
    python project.py status -d    # show progress and labels
    python project.py submit       # submit to the cluster's scheduler
"""

from flow import FlowProject

from mesocrystal import workflow


class Project(FlowProject):
    """The nanocrystal self-assembly study."""


@Project.label
def initialized(job):
    return workflow.initialized(job)


@Project.label
def simulated(job):
    return workflow.simulated(job)


@Project.label
def progress(job):
    return workflow.progress_label(job)


@Project.post(workflow.initialized)
@Project.operation(directives={"np": 1, "walltime": 0.5})
def initialize(job):
    """Build the model, record the pair report (contact energy, B2*) and write init.gsd."""
    workflow.initialize(job)


@Project.pre.after(initialize)
@Project.post(workflow.simulated)
@Project.operation(directives={"np": 1, "ngpu": 0, "walltime": 24})
def assemble(job):
    """Randomise, then run the assembly; resumes from restart.gsd after an interruption."""
    workflow.assemble(job)


if __name__ == "__main__":
    Project().main()
