"""Running a real Blender executable headless with a throw-away user folder (tests, CI,
the panel screenshot), so nothing touches a person's own Blender set-up.

Blender's extension commands run ``sys.executable`` as a helper process. A Blender that
uses a system Python found through a private loader (``../shared/tools/get-blender``'s
Debian build) reports a bare ``python3.13`` there, which the host's PATH may not have or
may resolve to another Python; for such launchers a shim with that name is put first on
PATH, running the Python that belongs to that Blender.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path


def _python_shim(blender: Path, folder: Path) -> Path | None:
    try:
        text = blender.read_text()
    except (OSError, UnicodeDecodeError):
        return None  # a real binary: its Python is its own
    m = re.search(r"(\S+)/usr/bin/blender --python-use-system-env", text)
    if not m or "ld-linux" not in text:
        return None
    root = m.group(1)
    pythons = sorted(Path(root, "usr", "bin").glob("python3.[0-9]*"))
    pythons = [p for p in pythons if re.fullmatch(r"python3\.\d+", p.name)]
    if not pythons:
        return None
    py = pythons[-1]
    script = text.replace(f"{root}/usr/bin/blender --python-use-system-env", str(py))
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / py.name
    shim.write_text(script)
    shim.chmod(0o755)
    return shim


def blender_env(blender: str | os.PathLike, home: str | os.PathLike, **extra: str) -> dict:
    """Environment for ``blender``: HOME (so user prefs and extensions) under ``home``."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOME=str(home), **extra)
    env.pop("PYTHONHOME", None)
    env.pop("PYTHONPATH", None)
    if _python_shim(Path(blender), home / ".dgan-bin") is not None:
        env["PATH"] = f"{home / '.dgan-bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_blender(blender: str | os.PathLike, args: list[str], env: dict, timeout: float = 600,
                cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(blender), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=cwd)


def install_extension(blender: str | os.PathLike, zip_path: str | os.PathLike, env: dict) -> str:
    """``blender -b --command extension install-file -r user_default -e ZIP``; its output."""
    proc = run_blender(blender, ["-b", "--command", "extension", "install-file", "-r",
                                 "user_default", "-e", str(zip_path)], env)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Installed" not in out:
        raise RuntimeError(f"extension install failed:\n{out[-2000:]}")
    return out
