"""Long work (fit, dataset render, apply, scene) as a child process of the project's Python.

Blender must stay responsive, and its own Python cannot import torch or Mitsuba, so the
add-on starts the project's ``dgan`` command, watches it, and can stop it. Progress is
read from the files each command promises to write (``manifest.jsonl`` for render,
``metrics.jsonl`` for fit) rather than from its terminal output, which is for people.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

from .env import clean_env

Progress = Callable[[], "float | None"]


def dgan_argv(python: str, command: str, *args: str) -> list[str]:
    return [str(python), "-m", "dgan_blender", command, *map(str, args)]


def scene_args(preset: str, seed: int, out: Path, overrides: list[str]) -> list[str]:
    args = ["--preset", preset, "--seed", str(seed), "--out", str(out)]
    for text in overrides:
        args += ["--set", text]
    return args


def fit_args(preset: str, real: Path, out: Path, iters: int, seed: int | None = None) -> list[str]:
    """``--resume``: the panel's run folder is fixed, so a second Fit continues the run (or
    is refused in one line where the settings changed) instead of being refused as used."""
    args = ["--preset", preset, "--real", str(real), "--out", str(out), "--iters", str(iters), "--resume"]
    return args + (["--seed", str(seed)] if seed is not None else [])


def apply_args(params: Path, scene: Path, out: Path) -> list[str]:
    return ["--params", str(params), "--scene", str(scene), "--out", str(out)]


def render_args(preset: str, params: Path | None, count: int, out: Path, engine: str,
                workers: int, seed: int = 0, overrides: list[str] = ()) -> list[str]:
    args = ["--preset", preset, "--count", str(count), "--out", str(out), "--engine", engine,
            "--workers", str(workers), "--seed", str(seed)]
    if params:
        args += ["--params", str(params)]
    for text in overrides:
        args += ["--set", text]
    return args


def measure_args(real: Path, out: Path, preset: str, budget_minutes: float, seed: int = 0,
                 masks: Path | None = None, resume: bool = False) -> list[str]:
    """``preset`` empty: the run infers its geometry prior from the images."""
    args = ["--real", str(real), "--out", str(out), "--budget-minutes", f"{budget_minutes:g}", "--seed", str(seed)]
    args += ["--preset", preset] if preset else []
    args += ["--masks", str(masks)] if masks else []
    return args + (["--resume"] if resume else [])


MEASURE_STAGES = ("prior", "fit", "render", "train", "segment", "report")


def measure_stage(run: Path) -> tuple[int, str]:
    """(finished stages, the name of the one at work) from the run folder's stage folders:
    a stage is finished when RUN/NN-name holds its done marker."""
    run = Path(run)
    done = 0
    for i, name in enumerate(MEASURE_STAGES, start=1):
        if not (run / f"{i:02d}-{name}" / "done.json").exists():
            return done, name
        done += 1
    return done, "finished"


def measure_progress(run: Path) -> Progress:
    """Finished stages over six, plus the share of the fit or render stage at work."""
    def frac() -> float:
        done, name = measure_stage(run)
        part = 0.0
        try:
            budget = json.loads((Path(run) / "run.json").read_text())["budget"]
        except (OSError, ValueError, KeyError):
            budget = None
        if budget and name == "fit":
            part = metrics_progress(Path(run) / "02-fit.tmp", budget["fit_iters"])()
        elif budget and name == "render":  # its crowded share is a data set inside it (measure/adapters.py)
            tmp = Path(run) / "03-render.tmp"
            part = min(1.0, (count_lines(tmp / "manifest.jsonl") + count_lines(tmp / "crowded" / "manifest.jsonl"))
                       / max(budget["synthetic_images"], 1))
        return min(1.0, (done + part) / len(MEASURE_STAGES))
    return frac


def count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            return sum(1 for line in fh if line.strip())
    except OSError:
        return 0


def manifest_progress(data: Path, count: int) -> Progress:
    """``dgan render`` appends one manifest line per finished sample."""
    return lambda: min(1.0, count_lines(Path(data) / "manifest.jsonl") / max(count, 1))


def metrics_progress(run: Path, iters: int) -> Progress:
    """``dgan fit`` writes metrics lines carrying ``iteration``; the largest one counts."""
    def frac() -> float:
        best = 0
        try:
            with open(Path(run) / "metrics.jsonl", encoding="utf-8") as fh:
                for line in fh:
                    try:
                        best = max(best, int(json.loads(line).get("iteration", 0)))
                    except (ValueError, AttributeError):
                        continue
        except OSError:
            return 0.0
        return min(1.0, best / max(iters, 1))
    return frac


class Job:
    """One child process: state is running, done, failed or cancelled."""

    def __init__(self, title: str, argv: list[str], cwd: str | None = None,
                 progress: Progress | None = None, result: object = None):
        self.title, self.argv, self.cwd = title, list(argv), cwd
        self._progress = progress
        self.result = result  # what the caller loads back on success (a path, usually)
        self.state = "new"
        self.started = self.ended = 0.0
        self.log_path = Path(tempfile.mkstemp(prefix="dgan_job_", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Job":
        self._log = open(self.log_path, "wb")
        kwargs = {"start_new_session": True} if os.name == "posix" else {}
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=clean_env(), **kwargs)
        self.started, self.state = time.monotonic(), "running"
        return self

    def poll(self) -> str:
        if self.state == "running" and self.proc is not None:
            code = self.proc.poll()
            if code is not None:
                self._finish("done" if code == 0 else "failed")
        return self.state

    def _finish(self, state: str) -> None:
        self.state, self.ended = state, time.monotonic()
        self._log.close()

    @property
    def running(self) -> bool:
        return self.poll() == "running"

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.returncode

    def fraction(self) -> float | None:
        """0..1 where the command's files tell; None means 'busy, amount unknown'."""
        if self.poll() == "done":
            return 1.0
        return self._progress() if self._progress else None

    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started if self.started else 0.0

    def log_tail(self, n: int = 20) -> list[str]:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        lines = [ln.split("\r")[-1].strip() for ln in text.splitlines()]
        return [ln for ln in lines if ln][-n:]

    def error(self) -> str:
        """The command's one-line error (``dgan: error: ...``), else its last output line."""
        tail = self.log_tail(50)
        for line in reversed(tail):
            if line.startswith("dgan: error:"):
                return line[len("dgan: error:"):].strip()
        for line in reversed(tail):
            if "Error" in line or "error" in line:
                return line
        return tail[-1] if tail else f"exit code {self.returncode}"

    def status(self) -> str:
        frac = self.fraction()
        pct = f" {100 * frac:.0f} %" if frac is not None else ""
        return f"{self.title}:{pct} ({self.elapsed():.0f} s)"

    def cancel(self, grace: float = 5.0) -> None:
        """SIGTERM to the whole process group (Dask workers included), SIGKILL if it lingers."""
        if self.proc is None or self.poll() != "running":
            return
        self._signal(signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.proc.wait(grace)
        self._finish("cancelled")

    def _signal(self, sig: int) -> None:
        try:
            if os.name == "posix":
                os.killpg(self.proc.pid, sig)
            else:  # pragma: no cover
                self.proc.send_signal(sig)
        except ProcessLookupError:
            pass

    def wait(self, timeout: float | None = None, poll_s: float = 0.2) -> str:
        t0 = time.monotonic()
        while self.poll() == "running":
            if timeout is not None and time.monotonic() - t0 > timeout:
                self.cancel()
                break
            time.sleep(poll_s)
        return self.state


class MeasureJob(Job):
    """``dgan measure``: the status names the stage at work."""

    def __init__(self, argv: list[str], run: Path):
        super().__init__("Measure", argv, progress=measure_progress(run), result=Path(run))

    def status(self) -> str:
        done, name = measure_stage(self.result)
        frac = self.fraction()
        pct = f" {100 * frac:.0f} %" if frac is not None else ""
        return f"Measure, {name} ({done}/{len(MEASURE_STAGES)}):{pct} ({self.elapsed():.0f} s)"
