"""A fit's run folder remembers what made it (RUN/run.json): a used folder needs --resume,
and a resume with other settings is refused in one line naming the difference."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from dgan_blender.config import load_config
from dgan_blender.errors import DganError
from dgan_blender.fit.api import claim_run, fit_record
from dgan_blender.fit.trainer import FitOptions

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--pixel-size-nm", "14", "--holdout", "0", "--pool", "2", "--patch", "64", "--spp", "1",
        "--eval-every", "1", "--eval-images", "2", "--set", "image.width_px=64", "--set", "image.height_px=64",
        "--set", "image.pixel_size_nm=14.0"]


def dgan(*args):
    return subprocess.run([sys.executable, "-m", "dgan_blender", *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def one_line(proc, needle):
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1 and needle in lines[0], proc.stderr


def real_folder(path: Path, seed: int) -> Path:
    path.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(2):
        img = (40 + 5 * rng.standard_normal((96, 96))).clip(0, 255).astype(np.uint8)
        img[10:40, 20:50] = 200
        cv2.imwrite(str(path / f"r{i}.png"), img)
    return path


def record(iters=5, seed=0, preset="tio2-sem", real="abc"):
    opts = FitOptions(iters=iters, seed=seed, patch=64, meta={"real_digest": real, "heldout": ""})
    return fit_record(load_config(preset), opts, 2, 1, ("noise.gamma",), False)


def test_the_record_ignores_iters_and_names_what_shapes_the_fit():
    a = record(iters=5)
    assert a == record(iters=500)
    assert {k for k in a if a[k] != record(seed=1)[k]} == {"seed"}
    assert {"preset", "scene_config", "size", "real_digest", "patch", "match_coverage", "fixed",
            "dgan_version"} <= set(a)


def test_claim_run(tmp_path):
    run = tmp_path / "run"
    claim_run(run, record(), resume=False)
    assert json.loads((run / "run.json").read_text())["preset"] == "tio2-sem"
    with pytest.raises(DganError, match="already holds a fit; pass --resume to continue it"):
        claim_run(run, record(), resume=False)
    claim_run(run, record(iters=50), resume=True)  # more iterations: the same run
    with pytest.raises(DganError, match=r"other settings \(real_digest: 'abc' -> 'xyz'\); resume it with"):
        claim_run(run, record(real="xyz"), resume=True)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(DganError, match="already holds other files; pass --resume to continue a fit there"):
        claim_run(other, record(), resume=False)
    with pytest.raises(DganError, match="holds files but no fit to resume"):
        claim_run(other, record(), resume=True)
    for below_a_file in (other / "notes.txt", other / "notes.txt" / "run"):
        with pytest.raises(DganError, match="notes.txt is a file; give a folder"):
            claim_run(below_a_file, record(), resume=False)
    assert not (other / "run.json").exists()


def test_fit_into_a_used_folder_is_refused_before_any_layout(tmp_path):
    real = real_folder(tmp_path / "real", 0)
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    one_line(dgan("fit", "--real", real, "--out", out, "--iters", "1", *TINY), "pass --resume")
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


@pytest.mark.slow
def test_resume_refuses_other_settings_and_continues_the_same(tmp_path):
    """A real tiny fit (Blender, Mitsuba, torch), then the cases users met."""
    real = real_folder(tmp_path / "real", 0)
    out = tmp_path / "run"
    base = ["fit", "--real", real, "--out", out, *TINY]
    first = dgan(*base, "--iters", "1")
    assert first.returncode == 0, first.stderr
    made = json.loads((out / "run.json").read_text())
    assert made["preset"] == "tio2-sem" and made["seed"] == 0 and "iters" not in made
    params = (out / "params.toml").read_text()

    one_line(dgan(*base, "--iters", "1"), "already holds a fit; pass --resume")
    one_line(dgan(*base, "--iters", "1", "--resume", "--preset", "sio2-him"),
             "made with other settings (preset: 'tio2-sem' -> 'sio2-him')")
    other = real_folder(tmp_path / "other", 1)
    one_line(dgan("fit", "--real", other, "--out", out, *TINY, "--iters", "1", "--resume"),
             "made with other settings (real_digest: ")
    one_line(dgan(*base, "--iters", "1", "--resume", "--seed", "3"), "(seed: 0 -> 3)")
    one_line(dgan(*base, "--iters", "1", "--resume", "--fix", "noise.gamma"), "(fixed: [] -> ['noise.gamma'])")
    assert (out / "params.toml").read_text() == params  # nothing was touched
    more = dgan(*base, "--iters", "2", "--resume")
    assert more.returncode == 0, more.stderr
    assert json.loads(more.stdout.strip().splitlines()[-1])["iteration"] == 2
