"""The real chain on tiny inputs: Blender layouts, the Mitsuba fit, rendering, U-Net
training, segmentation, report - and kills inside the fit (after its checkpoint) and
inside the render stage, each resumed to the same numbers as an uninterrupted run."""

import json

import pytest

from dgan_blender.fit.trainer import Fit
from dgan_blender.measure import adapters, measure
from dgan_blender.measure.budget import budget_for
from dgan_blender.measure.stages import STAGES

from .conftest import PX_NM, write_real

pytestmark = pytest.mark.slow

TINY = dict(fit_iters=4, fit_pool=2, fit_patch=64, fit_spp=2, synthetic_images=4, image_px=64, render_spp=4,
            train_epochs=1, train_patch=64, train_batch=2, split_images=2)


def go(real, out, **kw):
    return measure(real, out, preset="tio2-sem", budget=budget_for(1.0, **TINY), pixel_size_nm=PX_NM,
                   workers=0, command="test", masks=real / "masks", **kw)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("chain")
    real = write_real(root / "real", n=3, size=(112, 128), seed=4, masks=True)
    return real, go(real, root / "ref"), root / "ref"


def test_real_chain_writes_every_stage(reference):
    real, summary, ref = reference
    assert (ref / "02-fit" / "params.toml").exists()
    # half of the synthetic set crowded (measure/crowded.py), a data set inside the stage's
    assert len(list((ref / "03-render" / "images").glob("*.png"))) == 2
    assert len(list((ref / "03-render" / "crowded" / "images").glob("*.png"))) == 2
    assert (ref / "04-train" / "model.pt").exists()
    assert summary["n_images"] == 3 and summary["scores"]["n_scored_images"] == 3
    assert (ref / "report.html").stat().st_size > 10_000
    # the held-out synthetic images measured the size error, per image, and the report shows it
    check = json.loads((ref / "05-segment" / "size_check.json").read_text())
    assert len(check["found_nm"]) == len(check["true_nm"]) == TINY["split_images"]
    assert summary["held_out_check"]["sizes"] == check["record"]
    seg = json.loads((ref / "05-segment" / "done.json").read_text())["record"]
    assert summary["held_out_check"]["split_necks_h"] == seg["split_necks_h"]
    assert summary["held_out_check"]["boundary_weight"] == seg["boundary_weight"]
    assert set(seg["weight_scores_held_out"]) == {"1", "2", "4", "8", "16", "32", "64", "128", "256"}

def _same(run, reference, stage):
    real, summary, ref = reference
    marker = json.loads((run / next(s.folder for s in STAGES if s.name == stage) / "done.json").read_text())
    assert marker["resumed"] is True
    assert (run / "summary.json").read_text() == (ref / "summary.json").read_text()
    assert (run / "particles.csv").read_text() == (ref / "particles.csv").read_text()


def test_kill_inside_fit_after_a_checkpoint(reference, tmp_path, monkeypatch):
    real = reference[0]
    step = Fit.train_step

    def dies_at_three_of_the_second_try(self):
        if self.step == 3 and self.opts.seed != self.opts.shared_seed:
            raise KeyboardInterrupt
        return step(self)

    monkeypatch.setattr(Fit, "train_step", dies_at_three_of_the_second_try)
    with pytest.raises(KeyboardInterrupt):
        go(real, tmp_path / "run")
    assert (tmp_path / "run" / "02-fit.tmp" / "try-0" / "params.toml").exists()
    assert (tmp_path / "run" / "02-fit.tmp" / "try-1" / "checkpoint.pt").exists()
    assert not (tmp_path / "run" / "02-fit").exists()
    monkeypatch.setattr(Fit, "train_step", step)
    go(real, tmp_path / "run", resume=True)
    _same(tmp_path / "run", reference, "fit")


def test_kill_inside_render(reference, tmp_path, monkeypatch):
    real = reference[0]
    render = adapters.ADAPTERS["render"]

    def killed_after_two(ctx, out, resumed, progress):
        full = ctx.budget
        ctx.budget = budget_for(1.0, **(TINY | {"synthetic_images": 2}))
        try:
            render(ctx, out, resumed, progress)  # two of the four samples written (one of each kind)
        finally:
            ctx.budget = full
        raise KeyboardInterrupt

    monkeypatch.setitem(adapters.ADAPTERS, "render", killed_after_two)
    with pytest.raises(KeyboardInterrupt):
        go(real, tmp_path / "run")
    tmp = tmp_path / "run" / "03-render.tmp"
    assert len(list(tmp.glob("images/*.png"))) == len(list(tmp.glob("crowded/images/*.png"))) == 1
    monkeypatch.setitem(adapters.ADAPTERS, "render", render)
    go(real, tmp_path / "run", resume=True)
    _same(tmp_path / "run", reference, "render")
