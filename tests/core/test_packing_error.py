"""A layout that does not pack names the value that draw used; the particle ceiling is
checked for the top of the coverage range."""

import numpy as np
import pytest

from dgan_blender.config import load_config
from dgan_blender.errors import ConfigError
from dgan_blender.geometry import PackingError, check_particle_limit, draw_coverage, generate_layout


def test_packing_error_names_the_drawn_coverage():
    # coverage 0.7..0.9 in a 512x512 nm sio2-him field never packs (2-D monolayer)
    cfg = load_config("sio2-him", ["particles.coverage=0.7", "particles.coverage_max=0.9",
                                   "particles.mesh_subdivisions=1"])
    drawn = draw_coverage(cfg, np.random.default_rng(5))  # the generator's first draw
    with pytest.raises(PackingError) as err:
        generate_layout(cfg, np.random.default_rng(5), 5)
    assert f"particles.coverage={drawn:.3g} " in str(err.value)
    assert "particles.coverage=0.7 " not in str(err.value)
    assert err.value.what == f"particles.coverage={drawn:.3g}" and err.value.n > 0
    assert isinstance(err.value, ConfigError) and "\n" not in str(err.value)


def test_particle_ceiling_uses_the_top_of_the_range():
    ok = load_config("tio2-sem", [])
    check_particle_limit(ok)
    wide = load_config("tio2-sem", ["particles.coverage=0.01", "particles.coverage_max=1",
                                    "image.width_px=4096", "image.height_px=4096"])
    with pytest.raises(ConfigError, match=r"^particles.coverage_max=1: \d+ particles is more than 20000"):
        check_particle_limit(wide)
    with pytest.raises(ConfigError, match=r"^particles.count=1000000000: "):
        check_particle_limit(load_config("tio2-sem", ["particles.count=1000000000"]))
