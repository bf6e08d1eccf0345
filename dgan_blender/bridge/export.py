"""Blender scene -> plain description (numpy arrays and numbers) that tests can inspect.

Meshes are read evaluated, in world space and triangulated through ``foreach_get``;
smooth objects carry Blender's own vertex normals so Mitsuba shades with exactly the
normals Cycles uses. The description is renderer-neutral; ``mitsuba_scene`` turns it
into a Mitsuba scene.
"""

from __future__ import annotations

import math

import numpy as np

from ..appearance.registry import PARAMS, for_mode
from ..errors import DganError

CLASS_SUBSTRATE, CLASS_PARTICLE = 0, 1
_SEM_FIELDS = ("sem_base", "sem_edge", "sem_exponent")


def _held(nodes) -> dict[str, float]:
    """The registry parameters a material's node chain holds, by node name."""
    return {p.node: float(nodes[p.node].inputs[p.socket].default_value)
            for p in PARAMS if p.node and p.node in nodes}


def _material(mat) -> dict:
    if mat is None:
        return {"shading": "sem", "sem_base": 0.0, "sem_edge": 0.0, "sem_exponent": 1.0}
    nodes = mat.node_tree.nodes if mat.node_tree else {}
    held = _held(nodes)
    if any(p.node in held for p in for_mode("transmission") if "light" not in p.bounds):
        return {"shading": "transmission", **held}  # absorbing particle or emitting ground
    if all(name in held for name in _SEM_FIELDS):
        ao = nodes["sem_shadow_ao"] if "sem_shadow_ao" in nodes else None
        return {"shading": "sem", "sem_gain": 1.0, **held,
                "sem_shadow": held.get("sem_shadow", 0.0) if ao else 0.0,  # no AO: no shadowing
                "sem_shadow_nm": float(ao.inputs["Distance"].default_value) if ao else 0.0}
    bsdf = next((n for n in nodes if n.type == "BSDF_PRINCIPLED"), None)
    if bsdf is None:
        return {"shading": "sem", "sem_base": 0.5, "sem_edge": 0.0, "sem_exponent": 1.0}
    return {"shading": "principled",
            "base_color": [float(c) for c in bsdf.inputs["Base Color"].default_value[:3]],
            "roughness": float(bsdf.inputs["Roughness"].default_value),
            "metallic": float(bsdf.inputs["Metallic"].default_value),
            "specular": float(bsdf.inputs["Specular IOR Level"].default_value)}


def _read(me, name: str, field: str, count: int, dtype, slow) -> np.ndarray:
    """A generic attribute's buffer (Blender 4+: ~0.01 ms for 15 000 values), else the
    legacy collection ``slow(out)`` fills item by item (~1 ms): see builder._set_attribute."""
    width = 3 if field == "vector" else 1
    out = np.empty(count * width, dtype)
    attr = me.attributes.get(name)
    if attr is not None and len(attr.data) == count:
        attr.data.foreach_get(field, out)
    else:
        slow(out)
    return out


def _triangles(me) -> np.ndarray:
    """Triangle vertex indices; an all-triangle mesh is read straight from its corners
    (every face has at least three corners, so 3 per face means all are triangles)."""
    n_p, n_l = len(me.polygons), len(me.loops)
    if n_p and n_l == 3 * n_p:
        return _read(me, ".corner_vert", "value", n_l, np.int32, lambda o: me.loops.foreach_get("vertex_index", o))
    me.calc_loop_triangles()
    tris = np.empty(len(me.loop_triangles) * 3, np.int32)
    me.loop_triangles.foreach_get("vertices", tris)
    return tris


def _all_smooth(me) -> bool:
    """Blender 4.1+ marks flat faces in a ``sharp_face`` attribute (absent: all smooth);
    older Blenders keep ``use_smooth`` per polygon (read item by item, ~0.5 ms)."""
    import bpy

    n_p = len(me.polygons)
    if not n_p:
        return False
    if tuple(bpy.app.version) >= (4, 1, 0):
        attr = me.attributes.get("sharp_face")
        if attr is None:
            return True
        if len(attr.data) == n_p:
            flags = np.empty(n_p, bool)
            attr.data.foreach_get("value", flags)
            return not flags.any()
    smooth = np.empty(n_p, bool)
    me.polygons.foreach_get("use_smooth", smooth)
    return bool(smooth.all())


def _mesh(obj, depsgraph) -> dict:
    plain = not obj.modifiers and obj.data.shape_keys is None  # nothing to evaluate
    ev = obj if plain else obj.evaluated_get(depsgraph)
    me = ev.data if plain else ev.to_mesh()
    try:
        n_v = len(me.vertices)
        co = _read(me, "position", "vector", n_v, np.float32, lambda o: me.vertices.foreach_get("co", o))
        tris = _triangles(me)
        normals = None
        if _all_smooth(me):
            normals = np.empty(n_v * 3, np.float32)
            me.vertex_normals.foreach_get("vector", normals)
            normals = normals.reshape(-1, 3)
        mw = np.array(_world(obj), dtype=np.float64)
        if np.array_equal(mw, np.eye(4)):  # data-set particles: built in world space
            v = co.reshape(-1, 3)
        else:
            v = co.reshape(-1, 3).astype(np.float64) @ mw[:3, :3].T + mw[:3, 3]
        if normals is not None and not np.array_equal(mw[:3, :3], np.eye(3)):
            # normals transform with the inverse transpose = cofactor matrix / determinant
            # (closed form: LAPACK's inv costs ms per call on a busy machine)
            a = mw[:3, :3]
            cof = np.array([np.cross(a[1], a[2]), np.cross(a[2], a[0]), np.cross(a[0], a[1])])
            nm = cof / float(np.dot(a[0], cof[0]))
            normals = normals @ nm.T
            normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
        return {"vertices": v.astype(np.float32), "faces": tris.reshape(-1, 3).astype(np.uint32),
                "normals": None if normals is None else normals.astype(np.float32)}
    finally:
        if not plain:
            ev.to_mesh_clear()


def _free(obj) -> bool:
    """No parent, constraint or animation: the world matrix is the object's own
    location/rotation/scale, always current, so the depsgraph need not be evaluated (a
    view-layer update copies every mesh and costs more than rendering a data-set image)."""
    return obj.parent is None and not obj.constraints and obj.animation_data is None


def _world(obj):
    return obj.matrix_basis if _free(obj) else obj.matrix_world


def describe(scene) -> dict:
    """The visible meshes, their materials, the camera and the lights of ``scene``."""
    import bpy

    if not all(_free(o) for o in scene.objects):
        bpy.context.view_layer.update()  # fresh matrix_world for objects moved since
    depsgraph = None
    if any(o.type == "MESH" and (o.modifiers or o.data.shape_keys) for o in scene.objects):
        depsgraph = bpy.context.evaluated_depsgraph_get()
    shapes = {}
    materials = {}
    for obj in scene.objects:
        if obj.type != "MESH" or obj.hide_render:
            continue
        mat = obj.active_material
        mat_name = mat.name if mat else "none"
        if mat_name not in materials:
            materials[mat_name] = _material(mat)
        entry = _mesh(obj, depsgraph)
        if not len(entry["faces"]):
            continue
        entry.update(material=mat_name, pass_index=int(obj.pass_index),
                     cls=CLASS_PARTICLE if obj.pass_index > 0 else CLASS_SUBSTRATE)
        shapes[obj.name] = entry
    return {"shapes": shapes, "materials": materials, "camera": _camera(scene),
            "lights": [_light(o) for o in scene.objects if o.type == "LIGHT"],
            "seed": int(scene.get("dgan_seed", 0))}


def _camera(scene) -> dict:
    cam = scene.camera
    if cam is None:
        raise DganError(f"scene '{scene.name}' has no active camera; add one (Mitsuba renders what it sees)")
    r = scene.render
    w = int(r.resolution_x * r.resolution_percentage / 100)
    h = int(r.resolution_y * r.resolution_percentage / 100)
    d = cam.data
    out = {"width": w, "height": h, "to_world": np.array(_world(cam)).tolist(),
           "near": float(d.clip_start), "far": float(d.clip_end)}
    if d.type == "ORTHO":
        out.update(type="orthographic", ortho_scale=float(d.ortho_scale))
    else:
        horizontal = d.sensor_fit == "HORIZONTAL" or (d.sensor_fit == "AUTO" and w >= h)
        out.update(type="perspective", fov_deg=math.degrees(d.angle), fov_axis="x" if horizontal else "y")
    return out


def _light(obj) -> dict:
    d = obj.data
    m = np.array(_world(obj))
    return {"kind": d.type.lower(), "energy": float(d.energy), "position": m[:3, 3].tolist(),
            "to_world": m.tolist(), "shape": str(getattr(d, "shape", "SQUARE")),
            "size_y": float(getattr(d, "size_y", 0.0)),
            "direction": (-m[:3, 2]).tolist(), "size": float(getattr(d, "size", 0.0))}
