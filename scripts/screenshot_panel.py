#!/usr/bin/env python
"""Screenshot of the DGAN panel in a real Blender UI (Xvfb, software GL).

    .venv/bin/python scripts/screenshot_panel.py [--blender PATH] [--out out/dgan_panel.png]

Builds and installs the extension into a throw-away Blender user folder, saves
preferences once (no splash; the add-on's Python environment = this venv), starts Blender
under Xvfb, opens the DGAN sidebar tab, and grabs the X screen with ``xwd -root``
(``bpy.ops.screen.screenshot`` is black under Xvfb). Needs: Xvfb, xwd, xdotool.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dgan_blender.addon_support.blender_exe import blender_env, install_extension, run_blender  # noqa: E402
from dgan_blender.addon_support.build import build_extension  # noqa: E402

PREFS = """
import bpy
bpy.context.preferences.view.show_splash = False
p = bpy.context.preferences.addons["bl_ext.user_default.dgan"].preferences
p.python_env = {python!r}
bpy.ops.dgan.check_env()
bpy.ops.wm.save_userpref()
print("PREFS", p.check_result)
"""


def xwd_to_rgb(path: Path) -> np.ndarray:
    """XWD (ZPixmap, 24/32 bpp, as Xvfb writes it) -> (H, W, 3) uint8 RGB."""
    raw = path.read_bytes()
    h = np.frombuffer(raw[:100], dtype=">u4")
    header_size, width, height = int(h[0]), int(h[4]), int(h[5])
    bits_per_pixel, bytes_per_line, ncolors = int(h[11]), int(h[12]), int(h[19])
    byte_order = int(h[7])
    if bits_per_pixel != 32:
        raise SystemExit(f"xwd: {bits_per_pixel} bits per pixel is not supported")
    start = header_size + 12 * ncolors
    px = np.frombuffer(raw[start:start + bytes_per_line * height], dtype=np.uint8)
    px = px.reshape(height, bytes_per_line)[:, :width * 4].reshape(height, width, 4)
    return px[..., [2, 1, 0]] if byte_order == 0 else px[..., [1, 2, 3]]


def free_display() -> int:
    n = 90
    while Path(f"/tmp/.X11-unix/X{n}").exists() or Path(f"/tmp/.X{n}-lock").exists():
        n += 1
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blender", default=os.environ.get("DGAN_BLENDER", "/opt/blender-trixie/blender"))
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "dgan_panel.png")
    ap.add_argument("--size", default="1400x1560")
    ap.add_argument("--timeout", type=float, default=240)
    a = ap.parse_args()
    for tool in ("Xvfb", "xwd", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"screenshot: {tool} not found (apt-get install xvfb x11-apps xdotool)")
    work = Path(tempfile.mkdtemp(prefix="dgan_shot_"))
    env = blender_env(a.blender, work / "home", DGAN_PYTHON=sys.executable)
    install_extension(a.blender, build_extension(work / "dist"), env)
    proc = run_blender(a.blender, ["-b", "--python-expr", PREFS.format(python=sys.executable)], env)
    print(next((ln for ln in proc.stdout.splitlines() if ln.startswith("PREFS")), proc.stderr[-500:]))

    w, h = a.size.split("x")
    disp = free_display()
    xvfb = subprocess.Popen(["Xvfb", f":{disp}", "-screen", "0", f"{w}x{h}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    status = work / "status.json"
    env.update(DISPLAY=f":{disp}", LIBGL_ALWAYS_SOFTWARE="1", DGAN_SHOT_STATUS=str(status))
    real = ROOT.parent / "shared" / "data" / "bam-tio2-sem" / "images"
    env["DGAN_SHOT_REAL"] = str(real) if real.is_dir() else ""
    blender = None
    try:
        time.sleep(1.0)
        blender = subprocess.Popen([a.blender, "-p", "0", "0", w, h, "--python",
                                    str(ROOT / "scripts" / "screenshot_panel_ui.py")],
                                   env=env, stdout=open(work / "blender.log", "w"), stderr=subprocess.STDOUT,
                                   start_new_session=True)
        t0, last_tick, shown_since, tab_y, job_pid, passes = time.monotonic(), -1, None, None, None, 0
        while time.monotonic() - t0 < a.timeout:
            time.sleep(0.5)
            if blender.poll() is not None:
                raise SystemExit(f"screenshot: Blender exited; see {work / 'blender.log'}")
            try:
                st = json.loads(status.read_text())
            except (OSError, ValueError):
                continue
            if "error" in st:
                raise SystemExit(f"screenshot: {st['error']}")
            if st["ticks"] < last_tick + 3:  # let a click's redraw reach the status file
                continue
            last_tick = st["ticks"]
            job_pid = st.get("job_pid") or job_pid
            if st["category"] != "DGAN":  # click down the sidebar's tab strip until DGAN is active
                tab_y = tab_y + 12 if tab_y is not None else st["tabs_top"] + 8
                if tab_y > st["tabs_top"] + 400:  # a busy Blender may have missed clicks: again
                    passes += 1
                    tab_y = st["tabs_top"] + 8
                if passes > 3:
                    raise SystemExit(f"screenshot: no DGAN tab found in the sidebar ({st})")
                subprocess.run(["xdotool", "mousemove", str(st["tabs_x"]), str(tab_y), "click", "1",
                                "mousemove", "20", "20"], env=env, check=False)
                continue
            shown_since = shown_since or time.monotonic()
            if (st["job"] or 0) > 0 or time.monotonic() - shown_since > 60:
                time.sleep(1.0)  # one more redraw
                break
        else:
            raise SystemExit(f"screenshot: timed out; see {work / 'blender.log'}")
        grab = work / "screen.xwd"
        subprocess.run(["xwd", "-root", "-silent", "-display", f":{disp}", "-out", str(grab)], check=True)
        rgb = xwd_to_rgb(grab)
        import cv2

        a.out.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(a.out), rgb[..., ::-1])
        print(f"screenshot: {a.out} ({rgb.shape[1]}x{rgb.shape[0]})")
        return 0
    finally:
        if job_pid:  # the demo render runs in its own process group; Blender's exit leaves it
            try:
                os.killpg(job_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if blender is not None and blender.poll() is None:
            os.killpg(blender.pid, signal.SIGTERM)
            blender.wait(10)
        xvfb.terminate()
        xvfb.wait(10)


if __name__ == "__main__":
    sys.exit(main())
