"""The panel's fields are the typed config's fields (no bpy needed)."""

import pytest

from dgan_blender.addon_support import fields
from dgan_blender.config import load_config, list_presets
from dgan_blender.errors import ConfigError


def test_every_panel_field_is_a_config_field():
    fields.check_all_fields_exist()
    specs = {s.path: s for s in fields.main_specs()}
    assert specs["particles.kind"].kind == "enum"
    assert set(specs["particles.kind"].choices) == {"sphere", "irregular", "wire"}
    assert specs["image.width_px"].kind == "int" and specs["image.width_px"].label == "Width (px)"
    assert specs["image.pixel_size_nm"].kind == "float"
    assert all("." not in s.prop_name for s in specs.values())


@pytest.mark.parametrize("preset", list_presets())
def test_unchanged_preset_values_give_no_overrides(preset):
    vals = fields.preset_values(preset)
    single = {k: (float(f"{v:.7g}") if isinstance(v, float) else v) for k, v in vals.items()}
    assert fields.overrides(preset, single) == []
    assert fields.config_for(preset, single) == load_config(preset)


def test_edits_become_typed_overrides():
    vals = fields.preset_values("tio2-sem")
    vals.update({"image.width_px": 48, "particles.kind": "sphere", "image.pixel_size_nm": 7.343999862670898})
    ov = fields.overrides("tio2-sem", vals)
    assert ov == ['image.width_px=48', 'particles.kind="sphere"']
    cfg = fields.config_for("tio2-sem", vals)
    assert cfg.image.width_px == 48 and cfg.particles.kind == "sphere"


def test_bad_panel_value_is_a_one_line_config_error():
    vals = fields.preset_values("tio2-sem")
    vals["particles.coverage"] = 3.0
    with pytest.raises(ConfigError, match="particles.coverage"):
        fields.config_for("tio2-sem", vals)


def test_the_shape_family_is_a_panel_choice_and_checked_like_the_cli():
    specs = {s.path: s for s in fields.main_specs()}
    assert specs["particles.shape"].kind == "enum"
    assert set(specs["particles.shape"].choices) == {"ellipsoid", "sphere", "polyhedron", "cuboid", "rod", "plate"}
    vals = fields.preset_values("tio2-sem")
    vals["particles.shape"] = "cuboid"
    assert fields.overrides("tio2-sem", vals) == ['particles.shape="cuboid"']
    assert fields.config_for("tio2-sem", vals).particles.shape == "cuboid"
    vals["particles.kind"] = "sphere"  # a cuboid is not a sphere: the config's own check
    with pytest.raises(ConfigError, match="particles.shape"):
        fields.config_for("tio2-sem", vals)
