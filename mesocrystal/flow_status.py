"""signac-flow's ``status`` with each operation's conditions asked once per job.

For ``status``, signac-flow (0.29) asks of every job whether each group is complete and
whether it is eligible: here nine groups per job (each operation is a group of its own, and
``study`` holds seven of them), each asking the conditions of all its operations again, and it
computes the scheduler id (an MD5 hash) of every group of every job to look it up in the queue.
:class:`OperationStatusProject` fetches the same status with:

* **one answer per operation and job**: whether all its postconditions are met and, if not,
  whether its preconditions are (signac-flow asks the same of every operation for its own
  group); each group's "complete" and "eligible" follow from these answers with
  signac-flow's rules, worked out once for every combination of answers and copied for the
  jobs that give it;
* **scheduler ids only where they can matter**: the readable part of an id (project, job and
  operations; no hash) is compared first with the ids that the queue and the project's
  cached scheduler status hold, and the hash is computed only on a match;
* **every aggregate, store by store**: without a selection of jobs, each store's aggregates
  are taken from the store (:meth:`OperationStatusProject._selection`, also for ``submit``).

The status it returns is signac-flow's: the same groups and values in the same order, the
same errors (a job whose conditions raise is evaluated by signac-flow's own code) and the same
update of the cached scheduler status in the project document. ``tests/test_flow_groups.py``
compares it with signac-flow's on a study with jobs at every stage.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter

from flow import FlowProject
from flow.aggregates import _AggregateStoresCursor, _DefaultAggregateStore
from flow.project import IgnoreConditions
from flow.scheduling.base import JobStatus
from flow.util.misc import _get_parallel_executor
from flow.util.misc import tqdm as _flow_tqdm  # the progress bar signac-flow shows

logger = logging.getLogger(__name__)

#: Length of the hash at the end of a signac-flow scheduler id (an MD5 hex digest).
_HASH_LENGTH = 32


class _OperationAnswers:
    """Whether an operation's preconditions, and all its postconditions, are met for an
    aggregate: each asked once, when first needed, in the order signac-flow asks them. A
    condition that raises is not answered here: its caller falls back to signac-flow."""

    __slots__ = ("aggregate", "pre", "complete")

    def __init__(self, aggregate):
        self.aggregate = aggregate
        self.pre = {}
        self.complete = {}

    def _all_met(self, conditions) -> bool:
        # the functions themselves, in order, stopping at the first unmet one: when one raises,
        # signac-flow's call raises its error
        return all(condition._callback(*self.aggregate) for condition in conditions)

    def pre_met(self, operation) -> bool:
        """All preconditions met (True without any)."""
        met = self.pre.get(operation)
        if met is None:
            met = self.pre[operation] = self._all_met(operation._preconditions)
        return met

    def completed(self, operation) -> bool:
        """signac-flow's ``_complete``: all postconditions met (False without any)."""
        done = self.complete.get(operation)
        if done is None:
            posts = operation._postconditions
            done = self.complete[operation] = bool(posts) and self._all_met(posts)
        return done

    def eligible(self, operation) -> bool:
        """signac-flow's ``_eligible``: preconditions met and a postcondition unmet.

        The postconditions are asked first: the preconditions of a completed operation never
        matter (signac-flow asks every operation's postconditions for its own group).
        """
        return not self.completed(operation) and self.pre_met(operation)

    def group_status(self, operations: tuple) -> tuple[bool, bool]:
        """(completed, eligible) of the group of ``operations``, as signac-flow's
        ``compute_status`` has them (with its short-circuits)."""
        completed = all(self.completed(op) for op in operations)
        if len(operations) > 1:
            return completed, any(self.eligible(op) for op in operations)
        # signac-flow: not complete and eligible when postconditions are ignored
        return completed, not completed and self.pre_met(operations[0])


def _signac_flow_group_status(group, aggregate) -> tuple[bool, bool]:
    """(completed, eligible) of ``group`` by signac-flow's own calls (``compute_status``)."""
    completed = group._complete(aggregate)
    if len(group.operations) > 1:
        eligible = group._eligible(aggregate)
    else:
        eligible = not completed and group._eligible(
            aggregate, ignore_conditions=IgnoreConditions.POST
        )
    return completed, eligible


class OperationStatusProject(FlowProject):
    """A :class:`flow.FlowProject` whose ``status`` asks each operation once per job.

    Its groups need the ``_id_prefix`` of :class:`mesocrystal.flow_groups.MemoizedFlowGroup`;
    with other groups, or with signac-flow's ``status_parallelization``, ``status`` is
    signac-flow's own.
    """

    def _fetch_status(
        self,
        aggregates,
        err,
        ignore_errors,
        status_parallelization="none",
        hide_progress=False,
        names=None,
    ):
        """signac-flow's status results, job labels and jobs (see its ``_fetch_status``)."""
        if status_parallelization != "none" or not all(
            hasattr(group, "_id_prefix") for group in self._groups.values()
        ):
            return super()._fetch_status(
                aggregates, err, ignore_errors, status_parallelization, hide_progress, names
            )
        executor = _get_parallel_executor(status_parallelization, hide_progress)
        scheduler_info = self._query_scheduler_status(err=err, ignore_errors=ignore_errors)
        status_groups = self._gather_selected_flow_groups(names)
        with self._buffered():
            pairs = list(
                self._generate_selected_aggregate_groups(
                    selected_aggregates=self._selection(aggregates), selected_groups=status_groups
                )
            )
            statuses = self._scheduler_statuses(pairs, scheduler_info)
            results = self._group_results(pairs, statuses, ignore_errors, err, hide_progress)
            if len(self._groups) > 0:
                individual_jobs = {agg[0] for _, agg, _ in pairs if len(agg) == 1}
            else:
                individual_jobs = set(self)
            compute_labels = functools.partial(self._get_job_labels, ignore_errors=ignore_errors)
            if len(self._label_functions) > 0:
                job_labels = list(
                    executor(compute_labels, individual_jobs, desc="Fetching labels", file=err)
                )
            else:
                job_labels = []
        return results, job_labels, individual_jobs

    def _selection(self, aggregates):
        """``aggregates`` for signac-flow's ``_generate_selected_aggregate_groups``: None
        (every aggregate of every store, in the store's order) for a selection of them all.

        Given a selection, signac-flow iterates over all aggregates of all stores once for
        each store and asks the store whether it holds each (for a store of jobs, whether the
        job's directory exists). A selection of them all yields the same aggregates in the
        same order as None where every store of more than one aggregate shares none with
        another store (the study's stores of all jobs hold the same one): call within
        ``_buffered``.
        """
        stores = self._group_to_aggregate_store.inverse.keys()
        if type(aggregates) is not _AggregateStoresCursor or aggregates._stores != stores:
            return aggregates
        ids = [
            # keys() of a store of jobs yields nothing in buffered mode (signac-flow 0.29)
            self._jobs_cursor._ids if isinstance(store, _DefaultAggregateStore) else store.keys()
            for store in stores
        ]
        stores_of = Counter(key for keys in ids for key in set(keys))
        for keys in ids:
            if len(keys) > 1 and any(stores_of[key] > 1 for key in keys):
                return aggregates
        return None

    def _get_submission_operations(self, aggregates, *args, **kwargs):
        """signac-flow's submission operations, from :meth:`_selection` of ``aggregates``."""
        return super()._get_submission_operations(self._selection(aggregates), *args, **kwargs)

    def _scheduler_statuses(self, pairs, scheduler_info) -> list:
        """The scheduler status of every (aggregate, group) pair, with signac-flow's update of
        the cached scheduler status in the project document.

        Only an id whose readable part is that of an id in the queue or in the cache can
        have a status other than unknown, or replace a cached one: only those are hashed.
        """
        document = self.document
        cached = document["_status"]() if "_status" in document else {}
        known = {key[:-_HASH_LENGTH] for key in (*scheduler_info, *cached)}
        statuses = [JobStatus.unknown] * len(pairs) if not known else []
        with self._update_cached_scheduler_status() as status_update:
            for aggregate_id, aggregate, group in pairs if known else ():
                status = JobStatus.unknown
                if group._id_prefix(self, aggregate_id) in known:
                    scheduler_id = group._generate_id(aggregate)
                    status = scheduler_info.get(scheduler_id, JobStatus.unknown)
                    status_update[scheduler_id] = status
                statuses.append(status)
            if pairs and not status_update:  # signac-flow writes the document all the same
                status_update[pairs[0][2]._generate_id(pairs[0][1])] = JobStatus.unknown
        return statuses

    def _group_results(self, pairs, statuses, ignore_errors, err, hide_progress) -> list:
        """signac-flow's status of every aggregate: its ``compute_status`` results of every
        pair, combined per aggregate as at the end of its ``_fetch_status`` (sorted by
        aggregate id; a group's status replaced by a later one unless that is unknown).

        The pairs of one aggregate come one after the other. When the scheduler knows none
        of them, the answers of their operations are asked first, and the groups' statuses
        follow from these answers once for every combination of them.
        """
        combined = {}  # aggregate id: [its entry, errors by result index, number of results]
        operations = {group: tuple(group.operations.values()) for group in self._groups.values()}
        members = {}  # groups of a run of pairs: the operations of them all, each once
        derived = {}  # (answers, groups): ((group name, completed, eligible), ...)
        unknown = JobStatus.unknown
        progress = None
        if not hide_progress:
            progress = _flow_tqdm(total=len(pairs), desc="Fetching status", file=err)
        start, count = 0, len(pairs)
        while start < count:
            aggregate_id, aggregate, _ = pairs[start]
            stop = start + 1
            while stop < count and pairs[stop][1] is aggregate:
                stop += 1
            answers = _OperationAnswers(aggregate)
            groups = tuple(pair[2] for pair in pairs[start:stop])
            derivation = None
            if all(status == unknown for status in statuses[start:stop]):
                ops = members.get(groups)
                if ops is None:
                    ops = members[groups] = tuple(
                        dict.fromkeys(op for group in groups for op in operations[group])
                    )
                try:
                    done = tuple(answers.completed(op) for op in ops)
                    key = (groups, done, *(d or answers.pre_met(op) for op, d in zip(ops, done)))
                except Exception:  # a condition raised: signac-flow's calls, pair by pair
                    key = None
                if key is not None:
                    derivation = derived.get(key)
                    if derivation is None:
                        derivation = derived[key] = tuple(
                            (group.name, *answers.group_status(operations[group]))
                            for group in groups
                        )
            entry = combined.get(aggregate_id)
            if entry is None:
                entry = combined[aggregate_id] = [
                    {"aggregate_id": aggregate_id, "groups": {}, "_error": None},
                    {},
                    0,
                ]
            if derivation is not None:
                results = entry[0]["groups"]
                for name, completed, eligible in derivation:
                    if name not in results:
                        results[name] = {
                            "scheduler_status": unknown,
                            "completed": completed,
                            "eligible": eligible,
                        }
                entry[2] += len(derivation)
            else:
                for i in range(start, stop):
                    self._add_result(entry, answers, pairs[i][2], statuses[i], ignore_errors)
            if progress is not None:
                progress.update(stop - start)
            start = stop
        if progress is not None:
            progress.close()
        results = []
        for aggregate_id in sorted(combined):
            result, errors, count = combined[aggregate_id]
            if errors:  # signac-flow's message (all results' errors, None where none)
                error_messages = [errors.get(i) for i in range(count)]
                result["_error"] = f"{len(error_messages)} error(s): " + ", ".join(error_messages)
            results.append(result)
        return results

    def _add_result(self, entry, answers, group, scheduler_status, ignore_errors) -> None:
        """Add signac-flow's ``compute_status`` result of one pair to its aggregate's entry."""
        aggregate_id, aggregate = entry[0]["aggregate_id"], answers.aggregate
        try:
            completed, eligible = answers.group_status(tuple(group.operations.values()))
        except Exception:  # a condition raised: signac-flow's calls raise the same error
            completed = None
        error_text = None
        try:
            if completed is None:
                completed, eligible = _signac_flow_group_status(group, aggregate)
        except Exception as error:
            logger.debug(
                "Error while getting operations status for job '%s': '%s'.",
                aggregate_id,
                error,
            )
            if not ignore_errors:
                raise
            error_text = str(error)
            completed = eligible = False
        status = {
            "scheduler_status": scheduler_status,
            "completed": completed,
            "eligible": eligible,
        }
        groups = entry[0]["groups"]
        if group.name not in groups or scheduler_status != JobStatus.unknown:
            groups[group.name] = status
        if error_text is not None:
            entry[1][entry[2]] = error_text
        entry[2] += 1
        if group.name not in self._operations and scheduler_status != JobStatus.unknown:
            as_member = JobStatus._to_group(scheduler_status)  # never unknown
            operation_status = {**status, "scheduler_status": as_member}
            for op_name in group.operations:
                groups[op_name] = operation_status.copy()
                if error_text is not None:
                    entry[1][entry[2]] = error_text
                entry[2] += 1
