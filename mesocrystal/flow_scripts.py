"""signac-flow's job scripts, rendered once per kind of job and copied for the others.

``submit`` renders one Jinja template per job (``templates/script.sh`` on the cluster's base
template): at 100,000 jobs, half of its time. Jobs at the same stage of a study get the same
script but for the job's id: the same operations in the same lists, with the same directives
and commands. :class:`ScriptMemoProject` renders the script of the first two jobs of every
such kind with signac-flow and, when the second equals the first with the job's id (and the
script's scheduler id) put in, gives every further job of the kind the first script with its
own ids put in.

A kind is rendered by signac-flow for every job (nothing is copied) when

* its two scripts do not follow from each other by the ids (a template that shows the hash
  of an operation's id, for instance), or
* a template read anything of a job but its ``id`` and ``path`` (``job.sp``, ``job.doc``,
  ...): a value that may be the same for the first two jobs and differ for a third; every
  attribute and item a template reads is looked at during the two renders.

A Python filter that reads a job (not a template expression) is not seen: the filters of
signac-flow and :mod:`mesocrystal.scheduler` read directives, which are part of the kind.
Submissions of several operations (bundles) and ``--template-help`` are signac-flow's own.
``tests/test_flow_groups.py`` compares every script of a study with signac-flow's.
"""

from __future__ import annotations

from flow import FlowProject
from flow.project import _SubmissionJobOperation
from signac.job import Job

#: What a template may read of a job: values that follow from its id alone.
_ID_ATTRIBUTES = frozenset({"id", "path"})

#: The memo entry of a kind whose scripts signac-flow renders for every job.
_UNCOPYABLE = "render every script"


class _JobReads:
    """Within the block, notes whether a template of ``environment`` reads of a job anything
    but its id and path (every ``a.b`` and ``a[b]`` of a template goes through these)."""

    def __init__(self, environment):
        self.environment = environment
        self.other = False

    def __enter__(self):
        environment = self.environment
        getattr_, getitem = environment.getattr, environment.getitem

        def read_attribute(obj, attribute):
            if isinstance(obj, Job) and attribute not in _ID_ATTRIBUTES:
                self.other = True
            return getattr_(obj, attribute)

        def read_item(obj, argument):
            if isinstance(obj, Job) and argument not in _ID_ATTRIBUTES:
                self.other = True
            return getitem(obj, argument)

        environment.getattr, environment.getitem = read_attribute, read_item
        return self

    def __exit__(self, *exc):
        del self.environment.getattr, self.environment.getitem


def _kind(op, job_id: str):
    """What a template sees of a job operation, with the job's id left out.

    Directive values enter with their type: ``1``, ``1.0`` and ``True`` are equal in Python,
    not in a script. An operation of :class:`mesocrystal.flow_groups.MemoizedFlowGroup` says
    what its command and directives follow from beside its job (``script_kind``).
    """
    kind = getattr(op, "script_kind", None)
    if kind is not None:
        return kind
    return (
        type(op),
        op.name,
        op.cmd.replace(job_id, "\0"),
        tuple((key, type(value), value) for key, value in op.directives.items()),  # 1 != 1.0
        frozenset(op.directives._keys_set_by_user),
    )


class ScriptMemoProject(FlowProject):
    """A :class:`flow.FlowProject` that renders a job script once per kind of job."""

    def _generate_submit_script(self, _id, operations, template, show_template_help, **kwargs):
        """signac-flow's job script of ``operations`` (see its ``_generate_submit_script``)."""
        operations = list(operations)
        if show_template_help or len(operations) != 1:
            return super()._generate_submit_script(
                _id, operations, template, show_template_help, **kwargs
            )
        (op,) = operations
        if not isinstance(op, _SubmissionJobOperation) or len(op._jobs) != 1:
            return super()._generate_submit_script(_id, operations, template, False, **kwargs)
        job_id = op._jobs[0].id
        if template is None:
            template = self._environment.template
        try:
            key = (
                template,
                self._environment,
                repr(sorted(kwargs.items())).replace(job_id, "\0"),
                _kind(op, job_id),
                *(
                    tuple(_kind(o, job_id) for o in ops)
                    for ops in (
                        op.eligible_operations,
                        op.operations_with_unmet_preconditions,
                        op.operations_with_met_postconditions,
                    )
                ),
            )
            hash(key)
        except TypeError:  # an unhashable value: signac-flow's own rendering
            return super()._generate_submit_script(_id, operations, template, False, **kwargs)
        memo = self.__dict__.setdefault("_script_memo", {})
        entry = memo.get(key)
        if entry is None or entry[0] == "first":
            script, reads_job = self._render_noting_reads(_id, operations, template, kwargs)
            if reads_job:
                memo[key] = _UNCOPYABLE
            elif entry is None:
                memo[key] = ("first", script, _id, job_id)
            else:  # the second job of the kind: copy only if its script follows from the first
                pieces = _pieces(entry[1], entry[2], entry[3])
                copyable = pieces is not None and _fill(pieces, _id, job_id) == script
                keys_used = frozenset(op.directives._keys_used)
                memo[key] = ("copy", pieces, keys_used) if copyable else _UNCOPYABLE
            return script
        if entry == _UNCOPYABLE:
            return super()._generate_submit_script(_id, operations, template, False, **kwargs)
        _, pieces, keys_used = entry
        op.directives._keys_used.update(keys_used)  # as rendering would have read them
        return _fill(pieces, _id, job_id)

    def _render_noting_reads(self, _id, operations, template, kwargs) -> tuple[str, bool]:
        """signac-flow's script, and whether a template read more of a job than its id."""
        environment = self._template_environment(self._environment)
        with _JobReads(environment) as reads:
            script = super()._generate_submit_script(_id, operations, template, False, **kwargs)
        return script, reads.other


def _pieces(script: str, script_id: str, job_id: str) -> list[str] | None:
    """``script`` split at the script id and then at the job id: text between the ids, the
    ids as the separators ``"\\0i"`` and ``"\\0j"``; None when the script holds a NUL."""
    if "\0" in script:
        return None
    pieces = []
    for i, part in enumerate(script.split(script_id)):
        if i:
            pieces.append("\0i")
        for k, text in enumerate(part.split(job_id)):
            if k:
                pieces.append("\0j")
            pieces.append(text)
    return pieces


def _fill(pieces: list[str], script_id: str, job_id: str) -> str:
    ids = {"\0i": script_id, "\0j": job_id}
    return "".join(ids.get(piece, piece) for piece in pieces)
