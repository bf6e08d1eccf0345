"""The add-on's Measure job: arguments, progress per stage read from the run folder, errors."""

import json
import sys

from dgan_blender.addon_support import jobs
from dgan_blender.measure.stages import STAGES


def test_measure_args():
    a = jobs.measure_args("R", "RUN", "tio2-sem", 60, 3)
    assert a == ["--real", "R", "--out", "RUN", "--budget-minutes", "60", "--seed", "3", "--preset", "tio2-sem"]
    b = jobs.measure_args("R", "RUN", "", 12.5, 0, masks="M", resume=True)
    assert "--preset" not in b and b[-3:] == ["--masks", "M", "--resume"] and "12.5" in b


def test_stage_folders_name_the_stages_the_addon_watches():
    assert jobs.MEASURE_STAGES == tuple(s.name for s in STAGES)


def test_progress_per_stage(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"budget": {"fit_iters": 10, "synthetic_images": 4}}))
    frac = jobs.measure_progress(run)
    assert jobs.measure_stage(run) == (0, "prior") and frac() == 0.0
    for s in STAGES[:2]:
        (run / s.folder).mkdir()
        (run / s.folder / "done.json").write_text("{}")
    (run / "03-render.tmp").mkdir()
    (run / "03-render.tmp" / "manifest.jsonl").write_text('{"index": 0}\n')
    assert abs(frac() - 2.25 / 6) < 1e-9
    (run / "03-render.tmp" / "crowded").mkdir()  # the crowded share counts too
    (run / "03-render.tmp" / "crowded" / "manifest.jsonl").write_text('{"index": 0}\n')
    assert jobs.measure_stage(run) == (2, "render")
    assert abs(frac() - 2.5 / 6) < 1e-9
    job = jobs.MeasureJob(["x"], run)
    assert job.status().startswith("Measure, render (2/6): 42 %")


def test_a_bad_run_fails_with_its_one_line_error(tmp_path):
    argv = jobs.dgan_argv(sys.executable, "measure",
                          *jobs.measure_args(tmp_path / "none", tmp_path / "run", "tio2-sem", 60))
    job = jobs.MeasureJob(argv, tmp_path / "run").start()
    assert job.wait(120) == "failed" and job.returncode == 2
    assert job.error().startswith("--real") and "no such folder" in job.error()


def test_batch_entry_takes_the_same_arguments(tmp_path):
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "dgan_blender.module_batch", "--", "measure",
                           *jobs.measure_args(tmp_path / "none", tmp_path / "run", "tio2-sem", 60)],
                          capture_output=True, text=True, timeout=120, cwd=root)
    assert proc.returncode == 2 and proc.stderr.startswith("dgan: error: --real")
