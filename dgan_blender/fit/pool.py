"""The fit's layout pool: scene layouts built once in Blender, exported, cached on disk,
so an optimisation step swaps geometry in Mitsuba and never rebuilds Blender."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ..config import SceneConfig, to_dict


def save_description(desc: dict, path: Path) -> None:
    arrays, shapes = {}, {}
    for k, (name, s) in enumerate(desc["shapes"].items()):
        arrays[f"v{k}"], arrays[f"f{k}"] = s["vertices"], s["faces"]
        if s["normals"] is not None:
            arrays[f"n{k}"] = s["normals"]
        shapes[name] = {"k": k, "material": s["material"], "pass_index": s["pass_index"], "cls": s["cls"]}
    header = {key: desc[key] for key in ("materials", "camera", "lights", "seed")}
    header["shapes"] = shapes
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    tmp = Path(path).with_name(Path(path).name + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def load_description(path: Path) -> dict:
    with np.load(path) as z:
        header = json.loads(bytes(z["header"]).decode())
        shapes = {}
        for name, s in header["shapes"].items():
            k = s["k"]
            shapes[name] = {"vertices": z[f"v{k}"], "faces": z[f"f{k}"],
                            "normals": z[f"n{k}"] if f"n{k}" in z else None,
                            "material": s["material"], "pass_index": s["pass_index"], "cls": s["cls"]}
    header["shapes"] = shapes
    return header


def build_description(cfg: SceneConfig, seed: int, index: int, coverage: float | None = None) -> dict:
    """Layout ``index`` of a pool seeded ``seed`` -> Blender scene -> exported description
    (the Blender round trip); a draw that cannot be packed is drawn again, as a data
    set's sample is. ``coverage``: the fraction of the image its particles should cover."""
    from ..blender.builder import build_scene
    from ..geometry import generate_layout
    from ..geometry.footprint import layout_with_coverage
    from ..geometry.redraw import first_that_packs
    from ..bridge.export import describe

    def make(s: int):
        if coverage is None:
            return generate_layout(cfg, np.random.default_rng(s), s)
        return layout_with_coverage(cfg, s, coverage)

    return describe(build_scene(first_that_packs(make, seed, index)[0]))


class LayoutPool:
    """``size`` layouts of ``cfg`` seeded by (seed, i); at most ``keep`` stay loaded.
    ``coverages`` (one per layout) replaces the preset's coverage draw."""

    def __init__(self, cfg: SceneConfig, seed: int, size: int, cache_dir: Path, spp: int = 16,
                 keep: int = 64, progress=None, coverages=None):
        self.cfg, self.seed, self.size, self.spp, self.keep = cfg, seed, size, spp, keep
        if coverages is not None and len(coverages) != size:
            raise ValueError(f"{len(coverages)} coverages for {size} layouts")
        self.coverages = None if coverages is None else [round(float(c), 5) for c in coverages]
        what = {"config": to_dict(cfg), "coverages": self.coverages} if self.coverages else to_dict(cfg)
        key = hashlib.sha1(json.dumps(what, sort_keys=True).encode()).hexdigest()[:10]
        self.dir = Path(cache_dir) / f"{cfg.name}_{key}_{seed}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._loaded: OrderedDict[int, object] = OrderedDict()
        for i in range(size):
            if not self.path(i).exists():
                cov = None if self.coverages is None else self.coverages[i]
                save_description(build_description(cfg, seed, i, cov), self.path(i))
            if progress:
                progress(i + 1, size)

    def path(self, i: int) -> Path:
        return self.dir / f"layout_{i:05d}.npz"

    def scene(self, i: int):
        """The loaded Mitsuba scene of layout ``i`` (LRU-cached)."""
        from ..bridge.scene import MitsubaScene

        if i in self._loaded:
            self._loaded.move_to_end(i)
            return self._loaded[i]
        ms = MitsubaScene(load_description(self.path(i)), spp=self.spp)
        self._loaded[i] = ms
        if len(self._loaded) > self.keep:
            self._loaded.popitem(last=False)
        return ms

    def features(self, i: int) -> np.ndarray:
        """Simple layout descriptors (particle count, coverage, mean size) that a
        parameter network may condition on."""
        desc = load_description(self.path(i))
        parts = [s for s in desc["shapes"].values() if s["cls"] == 1]
        cam = desc["camera"]
        area = cam["ortho_scale"] ** 2 if cam["type"] == "orthographic" else 1.0
        sizes = [np.ptp(s["vertices"][:, 0]) for s in parts] or [0.0]
        cover = sum(np.ptp(s["vertices"][:, 0]) * np.ptp(s["vertices"][:, 1]) for s in parts) / area
        return np.array([len(parts) / 50.0, cover, np.mean(sizes) / max(cam.get("ortho_scale", 1.0), 1e-9)],
                        np.float32)
