import json
import tomllib

import numpy as np
import pytest
import torch

from dgan_blender.errors import DganError
from dgan_blender.fit.generator import MIN_SPREAD, ParamModel
from dgan_blender.seeds import step_seed
from dgan_blender.fit.standin import SPECS, DiscGenerator, standin_real_set
from dgan_blender.fit.trainer import Fit, FitOptions

TARGET = {"particle.sem_base": 0.8, "substrate.sem_base": 0.15, "noise.read_sigma": 0.05}


@pytest.fixture(scope="module")
def real():
    return standin_real_set(TARGET, n=8, size=32, seed=99), standin_real_set(TARGET, n=4, size=32, seed=98)


def _fit(out, real, iters=8, seed=0, **kw):
    g = DiscGenerator(32, 8, seed=seed, init={"substrate.sem_base": 0.5, "particle.sem_base": 0.5})
    opts = FitOptions(iters=iters, seed=seed, batch=2, patch=32, eval_every=4, eval_images=4,
                      checkpoint_every=4, d_channels=8, **kw)
    return Fit(g, real[0], real[1], out, opts), g


def test_values_stay_inside_bounds_and_keep_their_spread():
    m = ParamModel(SPECS)
    with torch.no_grad():
        m.mu.copy_(torch.tensor([40.0, -40.0, 0.0, 0.0]))
        m.log_spread.fill_(-30.0)  # an optimiser pushing the spread to zero
    v = m.values(torch.rand(64, 3), torch.randn(64, 4) * 10)
    lo, hi = m.low, m.high
    assert torch.all(v >= lo) and torch.all(v <= hi)
    assert torch.all(m.spread() >= MIN_SPREAD)
    named = m.named_values(torch.rand(8, 3))
    assert named["noise.read_sigma"]["spread"] > 0  # per-image variation survives
    assert set(named["noise.read_sigma"]) == {"value", "spread", "low", "high"}


def test_step_seeds_differ_and_zero_is_valid():
    seeds = {step_seed(0, s) for s in range(100)} | {step_seed(1, s) for s in range(100)}
    assert len(seeds) == 200 and all(0 <= s < 2**31 for s in seeds)


def test_generator_is_reproducible_from_the_step_seed():
    g = DiscGenerator(32, 4, seed=0)
    a, aux = g(3, 5)
    b, _ = g(3, 5)
    c, _ = g(3, 6)
    assert a.shape == (3, 1, 32, 32) and torch.equal(a, b) and not torch.equal(a, c)
    assert float(a.detach().min()) >= 0 and float(a.detach().max()) <= 1 and len(aux["layouts"]) == 3


def test_tiny_fit_moves_a_parameter_towards_the_real_value(tmp_path):
    target = {"particle.sem_base": 0.8, "substrate.sem_base": 0.15, "noise.read_sigma": 0.05}
    real = standin_real_set(target, n=12, size=32, seed=99)
    # particles and noise at the real values; only the substrate level is learned
    g = DiscGenerator(32, 8, seed=0, init={**target, "substrate.sem_base": 0.5},
                      fixed=("particle.sem_base", "noise.blur_sigma_px", "noise.read_sigma"))
    opts = FitOptions(iters=30, seed=0, batch=4, patch=32, eval_every=10, eval_images=6, lr_g=1e-2,
                      checkpoint_every=30, d_channels=8, lr_decay="none")
    start = g.named_values()["substrate.sem_base"]["value"]
    end = Fit(g, real, real[:6], tmp_path, opts).run()
    now = g.named_values()["substrate.sem_base"]["value"]
    assert abs(now - 0.15) < 0.5 * abs(start - 0.15), (start, now)
    assert end["realism"] < end["realism_start"]


def test_outputs(tmp_path, real):
    fit, _ = _fit(tmp_path, real, iters=8)
    fit.opts.meta.update(command="dgan fit --test", data="standin")
    end = fit.run()
    assert end["iteration"] == 8 and end["final"]
    lines = [json.loads(ln) for ln in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [ln["iteration"] for ln in lines] == [0, 4, 8, 8] and lines[-1]["final"]
    assert all("realism" in ln and "seconds" in ln for ln in lines)
    params = tomllib.loads((tmp_path / "params.toml").read_text())
    assert {k: v for k, v in params["meta"].items() if k != "selected_iteration"} == {
        "seed": 0, "iterations": 8, "command": "dgan fit --test", "data": "standin"}
    assert set(params["parameters"]) == set(SPECS)
    for name, p in params["parameters"].items():
        assert p["low"] <= p["value"] <= p["high"] and p["spread"] >= 0, name
    for png in ("progress.png", "samples.png"):
        assert (tmp_path / png).stat().st_size > 1000
    assert not list(tmp_path.glob(".*tmp*"))


class Killed(Exception):
    pass


def test_resume_after_a_kill_matches_an_uninterrupted_run(tmp_path, real):
    full, g_full = _fit(tmp_path / "full", real, iters=12)
    full.run()

    def kill_at_10(entry):
        if entry["iteration"] == 10:
            raise Killed  # after the checkpoint at 8, before the one at 12

    part, _ = _fit(tmp_path / "part", real, iters=12)
    with pytest.raises(Killed):
        part.run(on_step=kill_at_10)
    resumed, g_res = _fit(tmp_path / "part", real, iters=12)
    resumed.run(resume=True)
    assert resumed.step == 12
    for (k, a), (_, b) in zip(g_full.state_dict().items(), g_res.state_dict().items()):
        assert torch.equal(a, b), k
    for (k, a), (_, b) in zip(full.D.state_dict().items(), resumed.D.state_dict().items()):
        assert torch.equal(a, b), k
    strip = lambda p: [{k: v for k, v in json.loads(ln).items() if k != "seconds"}  # noqa: E731
                       for ln in p.read_text().splitlines()]
    assert strip(tmp_path / "full" / "metrics.jsonl") == strip(tmp_path / "part" / "metrics.jsonl")
    assert (tmp_path / "full" / "params.toml").read_text() == (tmp_path / "part" / "params.toml").read_text()


def test_resume_of_a_finished_fit_writes_its_end_once(tmp_path, real):
    fit, _ = _fit(tmp_path, real, iters=8)
    fit.run()
    before = (tmp_path / "metrics.jsonl").read_text().splitlines()
    again, _ = _fit(tmp_path, real, iters=8)
    again.run(resume=True)
    after = (tmp_path / "metrics.jsonl").read_text().splitlines()
    strip = lambda lines: [{k: v for k, v in json.loads(ln).items() if k != "seconds"} for ln in lines]  # noqa: E731
    assert strip(after) == strip(before)
    assert [json.loads(ln).get("final", False) for ln in after].count(True) == 1


def test_resume_refuses_another_seed(tmp_path, real):
    fit, _ = _fit(tmp_path, real, iters=4)
    fit.run()
    other, _ = _fit(tmp_path, real, iters=8, seed=1)
    with pytest.raises(DganError, match="seed 0"):
        other.run(resume=True)


def test_hinge_and_unaugmented_runs(tmp_path, real):
    fit, _ = _fit(tmp_path, real, iters=2, loss="hinge", augment=False, spectral=False)
    assert np.isfinite(fit.run()["loss_d"])
    with pytest.raises(DganError, match="lsgan or hinge"):
        _fit(tmp_path, real, loss="wgan")


KILLED_RUN = """
import os, signal, sys
import torch
torch.set_num_threads(1)
sys.path.insert(0, {root!r})
from dgan_blender.fit.standin import DiscGenerator, standin_real_set
from dgan_blender.fit.trainer import Fit, FitOptions
real = standin_real_set({target!r}, n=8, size=32, seed=99), standin_real_set({target!r}, n=4, size=32, seed=98)
g = DiscGenerator(32, 8, seed=0, init={{"substrate.sem_base": 0.5, "particle.sem_base": 0.5}})
opts = FitOptions(iters=12, seed=0, batch=2, patch=32, eval_every=4, eval_images=4, checkpoint_every=4, d_channels=8)
def die(e):
    if e["iteration"] == 10:
        os.kill(os.getpid(), signal.SIGKILL)
Fit(g, real[0], real[1], {out!r}, opts).run(resume="--resume" in sys.argv, on_step=die)
"""


def test_sigkill_then_resume(tmp_path, real):
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "killed.py"
    script.write_text(KILLED_RUN.format(root=str(Path(__file__).resolve().parents[2]), target=TARGET,
                                        out=str(tmp_path / "run")))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=300)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    assert not (tmp_path / "run" / "params.toml").exists()
    full, _ = _fit(tmp_path / "full", real, iters=12)
    full.run()
    resumed, _ = _fit(tmp_path / "run", real, iters=12)
    resumed.run(resume=True)
    assert (tmp_path / "full" / "params.toml").read_text() == (tmp_path / "run" / "params.toml").read_text()


def test_cosine_lr_decay_ends_at_the_floor_and_none_is_constant(tmp_path, real):
    fit, _ = _fit(tmp_path / "c", real, iters=11, lr_g=0.01, lr_floor=0.1)
    lrs = [fit.lr_g_at(s) for s in range(11)]
    assert lrs[0] == pytest.approx(0.01) and lrs[-1] == pytest.approx(0.001)
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    flat, _ = _fit(tmp_path / "n", real, iters=11, lr_g=0.01, lr_decay="none")
    assert {flat.lr_g_at(s) for s in range(11)} == {0.01}
    with pytest.raises(DganError, match="lr_decay"):
        _fit(tmp_path / "x", real, lr_decay="step")


def test_params_come_from_the_evaluation_nearest_the_training_images(tmp_path, real):
    fit, _ = _fit(tmp_path, real, iters=12, select_best=True)
    end = fit.run()
    evals = [json.loads(ln) for ln in (tmp_path / "metrics.jsonl").read_text().splitlines()
             if "realism_train" in json.loads(ln)]
    best = min(evals, key=lambda e: e["realism_train"])
    assert end["selected_iteration"] == best["iteration"] and end["realism"] == best["realism"]
    params = tomllib.loads((tmp_path / "params.toml").read_text())
    assert params["meta"]["selected_iteration"] == best["iteration"]
    kept, _ = _fit(tmp_path / "last", real, iters=12)
    assert kept.run()["selected_iteration"] == 12


def test_a_tolerance_selects_the_latest_evaluation_near_the_lowest(tmp_path, real):
    fit, _ = _fit(tmp_path, real, iters=16, select_best=True, select_tolerance=0.5)
    end = fit.run()
    evals = [json.loads(ln) for ln in (tmp_path / "metrics.jsonl").read_text().splitlines()
             if "realism_train" in json.loads(ln)]
    lowest = min(e["realism_train"] for e in evals)
    near = [e for e in evals if e["realism_train"] <= 1.5 * lowest]
    assert end["selected_iteration"] == near[-1]["iteration"]


def test_the_tolerance_rule_follows_the_distances():
    """Distances 10, 8, 8.3, 12, 8.1: the lowest is 8; within 5 % the last one near it
    becomes the selection, without a tolerance the lowest."""
    def chosen(tolerance):
        class Stub:
            opts = FitOptions(select_best=True, select_tolerance=tolerance)
            best, history, ema = None, [], {}

        stub, picks = Stub(), []
        for it, r in enumerate((10.0, 8.0, 8.3, 12.0, 8.1)):
            entry = {"iteration": it, "realism_train": r}
            Fit.select(stub, entry)
            stub.history.append(entry)  # as Fit.run appends each evaluation
            picks.append(stub.best["entry"]["iteration"])
        return picks

    assert chosen(0.05) == [0, 1, 2, 2, 4]
    assert chosen(0.0) == [0, 1, 1, 1, 1]


def _scripted(fit, distances):
    """The fit's evaluations give these training-image distances in turn (the loop, the
    steps and the selection stay the real ones)."""
    real_evaluate, it = fit.evaluate, iter(distances)

    def evaluate(seconds):
        kept = fit.best
        entry = real_evaluate(seconds)  # selects by the real distance: undone
        fit.best = kept
        entry["realism_train"] = next(it)
        fit.select(entry)
        return entry

    fit.evaluate = evaluate


def test_a_fit_stops_once_its_selection_is_patience_evaluations_old(tmp_path, real):
    """Distances 10, 8, 9, 9.5, ... at iterations 0, 4, 8, 12: the selection (4) is two
    evaluations old at 12, where a patience of 2 ends the fit; a resume does not go on."""
    fit, _ = _fit(tmp_path, real, iters=24, select_best=True, stop_patience=2)
    _scripted(fit, [10.0, 8.0, 9.0, 9.5, 9.9, 11.0, 12.0])
    end = fit.run()
    assert end["iteration"] == 12 and end["selected_iteration"] == 4 and end["stopped_early"]
    again, _ = _fit(tmp_path, real, iters=24, select_best=True, stop_patience=2)
    assert again.run(resume=True)["iteration"] == 12
    full, _ = _fit(tmp_path / "full", real, iters=24, select_best=True)
    _scripted(full, [10.0, 8.0, 9.0, 9.5, 9.9, 11.0, 12.0])
    end = full.run()
    assert end["iteration"] == 24 and end["selected_iteration"] == 4 and not end["stopped_early"]


def test_a_return_within_the_tolerance_keeps_the_fit_going(tmp_path, real):
    fit, _ = _fit(tmp_path, real, iters=24, select_best=True, select_tolerance=0.05, stop_patience=2)
    _scripted(fit, [10.0, 8.0, 9.0, 8.3, 9.0, 9.0, 9.0])  # 8.3 at 12 is within 5 % of 8
    end = fit.run()
    assert end["selected_iteration"] == 12 and end["iteration"] == 20 and end["stopped_early"]
