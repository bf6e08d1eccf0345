"""The stage runner: finished stages are kept, a kill anywhere + resume ends with the same
summary, nothing half-written looks finished, reruns are refused or resumed."""

import json

import numpy as np
import pytest

from dgan_blender.errors import DganError
from dgan_blender.io import write_png
from dgan_blender.measure import adapters, measure
from dgan_blender.measure.budget import budget_for
from dgan_blender.measure.stages import MARKER, STAGES, stage_seeds

from .conftest import PX_NM

pytestmark = pytest.mark.usefixtures("fake_stages")


def go(real, out, **kw):
    kw.setdefault("preset", "tio2-sem")
    return measure(real, out, budget=budget_for(1.0, fit_patch=64), pixel_size_nm=PX_NM, workers=0,
                   command="test", **kw)


def test_run_writes_every_stage_and_the_outputs(real_dir, tmp_path, fake_stages):
    summary = go(real_dir, tmp_path / "run")
    run = tmp_path / "run"
    for s in STAGES:
        assert (run / s.folder / MARKER).exists()
        assert not (run / f"{s.folder}.tmp").exists()
    for name in ("report.html", "summary.json", "particles.csv"):
        assert (run / name).exists()
    assert json.loads((run / "summary.json").read_text()) == summary
    assert summary["n_particles_inner"] > 5 and summary["size_nm"]["median_nm"]["value"] > 0
    header = (run / "particles.csv").read_text().splitlines()[0].split(",")
    assert {"equivalent_diameter_nm", "area_px", "on_border", "circularity", "elongation"} <= set(header)
    record = json.loads((run / "run.json").read_text())
    assert record["budget"]["fit_iters"] == budget_for(1.0).fit_iters and "fit_iters" in record["budget_split"]
    assert all(v == 1 for v in fake_stages.values())


def test_resume_of_finished_run_runs_nothing(real_dir, tmp_path, fake_stages):
    first = go(real_dir, tmp_path / "run")
    fake_stages.clear()
    assert go(real_dir, tmp_path / "run", resume=True) == first
    assert fake_stages == {}


@pytest.mark.parametrize("stage", [s.name for s in STAGES])
def test_kill_in_any_stage_then_resume_gives_same_summary(real_dir, tmp_path, monkeypatch, stage):
    reference = go(real_dir, tmp_path / "ref")
    original = adapters.ADAPTERS[stage]

    def killed(ctx, out, resumed, progress):
        (out / "half-written.bin").write_bytes(b"x")  # a partial output
        raise KeyboardInterrupt

    monkeypatch.setitem(adapters.ADAPTERS, stage, killed)
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        go(real_dir, run)
    folder = next(s.folder for s in STAGES if s.name == stage)
    assert not (run / folder).exists() and (run / f"{folder}.tmp").is_dir()
    assert not (run / "summary.json").exists()
    monkeypatch.setitem(adapters.ADAPTERS, stage, original)
    assert go(real_dir, run, resume=True) == reference
    assert (run / "summary.json").read_text() == (tmp_path / "ref" / "summary.json").read_text()
    assert (run / "particles.csv").read_text() == (tmp_path / "ref" / "particles.csv").read_text()


def test_rerun_without_resume_is_refused(real_dir, tmp_path):
    go(real_dir, tmp_path / "run")
    with pytest.raises(DganError, match="pass --resume") as err:
        go(real_dir, tmp_path / "run")
    assert "\n" not in str(err.value)


def test_resume_with_other_settings_names_the_difference(real_dir, tmp_path):
    go(real_dir, tmp_path / "run")
    with pytest.raises(DganError, match="seed: 0 -> 3"):
        go(real_dir, tmp_path / "run", resume=True, seed=3)


def test_masks_added_on_resume_redo_only_the_report(real_with_masks, tmp_path, fake_stages):
    go(real_with_masks, tmp_path / "run")
    fake_stages.clear()
    summary = go(real_with_masks, tmp_path / "run", resume=True, masks=real_with_masks / "masks")
    assert set(fake_stages) == {"report"}
    s = summary["scores"]
    assert s["n_scored_images"] == 3 and 0.9 < s["dsc"] <= 1.0  # the fake segments by threshold
    assert abs(s["sizes"]["median_error_pct"]) < 10


def test_stage_seeds_derive_from_the_run_seed():
    a, b = stage_seeds(0), stage_seeds(1)
    assert a == stage_seeds(0) and a != b
    assert len(set(a.values())) == len(a)


def test_no_preset_without_prior_is_one_line(real_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(adapters, "prior_available", lambda: False)
    with pytest.raises(DganError, match="--preset") as err:
        go(real_dir, tmp_path / "run", preset=None)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "run").exists()


def test_bad_inputs_are_refused_before_any_stage(tmp_path, real_dir, fake_stages):
    with pytest.raises(DganError, match="no such folder"):
        go(tmp_path / "nowhere", tmp_path / "run")
    with pytest.raises(DganError, match="unknown preset"):
        go(real_dir, tmp_path / "run", preset="tio3-sem")
    with pytest.raises(DganError, match="--masks"):
        go(real_dir, tmp_path / "run", masks=tmp_path / "no-masks")
    assert fake_stages == {}


def test_masks_that_cannot_score_are_refused_before_any_stage(tmp_path, real_with_masks, fake_stages):
    """A masks folder that matches no image, or a mask of another size, used to surface
    only at the report stage, after the whole chain had run."""
    other = tmp_path / "other"
    other.mkdir()
    write_png(other / "unrelated_m.png", np.zeros((112, 128), np.uint8))
    with pytest.raises(DganError, match="no mask matches any image name") as err:
        go(real_with_masks, tmp_path / "run", masks=other)
    assert "\n" not in str(err.value)
    write_png(real_with_masks / "masks" / "img1_m.png", np.zeros((100, 128), np.uint8))
    with pytest.raises(DganError, match=r"img1_m\.png: mask shape \(100, 128\) fits neither its image "
                                        r".*img1\.png .*; give a mask of its image's size$"):
        go(real_with_masks, tmp_path / "run", masks=real_with_masks)
    assert fake_stages == {} and not (tmp_path / "run").exists()


def test_missing_pixel_size_and_too_small_images_are_found_up_front(real_dir, tmp_path, fake_stages):
    with pytest.raises(DganError, match="--pixel-size"):
        measure(real_dir, tmp_path / "run", preset="tio2-sem", budget=budget_for(1.0, fit_patch=64), workers=0)
    with pytest.raises(DganError, match="smaller than the fit's 256 px patch"):
        measure(real_dir, tmp_path / "run", preset="tio2-sem", budget=budget_for(1.0, fit_patch=256),
                pixel_size_nm=PX_NM, workers=0)
    assert fake_stages == {} and not (tmp_path / "run").exists()


def test_resume_into_a_foreign_folder_is_refused(real_dir, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "thesis.docx").write_text("keep me")
    with pytest.raises(DganError, match="holds files but no measure run to resume"):
        go(real_dir, tmp_path / "run", resume=True)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["thesis.docx"]
