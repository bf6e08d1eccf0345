"""The scene model shared by every renderer: particles as world-space meshes in nm.

A :class:`Layout` is pure data (numpy arrays), made by :func:`generate_layout` from a
config and a seeded ``numpy.random.Generator``. Blender and Mitsuba adapters only
consume it, so geometry is tested without either and both renderers see the same
triangles. Coordinates: x right, y up, z towards the (top-down) camera, in nm; the
imaged field spans [0, width_nm] x [0, height_nm]; the substrate is the plane z = 0.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import SceneConfig, from_dict, to_dict


@dataclass
class Mesh:
    """A closed triangle mesh: vertices (N, 3) float64 in nm, faces (M, 3) int32,
    counter-clockwise seen from outside (normals point out)."""

    vertices: np.ndarray
    faces: np.ndarray


@dataclass
class Particle:
    """One annotated object. ``id`` is 1-based and becomes Blender's ``pass_index`` and
    the value in the instance mask. ``diameter_nm`` is the volume-equivalent diameter
    (wires: the wire's diameter); ``length_nm`` is a wire's length along its axis."""

    id: int
    kind: str
    center_nm: np.ndarray
    diameter_nm: float
    mesh: Mesh
    agglomerate: int = 0
    length_nm: float = 0.0
    radius_fn: dict = field(default_factory=dict)


@dataclass
class Layout:
    config: SceneConfig
    seed: int
    particles: list[Particle]

    @property
    def field_nm(self) -> tuple[float, float]:
        return self.config.field_nm

    # ------------------------------------------------------------------ cache on disk
    def save(self, path: Path) -> None:
        """One ``.npz`` per layout (the layout pool caches these); written then renamed."""
        path = Path(path)
        arrays: dict[str, np.ndarray] = {}
        meta = []
        for p in self.particles:
            arrays[f"v{p.id}"] = p.mesh.vertices
            arrays[f"f{p.id}"] = p.mesh.faces
            meta.append({
                "id": p.id, "kind": p.kind, "center_nm": [float(c) for c in p.center_nm],
                "diameter_nm": p.diameter_nm, "agglomerate": p.agglomerate,
                "length_nm": p.length_nm, "radius_fn": p.radius_fn,
            })
        header = {"seed": self.seed, "config": to_dict(self.config), "particles": meta}
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "Layout":
        with np.load(Path(path)) as z:
            header = json.loads(bytes(z["header"]).decode())
            particles = [
                Particle(
                    id=m["id"], kind=m["kind"], center_nm=np.asarray(m["center_nm"]),
                    diameter_nm=m["diameter_nm"], agglomerate=m["agglomerate"],
                    length_nm=m["length_nm"], radius_fn=m.get("radius_fn", {}),
                    mesh=Mesh(z[f"v{m['id']}"], z[f"f{m['id']}"]),
                )
                for m in header["particles"]
            ]
        return cls(config=from_dict(header["config"]), seed=header["seed"], particles=particles)


def layout_digest(layout: Layout) -> str:
    """sha256 over every particle's vertices, faces, centre, sizes and radius function:
    what "the same layout" means when code that makes layouts changes (the identity
    tests hold new code to digests recorded from the old)."""
    h = hashlib.sha256()
    for p in layout.particles:
        h.update(np.ascontiguousarray(p.mesh.vertices, np.float64).tobytes())
        h.update(np.ascontiguousarray(p.mesh.faces, np.int64).tobytes())
        h.update(np.ascontiguousarray(p.center_nm, np.float64).tobytes())
        h.update(np.array([p.diameter_nm, p.length_nm, p.agglomerate, p.id], np.float64).tobytes())
        h.update(json.dumps(p.radius_fn, sort_keys=True).encode())
    return h.hexdigest()


def _numbers(value) -> list[float]:
    """Every number in a radius function's JSON-like description, in order."""
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in _numbers(value[k])]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _numbers(v)]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return []
    return [float(value)]


def layout_fingerprint(layout: Layout) -> list[float]:
    """A few sums over what ``layout_digest`` hashes, each weighted by position so that a
    moved, swapped or dropped value shows: "the same layout" across machines. The digest's
    last bits follow the CPU (numpy's AVX-512 exp/log and OpenBLAS's kernels round
    differently: two back ends of one Xeon moved vertices by at most 1.8e-12 nm over 242
    arrays, and every digest recorded on the machine before it changed), so tests that
    must hold on any machine compare these sums to ~1e-9 relative instead."""
    sums = np.zeros(6)
    for i, p in enumerate(layout.particles):
        v = np.asarray(p.mesh.vertices, np.float64)
        w = 1.0 + (np.arange(v.size) % 13) / 13.0
        radius = np.asarray(_numbers(p.radius_fn) or [0.0])
        sums += [v.sum(), (v.ravel() * w).sum() * (1 + i % 5),
                 float(np.asarray(p.mesh.faces, np.int64).ravel() @ (1 + np.arange(np.size(p.mesh.faces)) % 7)),
                 float(np.asarray(p.center_nm, np.float64) @ [1.0, 2.0, 3.0]) * (1 + i % 3),
                 p.diameter_nm + 2 * p.length_nm + 3 * p.agglomerate + 5 * p.id,
                 float((radius * (1.0 + np.arange(radius.size) % 11)).sum())]
    return [float(len(layout.particles)), *map(float, sums)]

