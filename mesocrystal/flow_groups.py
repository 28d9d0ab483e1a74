"""signac-flow groups that build the job operations of a submission at a fraction of the cost.

For every job script, signac-flow (0.29) builds the operations of the submitted group three
times (eligible, with unmet preconditions, with all postconditions met: the comments of the
script) and once more for the resources, and for each of them assembles its directives from
the environment's defaults, validates every value and evaluates it for the job: at 100,000
jobs and seven operations in the ``study`` group, most of ``submit``'s time.
:class:`MemoizedFlowGroup` builds the same submission operation with:

* **one pass over the operations**: each operation's preconditions and postconditions are
  asked once (in the order signac-flow asks them) and sorted into the three lists;
* **directives resolved once per distinct value**: the directives of an operation are
  resolved, validated and evaluated once for each combination of the values its callable
  directives take (here: the MPI ranks and GPUs of ``assemble``, which follow the project
  document, so one combination per study), and so are the combined resources of the group;
* **lazy identifiers**: the scheduler id of an operation in the comments of a script (an MD5
  hash that the script never shows) is computed only when asked for.

The submission operation it returns is the one signac-flow builds: same id, commands,
directives and lists, so the job scripts are the same. The scheduler ids of the groups (which
``status`` and ``run`` ask for too) are signac-flow's strings, with the parts that do not depend
on the job worked out once; everything else in ``run`` is signac-flow's own.
:class:`MemoizedFlowProject` gives a project these groups and skips signac-flow's look for earlier
submissions of overlapping groups when the scheduler lists no job of the project; its ``status``
is :class:`mesocrystal.flow_status.OperationStatusProject`'s and its job scripts are rendered
once per kind of job (:class:`mesocrystal.flow_scripts.ScriptMemoProject`).

The methods overridden here are internal to signac-flow: ``constraints.txt`` pins its version,
and ``tests/test_flow_groups.py`` compares every answer with that of signac-flow's own groups,
so a release that changes them fails there.
"""

from __future__ import annotations

from hashlib import md5

from flow import FlowProject
from flow.aggregates import get_aggregate_id
from flow.project import (
    FlowCmdOperation,
    FlowGroup,
    IgnoreConditions,
    _JobOperation,
    _SubmissionJobOperation,
)
from flow.scheduling.base import JobStatus
from flow.util.misc import _TrackGetItemDict

from mesocrystal.flow_scripts import ScriptMemoProject
from mesocrystal.flow_status import OperationStatusProject


class _Lazy:
    """A value computed by ``func(*args)`` on first call, then kept (a job's command)."""

    __slots__ = ("_func", "_args", "_value")

    def __init__(self, func, *args):
        self._func = func
        self._args = args
        self._value = None

    def __call__(self):
        if self._value is None:
            self._value = self._func(*self._args)
        return self._value


class _LazyIdJobOperation(_JobOperation):
    """A job operation whose scheduler id is computed when it is first asked for."""

    #: What its command and directives follow from beside its job, when that is known
    #: (:mod:`mesocrystal.flow_scripts`).
    script_kind = None

    def __init__(self, group, jobs, name, cmd, directives):
        """As :class:`flow.project._JobOperation`, with ``directives`` taken as they are: a
        ``_TrackGetItemDict`` with its ``_keys_set_by_user``, which the operations of one
        directive key share (signac-flow reads the directives of the submitted operation
        only, never those of the operations it lists; here they are never changed after)."""
        self._id = None
        self.name = name
        self._jobs = jobs
        self._cmd = cmd
        self.directives = directives
        self._group = group

    @property
    def id(self) -> str:
        if self._id is None:
            self._id = self._group._generate_id(self._jobs, self.name)
        return self._id


class MemoizedFlowGroup(FlowGroup):
    """A :class:`flow.FlowGroup` whose submission operations reuse evaluated directives.

    Use :func:`memoize_groups` to give a project's groups this class once their operations are
    all added (it keeps what follows from them). ``_create_submission_job_operation``
    (``submit``, ``script``), ``_generate_id`` and ``isdisjoint`` differ from signac-flow's
    group, and only in cost.
    """

    def _memo(self) -> dict:
        memo = self.__dict__.get("_memoized")
        if memo is None:
            memo = self.__dict__["_memoized"] = {}
        return memo

    def _generate_id(self, aggregate, operation_name=None):
        """signac-flow's scheduler id of this group (or one operation) for ``aggregate``.

        The same string as :meth:`flow.FlowGroup._generate_id`, with the parts that do not
        depend on the aggregate worked out once.
        """
        aggregate_id = get_aggregate_id(aggregate)
        project = aggregate[0]._project
        path, op_part, head, tail, max_len = self._id_parts(project, operation_name)
        job_op_id = md5(f"{path}{aggregate_id}{op_part}".encode()).hexdigest()
        return f"{head}{aggregate_id}{tail}"[:max_len] + job_op_id

    def _id_prefix(self, project, aggregate_id: str) -> str:
        """The readable part of :meth:`_generate_id`: the id without its 32-digit hash."""
        _, _, head, tail, max_len = self._id_parts(project, None)
        return f"{head}{aggregate_id}{tail}"[:max_len]

    def _id_parts(self, project, operation_name) -> tuple:
        """The parts of the scheduler ids of ``project`` that do not depend on the aggregate."""
        memo = self._memo()
        parts_key = ("id", id(project), operation_name)
        parts = memo.get(parts_key)
        if parts is None:
            if operation_name is None:
                op_string = "".join(sorted(self.operations))
            else:
                op_string = operation_name
            max_len = self.MAX_LEN_ID - 32  # the length of an MD5 hex digest
            if max_len < 32:
                raise ValueError(f"Value for MAX_LEN_ID is too small ({self.MAX_LEN_ID}).")
            sep = getattr(project._environment, "JOB_ID_SEPARATOR", "/")
            parts = memo[parts_key] = (
                f"{project.path}%",
                f"%{op_string}",
                f"{type(project).__name__[:12]}{sep}",
                f"{sep}{op_string[:12]}{sep}",
                max_len,
                project,  # keeps id(project) from being reused
            )
        return parts[:5]

    def isdisjoint(self, group) -> bool:
        """Whether this group and ``group`` share no operation (worked out once per pair)."""
        memo = self._memo()
        key = ("disjoint", id(group))
        known = memo.get(key)
        if known is None or known[0] is not group:
            known = memo[key] = (group, set(self).isdisjoint(set(group)))
        return known[1]

    def _operation_directives(self, name, default_directives, env, jobs):
        """Evaluated directives of operation ``name`` for ``jobs``: (key, dict, user keys).

        Resolved and evaluated by signac-flow once for every combination of the values that
        the operation's callable directives take for a job.
        """
        memo = self._memo()
        resolved_key = ("resolved", name, env, id(default_directives))
        entry = memo.get(resolved_key)
        if entry is None:
            resolved = self._resolve_directives(name, default_directives, env)
            calls = tuple(key for key in resolved if callable(resolved[key]))
            entry = memo[resolved_key] = (resolved, calls, default_directives)
        resolved, calls = entry[0], entry[1]
        try:
            key = (name, env, id(default_directives), *(resolved[c](*jobs) for c in calls))
            evaluated = memo.get(key)
        except Exception:  # an invalid or unhashable value: signac-flow's own evaluation
            key = evaluated = None
        if evaluated is None:
            # evaluate() replaces the callables in place: a fresh copy, not the memoized one
            directives = self._resolve_directives(name, default_directives, env)
            directives.evaluate(jobs)  # raises signac-flow's error for an invalid value
            evaluated = (key, dict(directives), frozenset(directives.user_keys))
            if key is not None:
                memo[key] = evaluated
        return evaluated

    def _submission_directives(self, default_directives, env, jobs, keys):
        """The combined directives of the group (signac-flow's), once per combination."""
        memo = self._memo()
        key = None if None in keys else ("submission", *keys)
        combined = memo.get(key)
        if combined is None:
            directives = self._get_submission_directives(default_directives, jobs)
            combined = (dict(directives), frozenset(directives.user_keys))
            if key is not None:
                memo[key] = combined
        return combined

    def _operation_command(self, entrypoint, name, operation, directives, key, jobs):
        """The command of one operation, as signac-flow's ``_run_cmd`` writes it."""
        if (
            key is None
            or isinstance(operation, FlowCmdOperation)
            or any(callable(v) for v in entrypoint.values())
        ):
            return self._run_cmd(entrypoint, name, operation, directives, jobs)
        memo = self._memo()
        prefix_key = ("entrypoint", key, tuple(entrypoint.items()), type(jobs[0]._project))
        head = memo.get(prefix_key)
        if head is None:
            head = memo[prefix_key] = self._determine_entrypoint(entrypoint, directives, jobs)
        cmd = f"{head} exec {name} {get_aggregate_id(jobs)} {self.run_options}"
        return cmd.strip()

    def _group_command(self, entrypoint, ignore_conditions, jobs):
        """The command of the group, as signac-flow's ``_submit_cmd`` writes it."""
        if any(callable(v) for v in entrypoint.values()):
            return self._submit_cmd(entrypoint, ignore_conditions, jobs)
        memo = self._memo()
        head_key = ("group entrypoint", tuple(entrypoint.items()), type(jobs[0]._project))
        head = memo.get(head_key)
        if head is None:
            head = memo[head_key] = self._determine_entrypoint(entrypoint, {}, jobs)
        cmd = f"{head} run -o {self.name} -j {get_aggregate_id(jobs)}"
        options = self.submit_options
        if ignore_conditions != IgnoreConditions.NONE:
            options += " --ignore-conditions=" + str(ignore_conditions)
        return " ".join((cmd, options)).strip()

    def _create_submission_job_operation(
        self,
        entrypoint,
        default_directives,
        jobs,
        ignore_conditions_on_execution=IgnoreConditions.NONE,
    ):
        """signac-flow's submission operation of this group for ``jobs``, built in one pass.

        Parameters and return value as :meth:`flow.FlowGroup._create_submission_job_operation`.
        """
        env = jobs[0]._project._environment
        ignore_pre = bool(ignore_conditions_on_execution & IgnoreConditions.PRE)
        ignore_post = bool(ignore_conditions_on_execution & IgnoreConditions.POST)
        eligible, unmet_pre, met_post, keys = [], [], [], []
        # With a plain entry point, an operation's command and directives follow from the job
        # and its directives' key alone: that, its "kind", lets equal job scripts be copied.
        entry = None
        if not any(callable(v) for v in entrypoint.values()):
            entry = tuple(entrypoint.items())
        for name, operation in self.operations.items():
            pre, post = operation._preconditions, operation._postconditions
            pre_met = not pre or all(cond(jobs) for cond in pre)  # as signac-flow asks them
            post_unmet = not post or any(not cond(jobs) for cond in post)
            key, directives, user_keys = self._operation_directives(
                name, default_directives, env, jobs
            )
            keys.append(key)
            if (pre_met or ignore_pre) and (post_unmet or ignore_post):
                target = eligible  # signac-flow: eligible with the conditions on execution
            elif post_unmet or ignore_post:
                target = unmet_pre  # eligible when preconditions are ignored as well
            elif pre_met or ignore_pre:
                target = met_post  # eligible when postconditions are ignored as well
            else:
                continue
            cmd = _Lazy(self._operation_command, entrypoint, name, operation, directives, key, jobs)
            shared = self._memo().get(("operation", key)) if key is not None else None
            if shared is None:
                tracked = _TrackGetItemDict(directives)
                tracked._keys_set_by_user = set(user_keys)
                job_op = _LazyIdJobOperation(self, jobs, name, cmd, tracked)
                prefix = env.get_prefix(job_op)  # follows the directives alone
                fork = prefix != "" or self.run_options != ""
                if fork:
                    tracked["fork"] = True
                if key is not None:
                    self._memo()[("operation", key)] = (tracked, prefix, fork)
            else:
                tracked, prefix, fork = shared
                job_op = _LazyIdJobOperation(self, jobs, name, cmd, tracked)
            if fork:
                job_op._cmd = f"{prefix} {job_op.cmd}"
            plain_command = entry is not None and not isinstance(operation, FlowCmdOperation)
            if key is not None and plain_command:
                job_op.script_kind = (self, key, entry)
            target.append(job_op)
        combined, user_keys = self._submission_directives(default_directives, env, jobs, keys)
        cmd = _Lazy(self._group_command, entrypoint, ignore_conditions_on_execution, jobs)
        submission = _SubmissionJobOperation(
            self._generate_id(jobs),
            self.name,
            jobs,
            cmd=cmd,
            directives=combined,
            user_directives=set(user_keys),
            eligible_operations=eligible,
            operations_with_unmet_preconditions=unmet_pre,
            operations_with_met_postconditions=met_post,
        )
        if entry is not None and None not in keys:
            submission.script_kind = (self, tuple(keys), ignore_conditions_on_execution, entry)
        return submission


def memoize_groups(project: FlowProject) -> None:
    """Give every group of ``project`` the methods of :class:`MemoizedFlowGroup`.

    The groups keep their identity (signac-flow maps them to their aggregates).
    """
    for group in project.groups.values():
        if type(group) is FlowGroup:
            group.__class__ = MemoizedFlowGroup


class MemoizedFlowProject(ScriptMemoProject, OperationStatusProject):
    """A :class:`flow.FlowProject` with :class:`MemoizedFlowGroup` groups, the ``status`` of
    :class:`~mesocrystal.flow_status.OperationStatusProject` and the job scripts of
    :class:`~mesocrystal.flow_scripts.ScriptMemoProject`.

    Also skips signac-flow's per-group check of earlier submissions when the scheduler reports
    none of this project's jobs (the answer is then "not submitted" for every group).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        memoize_groups(self)

    def _template_environment(self, environment=None):
        """signac-flow's template environment, without a file check per script.

        Jinja checks by default, each time a script is rendered, whether each template file
        changed on disk; within one command they do not.
        """
        template_environment = super()._template_environment(environment)
        template_environment.auto_reload = False
        return template_environment

    def _eligible_for_submission(self, flow_group, jobs, scheduler_status, cached_status):
        """signac-flow's check, answered at once when no job of the project is queued."""
        if not cached_status:  # every group's status is JobStatus.unknown
            return scheduler_status < JobStatus.submitted
        return super()._eligible_for_submission(flow_group, jobs, scheduler_status, cached_status)
