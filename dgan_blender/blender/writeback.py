"""Fitted parameters into a Blender scene, where a person can see and change them.

Material values go into the materials' named nodes (the appearance registry's ``node``:
``sem_base``, ..., ``tr_attenuation_per_nm``, ``sem_gain``); the detector model and every parameter's learned
spread become custom properties on the scene (``dgan_noise_*``, ``dgan_spread_*``),
shown in Blender's Scene > Custom Properties panel. The bridge's render engine reads
the same properties, so F12 gives the fitted look.
"""

from __future__ import annotations

import bpy

from ..appearance.registry import PARAMS, find
from ..appearance.look import Look

_MATERIALS = {"particle": "dgan_particle", "substrate": "dgan_substrate"}


def _node(mat_name: str, name: str):
    mat = bpy.data.materials.get(mat_name)
    nodes = mat.node_tree.nodes if mat and mat.node_tree else {}
    return nodes[name] if name in nodes else None


def apply_look(scene, look: Look) -> list[str]:
    """Write the look's values into ``scene``; returns what was not applicable. Where
    each value goes - a material's named node, every material's (the gain) - is the
    appearance registry's."""
    skipped = []
    for name, p in sorted(look.parameters.items()):
        group, _, field = name.partition(".")
        param = find(name)
        if param is not None and param.node:
            targets = list(_MATERIALS.values()) if group == "light" else [_MATERIALS[group]]
            nodes = [n for n in (_node(m, param.node) for m in targets) if n is not None]
            for node in nodes:
                node.inputs[param.socket].default_value = p.value
            lights = [o for o in scene.objects if o.type == "LIGHT" and "dgan_strength" in o] if group == "light" else []
            for obj in lights:  # principled path: the gain scales the lights themselves
                obj.data.energy = float(obj["dgan_strength"]) * p.value
            if not nodes and not lights:
                skipped.append(name)
                continue
        elif group == "noise":
            scene[f"dgan_noise_{field}"] = float(p.value)
            _ui(scene, f"dgan_noise_{field}", p, f"detector model: {field} (fitted)")
        else:
            skipped.append(name)
            continue
        key = f"dgan_spread_{name.replace('.', '_')}"
        scene[key] = float(p.spread)
        _ui(scene, key, None, f"learned spread over layouts of {name}")
    scene["dgan_params_source"] = str(look.meta.get("command", "dgan fit"))
    return skipped


def _ui(scene, key: str, p, description: str) -> None:
    ui = scene.id_properties_ui(key)
    if p is not None and p.low > -1e30 and p.high < 1e30:
        ui.update(min=p.low, max=p.high, soft_min=p.low, soft_max=p.high, description=description)
    else:
        ui.update(description=description)


def read_look_values(scene) -> dict[str, float]:
    """The values as they stand in the scene now (after a person's edits too)."""
    out = {}
    for group, mat_name in _MATERIALS.items():
        for param in PARAMS:
            node = _node(mat_name, param.node) if param.node else None
            if node is None:
                continue
            if group in param.bounds:
                out[f"{group}.{param.attr}"] = float(node.inputs[param.socket].default_value)
            elif "light" in param.bounds:
                out[f"light.{param.attr}"] = float(node.inputs[param.socket].default_value)
    for key, value in scene.items():
        if key.startswith("dgan_noise_"):
            out[f"noise.{key[len('dgan_noise_'):]}"] = float(value)
    return out
