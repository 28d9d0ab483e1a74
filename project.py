"""signac-flow project: simulate and classify the self-assembly of nanocrystals.

Operations are thin calls into :mod:`mesocrystal.workflow`; every condition reads a product
on disk. Typical use::

    python init.py                 # create the default study
    python project.py run          # run every eligible operation here
    python project.py status -d    # show progress and labels
    python project.py submit       # one job script per job: the whole study in one submission

Two groups carry a study through a scheduler in one submission:

* ``study`` (one per job): initialize, assemble, analyze, classify, render, plot and measure,
  in that order, in one job script with the resources of its most demanding member (the simulation:
  its GPU with HOOMD-blue, its MPI ranks, its walltime). Every stage has a postcondition, so
  after a walltime stop the next ``submit`` resumes the job at the first unfinished stage
  (the simulation from its checkpoint).
* ``aggregates`` (all jobs at once): the phase diagram and the paper report, run when every
  job has its label (and, for the report, its measures). The
  job script of each job runs it after its own stages, so the last job of a study to finish
  draws it.

``submit`` submits these two groups unless operations are named with ``-o``.
"""

from flow import aggregator

# mesocrystal.scheduler also registers the compute environment of generic SLURM clusters.
from mesocrystal import scheduler, workflow
from mesocrystal.flow_groups import MemoizedFlowProject
from mesocrystal.status_snapshot import snapshot
from mesocrystal.visualize import jobs as visuals
from mesocrystal.visualize import paper_report as report


class Project(MemoizedFlowProject):
    """The nanocrystal self-assembly study (``status`` and ``submit`` as signac-flow's, faster)."""


study = Project.make_group("study")
aggregates = Project.make_group("aggregates", group_aggregator=aggregator())

#: Directives of a short CPU stage (analysis, pictures).
CPU_STAGE = {"np": 1, "ngpu": 0, "memory": "2G", "walltime": 0.5}

#: Directives of the simulation: one GPU with HOOMD-blue, ``scheduler.simulation_ranks`` MPI
#: ranks (launched with srun/mpiexec when more than one), its own process (``fork``: LAMMPS'
#: bundled voro++ would shadow freud's).
SIMULATION = {
    "np": scheduler.simulation_ranks,
    "nranks": scheduler.simulation_launch_ranks,
    "ngpu": scheduler.simulation_gpus,
    "memory": "2G",
    "fork": True,
}


@Project.label
def initialized(job):
    return workflow.initialized(job)


@Project.label
def simulated(job):
    return workflow.simulated(job)


@Project.label
def progress(job):
    return workflow.progress_label(job)


@Project.label
def structure(job):
    return workflow.structure_label(job)


@study
@Project.post(workflow.initialized)
@Project.operation(directives={"np": 1, "ngpu": 0, "memory": "1G", "walltime": 0.5})
def initialize(job):
    """Build the model, record the pair report (contact energy, B2*) and write init.gsd."""
    workflow.initialize(job)


# The walltime of a group is the sum of its members: 21.4 h here make the study group 24 h.
@study(directives={**SIMULATION, "walltime": 21.4})
@Project.pre.after(initialize)
@Project.post(workflow.simulated)
@Project.operation(directives={**SIMULATION, "walltime": 24})
def assemble(job):
    """Randomise, then run the assembly; resumes from restart.gsd after an interruption."""
    workflow.assemble(job)


@study
@Project.pre(workflow.simulated)
@Project.post(workflow.analyzed)
@Project.operation(directives=CPU_STAGE)
def analyze(job):
    """Descriptors and labels of the final frame and a time series (analysis.json)."""
    workflow.analyze(job)


@study
@Project.pre.after(analyze)
@Project.post(workflow.classified)
@Project.operation(directives={"np": 1, "ngpu": 0, "walltime": 0.1})
def classify(job):
    """Store the label, its confidence and key descriptors in the job document."""
    workflow.classify(job)


# -- pictures and plots for the dashboard (mesocrystal/visualize/); CPU only ------------------
@study
@Project.pre(workflow.simulated)
@Project.post(snapshot(visuals.rendered))
@Project.operation(directives=CPU_STAGE)
def render(job):
    """Draw the final frame (structure.png) and the largest aggregate (aggregate.png)."""
    visuals.render(job)


@Project.pre(workflow.simulated)
@Project.post(snapshot(visuals.animated))
@Project.operation(directives={**CPU_STAGE, "walltime": 1})
def animate(job):
    """Write a short movie of the trajectory (trajectory.gif)."""
    visuals.animate(job)


@study
@Project.pre(workflow.simulated)
@Project.pre(workflow.analyzed)
@Project.post(snapshot(visuals.plotted))
@Project.operation(directives=CPU_STAGE)
def plot(job):
    """Plot order parameters, energies and g(r) (timeseries.png, thermo.png, rdf.png)."""
    visuals.plot(job)


def phase_diagram_drawn(*jobs):
    """The phase diagram shows the present labels of a fully labelled study."""
    return workflow.all_labelled(*jobs) and visuals.phase_diagram_current(*jobs)


@aggregates
@Project.pre(workflow.all_labelled)
@Project.post(snapshot(phase_diagram_drawn))
@Project.operation(aggregator=aggregator(), directives=CPU_STAGE)
def phase_diagram(*jobs):
    """Draw the labels of all jobs over the swept variables (phase_diagram.png and .json)."""
    visuals.phase_diagram(*jobs)


@study
@Project.pre(workflow.simulated)
@Project.post(report.measured)
@Project.operation(directives=CPU_STAGE)
def measure(job):
    """Mesocrystal size and shape, crystallite size, roughness (morphology.json, afm.png)."""
    report.measure(job)


@aggregates
@Project.pre(snapshot(report.applicable))
@Project.post(report.current)
@Project.operation(aggregator=aggregator(), directives=CPU_STAGE)
def paper_report(*jobs):
    """Every condition beside the paper's values (paper_report.json, .md and .png)."""
    report.write(*jobs)


if __name__ == "__main__":
    scheduler.standard_environment_without_controller()
    scheduler.main(Project)
