"""Fitted parameters into a Blender scene, where a person can see and change them.

Material values go into the SEM material's named nodes (``sem_base``, ``sem_edge``,
``sem_exponent``, ``sem_shadow``, ``sem_gain``); the detector/noise model and every parameter's learned
spread become custom properties on the scene (``dgan_noise_*``, ``dgan_spread_*``),
shown in Blender's Scene > Custom Properties panel. The bridge's render engine reads
the same properties, so F12 gives the fitted look.
"""

from __future__ import annotations

import bpy

from ..dataset.look import Look

_MATERIALS = {"particle": "dgan_particle", "substrate": "dgan_substrate"}
_NODE_FIELDS = ("sem_base", "sem_edge", "sem_exponent", "sem_shadow", "tr_level", "tr_attenuation_per_nm")


def _sem_node(mat, field: str):
    nodes = mat.node_tree.nodes if mat and mat.node_tree else {}
    return nodes[field] if field in nodes else None


def _value_socket(node):
    """Where a named node holds its value: a Math node's second input, the absorption's density."""
    return node.inputs["Density"] if node.type == "VOLUME_ABSORPTION" else node.inputs[1]


def apply_look(scene, look: Look) -> list[str]:
    """Write the look's values into ``scene``; returns what was not applicable."""
    skipped = []
    for name, p in sorted(look.parameters.items()):
        group, _, field = name.partition(".")
        if group in _MATERIALS:
            node = _sem_node(bpy.data.materials.get(_MATERIALS[group]), field)
            if node is None:
                skipped.append(name)
                continue
            _value_socket(node).default_value = p.value
        elif name == "light.gain":
            for mat_name in _MATERIALS.values():
                node = _sem_node(bpy.data.materials.get(mat_name), "sem_gain")
                if node is not None:
                    node.inputs[1].default_value = p.value
            for obj in scene.objects:  # principled path: the lights themselves
                if obj.type == "LIGHT" and "dgan_strength" in obj:
                    obj.data.energy = float(obj["dgan_strength"]) * p.value
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
        mat = bpy.data.materials.get(mat_name)
        for field in _NODE_FIELDS:
            node = _sem_node(mat, field)
            if node is not None:
                out[f"{group}.{field}"] = float(_value_socket(node).default_value)
        gain = _sem_node(mat, "sem_gain")
        if gain is not None:
            out["light.gain"] = float(gain.inputs[1].default_value)
    for key, value in scene.items():
        if key.startswith("dgan_noise_"):
            out[f"noise.{key[len('dgan_noise_'):]}"] = float(value)
    return out
