"""The real chain on tiny inputs: Blender layouts, the Mitsuba fit, rendering, U-Net
training, segmentation, report - and a kill inside the render stage resumed to the same
numbers."""

import json

import pytest

from dgan_blender.measure import adapters, measure
from dgan_blender.measure.budget import budget_for
from dgan_blender.measure.stages import STAGES

from .conftest import PX_NM, write_real

TINY = dict(fit_iters=2, fit_pool=2, fit_patch=64, fit_spp=2, synthetic_images=4, image_px=64, render_spp=4,
            train_epochs=1, train_patch=64, train_batch=2)


def go(real, out, **kw):
    return measure(real, out, preset="tio2-sem", budget=budget_for(1.0, **TINY), pixel_size_nm=PX_NM,
                   workers=0, command="test", **kw)


@pytest.mark.slow
def test_real_chain_and_resume_after_kill_in_render(tmp_path, monkeypatch):
    real = write_real(tmp_path / "real", n=3, size=(112, 128), seed=4, masks=True)
    reference = go(real, tmp_path / "ref", masks=real / "masks")
    ref = tmp_path / "ref"
    assert (ref / "02-fit" / "params.toml").exists()
    assert len(list((ref / "03-render" / "images").glob("*.png"))) == 4
    assert (ref / "04-train" / "model.pt").exists()
    assert reference["n_images"] == 3 and "scores" in reference
    assert (ref / "report.html").stat().st_size > 10_000

    render = adapters.ADAPTERS["render"]

    def killed_after_two(ctx, out, resumed, progress):
        job_count = ctx.budget
        ctx.budget = budget_for(1.0, **(TINY | {"synthetic_images": 2}))
        try:
            render(ctx, out, resumed, progress)  # two of the four samples written
        finally:
            ctx.budget = job_count
        raise KeyboardInterrupt

    monkeypatch.setitem(adapters.ADAPTERS, "render", killed_after_two)
    with pytest.raises(KeyboardInterrupt):
        go(real, tmp_path / "run", masks=real / "masks")
    assert len(list((tmp_path / "run" / "03-render.tmp" / "images").glob("*.png"))) == 2
    monkeypatch.setitem(adapters.ADAPTERS, "render", render)
    resumed = go(real, tmp_path / "run", masks=real / "masks", resume=True)
    marker = json.loads((tmp_path / "run" / "03-render" / "done.json").read_text())
    assert marker["resumed"] is True
    assert resumed == reference
    assert (tmp_path / "run" / "particles.csv").read_text() == (ref / "particles.csv").read_text()
    assert all((tmp_path / "run" / s.folder).is_dir() for s in STAGES)
