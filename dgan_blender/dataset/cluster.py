"""The local Dask cluster `dgan render --workers K` starts: K single-threaded worker
processes, set up for long, CPU-bound tasks.

Dask's defaults serve many short tasks; for a render, two of them cost time:

- a worker holds a second task while it runs one (``worker-saturation`` 1.1), so at
  the end of a job one worker can sit idle while the other still has two samples;
  1.0 hands a task to whichever worker frees first;
- each worker samples its task thread's stack every 10 ms (the dashboard's profile)
  and wakes its event loop every 20 ms; with the GIL-bound layout code that measured
  ~2.7 % of a core per idle worker and ~4 % in the scheduler process, which on a
  2-core machine comes straight out of the second worker (0.4 % each with the
  settings below).

The workers and the scheduler log only CRITICAL: a render's own errors are data (one
line per failed sample), and what Dask logs besides is about its own shutdown races.

Ctrl-C in a terminal reaches every process of the job; the workers ignore it (set up by
``dask_setup``, which Dask runs in each worker process as it starts, restarts included),
so only the driver stops - with one line - and closes the cluster.

An existing cluster (``--scheduler``) keeps its own configuration.
"""

from __future__ import annotations

import contextlib
import logging
import os

RENDER_CLUSTER_CONFIG = {
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.worker.preload": ["dgan_blender.dataset.cluster"],
}


def dask_setup(worker) -> None:  # noqa: ARG001 - Dask's preload hook
    """In a worker process: Ctrl-C is the driver's to handle (no worker tracebacks)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def local_cluster(workers: int):
    """A LocalCluster of ``workers`` one-thread processes, closed on exit. The
    configuration is read when the scheduler and the nannies start (a nanny keeps it
    for a worker it restarts), so it is set only around construction."""
    import dask
    from dask.distributed import LocalCluster

    environ = dict(os.environ)
    with dask.config.set(RENDER_CLUSTER_CONFIG):
        # the scheduler serves HTTP even without a dashboard, on 8787 unless told: with
        # another cluster on 8787 it printed a 4-line warning on every render
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL,
                               scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    # the nannies' pre-spawn settings (OMP_NUM_THREADS=1, ...) are left in this process's
    # environment: a U-Net trained here afterwards (dgan measure) ran on one thread
    os.environ.clear()
    os.environ.update(environ)
    try:
        yield cluster
    finally:
        # closing races the workers' heartbeats: a worker whose scheduler went first logs
        # an ERROR with a traceback ("Failed to communicate with scheduler during
        # heartbeat", seen at the end of a dgan measure render) - nothing a user can act
        # on, and every sample's own error is data (render_range), so the cluster's
        # processes log only CRITICAL, and this one nothing of Dask's while it closes
        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL + 1)
        try:
            cluster.close()
        finally:
            quiet.setLevel(level)
