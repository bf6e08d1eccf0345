"""``dgan measure`` as a library call."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from .. import provenance
from ..errors import DganError
from . import adapters
from .budget import Budget, budget_for, render_workers, split_notes
from .report import OUTPUTS
from .stages import RunContext, run_stages

WHAT = "measure run"


def image_folder(real: Path) -> Path:
    """DIR or DIR/images (the layout of an annotated set): where the micrographs are."""
    real = Path(real)
    return real / "images" if (real / "images").is_dir() else real


def _real_files(real: Path) -> list[Path]:
    from ..micrograph import EXTENSIONS

    folder = image_folder(real)
    if not folder.is_dir():
        raise DganError(f"--real {real}: no such folder; give the folder of your micrographs")
    files = [p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS and not p.name.startswith(".")]
    if not files:
        raise DganError(f"--real {real}: no .tif/.png micrographs in it; point to the folder that holds them")
    return files


def check_images(real: Path, preset: str | None, budget: Budget, pixel_size_nm: float | None) -> list:
    """Every micrograph readable, with a pixel size, and large enough for the fit's patch
    at the preset's pixel size: found now rather than minutes into the run. Returns them
    (``evaluate.data.load_images``'s samples)."""
    from ..evaluate.data import load_images

    _real_files(real)  # its errors name --real
    samples = load_images(image_folder(real), pixel_size_nm=pixel_size_nm)
    if not preset:
        return samples
    from ..config import load_config

    target = load_config(preset).image.pixel_size_nm
    for s in samples:
        side = min(s.image.shape) * s.pixel_size_nm / target
        if side < budget.fit_patch:
            raise DganError(f"{s.path}: {s.image.shape[1]}x{s.image.shape[0]} px at {s.pixel_size_nm:g} nm/px is "
                            f"smaller than the fit's {budget.fit_patch} px patch at {target:g} nm/px; "
                            "use larger micrographs (or check the pixel size)")
    return samples


def run_record(real: Path, preset: str | None, seed: int, budget: Budget, pixel_size_nm: float | None) -> dict:
    """What decides the run's content: a rerun with --resume must match it."""
    from ..config import preset_path

    preset_id = None
    if preset:
        path = preset_path(preset)
        if not path.exists():
            raise DganError(f"--preset {preset}: no such file; give a preset name or an existing TOML file")
        preset_id = {"preset": str(preset), "digest": provenance.file_digest(path)}
    return provenance.describe(real=str(Path(real).resolve()), real_digest=provenance.files_digest(_real_files(real)),
                               preset=preset_id, seed=seed, budget=budget.as_dict(), budget_split=split_notes(),
                               pixel_size_nm=pixel_size_nm)


def _claim(out: Path, record: dict, resume: bool) -> None:
    provenance.claim_resumable(out, record, WHAT, resume, ours=False)


def publish(run: Path) -> dict[str, Path]:
    """The report stage's files at the top of RUN, each replaced in one rename."""
    src = Path(run) / "06-report"
    paths = {}
    for name in OUTPUTS:
        if name.endswith(".png") and not (src / name).exists():  # no particles measured: no figure
            continue
        tmp = Path(run) / f".{name}.{os.getpid()}.tmp"
        shutil.copyfile(src / name, tmp)
        os.replace(tmp, Path(run) / name)
        paths[name] = Path(run) / name
    return paths


def plan(real: Path, out: Path, preset: str | None = None, budget: Budget | None = None, seed: int = 0,
         resume: bool = False, masks: Path | None = None, pixel_size_nm: float | None = None,
         command: str | None = None, workers: int | None = None) -> RunContext:
    """Checks every input and claims RUN; every user error surfaces here, before a stage
    (or a progress display) starts."""
    budget = budget or budget_for()
    if not preset and not adapters.prior_available():
        raise DganError("no --preset given and 'dgan prior' is not installed; pass --preset tio2-sem or a TOML file")
    samples = check_images(real, preset, budget, pixel_size_nm)
    if masks is not None:
        from .scoring import check_masks

        check_masks(masks, samples)
    record = run_record(real, preset, seed, budget, pixel_size_nm)
    _claim(out, record, resume)
    return RunContext(run=Path(out), real=image_folder(real), preset=preset, seed=seed, budget=budget,
                      pixel_size_nm=pixel_size_nm, masks=Path(masks) if masks else None,
                      command=command or " ".join(shlex.quote(a) for a in ["dgan", *sys.argv[1:]]),
                      workers=render_workers() if workers is None else workers, record=record)


def execute(ctx: RunContext, display=None) -> dict:
    """Runs (or finishes) the stages; returns RUN/summary.json's content."""
    from .summary import read_json

    run_stages(ctx, adapters.ADAPTERS, display)
    publish(ctx.run)
    return read_json(ctx.run / "summary.json")


def measure(real: Path, out: Path, preset: str | None = None, budget: Budget | None = None, seed: int = 0,
            resume: bool = False, masks: Path | None = None, pixel_size_nm: float | None = None,
            display=None, command: str | None = None, workers: int | None = None) -> dict:
    """The whole chain: :func:`plan`, then :func:`execute`."""
    return execute(plan(real, out, preset, budget, seed, resume, masks, pixel_size_nm, command, workers), display)
