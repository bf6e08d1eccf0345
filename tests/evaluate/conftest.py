import numpy as np
import pytest
import tifffile

REAL = __import__("pathlib").Path(__file__).resolve().parents[3] / "shared" / "data" / "bam-tio2-sem"


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny networks train fastest on one thread; on a busy machine two threads
    spin-wait for each other (an order of magnitude slower)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def blobs(shape, centres, radius):
    """Instance image of discs; later discs overwrite earlier ones where they meet."""
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    inst = np.zeros(shape, np.int32)
    for k, (cy, cx) in enumerate(centres, start=1):
        inst[(yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2] = k
    return inst


def render(inst, rng):
    """Bright particles with brighter rims on a dark noisy substrate, like SEM."""
    from dgan_blender.annotate import semantic_mask

    sem = semantic_mask(inst)
    img = 40 + 90 * (sem == 1) + 160 * (sem == 2) + rng.normal(0, 6, inst.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture
def real_like(tmp_path):
    """A tiny folder in the real layout: 2 images 96x128 with a 16-row info bar and the
    manual masks' convention (255 = particle, one-pixel background between particles)."""
    rng = np.random.default_rng(0)
    root = tmp_path / "real"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for name, off in (("a", 0), ("b", 9)):
        inst = blobs((80, 128), [(25 + off, 30), (25 + off, 52), (55, 95 - off)], 12)
        img = render(inst, rng)
        bar = np.zeros((16, 128), np.uint8)
        bar[4:12, 10:60:3] = 255  # "text"
        tifffile.imwrite(root / "images" / f"{name}.tif", np.vstack([img, bar]))
        from dgan_blender.annotate import semantic_mask

        sem = semantic_mask(inst)
        mask = np.where(inst > 0, 255, 0).astype(np.uint8)
        # one-pixel separator: boundary pixels whose left neighbour is another particle
        left = np.pad(inst, ((0, 0), (1, 0)))[:, :-1]
        mask[(sem == 2) & (left > 0) & (left != inst)] = 0
        tifffile.imwrite(root / "masks" / f"{name}_m.tif", np.vstack([mask, np.zeros((16, 128), np.uint8)]))
    return root


@pytest.fixture
def synthetic_like(tmp_path):
    """A tiny folder in the 'dgan render' layout."""
    import json

    from dgan_blender.annotate import semantic_mask
    from dgan_blender.io import write_png

    rng = np.random.default_rng(1)
    root = tmp_path / "synth"
    for i in range(2):
        inst = blobs((64, 64), [(20, 20), (20, 42), (48, 40 - 4 * i)], 10).astype(np.uint16)
        write_png(root / "images" / f"{i:06d}.png", render(inst, rng))
        write_png(root / "instances" / f"{i:06d}.png", inst)
        write_png(root / "semantic" / f"{i:06d}.png", semantic_mask(inst))
        (root / "particles").mkdir(exist_ok=True)
        (root / "particles" / f"{i:06d}.json").write_text(json.dumps({"pixel_size_nm": 14.688, "preset": "tio2-sem"}))
    write_manifest(root, 2)
    return root


def write_manifest(root, count):
    """The manifest 'dgan render' writes, from the samples' records."""
    from dgan_blender.dataset.store import DatasetStore

    store = DatasetStore(root)
    store.append_manifest([store.manifest_entry(i) for i in range(count)])
