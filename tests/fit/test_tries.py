"""Tries of one fit: try 0 is the single fit, all tries are scored on the same held-out
patches and renders, the lowest is written, and a resume gives the same choice."""

import json

import cv2
import numpy as np
import pytest

from dgan_blender.config import load_config
from dgan_blender.fit.api import prepare, run_fit
from dgan_blender.fit.trainer import FitOptions
from dgan_blender.fit.tries import TRIES_FILE, run_fit_tries, try_folder, try_seed

pytestmark = pytest.mark.slow


def real_folder(path, n=3):
    path.mkdir()
    rng = np.random.default_rng(1)
    for i in range(n):
        img = (40 + 5 * rng.standard_normal((96, 96))).clip(0, 255).astype(np.uint8)
        img[10 + 5 * i:40, 20:50 + 10 * i] = 200
        cv2.imwrite(str(path / f"r{i}.png"), img)
    return path


def setup(tmp_path):
    cfg = load_config("tio2-sem", extra={"image": {"width_px": 64, "height_px": 64, "pixel_size_nm": 14.0}})
    opts = FitOptions(iters=2, seed=5, patch=64, eval_every=1, eval_images=2, select_best=True)
    train, held = prepare(cfg, real_folder(tmp_path / "real"), opts, holdout=0.34, pixel_size_nm=14.0)
    return cfg, opts, train, held


def metrics(folder):
    return [json.loads(ln) for ln in (folder / "metrics.jsonl").read_text().splitlines() if ln.strip()]


def test_tries_share_their_evaluation_and_the_nearest_is_written(tmp_path):
    cfg, opts, train, held = setup(tmp_path)
    seen = []
    out = tmp_path / "tries"
    end = run_fit_tries(cfg, train, held, out, opts, 2, pool_size=2, spp=1, on_step=lambda k, e: seen.append(k))
    assert sorted(set(seen)) == [0, 1]
    record = json.loads((out / TRIES_FILE).read_text())
    realisms = [t["realism"] for t in record["tries"]]
    assert record["chosen"] == end["try"] == int(np.argmin(realisms))
    assert [t["seed"] for t in record["tries"]] == [5, try_seed(5, 1)] and try_seed(5, 1) != 5
    chosen = try_folder(out, end["try"])
    assert (out / "params.toml").read_text() == (chosen / "params.toml").read_text()
    # the untrained look scores the same in both tries: same real patches, same renders
    first = [metrics(try_folder(out, k))[0] for k in (0, 1)]
    assert first[0]["iteration"] == first[1]["iteration"] == 0
    assert first[0]["realism"] == pytest.approx(first[1]["realism"], rel=1e-9)
    # ... and training differed
    assert metrics(try_folder(out, 0))[-1] != metrics(try_folder(out, 1))[-1]
    assert not (try_folder(out, 1) / "layouts").exists() and (out / "layouts").is_dir()  # one pool

    # try 0 is the fit the same options always made
    single = tmp_path / "single"
    run_fit(cfg, train, held, single, opts, pool_size=2, spp=1)
    assert (single / "params.toml").read_text() == (try_folder(out, 0) / "params.toml").read_text()

    # a resume of the finished tries keeps the choice and the written look, and leaves
    # the finished tries as they are (no evaluation redone)
    untouched = {p: p.stat().st_mtime_ns for k in (0, 1) for p in try_folder(out, k).iterdir()}
    again = run_fit_tries(cfg, train, held, out, opts, 2, resume=True, pool_size=2, spp=1)
    assert {p: p.stat().st_mtime_ns for p in untouched} == untouched
    assert again["try"] == end["try"] and again["realism"] == end["realism"]
    assert (out / "params.toml").read_text() == (chosen / "params.toml").read_text()
