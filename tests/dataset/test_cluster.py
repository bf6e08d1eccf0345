"""The render cluster leaves the driver process as it found it."""

import os

import torch

from dgan_blender.dataset.cluster import local_cluster
from dgan_blender.evaluate.train import cpu_threads


def test_the_nannies_settings_do_not_stay_in_the_driver(monkeypatch):
    """Dask's nannies set OMP_NUM_THREADS=1 (and more) for their workers in this process's
    environment; left there, a U-Net trained afterwards in the same process (dgan
    measure: render, then train) ran on one thread."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = dict(os.environ)
    with local_cluster(1):
        pass
    assert dict(os.environ) == before


def test_training_threads_are_set_explicitly():
    cores = len(os.sched_getaffinity(0))
    torch.set_num_threads(1)
    try:
        with cpu_threads(None):
            assert torch.get_num_threads() == cores
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(cores)


def _stream_levels():
    """The levels of the stream handlers Dask's logging writes through (where silence_logs
    acts), in the process this runs in."""
    import logging

    return sorted({h.level for h in logging.getLogger("distributed").handlers if isinstance(h, logging.StreamHandler)})


def test_the_clusters_workers_log_only_critical_and_closing_is_silent():
    """A worker whose scheduler closed first logged an ERROR with a traceback at the end of
    a render (its heartbeat failed): the cluster's workers pass only CRITICAL, the driver
    hears nothing of Dask's while the cluster closes, and its own logging is as it was
    afterwards."""
    import logging

    from dask.distributed import Client

    driver = logging.getLogger("distributed")
    before = driver.level
    with local_cluster(2) as cluster, Client(cluster) as client:
        levels = client.run(_stream_levels)
        assert len(levels) == 2 and all(v == [logging.CRITICAL] for v in levels.values()), levels
    assert driver.level == before
