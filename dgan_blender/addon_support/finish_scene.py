"""``python -m dgan_blender.addon_support.finish_scene LAYOUT.npz ARRAYS.npz OUT``

The second half of ``dgan scene`` when a real Blender did the rendering: Blender's
Python has no opencv, so it hands the rendered arrays over and the project's environment
writes the annotations and PNGs exactly as :func:`dgan_blender.scenes.make_scene` does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def write_outputs(layout, image: np.ndarray, instances: np.ndarray, out: Path) -> int:
    from .. import annotate
    from ..config import to_dict
    from ..io import to_uint8, write_json, write_png

    cfg, seed = layout.config, layout.seed
    image = to_uint8(image)
    write_png(out / "render.png", image)
    write_png(out / "instances.png", instances)
    write_png(out / "semantic.png", annotate.semantic_mask(instances))
    write_png(out / "preview.png", annotate.preview(image, instances))
    write_json(out / "particles.json", {
        "seed": int(seed),
        "preset": cfg.name,
        "image_px": [cfg.image.width_px, cfg.image.height_px],
        "pixel_size_nm": cfg.image.pixel_size_nm,
        "classes": {"0": "background", "1": "particle", "2": "boundary"},
        "particles": annotate.particle_table(layout, instances),
        "config": to_dict(cfg),
    })
    return len(layout.particles)


def main(argv: list[str]) -> int:
    from ..layout import Layout

    layout_path, arrays_path, out = argv
    layout = Layout.load(Path(layout_path))
    with np.load(arrays_path) as z:
        image, instances = z["image"], z["instances"].astype(np.uint16)
    n = write_outputs(layout, image, instances, Path(out))
    print(json.dumps({"particles": n}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
