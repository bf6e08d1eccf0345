from pathlib import Path

import numpy as np
import pytest

REAL_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "bam-tio2-sem" / "images"


def micrograph(h=200, w=240, bar=0, light_bar=False, seed=0) -> np.ndarray:
    """A float 0..1 'SEM image': grey substrate, bright blobs, optional data bar with text."""
    rng = np.random.default_rng(seed)
    img = 0.15 + 0.02 * rng.standard_normal((h, w))
    yy, xx = np.mgrid[:h, :w]
    for _ in range(12):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(6, 14)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = 0.8
    if bar:
        img[h - bar:] = 1.0 if light_bar else 0.0
        img[h - bar + 5:h - bar + 12:2, 10:w // 3] = 0.0 if light_bar else 1.0  # "text"
    return np.clip(img, 0, 1)


@pytest.fixture
def real_dir():
    if not REAL_DIR.is_dir() or not any(REAL_DIR.glob("*.tif")):
        pytest.skip(f"real data not present at {REAL_DIR}")
    return REAL_DIR


@pytest.fixture
def make_micrograph():
    return micrograph


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny tensors on a shared 2-core machine: threads only contend."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
