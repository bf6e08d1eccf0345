"""Training the benchmark network and applying it to whole micrographs.

All randomness comes from the run seed: patch draws from a numpy Generator, weight
initialisation under a forked torch RNG, so that two runs with one seed on one machine
train the same network and the seed saved with the model says how to get it again.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..annotate import contact_widened, semantic_mask
from .data import Sample, normalise, resample
from .unet import UNet

IGNORE = 255  # target value of padding, excluded from the loss


@dataclass
class TrainSettings:
    epochs: int = 10
    seed: int = 0
    patch: int = 256
    batch: int = 8
    lr: float = 2e-3
    dice: bool = True
    time_limit_s: float | None = None  # wall budget: stops mid-epoch, schedule follows it
    stop_after_s: float | None = None  # stops after the epoch that crosses it; schedule by epochs
    base: int = 16
    # torch CPU threads while training; None keeps torch's default (one per core). On a
    # shared machine fewer threads than cores avoid OpenMP's spin-waiting (see
    # benchmarks/unet_epoch.py). Results are reproducible for one thread count.
    threads: int | None = None
    # patches drawn on a helper thread while the network trains on the previous batch;
    # the same draws in the same order, so the same weights
    prefetch: bool = True
    # NHWC tensors for the convolutions (measured in benchmarks/unet_epoch.py; off by
    # default: it changes the float summation order, so weights differ in the last bits)
    channels_last: bool = False
    # nnU-Net's intensity augmentations (see intensity_augment). Off by default: at the
    # benchmark's budget (14 epochs) they cost the real-trained model a third of its
    # AP50 (0.261 -> 0.180 on the BAM split), so they would flatter synthetic/real ratios.
    augment: bool = False
    # boundary width (px, each side) where two particles touch; 1: the paper's one-pixel
    # lines everywhere (see annotate.contact_widened)
    contact_px: int = 1


def prepare(samples: list[Sample], pixel_size_nm: float, contact_px: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """(normalised image, semantic target) pairs at the training pixel size. The target
    is derived from instances after resampling, so boundaries stay one pixel wide
    (``contact_px`` wide where particles touch)."""
    out = []
    for s in samples:
        f = s.pixel_size_nm / pixel_size_nm
        inst = resample(s.instances, f, labels=True)
        out.append((normalise(resample(s.image, f)), contact_widened(inst, semantic_mask(inst), contact_px)))
    return out


def intensity_augment(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """nnU-Net's default intensity augmentations (Isensee et al. 2021, the paper's
    segmentation protocol), each with its probability: Gaussian noise, Gaussian blur,
    brightness, contrast, simulated low resolution, gamma. A network trained on one kind
    of image (one microscope, or synthetic) then leans less on its exact grey levels,
    noise and sharpness."""
    import cv2

    a = np.ascontiguousarray(a, np.float32)
    if rng.random() < 0.1:
        a = a + rng.normal(0.0, np.sqrt(rng.uniform(0.0, 0.1)), a.shape).astype(np.float32)
    if rng.random() < 0.2:
        a = cv2.GaussianBlur(a, (0, 0), float(rng.uniform(0.5, 1.0)))
    if rng.random() < 0.15:
        a = a * np.float32(rng.uniform(0.75, 1.25))
    if rng.random() < 0.15:
        lo, hi, m = a.min(), a.max(), a.mean()
        a = np.clip((a - m) * np.float32(rng.uniform(0.75, 1.25)) + m, lo, hi)
    if rng.random() < 0.25:
        h, w = a.shape
        f = float(rng.uniform(0.5, 1.0))
        small = cv2.resize(a, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_NEAREST)
        a = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    if rng.random() < 0.3:
        lo, hi = float(a.min()), float(a.max())
        x = (a - lo) / max(hi - lo, 1e-6)
        a = (x ** np.float32(rng.uniform(0.7, 1.5)) * (hi - lo) + lo).astype(np.float32)
    return a


def draw_patches(data, n: int, patch: int, rng: np.random.Generator, augment: bool = False):
    """``n`` random crops, images picked by area, each flipped/rotated by one of the 8
    symmetries of the square (SEM has no preferred orientation), and with ``augment``
    the intensity augmentations."""
    areas = np.array([im.size for im, _ in data], float)
    xs = np.zeros((n, 1, patch, patch), np.float32)  # padding of images smaller than the patch
    ys = np.full((n, patch, patch), IGNORE, np.int64)
    for k, i in enumerate(rng.choice(len(data), size=n, p=areas / areas.sum())):
        im, sem = data[i]
        h, w = im.shape
        y0 = int(rng.integers(0, max(h - patch, 0) + 1))
        x0 = int(rng.integers(0, max(w - patch, 0) + 1))
        a, b = im[y0:y0 + patch, x0:x0 + patch], sem[y0:y0 + patch, x0:x0 + patch]
        rot, flip = int(rng.integers(4)), bool(rng.integers(2))
        a, b = np.rot90(a, rot), np.rot90(b, rot)
        if flip:
            a, b = a[:, ::-1], b[:, ::-1]
        if augment:
            a = intensity_augment(a, rng)
        xs[k, 0, :a.shape[0], :a.shape[1]] = a
        ys[k, :b.shape[0], :b.shape[1]] = b
    return torch.from_numpy(xs), torch.from_numpy(ys)


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - mean soft Dice over the three classes; keeps the thin boundary class from
    being drowned by background pixels in the cross-entropy."""
    valid = (target != IGNORE).unsqueeze(1)
    probs = logits.softmax(1) * valid
    onehot = F.one_hot(target.clamp(max=logits.shape[1] - 1), logits.shape[1]).permute(0, 3, 1, 2) * valid
    inter = (probs * onehot).sum((0, 2, 3))
    denom = probs.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
    return 1 - ((2 * inter + 1) / (denom + 1)).mean()


def learning_rate(peak: float, progress: float) -> float:
    """Linear warm-up over the first 5 %, then cosine decay to 1 % of the peak."""
    if progress < 0.05:
        return peak * (0.1 + 0.9 * progress / 0.05)
    t = (progress - 0.05) / 0.95
    return peak * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(t, 1.0))))


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class TrainState:
    """Everything a run needs to continue as if it had never stopped: weights, optimiser
    moments, the patch generator's state, the step count and the curve so far.
    ``elapsed_s`` counts training epochs only (not checkpoints or validation)."""

    model: UNet
    opt: torch.optim.Optimizer
    rng: np.random.Generator
    step: int = 0
    epoch: int = 0
    history: list = field(default_factory=list)
    elapsed_s: float = 0.0


def new_state(settings: TrainSettings) -> TrainState:
    rng = np.random.default_rng(settings.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        model = UNet(base=settings.base)
    model.to(device()).train()
    if settings.channels_last:
        model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=1e-4)
    return TrainState(model, opt, rng)


def steps_per_epoch(data, settings: TrainSettings) -> int:
    """One epoch = as many patches as cover the training pixels once, so the budget
    scales with the data, not with the image count."""
    return max(1, math.ceil(sum(im.size for im, _ in data) / settings.patch ** 2 / settings.batch))


def train_step(model: UNet, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
               settings: TrainSettings, lr: float, step: int = 0) -> float:
    """One optimiser step; returns its loss. The single place where a loss is seen
    before it changes the weights."""
    for group in opt.param_groups:
        group["lr"] = lr
    logits = model(x)
    loss = F.cross_entropy(logits, y, ignore_index=IGNORE)
    if settings.dice:
        loss = loss + soft_dice_loss(logits, y)
    check_finite(loss, step)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


def run_epoch(state: TrainState, data, settings: TrainSettings, per_epoch: int) -> tuple[list[float], bool]:
    """The steps of one epoch; returns their losses and whether ``time_limit_s`` ran out
    inside it."""
    dev = next(state.model.parameters()).device
    total = per_epoch * settings.epochs
    limit = settings.time_limit_s
    start = time.monotonic() - state.elapsed_s
    losses = []
    draw = functools.partial(draw_patches, data, settings.batch, settings.patch, state.rng, settings.augment)
    batches = prefetched(draw, per_epoch) if settings.prefetch else (draw() for _ in range(per_epoch))
    with contextlib.closing(batches):
        for x, y in batches:
            # Progress is steps or wall time, whichever is further: with a time limit
            # every training set gets the same budget and a complete LR schedule.
            progress = state.step / total
            if limit is not None:
                progress = max(progress, (time.monotonic() - start) / limit)
            if progress >= 1:
                return losses, True
            if settings.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            losses.append(train_step(state.model, state.opt, x.to(dev), y.to(dev), settings,
                                     learning_rate(settings.lr, progress), state.step))
            state.step += 1
    return losses, False


def prefetched(make, n: int, depth: int = 2):
    """Yields ``make()`` ``n`` times, made on a helper thread up to ``depth`` ahead of
    the consumer. One producer calls ``make`` in order, so the items (and the state of
    any generator ``make`` draws from, once all ``n`` are made) are those of a plain
    loop. Closing the generator stops the producer."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work():
        try:
            for _ in range(n):
                if not put(("ok", make())):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(("error", exc))

    worker = threading.Thread(target=work, name="patch-prefetch", daemon=True)
    worker.start()
    try:
        for _ in range(n):
            kind, item = q.get()
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def train(samples: list[Sample], settings: TrainSettings, pixel_size_nm: float, log=print,
          state: TrainState | None = None, on_epoch=None):
    """Returns (model, history). ``state`` continues an interrupted run (see
    :class:`TrainState`); ``on_epoch(state)`` is called after each epoch (checkpoints,
    validation: its time is not training time). Training stops after ``epochs``, inside
    an epoch when ``time_limit_s`` runs out, or after the epoch that ends past
    ``stop_after_s``."""
    data = prepare(samples, pixel_size_nm, settings.contact_px)
    settings.patch = usable_patch(data, settings.patch, log)  # saved with the model as used
    with cpu_threads(settings.threads):
        return _train(data, settings, log, state or new_state(settings), on_epoch)


@contextlib.contextmanager
def cpu_threads(n: int | None):
    """torch's intra-op thread count set for the block and restored after it; None: one
    per CPU this process may use, set explicitly (an OMP_NUM_THREADS=1 that a Dask
    nanny left in the environment would otherwise make it one)."""
    before = torch.get_num_threads()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else before
    torch.set_num_threads(n or usable)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _train(data, settings: TrainSettings, log, state: TrainState, on_epoch):
    per_epoch = steps_per_epoch(data, settings)
    while state.epoch < settings.epochs:
        t0 = time.monotonic()
        losses, time_up = run_epoch(state, data, settings, per_epoch)
        state.epoch += 1
        state.elapsed_s += time.monotonic() - t0
        if losses:
            state.history.append({"epoch": state.epoch, "steps": state.step, "loss": float(np.mean(losses)),
                                  "elapsed_s": round(state.elapsed_s, 1)})
            log(f"epoch {state.epoch}/{settings.epochs}  loss {np.mean(losses):.4f}  {state.elapsed_s:.0f} s")
        if on_epoch is not None:
            on_epoch(state)
        if time_up:
            log(f"time limit {settings.time_limit_s:.0f} s reached after {state.step} steps")
            break
        if settings.stop_after_s is not None and state.elapsed_s >= settings.stop_after_s \
                and state.epoch < settings.epochs:
            log(f"time limit {settings.stop_after_s:.0f} s crossed: stopped after epoch {state.epoch}")
            break
    return state.model.eval(), state.history


def usable_patch(data, patch: int, log=print) -> int:
    """A patch larger than every training image would be mostly padding: it is lowered
    to the smallest image side (a multiple of 16, the U-Net's), with a one-line note."""
    side = min(min(im.shape) for im, _ in data)
    fit = max(16, side // 16 * 16)
    if patch <= side:
        return patch
    log(f"note: --patch {patch} is larger than the smallest training image ({side} px at the training "
        f"pixel size); training on {fit} px patches")
    return fit


def check_finite(loss: torch.Tensor, step: int) -> None:
    """A non-finite loss would only spread NaN through every weight: stop, save nothing."""
    if not torch.isfinite(loss.detach()).all():
        from ..errors import DganError

        raise DganError(f"training loss became {float(loss.detach())} at step {step + 1}; no model was saved - "
                        "check the training images (constant or empty?) or try another --seed or --batch")


def _ramp(n: int, overlap: int) -> np.ndarray:
    r = np.ones(n, np.float32)
    if overlap > 0:
        edge = (np.arange(overlap, dtype=np.float32) + 1) / (overlap + 1)
        r[:overlap], r[n - overlap:] = np.minimum(r[:overlap], edge), np.minimum(r[n - overlap:], edge[::-1])
    return r


@torch.no_grad()
def predict(model: UNet, image: np.ndarray, tile: int = 1024, overlap: int = 64) -> np.ndarray:
    """(3, H, W) softmax of a normalised image, by overlapping tiles blended with linear
    ramps so that tile seams do not cut particles."""
    dev = next(model.parameters()).device
    m = model.multiple
    h, w = image.shape
    th, tw = min(tile, -(-h // m) * m), min(tile, -(-w // m) * m)
    ph, pw = max(h, th), max(w, tw)
    img = np.pad(image, ((0, ph - h), (0, pw - w)), mode="reflect")
    acc = np.zeros((3, ph, pw), np.float32)
    weight = np.zeros((ph, pw), np.float32)
    ov_y, ov_x = min(overlap, th // 4), min(overlap, tw // 4)
    ys = _starts(ph, th, ov_y)
    xs = _starts(pw, tw, ov_x)
    wt = np.outer(_ramp(th, ov_y if len(ys) > 1 else 0), _ramp(tw, ov_x if len(xs) > 1 else 0))
    for y in ys:
        for x in xs:
            t = torch.from_numpy(np.ascontiguousarray(img[y:y + th, x:x + tw]))[None, None].to(dev)
            p = model(t).softmax(1)[0].cpu().numpy()
            acc[:, y:y + th, x:x + tw] += p * wt
            weight[y:y + th, x:x + tw] += wt
    return (acc / np.maximum(weight, 1e-6))[:, :h, :w]


def _starts(n: int, t: int, overlap: int) -> list[int]:
    if n <= t:
        return [0]
    step = t - overlap
    starts = list(range(0, n - t, step)) + [n - t]
    return sorted(set(starts))


def save_model(path: Path, model: UNet, meta: dict) -> None:
    """Weights and everything needed to apply them (pixel size, seed, settings), written
    atomically like every other output."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": "dgan-unet-1", "state_dict": state, "meta": meta}, tmp)
    os.replace(tmp, path)


def load_model(path: Path) -> tuple[UNet, dict]:
    from ..errors import DganError

    try:
        ckpt = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise DganError(f"{path}: no such model; give the model.pt written by 'dgan train' or 'dgan eval'") from None
    except Exception as exc:  # torch raises many kinds for a foreign file
        raise DganError(f"{path}: not a model written by 'dgan train' or 'dgan eval' ({type(exc).__name__})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != "dgan-unet-1":
        raise DganError(f"{path}: not a model written by 'dgan train' or 'dgan eval'; train one with 'dgan train'")
    meta = ckpt["meta"]
    model = UNet(base=int(meta.get("base", 16)))
    model.load_state_dict(ckpt["state_dict"])
    return model.to(device()).eval(), meta
