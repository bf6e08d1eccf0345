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
