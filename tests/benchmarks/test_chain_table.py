"""benchmarks/chain.py reads the stage markers the runner writes and sets the budget
table's estimate beside each (no slow stage runs here: the runner gets instant adapters)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from dgan_blender.measure.budget import budget_for
from dgan_blender.measure.stages import STAGES, RunContext, run_stages

ROOT = Path(__file__).resolve().parents[2]


def load_chain():
    spec = importlib.util.spec_from_file_location("chain_benchmark", ROOT / "benchmarks" / "chain.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_run(tmp_path: Path, minutes: float, stop_after: str | None = None, preset: str | None = "tio2-sem") -> Path:
    run, real = tmp_path / "run", tmp_path / "real"
    real.mkdir()
    for i in range(4):
        (real / f"m{i}.png").write_bytes(b"")
    budget = budget_for(minutes)
    (run).mkdir()
    (run / "run.json").write_text(json.dumps({"real": str(real), "preset": preset, "budget": budget.as_dict()}))
    ctx = RunContext(run=run, real=real, preset=preset, seed=0, budget=budget)

    def adapter(name):
        def go(ctx, out, resumed, progress):
            if name == stop_after:
                raise KeyboardInterrupt
            return {"n_images": 4} if name == "segment" else {}
        return go

    try:
        run_stages(ctx, {s.name: adapter(s.name) for s in STAGES})
    except KeyboardInterrupt:
        pass
    return run


def test_every_stage_gets_its_marker_time_and_the_tables_estimate(tmp_path):
    chain = load_chain()
    text, fig = chain.chain_table(fake_run(tmp_path, 60.0), command_s=12.0)
    assert [line.split()[0] for line in text.splitlines()[2:]] == [s.name for s in STAGES] + ["total", "command"]
    stages = fig["stages"]
    assert all(stages[s.name]["seconds"] is not None for s in STAGES)
    assert fig["total_s"] == pytest.approx(sum(r["seconds"] for r in stages.values()), abs=0.1)
    # at 60 minutes the table's own figures: fit ~17 min per try (two) + ~1 min, render ~3, train ~22
    assert stages["fit"]["estimate_s"] == (2 * 17 + 1) * 60 and stages["render"]["estimate_s"] == 3 * 60
    assert stages["train"]["estimate_s"] == 22 * 60
    assert stages["prior"]["estimate_s"] == 0  # a given preset is only copied
    assert stages["segment"]["estimate_s"] == pytest.approx(3 * 60 * 4 / 30)
    assert fig["n_images"] == 4 and fig["command_s"] == 12.0


def test_estimates_scale_with_the_budget(tmp_path):
    chain = load_chain()
    half = chain.estimates(budget_for(30).as_dict(), 30, prior_given=False)
    full_budget = budget_for(60).as_dict()
    full = chain.estimates(full_budget, 30, prior_given=False)
    assert half["render"] == pytest.approx(full["render"] / 2)
    assert half["train"] == pytest.approx(full["train"] / 2)  # half the images per epoch
    assert half["fit"] == pytest.approx(2 * 17 / 2 + 1, rel=0.01)  # two tries of half the iterations
    one = chain.estimates({**full_budget, "fit_tries": 1}, 30, prior_given=False)
    assert one["fit"] == pytest.approx(17 + 1, rel=0.01)
    assert half["prior"] == full["prior"] > 0


def test_an_unfinished_run_lists_what_is_done(tmp_path):
    chain = load_chain()
    text, fig = chain.chain_table(fake_run(tmp_path, 10.0, stop_after="train"))
    assert fig["stages"]["render"]["seconds"] is not None
    assert fig["stages"]["train"]["seconds"] is None and fig["stages"]["report"]["seconds"] is None
    assert "not finished" in text and "finished so far" in text
    assert fig["n_images"] == 4  # counted in the micrograph folder
