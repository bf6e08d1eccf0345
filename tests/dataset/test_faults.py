"""What `dgan render` promises under faults, each tried on the real CLI in a subprocess:
a kill of the whole job or of one Dask worker, a full disk, Ctrl-C, two jobs on one folder,
a rerun of other settings, a corrupt sample. Every case ends in success or one line with a
non-zero exit, nothing half-written, and a rerun that completes and validates."""

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
TINY = ["--size", "64", "--spp", "2"]


def dgan(*args, timeout=600, **kw):
    return subprocess.run([sys.executable, "-m", "dgan_blender", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, env=ENV, timeout=timeout, **kw)


def _as_a_terminal_job():
    """Ctrl-C's default action back: a test run started in the background by a shell
    without job control (``cmd &`` in a script, nohup) ignores SIGINT, and a child
    inherits that - the render would then rightly ignore the test's Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*args, **kw):
    """A render in its own process group, as a shell runs a job."""
    return subprocess.Popen([sys.executable, "-m", "dgan_blender", *map(str, args)], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_as_a_terminal_job, **kw)


def n_done(out):
    return len(list((Path(out) / "particles").glob("*.json")))


def wait_for(test, seconds=300):
    deadline = time.time() + seconds
    while not test():
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)


def one_line(r, code):
    """Exit ``code``; stderr is a single 'dgan: ...' line, no traceback."""
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == code, r.stderr
    assert "Traceback" not in r.stderr and len(lines) == 1 and lines[0].startswith("dgan: "), r.stderr
    return lines[0]


def no_tmp(out):
    assert not [p for p in Path(out).rglob("*.tmp")]


def completes(out, count, *extra):
    r = dgan("render", *TINY, "--count", count, "--out", out, "--workers", 0, *extra)
    assert r.returncode == 0, r.stderr
    v = dgan("validate", out, "--count", count)
    assert v.returncode == 0, v.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------- no render needed
def test_out_on_a_file_or_below_one(tmp_path):
    f = tmp_path / "f.txt"
    f.write_text("x")
    assert "is a file" in one_line(dgan("render", "--count", 1, "--out", f), 2)
    assert "is below" in one_line(dgan("render", "--count", 1, "--out", f / "sub"), 2)
    assert f.read_text() == "x"


# ------------------------------------------------------------- renders

def _mitsuba():
    pytest.importorskip("mitsuba")


# samples in the jobs that are interrupted: enough that the fault lands while the job still
# runs on an idle machine (a 64 px sample takes ~0.1 s)
JOB = 60


@pytest.mark.slow
def test_kill_9_of_the_job_then_validate_then_rerun(tmp_path):
    _mitsuba()
    out = tmp_path / "d"
    proc = start("render", *TINY, "--count", JOB, "--out", out, "--workers", 2)
    wait_for(lambda: n_done(out) >= 2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert "incomplete data set" in one_line(dgan("validate", out), 1)
    summary = completes(out, JOB)
    assert summary["complete"] == JOB and summary["rendered"] <= JOB - 2
    no_tmp(out)


def _worker_pids(pid):
    psutil = pytest.importorskip("psutil")
    return [p.pid for p in psutil.Process(pid).children(recursive=True)
            if "spawn_main" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())]


@pytest.mark.slow
def test_kill_9_of_one_dask_worker_the_job_completes(tmp_path):
    _mitsuba()
    out = tmp_path / "d"
    proc = start("render", *TINY, "--count", JOB, "--out", out, "--workers", 2)
    wait_for(lambda: n_done(out) >= 1)
    workers = _worker_pids(proc.pid)
    assert len(workers) == 2, workers
    os.kill(workers[0], signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert json.loads(stdout.strip().splitlines()[-1])["complete"] == JOB
    assert dgan("validate", out, "--count", JOB).returncode == 0
    no_tmp(out)


@pytest.mark.slow
def test_ctrl_c_is_one_line_and_the_rerun_completes(tmp_path):
    _mitsuba()
    out = tmp_path / "d"
    proc = start("render", *TINY, "--count", JOB, "--out", out, "--workers", 2)
    wait_for(lambda: n_done(out) >= 2)
    os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole group
    stdout, stderr = proc.communicate(timeout=300)
    r = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    assert "interrupted" in one_line(r, 130)
    no_tmp(out)
    assert completes(out, JOB)["complete"] == JOB


def _mount_tmpfs(path, size):
    path.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True)
    return r.returncode == 0


@pytest.mark.slow
def test_disk_full_then_the_rerun_after_freeing_space_completes(tmp_path):
    _mitsuba()
    disk = tmp_path / "disk"
    if _mount_tmpfs(disk, "48k"):
        try:
            out = disk / "d"
            r = dgan("render", *TINY, "--count", 12, "--out", out, "--workers", 0)
            line = one_line(r, 1)
            assert "No space left on device" in line and str(out) in line and "rerun" in line
            no_tmp(out)
            assert dgan("validate", out).returncode == 1
            subprocess.run(["mount", "-o", "remount,size=2m", str(disk)], check=True)
            assert completes(out, 12)["complete"] == 12
            no_tmp(out)
        finally:
            subprocess.run(["umount", "-l", str(disk)])
        return
    # no permission to mount: a file size limit gives EFBIG at the first large file
    out = tmp_path / "d"

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    r = dgan("render", *TINY, "--count", 6, "--out", out, "--workers", 0, preexec_fn=limit)
    assert "File too large" in one_line(r, 1)
    no_tmp(out)
    assert completes(out, 6)["complete"] == 6


@pytest.mark.slow
def test_two_renders_into_one_folder(tmp_path):
    _mitsuba()
    out = tmp_path / "d"
    first = start("render", *TINY, "--count", 200, "--out", out, "--workers", 0)
    wait_for(lambda: n_done(out) >= 6)  # the second's samples all exist: it must render none
    second = dgan("render", *TINY, "--count", 6, "--out", out, "--workers", 0)
    assert first.poll() is None  # still running: the second really came while it held the folder
    assert f"another 'dgan render' (pid {first.pid})" in one_line(second, 2)
    os.killpg(first.pid, signal.SIGINT)
    rc = first.wait(timeout=300)
    assert rc == 130, first.stderr.read() if first.stderr else rc
    assert completes(out, 6)["rendered"] == 0  # the first job's samples, kept and valid
    no_tmp(out)


@pytest.mark.slow
def test_rerun_with_other_settings_refused_restart_starts_over(tmp_path):
    _mitsuba()
    out = tmp_path / "d"
    completes(out, 2)
    before = sorted(p.read_bytes() for p in (out / "instances").glob("*.png"))
    for args, field in ((["--seed", 1], "seed: 0 -> 1"), (["--size", 32], "size: [64, 64] -> [32, 32]"),
                        (["--preset", "sio2-him"], "preset: 'tio2-sem' -> 'sio2-him'"),
                        (["--unfitted"], "look.fitted: True -> False")):
        r = dgan("render", *TINY, "--count", 2, "--out", out, "--workers", 0, *args)
        assert field in one_line(r, 2) and "--restart" in r.stderr
    assert sorted(p.read_bytes() for p in (out / "instances").glob("*.png")) == before  # untouched
    (out / "mine.txt").write_text("kept")
    summary = completes(out, 3, "--seed", 1, "--restart")
    assert summary["rendered"] == 3 and (out / "mine.txt").read_text() == "kept"
    assert json.loads((out / "run.json").read_text())["seed"] == 1
    assert {json.loads(p.read_text())["seed"] for p in (out / "particles").glob("*.json")} == {1}


@pytest.mark.slow
def test_corrupt_samples_are_named_and_repaired_by_a_rerun(tmp_path):
    _mitsuba()
    out = tmp_path / "d"
    completes(out, 4)
    good = {p.name: p.read_bytes() for p in (out / "instances").glob("*.png")}
    cut = out / "images" / "000001.png"
    cut.write_bytes(cut.read_bytes()[:100])  # truncated: a stat finds it
    garbled = out / "instances" / "000002.png"
    data = bytearray(garbled.read_bytes())
    data[60] ^= 0xFF  # same size, other bytes: only a checksum finds it
    garbled.write_bytes(bytes(data))
    r = dgan("validate", out, "--count", 4)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "images/000001.png" in r.stderr and "instances/000002.png" in r.stderr and "--verify" in r.stderr
    summary = completes(out, 4, "--verify")
    assert summary["rendered"] == 2 and summary["repaired"] == 1  # the cut one failed the stat
    assert {p.name: p.read_bytes() for p in (out / "instances").glob("*.png")} == good  # same samples
    # a plain rerun repairs a truncated file too (no decode in its path: the sizes tell)
    cut.write_bytes(cut.read_bytes()[:100])
    assert completes(out, 4)["rendered"] == 1
