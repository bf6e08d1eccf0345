"""Build a Blender scene from a :class:`~dgan_blender.layout.Layout` (the bpy adapter).

Blender units are nanometres (``unit_settings.scale_length = 1e-9``), so the scene is at
physical scale. One object per particle, ``pass_index`` = particle id, so the renderer
itself produces the instance mask.
"""

from __future__ import annotations

import math

import bpy
import numpy as np

from ..appearance.registry import Param, for_mode, material_value
from ..config import FLAT_FACED, LightConfig, MaterialConfig, SceneConfig, typical_size
from ..layout import Layout, Mesh

PARTICLE_COLLECTION = "dgan_particles"
# the scene's own materials outlive a reset: the next build rewrites every value they
# hold instead of building their node trees again (~3 ms of a ~140 ms data-set sample)
KEPT_MATERIALS = ("dgan_particle", "dgan_substrate")


def enable_nodes(idblock) -> None:
    """Blender 5 always uses node trees and deprecates ``use_nodes``; 4.x needs it set."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if hasattr(idblock, "use_nodes") and not idblock.use_nodes:
            idblock.use_nodes = True


def reset_scene() -> bpy.types.Scene:
    """Empty the current scene by removing data blocks. Unlike loading factory settings
    this keeps preferences and add-ons (it runs inside an interactive Blender too) and is
    fast enough to run per data-set sample. The DGAN materials stay, unused, for
    :func:`make_material` to refill."""
    doomed = []
    for kind in ("objects", "meshes", "materials", "lights", "cameras", "worlds", "collections", "images"):
        for block in getattr(bpy.data, kind):
            name = block.name
            if name != "Render Result" and not (kind == "materials" and name in KEPT_MATERIALS):
                doomed.append(block)
    bpy.data.batch_remove(doomed)  # one pass over the file's users, not one per block
    scene = bpy.context.scene
    for key in list(scene.keys()):
        del scene[key]
    return scene


def _set_attribute(me, name: str, field: str, values: np.ndarray, slow) -> None:
    """Blender 4+ stores positions and corner vertices as generic attributes, whose
    ``foreach_set`` copies a buffer (~0.01 ms for 15 000 values); the legacy
    ``vertices``/``loops`` collections go item by item (~1.3 ms) - most of the time of
    building a data-set scene. ``slow`` is the legacy call, for Blenders without them."""
    attr = me.attributes.get(name)
    if attr is not None and len(attr.data) == len(values) // (3 if field == "vector" else 1):
        attr.data.foreach_set(field, values)
    else:
        slow(values)


def mesh_object(name: str, mesh: Mesh, smooth: bool = True, templates: dict | None = None) -> bpy.types.Object:
    """Vertices/faces go in as buffers: fast for 10^5-10^6 vertices.

    ``templates`` (a dict the caller keeps for one scene) reuses topology: the particles
    of a layout are mostly deformed copies of one icosphere, and copying a mesh with the
    same faces (Blender shares the arrays) and writing new positions takes ~0.05 ms
    instead of ~1 ms for building faces and edges. The caller removes the templates."""
    verts = np.ascontiguousarray(mesh.vertices, dtype=np.float32).ravel()
    faces = np.ascontiguousarray(mesh.faces, dtype=np.int32).ravel()
    key = (len(verts), smooth, faces.tobytes()) if templates is not None else None
    if key in (templates or {}):
        me = templates[key].copy()
        me.name = name
        _set_attribute(me, "position", "vector", verts, lambda v: me.vertices.foreach_set("co", v))
        me.update()
        return bpy.data.objects.new(name, me)
    me = bpy.data.meshes.new(name)
    me.vertices.add(len(verts) // 3)
    _set_attribute(me, "position", "vector", verts, lambda v: me.vertices.foreach_set("co", v))
    me.loops.add(faces.size)
    _set_attribute(me, ".corner_vert", "value", faces, lambda v: me.loops.foreach_set("vertex_index", v))
    me.polygons.add(faces.size // 3)
    me.polygons.foreach_set("loop_start", np.arange(0, faces.size, 3, dtype=np.int32))
    me.update(calc_edges=True)
    # Blender 4.1+ makes new faces smooth, older ones flat: say which
    me.shade_smooth() if smooth else me.shade_flat()
    if key is not None:
        templates[key] = me.copy()  # before the caller adds materials
    return bpy.data.objects.new(name, me)


# ------------------------------------------------------------------ materials


def shadow_distance_nm(cfg: SceneConfig, m: MaterialConfig) -> float:
    return float(m.sem_shadow_nm) or typical_size(cfg.particles.diameter)


def _sem_nodes(mat: bpy.types.Material, m: MaterialConfig, shadow_nm: float, gain: float = 1.0) -> None:
    """Secondary-electron look: emission = gain * (base + edge * (1 - |cos theta|) ** exponent)
    * (1 - shadow * (1 - AO)). Layer Weight's *Facing* output is exactly 1 - |N . I| at
    blend 0.5 and AO is the cosine-weighted visibility within ``shadow_nm``, so the same
    formula can be evaluated by Mitsuba for the differentiable bridge."""
    nt = mat.node_tree
    nt.nodes.clear()
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    lw = nt.nodes.new("ShaderNodeLayerWeight")
    lw.inputs["Blend"].default_value = 0.5
    # a chain of Math nodes named after the values they hold, so write-back and export
    # find them by name; sem_gain is beam current x detector gain (the SEM's 'light')
    chain = [lw.outputs["Facing"]]
    for name, op in (("sem_exponent", "POWER"), ("sem_edge", "MULTIPLY"), ("sem_base", "ADD"),
                     ("sem_gain", "MULTIPLY")):
        node = nt.nodes.new("ShaderNodeMath")
        node.operation = op
        node.name = node.label = name
        nt.links.new(chain[-1], node.inputs[0])
        chain.append(node.outputs[0])
    # shadowing: factor = 1 - sem_shadow * (1 - AO), applied to the whole signal
    ao = nt.nodes.new("ShaderNodeAmbientOcclusion")
    ao.name = ao.label = "sem_shadow_ao"
    ao.samples = 1  # one visibility ray per camera sample, as the Mitsuba integrator
    blocked = nt.nodes.new("ShaderNodeMath")
    blocked.operation = "SUBTRACT"
    blocked.inputs[0].default_value = 1.0
    nt.links.new(ao.outputs["AO"], blocked.inputs[1])
    shadow = nt.nodes.new("ShaderNodeMath")
    shadow.operation = "MULTIPLY"
    shadow.name = shadow.label = "sem_shadow"
    nt.links.new(blocked.outputs[0], shadow.inputs[0])
    keep = nt.nodes.new("ShaderNodeMath")
    keep.operation = "SUBTRACT"
    keep.inputs[0].default_value = 1.0
    nt.links.new(shadow.outputs[0], keep.inputs[1])
    signal = nt.nodes.new("ShaderNodeMath")
    signal.operation = "MULTIPLY"
    nt.links.new(chain[-1], signal.inputs[0])
    nt.links.new(keep.outputs[0], signal.inputs[1])
    chain.append(signal.outputs[0])
    emit = nt.nodes.new("ShaderNodeEmission")
    emit.inputs["Color"].default_value = (1.0, 1.0, 1.0, 1.0)
    nt.links.new(chain[-1], emit.inputs["Strength"])
    nt.links.new(emit.outputs[0], out.inputs["Surface"])
    _refill_sem(mat, m, shadow_nm, gain)  # the values: one place sets them, for new and kept chains


def chain_params(shading: str, ground: bool) -> list[Param]:
    """The registry parameters a node chain holds: the SEM chain every one of the SE mode
    (its nodes are the same for both classes), a transmission chain those of its class -
    the ground's with the gain, which scales the beam it emits."""
    if shading == "sem":
        return [p for p in for_mode("se") if p.node]
    group = "substrate" if ground else "particle"
    return [p for p in for_mode("transmission") if p.node and (group in p.bounds or (ground and "light" in p.bounds))]


def _fill(mat: bpy.types.Material, params: list[Param], m: MaterialConfig, gain: float,
          extra: tuple[str, ...] = ()) -> bool:
    """Each parameter's value into its named node (``gain`` for the gain, the material's
    own for the rest); False where a node is missing (edited by hand: build it again)."""
    nodes = mat.node_tree.nodes if mat.node_tree else {}
    if not all(n in nodes for n in (*(p.node for p in params), *extra)):
        return False
    for p in params:
        nodes[p.node].inputs[p.socket].default_value = gain if "light" in p.bounds else material_value(p, m)
    return True


def _refill_sem(mat: bpy.types.Material, m: MaterialConfig, shadow_nm: float, gain: float = 1.0) -> bool:
    """Every value of an existing SEM chain set as :func:`_sem_nodes` sets them."""
    if not _fill(mat, chain_params("sem", False), m, gain, extra=("sem_shadow_ao",)):
        return False
    mat.node_tree.nodes["sem_shadow_ao"].inputs["Distance"].default_value = shadow_nm
    return True


def _refill_principled(mat: bpy.types.Material, m: MaterialConfig) -> bool:
    bsdf = next((n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None) if mat.node_tree else None
    if bsdf is None:
        return False
    bsdf.inputs["Base Color"].default_value = (*m.base_color, 1.0)
    bsdf.inputs["Roughness"].default_value = m.roughness
    bsdf.inputs["Metallic"].default_value = m.metallic
    bsdf.inputs["Specular IOR Level"].default_value = m.specular
    return True


def _principled_nodes(mat: bpy.types.Material, m: MaterialConfig) -> None:
    nt = mat.node_tree
    nt.nodes.clear()
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    bsdf = nt.nodes.new("ShaderNodeBsdfPrincipled")
    _refill_principled(mat, m)
    nt.links.new(bsdf.outputs[0], out.inputs["Surface"])


def _transmission_nodes(mat: bpy.types.Material, m: MaterialConfig, ground: bool, gain: float = 1.0) -> None:
    """Transmission look. A particle lets the beam through its surface (Transparent
    BSDF) and absorbs it inside (Volume Absorption, density = tr_attenuation_per_nm per
    Blender unit = per nm), so what reaches the ground is exp(-mu x path length) summed
    over every particle crossed - Cycles evaluates a homogeneous absorbing volume in closed
    form. The ground emits gain x tr_level: the beam through the bare support."""
    nt = mat.node_tree
    nt.nodes.clear()
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    if ground:
        level = nt.nodes.new("ShaderNodeMath")
        level.operation = "MULTIPLY"
        level.name = level.label = "tr_level"
        level.inputs[0].default_value = 1.0
        amp = nt.nodes.new("ShaderNodeMath")
        amp.operation = "MULTIPLY"
        amp.name = amp.label = "sem_gain"  # the one gain node name of every SEM look
        nt.links.new(level.outputs[0], amp.inputs[0])
        emit = nt.nodes.new("ShaderNodeEmission")
        emit.inputs["Color"].default_value = (1.0, 1.0, 1.0, 1.0)
        nt.links.new(amp.outputs[0], emit.inputs["Strength"])
        nt.links.new(emit.outputs[0], out.inputs["Surface"])
    else:
        clear = nt.nodes.new("ShaderNodeBsdfTransparent")
        clear.inputs["Color"].default_value = (1.0, 1.0, 1.0, 1.0)
        absorb = nt.nodes.new("ShaderNodeVolumeAbsorption")
        absorb.name = absorb.label = "tr_attenuation_per_nm"
        absorb.inputs["Color"].default_value = (0.0, 0.0, 0.0, 1.0)  # absorbs every channel alike
        nt.links.new(clear.outputs[0], out.inputs["Surface"])
        nt.links.new(absorb.outputs[0], out.inputs["Volume"])
    _refill_transmission(mat, m, ground, gain)


def _refill_transmission(mat: bpy.types.Material, m: MaterialConfig, ground: bool, gain: float = 1.0) -> bool:
    return _fill(mat, chain_params("transmission", ground), m, gain)


def make_material(name: str, m: MaterialConfig, shadow_nm: float = 100.0,
                  mode: str = "se", ground: bool = False, gain: float = 1.0) -> bpy.types.Material:
    """A material for ``m`` in imaging ``mode`` (``ground``: the substrate's). An unused
    one of that name (kept by :func:`reset_scene`) is refilled, or its nodes built again
    where its shading differs or a node is missing, so it keeps its name (write-back
    finds materials by name). ``gain``: the signal gain (the fitted ``light.gain``)."""
    shading = ("transmission_ground" if ground else "transmission") if mode == "transmission" else m.shading
    refill = {"sem": lambda: _refill_sem(mat, m, shadow_nm, gain), "principled": lambda: _refill_principled(mat, m),
              "transmission": lambda: _refill_transmission(mat, m, False, gain),
              "transmission_ground": lambda: _refill_transmission(mat, m, True, gain)}
    mat = bpy.data.materials.get(name)
    if mat is None or mat.users:
        mat = bpy.data.materials.new(name)
    elif mat.get("dgan_shading") == shading and refill[shading]():
        return mat
    enable_nodes(mat)
    if shading == "sem":
        _sem_nodes(mat, m, shadow_nm, gain)
    elif shading.startswith("transmission"):
        _transmission_nodes(mat, m, ground, gain)
    else:
        _principled_nodes(mat, m)
    mat["dgan_shading"] = shading
    return mat


def index_material() -> bpy.types.Material:
    """Emission strength = the object's pass_index: one sample per pixel then reads the
    particle id straight out of the rendered image."""
    mat = bpy.data.materials.get("dgan_index") or bpy.data.materials.new("dgan_index")
    enable_nodes(mat)
    nt = mat.node_tree
    nt.nodes.clear()
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    info = nt.nodes.new("ShaderNodeObjectInfo")
    emit = nt.nodes.new("ShaderNodeEmission")
    emit.inputs["Color"].default_value = (1.0, 1.0, 1.0, 1.0)
    nt.links.new(info.outputs["Object Index"], emit.inputs["Strength"])
    nt.links.new(emit.outputs[0], out.inputs["Surface"])
    return mat


# ------------------------------------------------------------------ camera, lights


def _camera(scene: bpy.types.Scene, cfg: SceneConfig, top_nm: float) -> bpy.types.Object:
    w_nm, h_nm = cfg.field_nm
    cam_data = bpy.data.cameras.new("dgan_camera")
    distance = max(w_nm, h_nm) * 4.0 + top_nm
    if cfg.camera.projection == "orthographic":
        cam_data.type = "ORTHO"
        cam_data.ortho_scale = max(w_nm, h_nm)
    else:
        cam_data.type = "PERSP"
        cam_data.sensor_fit = "HORIZONTAL" if w_nm >= h_nm else "VERTICAL"
        cam_data.angle = math.radians(cfg.camera.fov_deg)
        distance = 0.5 * max(w_nm, h_nm) / math.tan(0.5 * math.radians(cfg.camera.fov_deg))
    cam_data.clip_start = max(distance * 1e-4, 1e-3)
    cam_data.clip_end = distance * 4.0 + top_nm
    cam = bpy.data.objects.new("dgan_camera", cam_data)
    tilt = math.radians(cfg.camera.tilt_deg)
    cx, cy = 0.5 * w_nm, 0.5 * h_nm
    cam.location = (cx, cy - distance * math.sin(tilt), distance * math.cos(tilt))
    cam.rotation_euler = (tilt, 0.0, 0.0)
    scene.collection.objects.link(cam)
    scene.camera = cam
    return cam


def _light(scene: bpy.types.Scene, cfg: SceneConfig, i: int, light: LightConfig,
           gain: float = 1.0) -> bpy.types.Object:
    data = bpy.data.lights.new(f"dgan_light_{i}", type=light.kind.upper())
    data.energy = light.strength * gain
    w_nm, h_nm = cfg.field_nm
    el, az = math.radians(light.elevation_deg), math.radians(light.azimuth_deg)
    direction = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
    dist = 2.0 * max(w_nm, h_nm)
    if light.kind == "area":
        data.size = light.size_nm
    elif light.kind == "point":
        data.shadow_soft_size = light.size_nm
        data.energy = light.strength * gain * dist**2  # W at the field's distance, in nm^2 units
    obj = bpy.data.objects.new(f"dgan_light_{i}", data)
    obj.location = tuple(np.array([0.5 * w_nm, 0.5 * h_nm, 0.0]) + dist * direction)
    # point the light's -Z axis at the field centre
    obj.rotation_euler = (0.5 * math.pi - el, 0.0, az + 0.5 * math.pi)
    obj["dgan_strength"] = light.strength
    scene.collection.objects.link(obj)
    return obj


# ------------------------------------------------------------------ the scene


def configure_render(scene: bpy.types.Scene, cfg: SceneConfig, seed: int) -> None:
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.render.resolution_x = cfg.image.width_px
    scene.render.resolution_y = cfg.image.height_px
    scene.render.resolution_percentage = 100
    scene.render.pixel_aspect_x = scene.render.pixel_aspect_y = 1.0
    scene.cycles.samples = cfg.render.spp
    scene.cycles.use_adaptive_sampling = False
    scene.cycles.use_denoising = False
    scene.cycles.seed = int(seed) % (2**31)
    scene.cycles.pixel_filter_type = "BOX"
    scene.cycles.filter_width = 1.0
    sem = cfg.particle_material.shading == "sem" and cfg.substrate.material.shading == "sem"
    transmission = cfg.imaging.mode == "transmission"
    scene.cycles.max_bounces = 0 if sem or transmission else 4
    # transmission: the beam passes every particle surface it crosses (two per particle)
    scene.cycles.transparent_max_bounces = 256 if transmission else 8
    scene.render.film_transparent = False
    if cfg.render.threads:
        scene.render.threads_mode = "FIXED"
        scene.render.threads = cfg.render.threads
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    scene.render.image_settings.file_format = "OPEN_EXR"
    scene.render.image_settings.color_depth = "32"
    scene.render.image_settings.exr_codec = "ZIP"
    scene.render.image_settings.color_mode = "RGB"


def build_scene(layout: Layout, gain: float = 1.0) -> bpy.types.Scene:
    """A fresh Blender scene for ``layout``; the config and seed travel with it as
    custom properties so a saved .blend says how it was made. ``gain`` (the fitted
    ``light.gain``) scales the signal: the SEM and transmission chains' gain node, the
    Principled path's lights."""
    import json

    from ..config import to_dict

    cfg = layout.config
    scene = reset_scene()
    scene.name = f"dgan_{cfg.name}_{layout.seed}"
    scene.unit_settings.system = "METRIC"
    scene.unit_settings.scale_length = 1e-9
    scene["dgan_seed"] = int(layout.seed)
    scene["dgan_preset"] = cfg.name
    scene["dgan_config"] = json.dumps(to_dict(cfg))

    world = bpy.data.worlds.new("dgan_world")
    enable_nodes(world)
    world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.0
    scene.world = world

    coll = bpy.data.collections.new(PARTICLE_COLLECTION)
    scene.collection.children.link(coll)
    mode = cfg.imaging.mode
    mat_p = make_material("dgan_particle", cfg.particle_material,
                          shadow_distance_nm(cfg, cfg.particle_material), mode, gain=gain)
    top = 0.0
    templates: dict = {}
    for p in layout.particles:
        # flat-faced families shade flat: smoothed normals would round every edge
        smooth = (p.radius_fn or {}).get("shape") not in FLAT_FACED
        obj = mesh_object(f"particle_{p.id:05d}", p.mesh, smooth=smooth, templates=templates)
        obj.pass_index = p.id
        obj["dgan_id"] = p.id
        obj["dgan_kind"] = p.kind
        obj["dgan_diameter_nm"] = float(p.diameter_nm)
        obj.data.materials.append(mat_p)
        coll.objects.link(obj)
        top = max(top, float(p.mesh.vertices[:, 2].max()))
    for me in templates.values():
        bpy.data.meshes.remove(me)

    w_nm, h_nm = cfg.field_nm
    margin = 2.0 * max(w_nm, h_nm)
    sub_verts = np.array([[-margin, -margin, 0], [w_nm + margin, -margin, 0],
                          [w_nm + margin, h_nm + margin, 0], [-margin, h_nm + margin, 0]], float)
    sub_faces = np.array([[0, 1, 2], [0, 2, 3]], np.int32)
    substrate = mesh_object("dgan_substrate", Mesh(sub_verts, sub_faces), smooth=False)
    substrate.pass_index = 0
    substrate.data.materials.append(make_material("dgan_substrate", cfg.substrate.material,
                                                  shadow_distance_nm(cfg, cfg.substrate.material), mode,
                                                  ground=True, gain=gain))
    scene.collection.objects.link(substrate)

    _camera(scene, cfg, top)
    for i, light in enumerate(cfg.lights):
        _light(scene, cfg, i, light, gain)
    configure_render(scene, cfg, layout.seed)
    return scene
