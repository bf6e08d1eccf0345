"""Every shape family's footprint is what the renderer shows (real bpy and Mitsuba, 64 px)."""

import numpy as np
import pytest

pytest.importorskip("bpy")
pytest.importorskip("mitsuba")

from dgan_blender.config import load_config  # noqa: E402
from dgan_blender.geometry import generate_layout  # noqa: E402
from dgan_blender.geometry.footprint import footprint  # noqa: E402
from dgan_blender.geometry.shapes import SHAPES  # noqa: E402


@pytest.mark.slow
@pytest.mark.parametrize("shape", SHAPES)
def test_footprint_is_the_rendered_instance_mask(shape):
    from dgan_blender.blender.builder import build_scene
    from dgan_blender.bridge.export import describe
    from dgan_blender.bridge.scene import MitsubaScene

    cfg = load_config("tio2-sem", ["image.width_px=64", "image.height_px=64", "render.spp=4",
                                   "image.pixel_size_nm=14.0", f"particles.shape={shape}",
                                   "particles.elongation_max=2.5"])
    lay = generate_layout(cfg, np.random.default_rng(4), 4)
    desc = describe(build_scene(lay))
    seen = MitsubaScene(desc, spp=1, variant="llvm_ad_mono").instances() > 0
    mask = footprint(lay)
    assert seen.sum() > 50
    assert (mask != seen).mean() < 0.01 and mask.sum() >= seen.sum()
    particles = [s for s in desc["shapes"].values() if s["pass_index"] > 0]
    flat = shape not in ("ellipsoid", "sphere")
    assert all((s["normals"] is None) == flat for s in particles)  # flat faces shade flat
