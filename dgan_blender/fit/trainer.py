"""DiffRenderGAN fit: rendering and detector parameters learned adversarially from
unannotated real micrographs.

Every random choice flows from the run's seed: the generator gets a fresh ``step_seed``
per step derived from (seed, step), real patches and augmentation come from explicit
generators whose states are checkpointed, so ``--resume`` after a kill continues the
same run bit for bit.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import DganError
from ..realism import realism
from .discriminator import PatchGAN, d_loss, diff_augment, g_loss
from ..seeds import FIT_EVAL, FIT_PATCHES, FIT_SELECT, FIT_TORCH, FIT_TRAIN_STEP, step_seed, stream
from .generator import Generator
from .real import patches_with_particles
from .report import write_params, write_progress, write_samples



@dataclass
class FitOptions:
    iters: int = 300
    seed: int = 0
    batch: int = 4
    patch: int = 256
    eval_every: int = 50
    eval_images: int = 12
    checkpoint_every: int = 25
    # The paper's lr_G (2e-4) drives a network over thousands of GPU steps; here G is a
    # handful of logits and a CPU fit has a few hundred steps, so G moves faster.
    lr_g: float = 3e-3
    lr_d: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.999)
    # G's learning rate follows a half cosine from lr_g to lr_floor * lr_g over ``iters``:
    # a constant rate keeps G circling the equilibrium D offers it; decaying lets it settle.
    lr_decay: str = "cosine"
    lr_floor: float = 0.05
    loss: str = "lsgan"
    # Evaluations, params.toml and samples use an exponential moving average of G's weights
    # (Yazici et al. 2019): adversarial updates oscillate, their average is the estimate.
    ema: float = 0.98
    d_warmup: int = 0  # first iterations train D only, so G's first gradients mean something
    spectral: bool = True
    augment: bool = True
    # select_best: params.toml keeps the averaged weights of the evaluation whose images
    # are nearest the *training* real images (never the held-out ones), instead of the
    # last. Off by default: on the BAM TiO2 fits it picked points no better on held-out
    # images than the last (172 vs 168, 181 vs 168).
    select_best: bool = False
    # with select_best, the LATEST evaluation whose training-image distance is within this
    # share of the lowest one: where the distance has levelled off, the longer-averaged
    # point; where the fit drifted away later, the point before the drift (dgan measure)
    select_tolerance: float = 0.0
    # with select_best, stop once the selected evaluation is this many evaluations old (0:
    # never): a later point can only be written if it comes back within the tolerance,
    # and the iterations before the stop are the same as without it (the learning rate
    # follows ``iters`` either way). Eight (400 iterations at dgan measure's cadence)
    # would have changed the written point of none of the six recorded measure fits, and
    # ended the TSEM fit of seed 0 at iteration 700 instead of 1300; four, of three.
    stop_patience: int = 0
    max_minutes: float = 0.0
    torch_threads: int = 1
    d_channels: int = 16
    # what the tries of one fit share (``api.run_fit_tries``): the held-out split, the
    # evaluation and selection patches, the layout pool and its coverages, the evaluation
    # renders. None: ``seed``. With it, tries differ only in the training's randomness (D's
    # initial weights, the real patches drawn, each step's layouts and noise), so their
    # evaluations score the same images and compare.
    data_seed: int | None = None
    meta: dict = field(default_factory=dict)

    @property
    def shared_seed(self) -> int:
        return self.seed if self.data_seed is None else self.data_seed


class Fit:
    """``generator`` satisfies :class:`~.generator.Generator`; ``train``/``heldout`` are
    real images (float 0..1, already at the generator's pixel size)."""

    def __init__(self, generator: Generator, train: list[np.ndarray], heldout: list[np.ndarray], out: Path,
                 opts: FitOptions):
        if opts.loss not in ("lsgan", "hinge"):
            raise DganError(f"loss {opts.loss!r}: choose lsgan or hinge")
        if opts.lr_decay not in ("cosine", "none"):
            raise DganError(f"lr_decay {opts.lr_decay!r}: choose cosine or none")
        self.G, self.opts, self.out = generator, opts, Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.train, self.heldout = train, heldout or train
        with torch.random.fork_rng():
            torch.manual_seed(opts.seed)  # only D's initial weights; global state restored
            self.D = PatchGAN(opts.d_channels, spectral=opts.spectral)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=opts.lr_g, betas=opts.betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=opts.lr_d, betas=opts.betas)
        self.rng = stream(opts.seed, FIT_PATCHES)
        self.tgen = torch.Generator().manual_seed(step_seed(opts.seed, 0, FIT_TORCH))
        self.ema = {k: v.detach().clone() for k, v in self.G.state_dict().items() if v.is_floating_point()}
        self.step = 0
        self.history: list[dict] = []
        self.trajectories: list[dict] = []
        eval_rng = stream(opts.shared_seed, FIT_EVAL)
        self.eval_real = patches_with_particles(self.heldout, opts.patch, opts.eval_images, eval_rng)
        self.select_real = patches_with_particles(self.train, opts.patch, opts.eval_images,
                                                  stream(opts.shared_seed, FIT_SELECT))
        self.best: dict | None = None  # the selected evaluation and its averaged weights

    def crop(self, x: torch.Tensor) -> torch.Tensor:
        p = self.opts.patch
        if x.shape[-1] < p or x.shape[-2] < p:
            raise DganError(f"synthetic images are {x.shape[-1]}x{x.shape[-2]} px, smaller than the {p} px patch; "
                            "lower --patch or raise image.width_px/height_px")
        return x[..., :p, :p]

    def _aug(self, x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, self.tgen) if self.opts.augment else x

    # ----------------------------------------------------------------- one step
    def train_step(self) -> dict:
        o = self.opts
        fake, _ = self.G(o.batch, step_seed(o.seed, self.step, FIT_TRAIN_STEP))
        fake = self.crop(fake)
        real = torch.from_numpy(patches_with_particles(self.train, o.patch, o.batch, self.rng))[:, None]
        self.opt_d.zero_grad()
        ld = d_loss(self.D(self._aug(real)), self.D(self._aug(fake.detach())), o.loss)
        ld.backward()
        self.opt_d.step()
        # the generator's parameters, through the (differentiable) renderer
        self.opt_g.zero_grad()
        lg = g_loss(self.D(self._aug(fake)), o.loss)
        if self.step >= o.d_warmup:
            for group in self.opt_g.param_groups:
                group["lr"] = self.lr_g_at(self.step)
            lg.backward()
            self.opt_g.step()
        self._update_ema()
        self.step += 1
        return {"iteration": self.step, "loss_d": float(ld.detach()), "loss_g": float(lg.detach())}

    def lr_g_at(self, step: int) -> float:
        o = self.opts
        if o.lr_decay == "none" or o.iters <= 1:
            return o.lr_g
        t = min(step / (o.iters - 1), 1.0)
        return o.lr_g * (o.lr_floor + (1 - o.lr_floor) * 0.5 * (1 + np.cos(np.pi * t)))

    @torch.no_grad()
    def _update_ema(self) -> None:
        state = self.G.state_dict()
        for k, v in self.ema.items():
            v.lerp_(state[k], 1.0 - self.opts.ema)

    @contextlib.contextmanager
    def averaged(self, weights: dict | None = None):
        """G with averaged weights (default: the current average) for the duration
        (training weights restored after)."""
        live = {k: v.detach().clone() for k, v in self.G.state_dict().items()}
        self.G.load_state_dict({**live, **(self.ema if weights is None else weights)})
        try:
            yield
        finally:
            self.G.load_state_dict(live)

    @torch.no_grad()
    def synthetic_eval_set(self) -> np.ndarray:
        """Same layouts, seeds and noise draws every time: evaluations differ only by parameters."""
        fake, _ = self.G(self.opts.eval_images, step_seed(self.opts.shared_seed, 0, FIT_EVAL))
        return self.crop(fake)[:, 0].numpy()

    def evaluate(self, seconds: float) -> dict:
        with self.averaged():
            fake, named = self.synthetic_eval_set(), self.G.named_values()
        r = realism(list(self.eval_real), list(fake), seed=self.opts.shared_seed)
        r_train = realism(list(self.select_real), list(fake), seed=self.opts.shared_seed)["realism"]
        entry = {"iteration": self.step, "realism": r["realism"], "realism_train": r_train,
                 "histogram": r["histogram"], "spectrum": r["spectrum"], "seconds": round(seconds, 2)}
        self.select(entry)
        self.trajectories.append({"iteration": self.step, "values": {n: e["value"] for n, e in named.items()},
                                  "bounds": {n: (e["low"], e["high"]) for n, e in named.items()}})
        return entry

    def select(self, entry: dict) -> None:
        """Makes an evaluation the selected one (``self.best``, with its averaged weights)
        when it is nearer the training images than the selected one, or, with a
        tolerance, within it of the nearest evaluation so far (``self.history``)."""
        r = entry["realism_train"]
        lowest = min([h["realism_train"] for h in self.history if "realism_train" in h] + [r])
        tol = self.opts.select_tolerance
        if self.best is None or r < self.best["entry"]["realism_train"] or (tol > 0 and r <= (1.0 + tol) * lowest):
            self.best = {"entry": dict(entry), "ema": {k: v.clone() for k, v in self.ema.items()}}

    def stalled(self) -> bool:
        """True when the selected evaluation is ``stop_patience`` evaluations old: the
        fit has moved away from its selection and stayed away (``FitOptions``)."""
        o = self.opts
        if not (o.select_best and o.stop_patience > 0 and self.best is not None):
            return False
        return self.step - self.best["entry"]["iteration"] >= o.stop_patience * o.eval_every

    # ----------------------------------------------------------------- state
    @property
    def ckpt(self) -> Path:
        return self.out / "checkpoint.pt"

    def save(self) -> None:
        state = {"step": self.step, "G": self.G.state_dict(), "D": self.D.state_dict(),
                 "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                 "ema": self.ema, "best": self.best, "rng": self.rng.bit_generator.state, "tgen": self.tgen.get_state(),
                 "history": self.history, "trajectories": self.trajectories, "seed": self.opts.seed}
        tmp = self.out / f".checkpoint.pt.{os.getpid()}.tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.ckpt)

    def load(self) -> bool:
        if not self.ckpt.exists():
            return False
        try:
            s = torch.load(self.ckpt, weights_only=False)
        except Exception:
            raise DganError(f"{self.ckpt}: unreadable checkpoint; delete it or start without --resume") from None
        if s["seed"] != self.opts.seed:
            raise DganError(f"{self.ckpt}: written with seed {s['seed']}, not {self.opts.seed}; resume with --seed {s['seed']}")
        self.step = s["step"]
        self.G.load_state_dict(s["G"])
        self.ema = s["ema"]
        self.best = s.get("best")
        self.D.load_state_dict(s["D"])
        self.opt_g.load_state_dict(s["opt_g"])
        self.opt_d.load_state_dict(s["opt_d"])
        self.rng.bit_generator.state = s["rng"]
        self.tgen.set_state(s["tgen"])
        self.history, self.trajectories = s["history"], s["trajectories"]
        self._truncate_metrics()
        return True

    def _truncate_metrics(self) -> None:
        """Drop evaluations logged after the checkpoint, and the end line of a finished
        run: the resumed run redoes them (once each)."""
        path = self.out / "metrics.jsonl"
        if not path.exists():
            return
        lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
        keep = [ln for ln, e in zip(lines, map(json.loads, lines)) if e["iteration"] <= self.step and not e.get("final")]
        tmp = path.with_name(".metrics.jsonl.tmp")
        tmp.write_text("".join(ln + "\n" for ln in keep))
        os.replace(tmp, path)

    def append_metrics(self, entry: dict) -> None:
        with open(self.out / "metrics.jsonl", "a") as fh:
            fh.write(json.dumps(entry) + "\n")

    # ----------------------------------------------------------------- the loop
    def run(self, resume: bool = False, on_step=None) -> dict:
        o = self.opts
        if not (resume and self.load()):
            (self.out / "metrics.jsonl").unlink(missing_ok=True)
        t0 = time.perf_counter()
        if self.step == 0:
            entry = self.evaluate(0.0)
            self.history.append(entry)
            self.append_metrics(entry)
            if on_step:
                on_step(entry)
        while self.step < o.iters:
            if o.max_minutes and time.perf_counter() - t0 > o.max_minutes * 60:
                break
            if self.stalled():
                break
            entry = self.train_step()
            self.history.append(entry)
            if self.step % o.eval_every == 0 or self.step == o.iters:
                ev = self.evaluate(time.perf_counter() - t0)
                ev.update(loss_d=entry["loss_d"], loss_g=entry["loss_g"])
                self.history.append(ev)
                self.append_metrics(ev)
                entry = {**entry, **ev}
            if self.step % o.checkpoint_every == 0 or self.step == o.iters:
                self.save()
            if on_step:
                on_step(entry)
        return self.finish(time.perf_counter() - t0)

    def finish(self, seconds: float) -> dict:
        if not any(h.get("iteration") == self.step and "realism" in h for h in self.history):
            ev = self.evaluate(seconds)
            self.history.append(ev)
            self.append_metrics(ev)
        self.save()
        last = [h for h in self.history if "realism" in h][-1]
        first = [h for h in self.history if "realism" in h][0]
        chosen, weights = last, self.ema
        if self.opts.select_best and self.best is not None:
            chosen, weights = self.best["entry"], self.best["ema"]
        with self.averaged(weights):
            named, fake = self.G.named_values(), self.synthetic_eval_set()
        meta = {"seed": self.opts.seed, "iterations": self.step, "selected_iteration": chosen["iteration"],
                **self.opts.meta}
        write_params(self.out / "params.toml", named, meta)
        losses = [h for h in self.history if "loss_d" in h]
        end = {"iteration": self.step, "final": True, "realism": chosen["realism"],
               "realism_train": chosen.get("realism_train"),
               "selected_iteration": chosen["iteration"], "stopped_early": self.step < self.opts.iters and self.stalled(),
               "realism_last": last["realism"],
               "realism_start": first["realism"], "histogram": chosen["histogram"], "spectrum": chosen["spectrum"],
               "loss_d": losses[-1]["loss_d"] if losses else None, "loss_g": losses[-1]["loss_g"] if losses else None,
               "seconds": round(seconds, 2)}
        self.append_metrics(end)
        write_progress(self.out / "progress.png", self.history, self.trajectories)
        write_samples(self.out / "samples.png", self.eval_real, fake)
        return end
