"""The memoized groups of ``project.py`` build what signac-flow's own groups build.

:class:`mesocrystal.flow_groups.MemoizedFlowGroup` overrides methods internal to signac-flow
(0.29, pinned in ``constraints.txt``). Each test here compares its answers with those of
signac-flow's :class:`flow.project.FlowGroup` on the same groups and a study with jobs at every
stage, in a read-only command (a snapshot) and outside one; a signac-flow release that changes
what these methods return makes them fail.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import itertools
import os
import shutil
import sys

import pytest
import signac
from flow import FlowProject
from flow.project import FlowGroup, IgnoreConditions
from flow.scheduling.base import JobStatus
from test_status_cache import _study_in_every_state

from mesocrystal import flow_scripts, status_snapshot
from mesocrystal.flow_groups import MemoizedFlowGroup
from mesocrystal.scheduler import SlurmClusterEnvironment

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FLAGS = (
    IgnoreConditions.NONE,
    IgnoreConditions.PRE,
    IgnoreConditions.POST,
    IgnoreConditions.ALL,
)


def _project_module():
    """``project.py`` of the repository, imported once as a module."""
    name = "mesocrystal_project_under_test"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.join(REPO, "project.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    """Jobs at every stage, with GPUs and two MPI ranks, and an empty queue (``bin/squeue``).

    HOOMD-blue and two ranks give ``assemble`` directives that its callables evaluate per job
    (``np``, ``nranks``, ``ngpu``) and an MPI launcher prefix (``srun -n 2``).
    """
    root = tmp_path_factory.mktemp("study")
    project, jobs, _ = _study_in_every_state(root)
    project.doc["engine"] = "hoomd"
    project.doc["ranks"] = 2
    shutil.copytree(os.path.join(REPO, "templates"), root / "templates")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    squeue = bin_dir / "squeue"
    squeue.write_text("#!/bin/sh\nexit 0\n")
    squeue.chmod(0o755)
    return root, [job.id for job in jobs]


@pytest.fixture
def study(study_dir, monkeypatch):
    """The project of ``project.py`` on :func:`study_dir`, outside a snapshot."""
    return _open_study(*study_dir, monkeypatch)


@pytest.fixture(scope="module")
def replicas_dir(study_dir, tmp_path_factory):
    """:func:`study_dir` with five replicas of every job (six jobs at each stage).

    Four replicas share the seed modulo 3 of their job (the cores of ``plot``), one differs:
    jobs of one stage have the same script but for their ids, except that one.
    """
    root = tmp_path_factory.mktemp("replicas") / "study"
    shutil.copytree(study_dir[0], root, symlinks=True)  # copy2: the files keep their times
    project = signac.get_project(root)
    job_ids = list(study_dir[1])
    for job in list(project):
        for offset in (300, 600, 900, 1200, 1000):
            replica = project.open_job({**job.cached_statepoint, "seed": job.sp.seed + offset})
            replica.init()
            for entry in os.scandir(job.path):
                if entry.name != "signac_statepoint.json":
                    shutil.copy2(entry.path, replica.fn(entry.name))
            job_ids.append(replica.id)
    return root, job_ids


@pytest.fixture
def replicas(replicas_dir, monkeypatch):
    """The project of ``project.py`` on :func:`replicas_dir`, outside a snapshot."""
    return _open_study(*replicas_dir, monkeypatch)


def _open_study(root, job_ids, monkeypatch):
    """``project.py``'s project on the study in ``root`` with its empty queue."""
    bin_dir = root / "bin"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(status_snapshot, "_snapshot", None)
    flow_project = _project_module().Project(path=str(root), environment=SlurmClusterEnvironment)
    # A directive that differs between jobs: its value must never be shared between them.
    plot = flow_project.groups["study"].operation_directives
    plot["plot"] = {"np": _cores_by_seed, "ngpu": 0, "walltime": 0.5}
    return flow_project, [(flow_project.open_job(id=job_id),) for job_id in job_ids]


def _signac_flow_project(flow_project):
    """``project.py``'s project on the same study with signac-flow's groups, status and
    scripts: what :class:`mesocrystal.flow_groups.MemoizedFlowProject` must reproduce."""
    plain = _project_module().Project(path=flow_project.path, environment=SlurmClusterEnvironment)
    plain.groups["study"].operation_directives["plot"] = flow_project.groups[
        "study"
    ].operation_directives["plot"]
    for group in plain.groups.values():
        group.__class__ = FlowGroup
    overridden = (
        "_fetch_status",
        "_generate_submit_script",
        "_eligible_for_submission",
        "_get_submission_operations",
    )
    for name in overridden:
        setattr(plain, name, functools.partial(getattr(FlowProject, name), plain))
    return plain


def _cores_by_seed(job) -> int:
    return 1 + job.sp["seed"] % 3


@contextlib.contextmanager
def _signac_flows(group):
    """Within the block, ``group`` is a plain signac-flow group."""
    group.__class__ = FlowGroup
    try:
        yield group
    finally:
        group.__class__ = MemoizedFlowGroup


def _job_operation(op) -> tuple:
    return (op.id, op.name, op.cmd, dict(op.directives), set(op.directives._keys_set_by_user))


def _submission(op) -> tuple:
    return (
        _job_operation(op),
        [_job_operation(o) for o in op.eligible_operations],
        [_job_operation(o) for o in op.operations_with_unmet_preconditions],
        [_job_operation(o) for o in op.operations_with_met_postconditions],
    )


def _aggregates(flow_project, group):
    return list(flow_project._group_to_aggregate_store[group].values())


@pytest.mark.parametrize("snapshot", [False, True], ids=["run", "status"])
def test_submission_operations_are_signac_flows(study, snapshot):
    flow_project, _ = study
    if snapshot:
        status_snapshot.take_snapshot()
    defaults = flow_project._get_default_directives()
    entrypoint = flow_project._entrypoint
    compared = set()
    for group in flow_project.groups.values():
        assert type(group) is MemoizedFlowGroup
        for jobs, flag in itertools.product(_aggregates(flow_project, group), FLAGS):
            ours = _submission(
                group._create_submission_job_operation(entrypoint, defaults, jobs, flag)
            )
            with _signac_flows(group):
                theirs = _submission(
                    group._create_submission_job_operation(entrypoint, defaults, jobs, flag)
                )
            assert ours == theirs, (group.name, jobs, flag)
            compared.add((group.name, tuple(len(lst) for lst in ours[1:])))
    # The study put operations into every list, and the simulation got its launcher and GPUs.
    study_lists = {sizes for name, sizes in compared if name == "study"}
    assert all(any(sizes[i] for sizes in study_lists) for i in range(3)), study_lists
    initialized = study[1][1]  # assemble is eligible
    assemble = group_operation(flow_project, "study", initialized, "assemble")
    assert assemble.cmd.startswith("srun -n 2 ") and assemble.directives["ngpu"] == 2


def group_operation(flow_project, group_name, jobs, name):
    """Operation ``name`` of the submission of group ``group_name`` for ``jobs``."""
    group = flow_project.groups[group_name]
    op = group._create_submission_job_operation(
        flow_project._entrypoint, flow_project._get_default_directives(), jobs
    )
    lists = (
        op.eligible_operations,
        op.operations_with_unmet_preconditions,
        op.operations_with_met_postconditions,
    )
    return next(o for o in itertools.chain(*lists) if o.name == name)


def test_scheduler_ids_and_overlaps_are_signac_flows(study):
    flow_project, _ = study
    groups = list(flow_project.groups.values())
    ids = set()
    for group in groups:
        for jobs in _aggregates(flow_project, group):
            names = [None, *group.operations]
            ours = [group._generate_id(jobs, name) for name in names]
            with _signac_flows(group):
                theirs = [group._generate_id(jobs, name) for name in names]
            assert ours == theirs
            ids.update(ours)
        for other in groups:
            with _signac_flows(group):
                disjoint = group.isdisjoint(other)
            assert group.isdisjoint(other) is disjoint
    assert len(ids) > len(groups)  # one id per group, operation and job


def test_submit_pretend_prints_signac_flows_scripts(study, capsys, monkeypatch):
    flow_project, _ = study
    # Two submissions in a row: lift signac-flow's back-off between two queue queries.
    monkeypatch.setattr(SlurmClusterEnvironment.scheduler_type, "_dos_timeout", 0)
    status_snapshot.take_snapshot()  # as project.py's submit does
    flow_project.submit(names=["study", "aggregates"], pretend=True)
    ours = capsys.readouterr().out
    status_snapshot.take_snapshot()
    _signac_flow_project(flow_project).submit(names=["study", "aggregates"], pretend=True)
    theirs = capsys.readouterr().out
    # Every job still in progress gets a script: the seven jobs but the finished one.
    assert ours.count("#!/bin/bash") >= 6
    assert "srun -n 2 " in ours and "#SBATCH --gpus=2" in ours
    # Three cores for plot with seeds 2 and 5 over the two ranks of assemble: two per task.
    assert "--cpus-per-task=1" in ours and "--cpus-per-task=2" in ours
    assert ours == theirs


def _submit_both(flow_project, capsys, monkeypatch, **kwargs) -> tuple[str, str]:
    """What ``submit --pretend`` prints with ``flow_project`` and with signac-flow."""
    monkeypatch.setattr(SlurmClusterEnvironment.scheduler_type, "_dos_timeout", 0)
    outputs = []
    for project in (flow_project, _signac_flow_project(flow_project)):
        status_snapshot.take_snapshot()
        project.submit(names=["study"], pretend=True, **kwargs)
        outputs.append(capsys.readouterr().out)
    return outputs[0], outputs[1]


def _copied_kinds(flow_project) -> int:
    return sum(entry[0] == "copy" for entry in flow_project._script_memo.values())


def test_copied_scripts_are_signac_flows(replicas, capsys, monkeypatch):
    """Every script of a study whose jobs share stages is signac-flow's, byte for byte,
    though most are copies of the first of their kind with the ids put in."""
    flow_project, aggregates = replicas
    ours, theirs = _submit_both(flow_project, capsys, monkeypatch)
    scripts = ours.count("#!/bin/bash")
    assert scripts >= 6 * len(aggregates) // 7  # every job in progress
    assert _copied_kinds(flow_project) >= 4  # most stages: copied, not rendered
    assert len(flow_project._script_memo) < scripts / 2
    # The replica with the other seed modulo 3 asks for other cores for plot.
    assert "--cpus-per-task=1" in ours and "--cpus-per-task=2" in ours
    assert ours == theirs


def _template(flow_project, name: str, line: str) -> str:
    """A job script template of the study: ``script.sh`` with ``line`` at its end."""
    path = os.path.join(flow_project.path, "templates", name)
    with open(path, "w") as f:
        f.write('{% extends "script.sh" %}\n{% block footer %}\n{{ super() -}}\n')
        f.write(line + "\n{% endblock footer %}\n")
    return name


def test_a_template_that_reads_a_job_is_rendered_for_every_job(replicas, capsys, monkeypatch):
    """A value of the job document in a template: the first two jobs of a kind agree, a third
    does not, and only looking at what the template reads can tell."""
    flow_project, aggregates = replicas
    fresh = [job for job in flow_project if not job.isfile("init.gsd")]
    third = fresh[2]  # the third fresh job that submit meets (the project's order)
    third.doc["mark"] = "the third job"
    try:
        template = _template(
            flow_project, "reads-doc.sh", "# {{ operations[0]._jobs[0].doc.get('mark', '-') }}"
        )
        ours, theirs = _submit_both(flow_project, capsys, monkeypatch, template=template)
    finally:
        del third.doc["mark"]
    assert "# the third job" in ours
    assert _copied_kinds(flow_project) == 0
    assert ours == theirs


def test_a_script_that_does_not_follow_from_the_ids_is_rendered(replicas, capsys, monkeypatch):
    """The scheduler id of an operation (an MD5 hash of the job and operation) in a script:
    the second job's script is not the first's with the ids put in."""
    flow_project, _ = replicas
    template = _template(
        flow_project,
        "op-ids.sh",
        "{% for op in operations[0].operations_with_unmet_preconditions %}"
        "# {{ op.id }}\n{% endfor %}",
    )
    ours, theirs = _submit_both(flow_project, capsys, monkeypatch, template=template)
    assert ours.count("/plot/") > 6  # the hashed ids of the operations are in the scripts
    # Kinds with operations of unmet preconditions: rendered for every job.
    with_ids = [entry for key, entry in flow_project._script_memo.items() if key[5]]
    assert with_ids.count(flow_scripts._UNCOPYABLE) >= 3
    assert not any(entry[0] == "copy" for entry in with_ids)
    assert ours == theirs


def test_a_queued_group_blocks_the_groups_it_overlaps(study):
    flow_project, aggregates = study
    jobs = aggregates[1]
    study_group, assemble = flow_project.groups["study"], flow_project.groups["assemble"]
    queued = {study_group._generate_id(jobs): JobStatus.queued}
    for group, cached in itertools.product((study_group, assemble), ({}, queued)):
        ours = flow_project._eligible_for_submission(group, jobs, JobStatus.unknown, cached)
        theirs = FlowProject._eligible_for_submission(
            flow_project, group, jobs, JobStatus.unknown, cached
        )
        assert ours == theirs
    assert flow_project._eligible_for_submission(assemble, jobs, JobStatus.unknown, {})
    assert not flow_project._eligible_for_submission(assemble, jobs, JobStatus.unknown, queued)


def _fetch_both(
    flow_project, monkeypatch, scheduler_info, cached, prepare=None, selection=None, **kwargs
):
    """signac-flow's ``_fetch_status`` by ``flow_project`` and by signac-flow, with the
    scheduler reporting ``scheduler_info`` and ``cached`` as the cached scheduler status;
    each with the cached status it leaves in the project document; ``prepare(project)``
    first. ``selection``: jobs (default: all, as ``status`` without ``-j`` or ``-f``)."""
    answers = []
    for project in (flow_project, _signac_flow_project(flow_project)):
        if prepare is not None:
            prepare(project)
        monkeypatch.setattr(project, "_query_scheduler_status", lambda **_: dict(scheduler_info))
        project.document["_status"] = dict(cached)
        status_snapshot.take_snapshot()
        results, labels, jobs = project._fetch_status(
            aggregates=project._convert_jobs_to_aggregates(selection),
            err=io.StringIO(),
            ignore_errors=True,
            hide_progress=True,
            **kwargs,
        )
        answers.append((results, labels, {job.id for job in jobs}, project.document["_status"]()))
    return answers


@pytest.mark.parametrize("names", [None, ["study", "assemble", "aggregates"]])
def test_status_is_signac_flows(replicas, monkeypatch, names):
    """Group statuses, labels and the cached scheduler status, with a queue that holds one
    study group and a cache with an entry the queue no longer has."""
    flow_project, aggregates = replicas
    study_group = flow_project.groups["study"]
    queued = study_group._generate_id(aggregates[2])
    stale = flow_project.groups["assemble"]._generate_id(aggregates[3])
    scheduler_info = {queued: JobStatus.queued, "someone else's job": JobStatus.active}
    cached = {stale: int(JobStatus.queued), "an old bundle": int(JobStatus.held)}
    ours, theirs = _fetch_both(flow_project, monkeypatch, scheduler_info, cached, names=names)
    assert ours == theirs
    results, _, _, document = ours
    assert document == {queued: int(JobStatus.queued), "an old bundle": int(JobStatus.held)}
    by_id = {result["aggregate_id"]: result["groups"] for result in results}
    assert by_id[aggregates[2][0].id]["study"]["scheduler_status"] == JobStatus.queued
    assert {name for groups in by_id.values() for name in groups} >= {"study", "assemble"}
    # Jobs to simulate and jobs simulated: assemble is eligible and complete for some.
    assemble = {(g["assemble"]["eligible"], g["assemble"]["completed"]) for g in by_id.values()
                if "assemble" in g}  # fmt: skip
    assert {(True, False), (False, True)} <= assemble
    with flow_project._buffered():  # the study's stores: all jobs iterated store by store
        assert flow_project._selection(flow_project._convert_jobs_to_aggregates(None)) is None
    # A selection of jobs (-j): those jobs only.
    some = [aggregate[0] for aggregate in aggregates[::3]]
    ours, theirs = _fetch_both(flow_project, monkeypatch, {}, {}, selection=some, names=names)
    assert ours == theirs and ours[2] == {job.id for job in some}
    # Nothing queued, nothing cached: no scheduler id is needed, the document is written.
    assert _fetch_both(flow_project, monkeypatch, {}, {}, names=names)[0][3] == {}
    ours, theirs = _fetch_both(flow_project, monkeypatch, {}, {}, names=names)
    assert ours == theirs


def test_status_of_a_condition_that_raises_is_signac_flows(replicas, monkeypatch):
    """A condition that raises for one job: signac-flow's error for that job's groups."""
    flow_project, aggregates = replicas
    broken = aggregates[3][0].id  # simulated, not analyzed: analyze asks its preconditions

    def break_simulated(project):
        simulated = project.operations["analyze"]._preconditions[0]
        original = simulated._callback

        def raises_for_one_job(*jobs):
            if jobs[0].id == broken:
                raise OSError("disk gone")
            return original(*jobs)

        monkeypatch.setattr(simulated, "_callback", raises_for_one_job)

    for ignore_errors in (True, False):
        raised = []
        for project in (flow_project, _signac_flow_project(flow_project)):
            break_simulated(project)
            monkeypatch.setattr(project, "_query_scheduler_status", lambda **_: {})
            status_snapshot.take_snapshot()
            with pytest.raises(Exception) as error:
                project._fetch_status(None, io.StringIO(), ignore_errors, hide_progress=True)
            raised.append((type(error.value), str(error.value)))
        assert raised[0] == raised[1]
        # signac-flow 0.29 records the error of one group, then fails to join it with the
        # others' None; without ignore_errors, the condition's error.
        assert ("NoneType" if ignore_errors else "raises_for_one_job") in raised[0][1]


def test_print_status_is_signac_flows(replicas, monkeypatch):
    flow_project, _ = replicas
    printed = []
    for project in (flow_project, _signac_flow_project(flow_project)):
        monkeypatch.setattr(project, "_query_scheduler_status", lambda **_: {})
        status_snapshot.take_snapshot()
        out = io.StringIO()
        project.print_status(detailed=True, file=out, err=io.StringIO(), hide_progress=True)
        printed.append(out.getvalue())
    assert "study (7 ops)" in printed[0]
    assert printed[0] == printed[1]
