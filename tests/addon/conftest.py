import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SESSION = Path(__file__).with_name("bpy_session.py")


@pytest.fixture(scope="session")
def addon_zip(tmp_path_factory):
    """The zip exactly as users get it: built by 'dgan addon build'."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "dgan_blender", "addon", "build", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return Path(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def dgan_commands():
    from dgan_blender.addon_support.env import probe

    return probe(sys.executable).commands


def needs_command(commands, name):
    if name not in commands:
        pytest.skip(f"'dgan {name}' is not registered yet (dgan --help lists: {', '.join(commands)})")


def bpy_case(zip_path, case, work, *extra, timeout=600):
    """One case of bpy_session.py in a fresh bpy process with its own $HOME."""
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), DGAN_PYTHON=sys.executable)
    proc = subprocess.run(["nice", sys.executable, str(SESSION), str(zip_path), case, str(work), *extra],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=work)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):]), proc.stdout
