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
