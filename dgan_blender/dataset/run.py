"""``dgan render``: many annotated samples, in-process or on a Dask cluster.

Work is split into tasks (ranges of sample indices). Workers write sample files
themselves (atomically); only the driver appends to the manifest, so each finished
sample is listed exactly once. A rerun skips complete samples; Dask retries a task
whose worker died.

One sample never ends a job: a worker returns a sample's error as data (index, one-line
message, kind) instead of raising, so Dask logs no traceback; the driver finishes every
other sample, writes the COCO file and contact sheet for the complete ones, records the
failures in DATA/failures.jsonl and then raises :class:`SamplesFailed` (one line; exit 2
when every failure was the user's input, 1 otherwise). A rerun retries only what is
missing. Settings that fail for most samples are refused before any work
(:mod:`.preflight`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from ..config import SceneConfig, from_dict, to_dict
from .. import provenance
from ..errors import DganError
from .store import DatasetStore, check_out

FAILURES = "failures.jsonl"


class SamplesFailed(DganError):
    """Some samples could not be made; the rest of the data set was written."""

    def __init__(self, message: str, exit_code: int, summary: dict):
        super().__init__(message)
        self.exit_code = exit_code
        self.summary = summary


@dataclass
class RenderJob:
    cfg: SceneConfig
    count: int
    out: Path
    seed: int = 0
    engine: str = "mitsuba"
    workers: int = 1
    scheduler: str | None = None
    shard: tuple[int, int] = (0, 1)
    params: Path | None = None
    # one sample per task: whichever worker frees first takes the next, so a job ends
    # at most one sample after its work runs out (tasks of 4 left a worker idle for up
    # to 4 samples at the end); a task costs ~5 ms of set-up against 0.3-3 s of render
    task_size: int = 1
    fitted: bool = True  # False: the preset's own (unfitted) values, no detector model
    restart: bool = False  # delete the folder's samples first (other settings are refused)
    verify: bool = False  # checksum existing samples before resuming; bad ones are redone


def parse_shard(text: str | None) -> tuple[int, int]:
    if not text:
        return 0, 1
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise DganError(f"--shard {text!r}: expected I/N, e.g. 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise DganError(f"--shard {text!r}: need 0 <= I < N")
    return i, n


def _single_thread() -> None:
    """A Dask worker is one core: keep Cycles, Dr.Jit, torch and BLAS to one thread."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        import torch

        torch.set_num_threads(1)
    except Exception:  # torch is optional for the Cycles path
        pass
    from .. import llvm

    llvm.configure()
    import drjit

    drjit.set_thread_count(1)  # Dr.Jit's pool would otherwise use every core per worker
    from ..blender.door import import_bpy

    import_bpy(one_cpu=True)


def render_range(cfg_data: dict, seed: int, indices: list[int], out: str, engine: str,
                 params: str | None, threads: int = 0, fitted: bool = True) -> dict:
    """Runs on a worker: render and write each sample. Returns {"entries": manifest
    entries, "failures": one dict per sample that failed}; never raises for a sample."""
    entries: list[dict] = []
    failures: list[dict] = []
    try:
        from ..appearance.look import load_look
        from .sample import render_sample

        if threads == 1:
            _single_thread()
        cfg = from_dict(cfg_data)
        if threads:
            cfg.render.threads = threads
        look = load_look(Path(params) if params else None, cfg) if fitted else None
        store = DatasetStore(Path(out))
    except Exception as exc:  # the task's set-up: every sample of it failed alike
        return {"entries": [], "failures": [failure(i, exc) for i in indices]}
    for i in indices:
        try:
            if store.is_complete(i):
                continue
            image, inst, sem, record = render_sample(cfg, seed, i, engine, look)
            store.write_sample(i, image, inst, sem, record)
            entries.append(store.manifest_entry(i))
        except Exception as exc:
            failures.append(failure(i, exc))
    return {"entries": entries, "failures": failures}


def failure(index: int, exc: BaseException) -> dict:
    """A sample's error as data: the one line a user sees, its kind ("user": the input
    is wrong, exit 2; "internal": a fault or a bug, exit 1) and, for the latter, the
    traceback, kept in the failures file rather than printed."""
    user = isinstance(exc, DganError)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if not user:
        message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    entry = {"index": int(index), "error": message[:500], "kind": "user" if user else "internal"}
    if not user:
        entry["traceback"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:]
    return entry


def _tasks(todo: list[int], size: int) -> list[list[int]]:
    return [todo[k:k + size] for k in range(0, len(todo), size)]


def run(job: RenderJob, progress=None) -> dict:
    """Render what is missing of samples 0..count-1 (this shard's share) and write the
    manifest and COCO file. Returns a summary; raises :class:`SamplesFailed` (after
    writing everything else) when some samples could not be made.

    The folder is claimed first: one job at a time (a lock), and only a job of the same
    settings continues it (``run.json``); ``job.restart`` deletes its samples first,
    ``job.verify`` checksums the existing samples and renders bad ones again."""
    store = DatasetStore(check_out(job.out))
    with store.lock():
        repaired = _claim(job, store)
        summary = _render(job, store, progress)
    return {**summary, "repaired": repaired} if job.verify else summary


def run_record(job: RenderJob) -> dict:
    """What decides a data set's content; --count, --shard and --workers do not (a
    resumed or extended job is the same data set)."""
    return provenance.describe(
        preset=job.cfg.name, seed=job.seed,
        size=[job.cfg.image.width_px, job.cfg.image.height_px], spp=job.cfg.render.spp,
        engine=job.engine,
        look={"fitted": job.fitted,
              "params_digest": provenance.file_digest(job.params) if job.fitted else None},
        config=to_dict(job.cfg))


def _claim(job: RenderJob, store: DatasetStore) -> int:
    if job.restart:
        store.clear()
    store.prepare()
    record = run_record(job)
    if provenance.read(store.root) is None:
        _refuse_foreign_samples(store, record)
    provenance.claim(store.root, record, "data set", "--restart")
    if not job.verify:
        return 0
    bad = store.verify(sorted(store.repair_manifest(job.count)))
    for index, line in bad:
        print(f"dgan: {line}; rendering it again", file=sys.stderr)
        store.invalidate(index)
    return len({index for index, _ in bad})


def _refuse_foreign_samples(store: DatasetStore, record: dict) -> None:
    """A folder of samples written before run.json existed: its first sample tells the
    seed, preset and engine that made it."""
    first = next(iter(sorted((store.root / "particles").glob("*.json"))), None)
    if first is None:
        return
    try:
        rec = json.loads(first.read_bytes())
    except (OSError, ValueError):
        return
    for key in ("preset", "seed", "engine"):
        if key in rec and rec[key] != record[key]:
            raise DganError(f"{store.root}: this data set was made with other settings "
                            f"({key}: {rec[key]!r} -> {record[key]!r}); choose another folder, "
                            "or pass --restart to start it over")


def _render(job: RenderJob, store: DatasetStore, progress) -> dict:
    store.prepare()
    done = store.repair_manifest(job.count)
    i_shard, n_shard = job.shard
    mine = [i for i in range(job.count) if i % n_shard == i_shard]
    todo = [i for i in mine if i not in done]
    cfg_data = to_dict(job.cfg)
    params = str(job.params) if job.params else None
    if todo:
        _preflight(job)
    t0 = time.perf_counter()
    tasks = _tasks(todo, job.task_size)
    rendered = 0
    failures: list[dict] = []
    if progress:
        progress.start(len(mine), len(mine) - len(todo))
    if job.workers <= 0 and not job.scheduler:
        for task in tasks:
            result = render_range(cfg_data, job.seed, task, str(job.out), job.engine, params,
                                  fitted=job.fitted)
            store.append_manifest(result["entries"])
            rendered += len(result["entries"])
            failures += result["failures"]
            if progress:
                progress.advance(len(task))
    elif tasks:
        rendered, failures = _run_dask(job, tasks, cfg_data, params, store, progress)
    seconds = time.perf_counter() - t0
    # a worker killed between writing a file and renaming it leaves its temp file; the
    # lock says no other writer exists, and its sample was redone by another worker
    store.prepare()
    final = store.repair_manifest(job.count, below=job.count)  # a shrunk --count: listed as asked
    complete = [i for i in range(job.count) if i in final]
    coco = store.write_coco(complete, f"dgan-blender {job.cfg.name} seed {job.seed}")
    if complete:
        store.write_contact_sheet(complete[:16])
    failed_file = _write_failures(store, set(mine), failures, final)
    summary = {"out": str(job.out), "rendered": rendered, "complete": len(complete),
               "count": job.count, "seconds": round(seconds, 3),
               "images_per_s": round(rendered / seconds, 4) if rendered and seconds > 0 else None,
               "annotations": str(coco), "failed": len(failures)}
    if failures:
        summary["failures"] = str(failed_file)
        first = min(failures, key=lambda f: f["index"])
        code = 2 if all(f["kind"] == "user" for f in failures) else 1
        raise SamplesFailed(f"{len(failures)} of {len(mine)} samples failed: see {failed_file} "
                            f"(first: sample {first['index']}: {first['error']})", code, summary)
    return summary


def _preflight(job: RenderJob) -> None:
    """Input errors that would fail every sample, found once on the driver: the look's
    parameters and settings whose layouts mostly cannot be packed."""
    from ..appearance.look import load_look
    from .preflight import check_layouts

    if job.fitted:
        load_look(job.params, job.cfg)
    check_layouts(job.cfg, job.seed)


def _write_failures(store: DatasetStore, mine: set[int], failures: list[dict], complete) -> Path:
    """DATA/failures.jsonl: this run's failures plus earlier ones of other shards that
    are still missing; removed when nothing is left. Written atomically."""
    path = store.root / FAILURES
    kept = []
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                old = json.loads(line)
                if int(old["index"]) not in mine and int(old["index"]) not in complete:
                    kept.append(old)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
    rows = sorted(kept + failures, key=lambda f: f["index"])
    if not rows:
        path.unlink(missing_ok=True)
        return path
    tmp = path.with_name(f".{FAILURES}.tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    os.replace(tmp, path)
    return path


def _run_dask(job: RenderJob, tasks, cfg_data, params, store: DatasetStore,
              progress) -> tuple[int, list[dict]]:
    from dask.distributed import Client

    from .cluster import local_cluster

    with contextlib.ExitStack() as stack:
        if job.scheduler:
            client = stack.enter_context(Client(job.scheduler))
        else:
            client = stack.enter_context(Client(stack.enter_context(local_cluster(job.workers))))
        return _gather(client, job, tasks, cfg_data, params, store, progress)


def _gather(client, job: RenderJob, tasks, cfg_data, params, store: DatasetStore,
            progress) -> tuple[int, list[dict]]:
    from dask.distributed import as_completed

    futures = {client.submit(render_range, cfg_data, job.seed, task, str(store.root), job.engine,
                             params, 1, job.fitted, retries=3, pure=False): task for task in tasks}
    rendered, failures = 0, []
    for fut in as_completed(futures):
        task = futures[fut]
        try:
            result = fut.result()
        except Exception as exc:  # the task itself was lost (its worker died 4 times, ...)
            result = {"entries": [], "failures": [failure(i, exc) for i in task]}
        store.append_manifest(result["entries"])
        rendered += len(result["entries"])
        failures += result["failures"]
        if progress:
            progress.advance(len(task))
    return rendered, failures
