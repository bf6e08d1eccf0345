"""Faster layout code must not move a vertex: data sets of a seed stay the same.

The references were first sha256 digests computed by the original (pre-speed-up,
69eba92) code, over every particle's vertex, face, centre and size arrays as raw bytes
plus its radius_fn, and every later version matched them to the bit on the machine they
were recorded on. On another CPU (an AVX-512 Xeon) none did - numpy's exp/log and
OpenBLAS's kernels round differently there (vertices moved by <= 1.8e-12 nm; the counts
all matched) - so the references are now ``layout_fingerprint``'s weighted sums, recorded
from the same code (88148d7, whose layouts matched the digests) on that machine, and
compared to 1e-12 relative: 2000x the back ends' scatter, and a single coordinate moved by
~1e-4 nm still shows. Seeds are a data set's per-sample seeds."""

from __future__ import annotations


import numpy as np
import pytest

from dgan_blender.config import load_config
from dgan_blender.dataset.sample import sample_seed
from dgan_blender.errors import ConfigError
from dgan_blender.geometry import generate_layout, placement
from dgan_blender.layout import layout_digest, layout_fingerprint

# (preset, overrides, data-set seed, sample index, particles, layout_fingerprint of the original layout)
REFERENCE = [
    ("tio2-sem", (), 0, 0, 9,
     [9.0, 38885872.94501147, 157341802.7568512, 708548625.0, 49028.778751204096, 1862.935561586386, 8344.101918045619]),
    ("tio2-sem", (), 0, 1, 15,
     [15.0, 84515438.43250151, 354966709.8471551, 1180914375.0, 111226.3204219637, 3386.831364770241, 13542.249873173872]),
    ("tio2-sem", (), 0, 2, 9,
     [9.0, 34464587.10629236, 126094663.83846729, 708548625.0, 40816.203679496895, 1812.7769934651963, 8212.843108356217]),
    ("tio2-sem", (), 0, 3, 13,
     [13.0, 62963262.902925156, 252604252.39915594, 1023459125.0, 79398.41003425162, 3201.5846210651357, 13237.558309711694]),
    ("sio2-him", (), 0, 0, 36,
     [36.0, 41735209.197140805, 174871666.89384112, 2834194500.0, 54309.572458310504, 5519.266531072913, 1009.8611689743816]),
    ("sio2-him", (), 0, 1, 36,
     [36.0, 43281983.98647562, 193480807.972319, 2834194500.0, 52688.211321194234, 5605.674629204409, 1038.0855620570987]),
    ("sio2-him", (), 0, 2, 36,
     [36.0, 44840097.10000086, 194010261.02488205, 2834194500.0, 51853.778905740335, 5257.86161164004, 888.070923390748]),
    ("agnw-sem", (), 0, 0, 14,
     [14.0, 65880150.96068175, 280527777.10636324, 160336805.0, 207502.73742346934, 88928.72529469471, 168.0]),
    ("agnw-sem", (), 0, 1, 14,
     [14.0, 80340291.49232666, 325419571.455705, 179109910.0, 232582.50451770457, 93719.69939549878, 168.0]),
    ("agnw-sem", (), 0, 2, 14,
     [14.0, 72582639.24305928, 332380140.0504797, 182815928.0, 205251.01539542468, 94584.67002699412, 168.0]),
    ("tio2-sem", (), 7, 0, 15,
     [15.0, 90685292.50118098, 394140182.6984355, 1180914375.0, 116560.4636558435, 3129.403876655164, 12750.155898305187]),
    ("sio2-him", (), 7, 1, 36,
     [36.0, 61852510.93902822, 275028197.92997986, 2834194500.0, 73362.80574985406, 5303.105943934142, 895.698587524173]),
    ("tio2-sem", ("agglomerates.placement=random",), 0, 0, 9,
     
     [9.0, 47707393.94211175, 183122238.92207417, 708548625.0, 60731.61307754024, 1811.9355615863863, 8344.101918045619]),
    ("tio2-sem", ("agglomerates.layers=2d",), 0, 1, 15,
     
     [15.0, 64459579.34246185, 254482640.02034563, 1180914375.0, 84164.54657444467, 3386.831364770241, 13542.249873173872]),
    ("sio2-him", ("agglomerates.layers=3d",), 0, 0, 36,
     
     [36.0, 46270876.504476376, 202470713.07887897, 2834194500.0, 66399.59494604684, 5519.266531072913, 1009.8611689743816]),
    # 28: a wire whose lift once came out 1e-14 nm off (reach**2 is Python's pow, not x * x)
    ("agnw-sem", (), 0, 28, 14,
     [14.0, 75680946.83729187, 304581784.91142535, 165853014.0, 211773.88845040766, 91733.47515414096, 168.0]),
    ("agnw-sem", (), 0, 12, 14,
     [14.0, 61479285.59306427, 239253621.74495286, 132612986.0, 210252.2650448293, 82896.88988245683, 168.0]),
    ("tio2-sem", (), 0, 17, 11,
     [11.0, 56249716.04476221, 235612361.67360157, 866003875.0, 60387.773647383554, 2240.94484056546, 9732.83262878497]),
    ("tio2-sem", (), 0, 23, 6,
     [6.0, 24300459.53858833, 121547312.57522833, 472365750.0, 29262.724167270495, 1158.5874591995716, 5553.6111726242725]),
    ("sio2-him", (), 0, 19, 36,
     [36.0, 52411083.19739806, 224517591.89631644, 2834194500.0, 59627.75035886711, 5514.037440270125, 1001.2404097681034]),
    # tio2-tsem came after 69eba92: digests by d17e10a, before the soft minimum's raised exp terms
    ("tio2-tsem", (), 0, 5, 19,
     [19.0, 110764077.85800488, 491857903.1712588, 1495824875.0, 129729.56976255479, 5185.489609263526, 20321.2785018885]),
    ("tio2-tsem", (), 3, 2, 21,
     [21.0, 79438025.61030973, 336676035.93547434, 1653280125.0, 117049.56466573401, 4831.626597726793, 18993.164618660772]),
]


def make(preset, overrides, seed, index):
    cfg = load_config(preset, list(overrides))
    s = sample_seed(seed, index)
    return generate_layout(cfg, np.random.default_rng(s), s)


FINGERPRINT_RTOL = 1e-12


@pytest.mark.parametrize("preset, overrides, seed, index, n, fingerprint", REFERENCE)
def test_layout_is_the_original(preset, overrides, seed, index, n, fingerprint):
    lay = make(preset, overrides, seed, index)
    assert len(lay.particles) == n
    np.testing.assert_allclose(layout_fingerprint(lay), fingerprint, rtol=FINGERPRINT_RTOL, atol=0)


def test_digest_sees_one_ulp_and_the_fingerprint_a_tenth_of_a_picometre_moved():
    lay = make("sio2-him", (), 0, 0)
    before, fingerprint = layout_digest(lay), layout_fingerprint(lay)
    v = lay.particles[-1].mesh.vertices
    v[0, 0] = np.nextafter(v[0, 0], np.inf)
    assert layout_digest(lay) != before
    np.testing.assert_allclose(layout_fingerprint(lay), fingerprint, rtol=FINGERPRINT_RTOL, atol=0)
    v[0, 0] += 1e-4  # nm
    assert not np.allclose(layout_fingerprint(lay), fingerprint, rtol=FINGERPRINT_RTOL, atol=0)
    lay.particles[0], lay.particles[1] = lay.particles[1], lay.particles[0]
    v[0, 0] -= 1e-4
    assert not np.allclose(layout_fingerprint(lay), fingerprint, rtol=FINGERPRINT_RTOL, atol=0)


def _no_strays(monkeypatch):
    def refuse(packer, body, rng):
        raise placement._cannot_pack(packer.cfg)

    monkeypatch.setattr(placement, "_stray", refuse)


def test_a_particle_that_cannot_join_its_cluster_lies_on_its_own(monkeypatch):
    # the original code could not pack this one (3-D clusters squeezed into 2-D): one
    # particle found no place on its cluster, and the whole draw failed
    lay = make("tio2-sem", ("agglomerates.layers=2d",), 0, 0)
    cfg = load_config("tio2-sem", ["agglomerates.layers=2d"])
    w, h = cfg.field_nm
    assert all(0 <= p.center_nm[0] <= w and 0 <= p.center_nm[1] <= h for p in lay.particles)
    labels = [p.agglomerate for p in lay.particles]
    strays = [k for k in set(labels) if labels.count(k) == 1]
    assert strays and len(strays) < len(lay.particles) // 2
    _no_strays(monkeypatch)
    with pytest.raises(ConfigError, match="cannot pack"):
        make("tio2-sem", ("agglomerates.layers=2d",), 0, 0)


def test_a_field_too_full_for_its_particles_still_fails():
    with pytest.raises(ConfigError, match="cannot pack"):
        make("tio2-sem", ("agglomerates.layers=2d", "particles.coverage=0.85", "particles.coverage_max=0.9"), 0, 0)


# (preset, overrides, data-set seed, sample index, the generator's next random() after the
# layout, by the original code): candidates are drawn ahead and the generator rewound to
# where the one-by-one search stopped, also when it gives up
AFTER = [
    ("tio2-sem", (), 0, 1, 0.5225268146560945),
    ("sio2-him", (), 0, 0, 0.07644663908524207),
    ("tio2-sem", ("agglomerates.layers=2d",), 0, 0, 0.28653093300023735),  # cannot pack
]


@pytest.mark.parametrize("preset, overrides, seed, index, after", AFTER)
def test_the_generator_is_left_where_the_original_left_it(preset, overrides, seed, index, after, monkeypatch):
    _no_strays(monkeypatch)  # where the original gave up, so does this search
    s = sample_seed(seed, index)
    rng = np.random.default_rng(s)
    try:
        generate_layout(load_config(preset, list(overrides)), rng, s)
    except ConfigError:
        pass
    assert rng.random() == after
