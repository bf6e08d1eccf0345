"""Every seed stream of the project, named in one place.

A run seed S fixes everything a command makes; each use draws from its own stream of
S, so adding a use never shifts another's numbers. The stream numbers below are the
values the code has always used (changing one changes every data set, fit and model
made with it): a new stream takes a new number.
"""

from __future__ import annotations

import numpy as np

# -- data sets: sample i of a run seeded S --------------------------------------------
LOOK = 1  # the sample's material values and detector noise: rng([sample_seed, LOOK])
# sio2-him draws failed to pack 20 in 600 (issue 14); eight failures in a row: ~1e-12
MAX_LAYOUT_ATTEMPTS = 8

# -- the adversarial fit (run seed S) ---------------------------------------------------
FIT_TRAIN_STEP = 0  # step_seed(S, step, .): the generator's layouts and noise per step
FIT_EVAL = 1  # rng([S, .]): held-out evaluation patches; step_seed(S, 0, .): their fakes
FIT_HOLDOUT = 2  # rng([S, .]): which real images are held out
FIT_PATCHES = 3  # rng([S, .]): the real training patches
FIT_TORCH = 4  # step_seed(S, 0, .): the trainer's torch generator
FIT_SELECT = 5  # rng([S, .]): training patches the selection compares with
FIT_CONTENT = 7  # rng([S, .]): patches whose coverage the matched layouts follow
FIT_TRY = 13  # step_seed(S, k, .): the training seed of try k > 0 of a fit (fit/tries.py)
STANDIN_LAYOUTS = 11  # rng([S, .]): the stand-in renderer's disc layouts
# -- dgan measure ------------------------------------------------------------------------
CROWDED_SET = 12  # step_seed(S, 0, .): the crowded share of a set rendered with seed S (measure/crowded.py)


def sample_seed(seed: int, index: int) -> int:
    """Sample ``index`` of a run seeded ``seed``: 31 bits, so Blender can store it as an
    integer property. Depends on (seed, index) alone, never on worker or order."""
    state = np.random.SeedSequence([int(seed), int(index)]).generate_state(1, dtype=np.uint32)[0]
    return int(state) & 0x7FFFFFFF


def layout_seed(seed: int, index: int, attempt: int = 0) -> int:
    """The layout of draw ``attempt`` of a sample: attempt 0 is :func:`sample_seed`
    (data sets rendered before redraws existed stay byte-identical); a draw that cannot
    be packed is redrawn from ``SeedSequence([seed, index, attempt])``."""
    if attempt == 0:
        return sample_seed(seed, index)
    ss = np.random.SeedSequence([int(seed), int(index), int(attempt)])
    return int(ss.generate_state(1, dtype=np.uint32)[0]) & 0x7FFFFFFF


def step_seed(seed: int, step: int, stream: int = 0) -> int:
    """A 31-bit seed per (run seed, step, stream): independent streams, seed 0 valid."""
    return int(np.random.SeedSequence([int(seed), int(step), int(stream)]).generate_state(1)[0] >> 1)


def stream(seed: int, which: int) -> np.random.Generator:
    """The generator of stream ``which`` of ``seed``."""
    return np.random.default_rng([int(seed), int(which)])
