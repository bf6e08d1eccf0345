"""Background jobs: state, errors, progress from the commands' files, and Cancel."""

import json
import os
import sys
import time

import pytest

from dgan_blender.addon_support import jobs
from dgan_blender.addon_support.env import probe, python_from
from dgan_blender.errors import DganError

PY = sys.executable


def test_success_and_one_line_error(tmp_path):
    ok = jobs.Job("ok", [PY, "-c", "print('hello')"]).start()
    assert ok.wait(30) == "done" and ok.fraction() == 1.0 and ok.log_tail() == ["hello"]
    bad = jobs.Job("bad", [PY, "-c", "import sys; print('working'); "
                                      "sys.stderr.write('dgan: error: particles.count must be >= 0\\n'); sys.exit(2)"])
    assert bad.start().wait(30) == "failed" and bad.returncode == 2
    assert bad.error() == "particles.count must be >= 0"


def test_cancel_stops_the_whole_process_group(tmp_path):
    pidfile = tmp_path / "child.pid"
    code = ("import subprocess, sys, time; "
            f"c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
            f"open({str(pidfile)!r}, 'w').write(str(c.pid)); time.sleep(60)")
    job = jobs.Job("sleep", [PY, "-c", code]).start()
    for _ in range(100):
        if pidfile.exists() and pidfile.read_text():
            break
        time.sleep(0.1)
    assert job.running
    job.cancel(grace=5)
    assert job.state == "cancelled" and job.proc.poll() is not None
    child = int(pidfile.read_text())
    for _ in range(50):  # the grandchild (a Dask worker, say) goes too
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("grandchild survived Cancel")


def test_progress_from_manifest_and_metrics(tmp_path):
    render = jobs.manifest_progress(tmp_path, 4)
    assert render() == 0.0
    (tmp_path / "manifest.jsonl").write_text('{"index": 0}\n{"index": 1}\n')
    assert render() == 0.5
    fit = jobs.metrics_progress(tmp_path, 10)
    assert fit() == 0.0
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"iteration": 5}) + "\nnot json\n")
    assert fit() == 0.5


def test_argv_follow_the_issue_commands(tmp_path):
    assert jobs.fit_args("tio2-sem", "R", "RUN", 2) == ["--preset", "tio2-sem", "--real", "R", "--out", "RUN", "--iters", "2", "--resume"]
    assert jobs.apply_args("P", "S", "O") == ["--params", "P", "--scene", "S", "--out", "O"]
    r = jobs.render_args("tio2-sem", "P", 2, "D", "cycles", 2, 0, ["image.width_px=32"])
    assert r[:10] == ["--preset", "tio2-sem", "--count", "2", "--out", "D", "--engine", "cycles", "--workers", "2"]
    assert r[-4:] == ["--params", "P", "--set", "image.width_px=32"]
    assert jobs.dgan_argv("py", "fit", *r)[:4] == ["py", "-m", "dgan_blender", "fit"]


def test_environment_check(tmp_path):
    env = probe(PY)
    assert env.has("scene") and os.path.isdir(os.path.join(env.root, "dgan_blender"))
    with pytest.raises(DganError, match="no such file"):
        python_from(tmp_path / "nowhere")
    (tmp_path / "venv").mkdir()
    with pytest.raises(DganError, match="no Python interpreter"):
        python_from(tmp_path / "venv")
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'ModuleNotFoundError: dgan_blender' >&2; exit 1\n")
    fake.chmod(0o755)
    with pytest.raises(DganError, match="cannot import dgan_blender"):
        probe(fake)
