"""Does the adversarial fit make synthetic TiO2 transmission (TSEM) images realistic?

The SEM fit benchmark (``fit_tio2_sem.py``) run on the BAM TSEM images with the
``tio2-tsem`` preset (transmission contrast): the same split of fields - TSEM image N is
the twin of SEM image N-1, so the 20 training and 10 held-out fields are those of the
segmentation benchmark - the same fit recipe and the same report: realism (SWD x1e3,
3 draws of 64 patches) of the held-out TSEM images against unfitted and fitted renders on
layouts matched to the training patches' particle coverage (dark particles here: the
Otsu side that covers less of the fields), with the real-vs-real floor.

    nice -n 5 .venv/bin/python benchmarks/fit_tio2_tsem.py --iters 600 --out out/fit_tio2_tsem
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import fit_tio2_sem  # noqa: E402
from tio2_sem import TEST, TRAIN  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "bam-tio2-tsem" / "images"


def twin(sem_names: list[str]) -> list[str]:
    """The TSEM image of each SEM field: TSEM N shows the field of SEM N-1."""
    return [str(int(n) + 1) for n in sem_names]


if __name__ == "__main__":
    sys.exit(fit_tio2_sem.main(data=DATA, preset="tio2-tsem", split=(twin(TRAIN), twin(TEST)),
                               name="fit_tio2_tsem", description=__doc__))
