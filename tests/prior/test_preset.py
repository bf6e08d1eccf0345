"""The written preset: loads like a shipped one, says how it was made, same seed same file."""

import tomllib

import pytest


from dgan_blender.config import load_config
from dgan_blender.prior.api import infer_prior
from dgan_blender.prior.toml_out import dumps
from dgan_blender.config import PRESET_DIR, read_toml


def test_shipped_presets_round_trip_through_the_writer():
    for name in ("tio2-sem", "sio2-him", "agnw-sem"):
        data = read_toml(PRESET_DIR / f"{name}.toml")
        assert tomllib.loads(dumps(data)) == data


def test_written_preset_loads_and_is_deterministic(disc_folder, tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"run{k}" / "discs.toml"
        meta = infer_prior(disc_folder, out, base="sio2-him", pixel_size_nm=5.0, seed=0, passes=1, layouts=3,
                           render=False)
        cfg = load_config(str(out))
        assert (out.parent / "prior.png").stat().st_size > 1000
        outs.append((out, meta, cfg))
    (a, meta, cfg), (b, _, _) = outs
    data = read_toml(a)
    assert data["prior"]["meta"]["polarity"] == "bright" and data["prior"]["meta"]["images"] == 6
    assert "never masks" in data["prior"]["meta"]["method"]
    # drawn discs: 16 px median at 5 nm/px = 80 nm; a round, compact powder
    assert 60 < data["prior"]["meta"]["measured_median_nm"] < 100
    assert cfg.particles.kind == "sphere" and cfg.particles.shape == "sphere"
    assert meta["shape_family_suggestion"] == "spheres"
    assert cfg.particles.diameter.kind == "lognormal" and cfg.particles.coverage > 0
    strip = lambda p: [ln for ln in p.read_text().splitlines() if not ln.startswith("seconds")]
    assert strip(a) == strip(b)


def test_a_requested_shape_family_is_written_and_said(disc_folder, tmp_path):
    """Round discs would make spheres; --shape cuboid is written as asked (a cuboid is not a
    sphere, so the kind becomes irregular) and [prior.meta] says it was given."""
    out = tmp_path / "c.toml"
    meta = infer_prior(disc_folder, out, base="sio2-him", pixel_size_nm=5.0, seed=0, passes=1, layouts=3,
                       render=False, shape="cuboid")
    cfg = load_config(str(out))
    assert cfg.particles.shape == "cuboid" and cfg.particles.kind == "irregular"
    assert "given with --shape" in meta["shape_rule"] and meta["shape_family_suggestion"] == "spheres"


@pytest.mark.slow
def test_rendered_calibration_runs_and_records_how(disc_folder, tmp_path):
    out = tmp_path / "r" / "discs.toml"
    meta = infer_prior(disc_folder, out, base="sio2-him", pixel_size_nm=5.0, seed=0, passes=1, layouts=2)
    assert meta["calibration_images"].startswith("rendered")
    assert load_config(str(out)).particles.diameter.median_nm > 0


def test_dark_particles_choose_the_transmission_mode(tmp_path):
    """Dark particles on a bright ground: the prior writes a transmission preset (the
    user never names the mode), whose fit parameters are the transmission ones."""
    import numpy as np

    from dgan_blender.appearance.params import param_specs

    from .conftest import draw_field, write_pngs

    rng = np.random.default_rng(5)
    folder = write_pngs(tmp_path / "real", [draw_field(rng, count=25, polarity="dark")[0] for _ in range(4)])
    out = tmp_path / "dark.toml"
    infer_prior(folder, out, base="tio2-sem", pixel_size_nm=5.0, seed=0, passes=1, layouts=3, render=False)
    cfg = load_config(str(out))
    assert read_toml(out)["prior"]["meta"]["polarity"] == "dark"
    assert cfg.imaging.mode == "transmission" and cfg.fitted == {}
    assert "particle.tr_attenuation_per_nm" in param_specs(cfg)


@pytest.mark.parametrize("kind, elong_q90, roundness, family, auto, requested", [
    ("sphere", 1.1, 0.97, "spheres", "sphere", None),
    ("irregular", 1.6, 0.96, "rounded irregular solids", "ellipsoid", None),
    ("irregular", 1.6, 0.90, "faceted polyhedra with sharp edges", "ellipsoid", "polyhedron"),
    ("irregular", 2.6, 0.90, "rods/cuboids", "ellipsoid", "cuboid"),  # elongated, not clearly rods
    ("irregular", 3.4, 0.90, "rods/cuboids", "rod", None),
])
def test_the_family_becomes_particles_shape(kind, elong_q90, roundness, family, auto, requested):
    """Without --shape the prior writes rounded solids unless the particles are clearly
    rods or spheres; a requested family is written as asked. What the calibration writes
    loads, and flat-faced families get meshes fine enough for edges."""
    from dgan_blender.config import deep_merge, from_dict
    from dgan_blender.prior.api import _family, _shape
    from dgan_blender.prior.calibrate import Theta, synthetic_config, synthetic_set

    assert _family(kind, elong_q90, roundness) == family and _shape(family, elong_q90) == auto
    shape = _shape(family, elong_q90, requested)
    assert shape == (requested or auto)
    extra = {"particles": {"facets": 8}} if kind == "irregular" else {}
    theta = Theta(5.1, 0.3, 0.05, 0.2, 1.6, 20, 1.0, elong_q90, 0.12, "3d", kind, extra, shape)
    base = {k: v for k, v in read_toml(PRESET_DIR / "tio2-sem.toml").items() if k not in ("meta", "fitted")}
    cfg = from_dict(deep_merge(base, theta.tables()))
    assert cfg.particles.shape == shape and cfg.particles.kind == kind
    assert cfg.particles.mesh_subdivisions == (5 if shape in ("polyhedron", "rod", "cuboid") else 4)
    # the calibration's own layouts (coarse meshes) come in the family and are measured
    syn = synthetic_config(base, theta, (160, 160), 7.344)
    assert syn.particles.shape == shape and syn.particles.mesh_subdivisions == 2
    measured, truth, failed = synthetic_set(syn, theta, [1, 2], 4.0)
    assert failed == 0 and len(measured) == 2 and sum(t.size for t in truth) > 0
