"""Execute many replications: serially, on local processes or on a Dask cluster.

A :class:`RunPlan` holds everything a worker needs (the base scenarios, each point's overrides,
the seed, the horizon and the run function) and is shipped once per worker: via the process
pool's initializer, or scattered (broadcast) to Dask workers. A task is then only
``(point, replication)``; the worker builds the point's scenario once and caches it. Every run
is a pure function of (scenario, overrides, seed, replication), so the outcomes do not depend
on the runner or the number of workers; callers sort them by (point, replication).

A run that raises is recorded as a failed :class:`RunOutcome` with its error text and the
batch goes on. A worker process that dies (killed, out of memory) breaks its pool: the runs
it lost go to a new pool, so each run is still delivered exactly once; only runs that kill
every pool they meet are failed. Workers exit when the calling process dies. Pools and
clusters are created inside :func:`execute`, never at import time.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from supplylab.errors import ExperimentError, InputError, SupplylabError
from supplylab.sim.result import ReplicationResult

from ._types import RunFn, default_run_fn, sim_setting

RUNNERS = ("serial", "processes", "dask")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a batch of runs, with what was kept and how to go on (``str(exc)``).

    ``Interrupted.last`` keeps the latest one: typer turns a KeyboardInterrupt into a bare
    exit code 130, and the command line still wants to print what it said.
    """

    last: Interrupted | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        Interrupted.last = self


@dataclass(frozen=True)
class RunPlan:
    """What every worker needs, sent once: ``points[i] = (scenario index, overrides)``."""

    scenarios: tuple[Any, ...]
    points: tuple[tuple[int, Mapping[str, Any]], ...]
    seed: int
    days: float | None = None
    run_fn: RunFn | None = None
    kpis: frozenset[str] | None = None
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class RunOutcome:
    """One finished run: its result, or the error text (and exception when it pickles)."""

    point: int
    replication: int
    seed: int
    result: ReplicationResult | None
    error: str | None = None
    exception: BaseException | None = None
    wall_seconds: float = 0.0
    started: float = 0.0
    finished: float = 0.0
    worker: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


# Worker-side state: the plan sent by the initializer and the scenarios built from it.
_PLAN: RunPlan | None = None
_SCENARIOS: dict[tuple[str, int], Any] = {}


def _init_worker(plan: RunPlan, parent: int | None = None) -> None:
    global _PLAN
    _PLAN = plan
    if parent is not None:
        threading.Thread(target=_die_with, args=(parent,), daemon=True,
                         name="supplylab-parent-watch").start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else (cannot happen for our parent)
        return True
    return True


def _die_with(parent: int, every: float = 0.5) -> None:
    """Worker side: exit as soon as the process that started the pool is gone (even killed
    with SIGKILL, when no shutdown message can arrive), instead of idling forever.

    The worker's own parent (the fork server, or the caller itself with ``spawn``) exits
    when the caller dies, and the worker is then re-parented: a changed parent pid is the
    signal, and it also holds while the dead caller is a zombie nobody has reaped yet.
    """
    mine = os.getppid()
    while os.getppid() == mine and _alive(parent):
        time.sleep(every)
    os._exit(1)


def _point_scenario(plan: RunPlan, point: int) -> Any:
    key = (plan.token, point)
    if key not in _SCENARIOS:
        index, overrides = plan.points[point]
        base = plan.scenarios[index]
        _SCENARIOS[key] = base.with_overrides(dict(overrides)) if overrides else base
    return _SCENARIOS[key]


def _filtered(result: ReplicationResult, kpis: frozenset[str] | None) -> ReplicationResult:
    if kpis is None:
        return result
    by = {dim: {key: {k: v for k, v in vals.items() if k in kpis} for key, vals in keys.items()}
          for dim, keys in result.by.items()}
    return ReplicationResult(result.seed, result.replication,
                             {k: v for k, v in result.kpis.items() if k in kpis}, by,
                             result.audit, result.wall_seconds, result.events)


def _picklable(exc: BaseException) -> BaseException | None:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return None
    return exc


def run_task(plan: RunPlan, point: int, replication: int) -> RunOutcome:
    """Run one (point, replication) of ``plan``; never raises for a failing model run."""
    started = time.time()
    t0 = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        scenario = _point_scenario(plan, point)
        fn = plan.run_fn or default_run_fn
        if plan.days is None:
            result = fn(scenario, plan.seed, replication)
        else:
            result = fn(scenario, plan.seed, replication, days=plan.days)
        result = _filtered(result, plan.kpis)
        return RunOutcome(point, replication, plan.seed, result,
                          wall_seconds=time.perf_counter() - t0, started=started,
                          finished=time.time(), worker=worker)
    except Exception as exc:
        text = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        return RunOutcome(point, replication, plan.seed, None, error=text,
                          exception=_picklable(exc), wall_seconds=time.perf_counter() - t0,
                          started=started, finished=time.time(), worker=worker)


def _run_in_worker(point: int, replication: int) -> RunOutcome:
    if _PLAN is None:
        raise RuntimeError("worker has no run plan: initializer not called")
    return run_task(_PLAN, point, replication)


OnOutcome = Callable[[RunOutcome], None]


def resolve_runner(runner: str | None, workers: int | None, dask: str | None) -> str:
    """The runner to use: ``dask`` if an address is given, else ``runner`` (validated)."""
    if dask:
        return "dask"
    runner = runner or "processes"
    if runner not in RUNNERS:
        raise ExperimentError(f"unknown runner {runner!r}; expected one of {', '.join(RUNNERS)}")
    if workers is not None and workers < 1:
        raise ExperimentError(f"--workers must be at least 1, got {workers}")
    return runner


def check_plan(plan: RunPlan) -> None:
    """Refuse a plan that cannot run before any worker starts: a horizon override that is not
    a finite number of days above each scenario's warm-up, or an intractable replication."""
    from supplylab.scenario import limits

    if plan.days is None:
        return
    for sc in plan.scenarios:
        problem = limits.days_problem(plan.days, sim_setting(sc, "warmup_days"))
        if problem is None and hasattr(sc, "customer_groups"):
            problem = limits.tractability_problem(sc, plan.days)
        if problem:
            raise InputError(f"{getattr(sc, 'name', 'scenario')}: {problem}", "--days")


def execute(plan: RunPlan, tasks: Iterable[tuple[int, int]], on_outcome: OnOutcome, *,
            runner: str = "processes", workers: int | None = None,
            dask: str | None = None) -> None:
    """Run every ``(point, replication)`` task, calling ``on_outcome`` as each one finishes.

    ``runner`` is ``"serial"``, ``"processes"`` (``workers`` processes, default: all cores) or
    ``"dask"`` (``dask="local"`` starts a LocalCluster on 127.0.0.1 with ``workers`` workers;
    otherwise ``dask`` is a scheduler address). ``on_outcome`` runs in the calling process, in
    completion order. On KeyboardInterrupt pending tasks are cancelled and the interrupt
    propagates; outcomes already passed to ``on_outcome`` stay delivered.
    """
    runner = resolve_runner(runner, workers, dask)
    todo = list(tasks)
    if not todo:
        return
    check_plan(plan)
    if runner == "serial":
        for point, rep in todo:
            on_outcome(run_task(plan, point, rep))
    elif runner == "processes":
        _execute_processes(plan, todo, on_outcome, workers)
    else:
        _execute_dask(plan, todo, on_outcome, workers, dask or "local")


def _execute_processes(plan: RunPlan, todo: Sequence[tuple[int, int]], on_outcome: OnOutcome,
                       workers: int | None) -> None:
    import multiprocessing

    n = min(workers or os.cpu_count() or 1, len(todo))
    # "forkserver": workers are forked from a clean server process (no inherited threads or
    # locks from the caller, e.g. a progress-bar or Dask thread) that has imported this module
    # and the run function's (the engine by default) once, when the server starts, so a new
    # pool starts in milliseconds; the plan goes over once per worker.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        fn_module = getattr(plan.run_fn, "__module__", None) or "supplylab.sim"
        ctx.set_forkserver_preload([f"{__package__}._worker_signals", __name__]
                                   + ([fn_module] if fn_module != "__main__" else []))
    else:  # Windows: no fork server; spawned workers import everything themselves
        ctx = multiprocessing.get_context("spawn")
    remaining = list(todo)
    strikes: dict[tuple[int, int], int] = {}
    solo = False
    while remaining:
        broken, progressed = _run_pool(plan, remaining, on_outcome, ctx,
                                       1 if solo else min(n, len(remaining)))
        if not broken:
            return
        if solo:  # one worker runs the tasks in order: the first lost one killed it
            culprit = broken[0]
            strikes[culprit] = strikes.get(culprit, 0) + 1
            if strikes[culprit] >= MAX_STRIKES:
                on_outcome(RunOutcome(*culprit, plan.seed, None, error="worker failed: the "
                                      f"process running it died {MAX_STRIKES} times"))
                broken = broken[1:]
                solo = False
        elif not progressed:  # died before any run finished: find the culprit alone
            solo = True
        remaining = broken


#: A run whose worker dies this many times when it runs alone is failed (the rest go on).
MAX_STRIKES = 2


def _run_pool(plan: RunPlan, todo: Sequence[tuple[int, int]], on_outcome: OnOutcome, ctx: Any,
              n: int) -> tuple[list[tuple[int, int]], bool]:
    """Run ``todo`` on one pool of ``n`` workers; returns the tasks lost because a worker
    died (the pool breaks: they are run again on a new pool) and whether any run finished."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_init_worker,
                               initargs=(plan, os.getpid()))
    interrupted = False
    broken: list[tuple[int, int]] = []
    progressed = False
    try:
        pending = {pool.submit(_run_in_worker, p, r): (p, r) for p, r in todo}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                point, rep = pending.pop(fut)
                if isinstance(fut.exception(), BrokenProcessPool):
                    broken.append((point, rep))
                    continue
                progressed = True
                on_outcome(_outcome_of(fut, point, rep, plan.seed))
    except BaseException:
        interrupted = True
        _terminate(pool)  # running tasks are abandoned, not waited for
        raise
    finally:
        _close(pool, grace=0.0 if interrupted else 10.0)
    return sorted(broken), progressed


def _close(pool: Any, grace: float) -> None:
    """Shut ``pool`` down without hanging: a worker killed while it held the task queue's
    lock leaves the others unable to read their exit message, so workers still alive after
    ``grace`` seconds are terminated."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + grace
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.terminate()
                proc.join(1.0)


def _terminate(pool: Any) -> None:
    """Stop every worker process of ``pool`` now (Ctrl-C or an error in the caller)."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            proc.terminate()


def _outcome_of(fut: Any, point: int, rep: int, seed: int) -> RunOutcome:
    """The outcome of a finished future; a worker that died becomes a failed run."""
    try:
        return fut.result()
    except Exception as exc:
        return RunOutcome(point, rep, seed, None, error=f"worker failed: {type(exc).__name__}: "
                          f"{exc}", exception=None)


def _dask_modules() -> tuple[Any, Any, Any]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise ExperimentError(
            "the Dask runner needs dask[distributed], which is not installed: "
            "pip install supplylab[dask]") from exc
    return Client, LocalCluster, as_completed


def _execute_dask(plan: RunPlan, todo: Sequence[tuple[int, int]], on_outcome: OnOutcome,
                  workers: int | None, address: str) -> None:
    Client, LocalCluster, as_completed = _dask_modules()
    cluster = None
    if address == "local":
        # port 0: a free port for the HTTP server, so two clusters on one machine never clash
        try:
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                   threads_per_worker=1, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0", processes=True)
        except Exception as exc:
            raise SupplylabError(f"could not start a local Dask cluster: {exc}") from exc
        client = Client(cluster)
    else:
        try:
            client = Client(address, timeout="10s")
        except OSError as exc:
            raise ExperimentError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    try:
        plan_future = client.scatter(plan, broadcast=True, hash=False)
        keys = {}
        futures = []
        for point, rep in todo:
            fut = client.submit(run_task, plan_future, point, rep, pure=False)
            keys[fut.key] = (point, rep)
            futures.append(fut)
        for fut in as_completed(futures):
            point, rep = keys[fut.key]
            on_outcome(_outcome_of(fut, point, rep, plan.seed))
            fut.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
