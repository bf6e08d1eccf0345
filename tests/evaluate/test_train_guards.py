"""A --patch larger than the training images, and a loss that stops being finite: a
note and a working model, or one line and no model - never a NaN model and exit 0."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dgan_blender.errors import DganError
from dgan_blender.evaluate.data import load_annotated
from dgan_blender.evaluate.run import evaluate
from dgan_blender.evaluate.train import TrainSettings, draw_patches, train, usable_patch

ROOT = Path(__file__).resolve().parents[2]


def test_patches_larger_than_an_image_are_padded_with_zeros_and_ignored():
    img = np.full((40, 48), 0.5, np.float32)
    sem = np.ones((40, 48), np.uint8)
    x, y = draw_patches([(img, sem)], 6, 64, np.random.default_rng(0))
    assert torch.isfinite(x).all() and set(np.unique(x.numpy())) == {0.0, 0.5}
    assert ((x[:, 0] == 0.5) == (y == 1)).all()  # every image pixel labelled, the padding ignored


def test_patch_is_lowered_to_the_smallest_image_with_a_note():
    data = [(np.zeros((70, 200)), None), (np.zeros((300, 300)), None)]
    notes = []
    assert usable_patch(data, 64, notes.append) == 64 and notes == []
    assert usable_patch(data, 256, notes.append) == 64
    assert notes == ["note: --patch 256 is larger than the smallest training image (70 px at the training pixel "
                     "size); training on 64 px patches"]


def test_a_loss_that_is_not_finite_stops_training_and_saves_nothing(synthetic_like, real_like, tmp_path):
    settings = TrainSettings(epochs=3, seed=0, patch=32, batch=4, base=4, lr=1e38)  # diverges at step 2
    with pytest.raises(DganError, match=r"training loss became nan at step 2; no model was saved"):
        train(load_annotated(synthetic_like), settings, 14.688, log=lambda _: None)
    with pytest.raises(DganError, match="training loss became nan"):
        evaluate(synthetic_like, real_like, tmp_path / "eval", settings, pixel_size_nm=7.344, log=lambda _: None)
    assert not (tmp_path / "eval" / "model.pt").exists() and not (tmp_path / "eval" / "metrics.json").exists()


@pytest.mark.slow
def test_eval_with_a_patch_larger_than_the_images(synthetic_like, real_like, tmp_path):
    out = tmp_path / "eval"
    proc = subprocess.run([sys.executable, "-m", "dgan_blender", "eval", "--train", str(synthetic_like), "--test",
                           str(real_like), "--out", str(out), "--epochs", "1", "--patch", "256", "--batch", "2",
                           "--pixel-size", "7.344"], capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    notes = [ln for ln in proc.stderr.splitlines() if ln.startswith("note:")]
    assert notes == ["note: --patch 256 is larger than the smallest training image (64 px at the training pixel "
                     "size); training on 64 px patches"], proc.stderr
    model = torch.load(out / "model.pt", weights_only=True)
    assert model["meta"]["patch"] == 64
    assert all(torch.isfinite(v).all() for v in model["state_dict"].values() if v.is_floating_point())
    metrics = json.loads((out / "metrics.json").read_text())
    assert all(np.isfinite(h["loss"]) for h in metrics["history"])
