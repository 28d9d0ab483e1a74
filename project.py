"""signac-flow project: simulate and classify the self-assembly of nanocrystals.

Operations are thin calls into :mod:`mesocrystal.workflow`; every condition reads a product
on disk. Typical use::

    python init.py                 # create the default study
    python project.py run          # run every eligible operation here
    python project.py status -d    # show progress and labels
    python project.py submit       # submit to the cluster's scheduler
"""

from flow import FlowProject, aggregator

# mesocrystal.scheduler also registers the compute environment of generic SLURM clusters.
from mesocrystal import scheduler, workflow
from visualize import jobs as visuals
from visualize import paper_report as report


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


@Project.label
def structure(job):
    return workflow.structure_label(job)


@Project.post(workflow.initialized)
@Project.operation(directives={"np": 1, "ngpu": 0, "memory": "1G", "walltime": 0.5})
def initialize(job):
    """Build the model, record the pair report (contact energy, B2*) and write init.gsd."""
    workflow.initialize(job)


@Project.pre.after(initialize)
@Project.post(workflow.simulated)
@Project.operation(
    # fork: the engine runs in its own process (LAMMPS' bundled voro++ would shadow freud's).
    directives={
        "np": 1,
        "ngpu": scheduler.simulation_gpus,
        "memory": "2G",
        "walltime": 24,
        "fork": True,
    }
)
def assemble(job):
    """Randomise, then run the assembly; resumes from restart.gsd after an interruption."""
    workflow.assemble(job)


@Project.pre(workflow.simulated)
@Project.post(workflow.analyzed)
@Project.operation(directives={"np": 1, "ngpu": 0, "memory": "2G", "walltime": 0.5})
def analyze(job):
    """Descriptors and labels of the final frame and a time series (analysis.json)."""
    workflow.analyze(job)


@Project.pre.after(analyze)
@Project.post(workflow.classified)
@Project.operation(directives={"np": 1, "ngpu": 0, "walltime": 0.1})
def classify(job):
    """Store the label, its confidence and key descriptors in the job document."""
    workflow.classify(job)


# -- pictures and plots for the dashboard (visualize/); CPU only ------------------------------
@Project.pre(workflow.simulated)
@Project.post(visuals.rendered)
@Project.operation(directives={"np": 1, "ngpu": 0, "memory": "2G", "walltime": 0.5})
def render(job):
    """Draw the final frame (structure.png) and the largest aggregate (aggregate.png)."""
    visuals.render(job)


@Project.pre(workflow.simulated)
@Project.post(visuals.animated)
@Project.operation(directives={"np": 1, "ngpu": 0, "memory": "2G", "walltime": 1})
def animate(job):
    """Write a short movie of the trajectory (trajectory.gif)."""
    visuals.animate(job)


@Project.pre(workflow.simulated)
@Project.pre(visuals.analyzed)
@Project.post(visuals.plotted)
@Project.operation(directives={"np": 1, "ngpu": 0, "memory": "2G", "walltime": 0.5})
def plot(job):
    """Plot order parameters, energies and g(r) (timeseries.png, thermo.png, rdf.png)."""
    visuals.plot(job)


@Project.pre(visuals.any_labelled)
@Project.post(visuals.phase_diagram_current)
@Project.operation(
    aggregator=aggregator(), directives={"np": 1, "ngpu": 0, "memory": "2G", "walltime": 0.5}
)
def phase_diagram(*jobs):
    """Draw the labels of all jobs over the swept variables (phase_diagram.png and .json)."""
    visuals.phase_diagram(*jobs)


@Project.pre(workflow.simulated)
@Project.post(report.measured)
@Project.operation(directives={"np": 1, "ngpu": 0, "memory": "2G", "walltime": 0.5})
def measure(job):
    """Mesocrystal size and shape, crystallite size, roughness (morphology.json, afm.png)."""
    report.measure(job)


@Project.pre(report.applicable)
@Project.post(report.current)
@Project.operation(
    aggregator=aggregator(), directives={"np": 1, "ngpu": 0, "memory": "2G", "walltime": 0.5}
)
def paper_report(*jobs):
    """Every condition beside the paper's values (paper_report.json, .md and .png)."""
    report.write(*jobs)


if __name__ == "__main__":
    scheduler.standard_environment_without_controller()
    Project().main()
