"""A sample never ends a job: bad settings are one line up front, a sample's error is
recorded in failures.jsonl while the others complete, and a rerun retries only it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--size", "48", "--spp", "2", "--preset", "sio2-him", "--set", "particles.coverage=0.2"]


def dgan(*args, timeout=600):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def one_line_error(r, code=2):
    assert r.returncode == code, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("dgan: error: "), r.stderr
    return lines[0]


@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.parametrize("setting, says", [("particles.coverage=0.9", "particles.coverage=0.9: 3 of 3 layouts"),
                                           ("particles.count=1000000000", "more than 20000")])
def test_impossible_settings_are_one_line_up_front(tmp_path, workers, setting, says):
    r = dgan("render", "--preset", "sio2-him", "--count", "4", "--workers", workers, "--set", setting,
             "--out", str(tmp_path / "d"))
    assert says in one_line_error(r)
    assert not (tmp_path / "d" / "manifest.jsonl").exists() or not (tmp_path / "d" / "manifest.jsonl").read_text()


def test_render_range_returns_sample_errors_as_data(tmp_path):
    from dgan_blender.config import load_config, to_dict
    from dgan_blender.dataset.run import render_range
    from dgan_blender.dataset.store import DatasetStore

    DatasetStore(tmp_path).prepare()
    cfg = to_dict(load_config("sio2-him", ["particles.coverage=0.8", "particles.mesh_subdivisions=1",
                                           "agglomerates.max_tries=10"]))
    result = render_range(cfg, 0, [3], str(tmp_path), "mitsuba", None, fitted=False)
    assert result["entries"] == []
    [f] = result["failures"]
    assert f["index"] == 3 and f["kind"] == "user" and "traceback" not in f
    assert f["error"].startswith("sample 3: none of 8 layout draws packs; last: particles.coverage=0.8 ")
    bad = render_range(cfg, 0, [1, 2], str(tmp_path), "mitsuba", str(tmp_path / "none.toml"))
    assert [f["index"] for f in bad["failures"]] == [1, 2]
    assert all(f["kind"] == "user" and "none.toml" in f["error"] for f in bad["failures"])


@pytest.mark.slow
def test_a_failing_sample_on_a_dask_worker_does_not_end_the_job(tmp_path):
    pytest.importorskip("bpy")
    pytest.importorskip("dask.distributed")
    out = tmp_path / "d"
    (out / "images" / "000001.png").mkdir(parents=True)  # sample 1's image cannot be written
    r = dgan("render", *SMALL, "--count", "4", "--workers", "2", "--out", str(out))
    line = one_line_error(r, code=1)  # a fault, not the user's input
    assert f"1 of 4 samples failed: see {out / 'failures.jsonl'}" in line and "sample 1: " in line
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["complete"] == 3 and summary["failed"] == 1
    [f] = [json.loads(ln) for ln in (out / "failures.jsonl").read_text().splitlines()]
    assert f["index"] == 1 and f["kind"] == "internal" and "Traceback" in f["traceback"]
    coco = json.loads((out / "annotations.json").read_text())
    assert sorted(im["sample_index"] for im in coco["images"]) == [0, 2, 3]
    assert (out / "contact.png").exists()

    (out / "images" / "000001.png").rmdir()
    r = dgan("render", *SMALL, "--count", "4", "--workers", "2", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["rendered"] == 1  # only the failed one
    assert not (out / "failures.jsonl").exists()
    assert dgan("validate", str(out), "--count", "4").returncode == 0


def masks_and_images(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(Path(root).rglob("*"))
            if p.is_file() and p.parent.name in ("images", "instances", "semantic")}


@pytest.mark.slow
def test_issue_sample_completes_with_a_redraw_and_twice_the_same_bytes(tmp_path):
    """A sample whose first draw does not pack (as in issue 14), in a small crowded field."""
    pytest.importorskip("bpy")
    args = ["render", "--preset", "sio2-him", "--size", "48", "--set", "particles.coverage=0.7", "--count", "3",
            "--shard", "2/3", "--seed", "2", "--workers", "0", "--spp", "1"]
    runs = []
    for name in ("a", "b"):
        r = dgan(*args, "--out", str(tmp_path / name))
        assert r.returncode == 0, r.stderr
        runs.append(masks_and_images(tmp_path / name))
    rec = json.loads((tmp_path / "a" / "particles" / "000002.json").read_text())
    assert rec["layout_attempt"] >= 1 and rec["layout_seed"] != rec["sample_seed"]
    [entry] = [json.loads(ln) for ln in (tmp_path / "a" / "manifest.jsonl").read_text().splitlines()]
    assert entry["index"] == 2 and entry["layout_attempt"] == rec["layout_attempt"]
    assert len(runs[0]) == 3 and runs[0] == runs[1]
