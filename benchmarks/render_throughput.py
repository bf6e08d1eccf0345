"""Images per second of `dgan render` at 256x256 for tio2-sem, 1 and 2 workers, each
engine (pooled over alternating rounds); scaling efficiency; the mitsuba engine's
per-image time against bare Mitsuba on the same scene and spp (the floor: load the
scene's geometry, render; the render call alone is printed beside it); the data set's
rate against that floor on the same number of cores; and the layout time per sample
(median, p95) of every shipped preset at 256x256. All figures from one run.

    .venv/bin/python benchmarks/render_throughput.py [--count 16] [--spp 16] [--rounds 6]
        [--layout-samples 30] [--presets tio2-sem,sio2-him,agnw-sem,tio2-tsem] [--engines mitsuba,cycles|none]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from dgan_blender.config import load_config
from dgan_blender.dataset.cluster import local_cluster
from dgan_blender.dataset.run import RenderJob, run


def timed_rounds(cfg, engine: str, count: int, rounds: int, root: Path) -> list[tuple[float, float]]:
    """Per round, (seconds for ``count`` images on 1 worker, the same images on 2).

    Both clusters are the one `dgan render --workers K` starts, started once and warmed
    (worker start, bpy import, Dr.Jit kernel cache) so start-up counts against neither.
    The rounds alternate 1-2, 2-1, ... and each renders a new set of layouts (one seed
    per round) for both: this shared machine's single-core speed swings by up to 40 %
    within seconds, so a 1-worker and a 2-worker job are only comparable pooled over
    many short jobs taken close together."""
    out = []
    with local_cluster(1) as one, local_cluster(2) as two:
        clusters = {1: one.scheduler_address, 2: two.scheduler_address}
        for workers, address in clusters.items():
            run(RenderJob(cfg=cfg, count=2 * workers, out=root / f"warm_{engine}_{workers}", seed=99,
                          engine=engine, workers=workers, scheduler=address))
        for r in range(rounds):
            seconds = {}
            for workers in ((1, 2) if r % 2 == 0 else (2, 1)):
                dest = root / f"{engine}_{workers}_{r}"
                t0 = time.perf_counter()
                summary = run(RenderJob(cfg=cfg, count=count, out=dest, seed=1000 + r, engine=engine,
                                        workers=workers, scheduler=clusters[workers]))
                seconds[workers] = time.perf_counter() - t0
                assert summary["complete"] == count, summary
                shutil.rmtree(dest, ignore_errors=True)
            out.append((seconds[1], seconds[2]))
    return out


def engine_vs_bare_seconds(cfg, count: int, rounds: int = 3) -> dict[str, float]:
    """Median per-image seconds of the engine path (Blender scene + export + bridge
    render + instance ids, from a layout in memory) and of bare Mitsuba on the same
    scenes and spp from their geometry in memory: ``load_and_render`` loads each scene
    (meshes, acceleration structure) and renders it - the floor for a data set, where
    every image is a new scene; ``render`` is the render call alone. The two paths
    alternate image by image, so a busy spell of the machine hits both alike."""
    from dgan_blender.blender.builder import build_scene
    from dgan_blender.bridge.export import describe
    from dgan_blender.bridge.sample_render import render_layout
    from dgan_blender.bridge.scene import MitsubaScene
    from dgan_blender.geometry import generate_layout

    layouts = [generate_layout(cfg, np.random.default_rng(i), i) for i in range(count)]
    descs = [describe(build_scene(lay)) for lay in layouts]
    for lay, desc in zip(layouts[:2], descs[:2]):  # warm: kernels, plugin, Blender
        render_layout(lay, {})
        np.array(MitsubaScene(desc, spp=cfg.render.spp).render(seed=0))
    times: dict[str, list[float]] = {"engine": [], "load_and_render": [], "render": []}
    for _ in range(rounds):
        for k, (lay, desc) in enumerate(zip(layouts, descs)):
            t0 = time.perf_counter()
            render_layout(lay, {})
            t1 = time.perf_counter()
            ms = MitsubaScene(desc, spp=cfg.render.spp)
            t2 = time.perf_counter()
            np.array(ms.render(seed=k))
            t3 = time.perf_counter()
            times["engine"].append(t1 - t0)
            times["load_and_render"].append(t3 - t1)
            times["render"].append(t3 - t2)
    return {k: float(np.median(v)) for k, v in times.items()}


def layout_seconds(presets: list[str], samples: int, seed: int = 0) -> dict[str, list[float]]:
    """Per preset, the seconds of each sample's layout as a data set draws it
    (``sample_layout``: sample i of ``seed``, redraws included), at 256x256. The presets
    take turns sample by sample, so a busy spell of this shared machine hits all alike."""
    from dgan_blender.dataset.sample import sample_layout

    cfgs = {p: load_config(p, ["image.width_px=256", "image.height_px=256"]) for p in presets}
    for cfg in cfgs.values():  # warm: imports, icosphere and other caches
        sample_layout(cfg, seed, 10_000)
    out: dict[str, list[float]] = {p: [] for p in presets}
    for i in range(samples):
        for p in presets:
            t0 = time.perf_counter()
            sample_layout(cfgs[p], seed, i)
            out[p].append(time.perf_counter() - t0)
    return out


def floor_ratio(images_per_s: float, workers: int, bare_s_per_image: float) -> dict[str, float]:
    """The data set's rate on ``workers`` cores against bare Mitsuba load+render on as
    many (one scene per core at ``bare_s_per_image``): how many times its floor a data
    set's image costs."""
    floor = workers / bare_s_per_image
    return {"floor_images_per_s": round(floor, 3), "dataset_over_floor": round(floor / images_per_s, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=16)
    ap.add_argument("--spp", type=int, default=16)
    ap.add_argument("--engines", default="mitsuba,cycles")
    ap.add_argument("--floor-count", type=int, default=12, help="scenes for the engine-vs-bare comparison")
    ap.add_argument("--rounds", type=int, default=6, help="alternating 1- and 2-worker jobs, pooled")
    ap.add_argument("--layout-samples", type=int, default=30, help="layouts per preset for the layout times")
    ap.add_argument("--presets", default="tio2-sem,sio2-him,agnw-sem,tio2-tsem", help="presets for the layout times")
    args = ap.parse_args()
    engines = [] if args.engines in ("", "none") else args.engines.split(",")
    cfg = load_config("tio2-sem", [f"render.spp={args.spp}", "image.width_px=256", "image.height_px=256"])
    rows = {}
    with tempfile.TemporaryDirectory(prefix="dgan_bench_") as tmp:
        for engine in engines:
            times = timed_rounds(cfg, engine, args.count, args.rounds, Path(tmp))
            t1, t2 = (sum(t[k] for t in times) for k in (0, 1))
            ips1, ips2 = args.count * len(times) / t1, args.count * len(times) / t2
            speedup = t1 / t2  # pooled: images per second over all rounds
            per_round = [a / b for a, b in times]
            rows[engine] = {"images_per_s_1": round(ips1, 3), "images_per_s_2": round(ips2, 3),
                            "speedup_2_over_1": round(speedup, 3), "scaling_efficiency": round(speedup / 2, 3),
                            "speedups_per_round": [round(x, 3) for x in per_round],
                            "speedup_median_of_rounds": round(float(np.median(per_round)), 3)}
            print(f"{engine:8s} 1 worker {ips1:6.2f} img/s  2 workers {ips2:6.2f} img/s  "
                  f"speed-up {speedup:4.2f}x  efficiency {speedup / 2:4.2f}  "
                  f"(pooled over {args.rounds} rounds of {args.count} images; per round "
                  f"{', '.join(f'{x:.2f}x' for x in per_round)}; median {np.median(per_round):.2f}x)")
    if "mitsuba" in rows:

        t = engine_vs_bare_seconds(cfg, args.floor_count)
        eng, bare, call = t["engine"], t["load_and_render"], t["render"]
        rows["mitsuba"].update(engine_s_per_image=round(eng, 4), bare_load_render_s_per_image=round(bare, 4),
                               bare_render_only_s_per_image=round(call, 4),
                               engine_over_bare=round(eng / bare, 3), engine_over_render_only=round(eng / call, 3))
        print(f"mitsuba engine {eng:.3f} s/image vs bare Mitsuba load+render {bare:.3f} s/image: "
              f"{eng / bare:.2f}x (render call alone {call:.3f} s: {eng / call:.2f}x; medians, "
              f"{args.floor_count} scenes x 3, alternating)")
        for workers in (1, 2):
            ratio = floor_ratio(rows["mitsuba"][f"images_per_s_{workers}"], workers, bare)
            rows["mitsuba"].update({f"{k}_{workers}": v for k, v in ratio.items()})
            print(f"data set, {workers} worker{'s' if workers > 1 else ''}: "
                  f"{rows['mitsuba'][f'images_per_s_{workers}']:.2f} img/s vs floor "
                  f"{ratio['floor_images_per_s']:.2f} img/s ({workers} x bare load+render): "
                  f"{ratio['dataset_over_floor']:.2f}x the floor's time per image")
    if args.layout_samples > 0:
        presets = args.presets.split(",")
        times = layout_seconds(presets, args.layout_samples)
        rows["layout"] = {}
        for p in presets:
            t = np.asarray(times[p])
            rows["layout"][p] = {"median_s": round(float(np.median(t)), 4),
                                 "p95_s": round(float(np.percentile(t, 95)), 4), "samples": len(t)}
            print(f"layout {p:9s} median {np.median(t) * 1e3:7.1f} ms  p95 {np.percentile(t, 95) * 1e3:7.1f} ms "
                  f"per sample (256x256, {len(t)} samples of seed 0, presets in turn)")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
