import pytest

from dgan_blender.config import (ConfigError, SceneConfig, list_presets, load_config, parse_override,
                                 to_dict, from_dict)


def test_presets_load_and_have_units():
    assert {"tio2-sem", "sio2-him", "agnw-sem"} <= set(list_presets())
    kinds = {name: load_config(name).particles.kind for name in ("tio2-sem", "sio2-him", "agnw-sem")}
    assert kinds == {"tio2-sem": "irregular", "sio2-him": "sphere", "agnw-sem": "wire"}
    assert load_config("sio2-him").particles.diameter.kind == "bimodal"


def test_round_trip_through_dict():
    cfg = load_config("sio2-him")
    assert from_dict(to_dict(cfg)) == cfg


def test_overrides_merge_in_order(tmp_path):
    user = tmp_path / "u.toml"
    user.write_text("[particles]\ncount = 7\n[image]\nwidth_px = 100\n")
    cfg = load_config("tio2-sem", ["image.width_px=64", "particles.kind=sphere"], user_file=user,
                      extra={"image": {"height_px": 32}})
    assert (cfg.image.width_px, cfg.image.height_px, cfg.particles.count) == (64, 32, 7)
    assert cfg.particles.kind == "sphere"
    assert cfg.image.pixel_size_nm == pytest.approx(7.344)  # untouched preset value


@pytest.mark.parametrize("override, words", [
    (["particles.cout=3"], ["particles.cout", "particles.count"]),
    (["image.width_px=-3"], ["image.width_px", "> 0"]),
    (["particles.kind=cube"], ["particles.kind", "'sphere'"]),
    (["image.pixel_size_nm=abc"], ["image.pixel_size_nm", "number"]),
    (["particles.diameter.sigma_log=-1"], ["particles.diameter.sigma_log"]),
    (["novalue"], ["KEY=VALUE"]),
])
def test_bad_fields_name_the_field(override, words):
    with pytest.raises(ConfigError) as err:
        load_config("tio2-sem", override)
    msg = str(err.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg


def test_unknown_preset_suggests():
    with pytest.raises(ConfigError, match="did you mean 'tio2-sem'"):
        load_config("tio2-sim")


def test_bad_toml_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[image\nwidth_px = 3")
    with pytest.raises(ConfigError, match="bad.toml"):
        load_config(str(bad))


def test_parse_override_types():
    assert parse_override("a.b=3") == {"a": {"b": 3}}
    assert parse_override("a=[1, 2]") == {"a": [1, 2]}
    assert parse_override("a=hello") == {"a": "hello"}


def test_defaults_are_valid():
    from dgan_blender.config import validate
    validate(SceneConfig())


def test_typical_size_is_the_distributions_own_centre():
    from dgan_blender.config import SizeDistribution, typical_size

    assert typical_size(SizeDistribution(kind="lognormal", median_nm=170.0, sigma_log=0.3)) == 170.0
    assert typical_size(SizeDistribution(kind="uniform", min_nm=20.0, max_nm=60.0)) == 40.0
    mix = SizeDistribution(kind="bimodal", modes=[SizeDistribution(kind="fixed", mean_nm=10.0),
                                                  SizeDistribution(kind="fixed", mean_nm=40.0)], weights=[3.0, 1.0])
    assert typical_size(mix) == 17.5


def test_bounds_and_fitted_tables_are_read_with_the_preset(tmp_path):
    """[bounds] and [fitted] load from a preset file or a --config file, reach the fit's
    parameters and the look, and come from the file the user named - an edited copy
    that keeps the shipped name gets its own tables, not the shipped ones."""
    from dgan_blender.appearance.params import param_specs
    from dgan_blender.config import PRESET_DIR, load_config
    from dgan_blender.appearance.look import load_look

    shipped = load_config("tio2-sem")
    assert "parameters" in shipped.fitted and load_look(None, shipped) is not None
    text = (PRESET_DIR / "tio2-sem.toml").read_text()
    copy = tmp_path / "mine.toml"
    copy.write_text(text[:text.index("[fitted.meta]")] + '[bounds]\n"particle.sem_base" = [0.2, 0.4]\n')
    mine = load_config(str(copy))
    assert mine.name == "tio2-sem" and mine.fitted == {}
    assert load_look(None, mine) is None  # not the shipped fit, looked up by name
    spec = param_specs(mine)["particle.sem_base"]
    assert (spec.low, spec.high) == (0.2, 0.4)
    user = tmp_path / "user.toml"
    user.write_text('[bounds]\n"light.gain" = [0.5, 2.0]\n')
    both = load_config(str(copy), user_file=user)
    assert (param_specs(both)["light.gain"].low, param_specs(both)["light.gain"].high) == (0.5, 2.0)
    assert (param_specs(both)["particle.sem_base"].low, param_specs(both)["particle.sem_base"].high) == (0.2, 0.4)


def test_bad_bounds_are_one_line(tmp_path):
    import pytest

    from dgan_blender.appearance.params import param_specs
    from dgan_blender.config import load_config
    from dgan_blender.errors import ConfigError, DganError

    bad = tmp_path / "b.toml"
    bad.write_text('[bounds]\n"particle.sem_base" = "wide"\n')
    with pytest.raises(ConfigError, match="bounds.particle.sem_base: expected a list"):
        load_config("tio2-sem", user_file=bad)
    bad.write_text('[bounds]\n"particle.tr_attenuation_per_nm" = [0.001, 0.1]\n')
    with pytest.raises(DganError, match="imaging mode"):
        param_specs(load_config("tio2-sem", user_file=bad))
