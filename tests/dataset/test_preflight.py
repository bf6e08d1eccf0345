"""Settings that mostly fail are refused up front with a value that works."""

import pytest

from dgan_blender.config import load_config
from dgan_blender.dataset.preflight import check_layouts
from dgan_blender.errors import ConfigError


def test_shipped_preset_passes():
    check_layouts(load_config("sio2-him", []), 0)


def test_crowded_coverage_names_the_value_and_one_that_packs():
    cfg = load_config("sio2-him", ["particles.coverage=0.9"])
    with pytest.raises(ConfigError) as err:
        check_layouts(cfg, 0)
    msg = str(err.value)
    assert msg.startswith("particles.coverage=0.9: 3 of 3 layouts cannot be packed into the 512x512 nm field")
    assert "\n" not in msg
    good = float(msg.split("; particles.coverage=")[1].split(" packs")[0])
    assert good < 0.9
    check_layouts(load_config("sio2-him", [f"particles.coverage={good}"]), 0)  # the suggestion holds


def test_count_is_named_for_a_count_config():
    cfg = load_config("sio2-him", ["particles.count=400", "particles.mesh_subdivisions=1"])
    with pytest.raises(ConfigError, match=r"^particles.count=400: 3 of 3 .*; particles.count=\d+ packs"):
        check_layouts(cfg, 0)


def test_particle_ceiling_is_checked_before_any_layout():
    with pytest.raises(ConfigError, match="more than 20000"):
        check_layouts(load_config("tio2-sem", ["particles.count=1000000000"]), 0)


def test_two_layouts_that_pack_settle_it_and_the_third_is_not_built(monkeypatch):
    """The driver builds the probes while the workers wait: with 3 probes, two that
    pack already decide (at most one could fail)."""
    from dgan_blender.dataset import preflight

    built = []
    real = preflight.generate_layout
    monkeypatch.setattr(preflight, "generate_layout", lambda cfg, rng, s: built.append(s) or real(cfg, rng, s))
    check_layouts(load_config("sio2-him", []), 0)
    assert len(built) == 2
