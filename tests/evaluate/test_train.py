"""The network, tiled inference, checkpoints and the two commands end to end (tiny)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dgan_blender.evaluate.data import load_annotated, normalise
from dgan_blender.evaluate.train import TrainSettings, load_model, predict, save_model, train
from dgan_blender.evaluate.unet import UNet, count_parameters

ROOT = Path(__file__).resolve().parents[2]
TINY = dict(epochs=1, patch=32, batch=4)


def test_unet_size_and_shape():
    model = UNet()
    assert 1.5e6 < count_parameters(model) < 2.5e6
    assert model(torch.zeros(1, 1, 32, 48)).shape == (1, 3, 32, 48)


def test_tiled_prediction_covers_odd_sizes():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = UNet(base=4).eval()
    image = normalise(np.random.default_rng(0).integers(0, 255, (70, 150)))
    probs = predict(model, image, tile=64, overlap=16)
    assert probs.shape == (3, 70, 150)
    assert np.allclose(probs.sum(0), 1, atol=1e-5)


def test_same_seed_same_network_and_checkpoint_round_trip(synthetic_like, tmp_path):
    samples = load_annotated(synthetic_like)
    settings = TrainSettings(seed=5, base=4, **TINY)
    m1, hist = train(samples, settings, 14.688, log=lambda _: None)
    m2, _ = train(samples, settings, 14.688, log=lambda _: None)
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)
    assert len(hist) == 1 and np.isfinite(hist[0]["loss"])
    save_model(tmp_path / "m.pt", m1, {"pixel_size_nm": 14.688, "seed": 5, "base": 4})
    m3, meta = load_model(tmp_path / "m.pt")
    x = normalise(samples[0].image)
    assert meta["seed"] == 5 and np.allclose(predict(m1, x), predict(m3, x), atol=1e-6)


def test_foreign_model_file_is_a_user_error(tmp_path):
    from dgan_blender.errors import DganError

    (tmp_path / "x.pt").write_bytes(b"not a model")
    with pytest.raises(DganError, match="not a model written by 'dgan train' or 'dgan eval'"):
        load_model(tmp_path / "x.pt")


def dgan(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.mark.slow
def test_eval_then_segment_end_to_end(real_like, synthetic_like, tmp_path):
    out = tmp_path / "eval"
    proc = dgan("eval", "--train", synthetic_like, "--test", real_like, "--out", out,
                "--epochs", 1, "--patch", 32, "--batch", 4, "--pixel-size", 7.344, "--seed", 3)
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("dsc", "ap50", "pq", "n_test_images", "ap50_min20", "pq_min20"):
        assert key in metrics
    assert metrics["n_test_images"] == 2 and metrics["seed"] == 3
    assert 0 <= metrics["dsc"] <= 1 and (out / "predictions.png").stat().st_size > 0
    sizes = metrics["sizes"]
    assert sizes["n_truth"] > 0 and {"median_error_pct", "wasserstein_nm", "ks"} <= set(sizes)
    assert {"median_error_pct", "wasserstein_nm", "ks"} <= set(json.loads(proc.stdout))
    seg = tmp_path / "seg"
    proc = dgan("segment", "--model", out / "model.pt", "--images", real_like / "images",
                "--out", seg, "--pixel-size", 7.344)
    assert proc.returncode == 0, proc.stderr
    from dgan_blender.io import read_png

    inst = read_png(seg / "instances" / "a.png")
    assert inst.dtype == np.uint16 and inst.shape == (96, 128) and inst[80:].max() == 0
    header = (seg / "particles.csv").read_text().splitlines()[0]
    assert "equivalent_diameter_nm" in header and "touching_neighbours" in header
    assert (seg / "size_distribution.png").stat().st_size > 0


@pytest.mark.parametrize("args, needle", [
    (["eval", "--train", "nowhere", "--test", "nowhere"], "not an annotated data set"),
    (["segment", "--model", "missing.pt", "--images", "."], "no such model"),
])
def test_bad_input_is_one_line_exit_2(args, needle, tmp_path):
    proc = dgan(*args, "--out", tmp_path / "o")
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], proc.stderr


def test_learning_rate_warms_up_then_decays():
    from dgan_blender.evaluate.train import learning_rate

    assert learning_rate(1.0, 0.0) == pytest.approx(0.1)
    assert learning_rate(1.0, 0.05) == pytest.approx(1.0)
    assert learning_rate(1.0, 1.0) == pytest.approx(0.01)
    assert learning_rate(1.0, 0.5) < learning_rate(1.0, 0.3)


def test_time_limit_stops_mid_epoch(synthetic_like):
    settings = TrainSettings(seed=0, base=4, epochs=1000, patch=32, batch=4, time_limit_s=0.5)
    _, hist = train(load_annotated(synthetic_like), settings, 14.688, log=lambda _: None)
    assert hist and hist[-1]["steps"] < 2000


def test_intensity_augmentation_keeps_labels_and_is_seeded():
    from dgan_blender.evaluate.train import draw_patches, intensity_augment

    rng = np.random.default_rng(0)
    img = normalise(rng.random((64, 64)).astype(np.float32))
    outs = [intensity_augment(img, np.random.default_rng(s)) for s in range(60)]
    assert all(o.shape == img.shape and o.dtype == np.float32 and np.isfinite(o).all() for o in outs)
    changed = sum(not np.allclose(o, img) for o in outs)
    assert 20 < changed < 60  # each transform has its probability; some patches stay as they were
    assert np.array_equal(intensity_augment(img, np.random.default_rng(7)), intensity_augment(img, np.random.default_rng(7)))
    sem = (rng.random((64, 64)) > 0.5).astype(np.uint8)
    x0, y0 = draw_patches([(img, sem)], 8, 32, np.random.default_rng(1), augment=False)
    x1, y1 = draw_patches([(img, sem)], 8, 32, np.random.default_rng(1), augment=True)
    assert torch.equal(y0[:1], y1[:1])  # the first crop is drawn before any augmentation draw
    assert not torch.equal(x0, x1)


def test_prefetched_batches_are_the_plain_loops():
    from dgan_blender.evaluate.train import prefetched

    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    assert list(prefetched(lambda: rng_a.random(), 7)) == [rng_b.random() for _ in range(7)]
    assert rng_a.random() == rng_b.random()  # the generator is left where a plain loop leaves it
    calls = []
    gen = prefetched(lambda: calls.append(1) or len(calls), 1000)
    assert next(gen) == 1
    gen.close()  # stops the producer: it never runs far ahead
    assert len(calls) <= 5

    def boom():
        raise ValueError("bad draw")

    with pytest.raises(ValueError, match="bad draw"):
        list(prefetched(boom, 3))


def test_prefetch_changes_no_weight(synthetic_like):
    samples = load_annotated(synthetic_like)
    models = [train(samples, TrainSettings(seed=2, base=4, prefetch=p, **TINY), 14.688, log=lambda _: None)[0]
              for p in (False, True)]
    for a, b in zip(models[0].state_dict().values(), models[1].state_dict().values()):
        assert torch.equal(a, b)
