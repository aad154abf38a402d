"""The instance-segmentation route's mask strings (runtime_min/serving/routes.py coco_rle) against PaddleX 3.7.2's own
`_rle` (its basic-serving app, pycocotools' mask.encode) on the same masks: the string a client decodes must be
the one PaddleX sends. Masks: seeded random ones (sparse, half, dense, with long runs past 5-bit groups), all
zeros, all ones, one pixel, a single row and column, a mask starting with 1, and a 300x400 one with a filled box.
"""

from __future__ import annotations

import json

import numpy as np

from conftest import ORACLE_PYTHON, needs_oracle, run_oracle

PADDLEX_RLE = """
import json, sys
import numpy as np
from paddlex.inference.serving.basic_serving._pipeline_apps.instance_segmentation import _rle
with np.load(sys.argv[1]) as masks:
    print(json.dumps({name: _rle(masks[name]) for name in masks.files}))
"""


def _masks() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    masks = {f"random_{p}": (rng.random((37, 53)) < p).astype(np.uint8) for p in (0.02, 0.5, 0.97)}
    box = np.zeros((300, 400), np.uint8)
    box[40:260, 30:370] = 1
    first = np.zeros((5, 7), np.uint8)
    first[0, 0] = 1
    masks.update(zeros=np.zeros((8, 9), np.uint8), ones=np.ones((8, 9), np.uint8), box=box, first=first,
                 pixel=np.pad(np.ones((1, 1), np.uint8), ((3, 4), (5, 6))), row=np.ones((1, 40), np.uint8),
                 column=(rng.random((40, 1)) < 0.5).astype(np.uint8))
    return masks


@needs_oracle()
def test_mask_strings_equal_paddlex(tmp_path):
    from hpi.runtime_min.serving.routes import coco_rle

    masks = _masks()
    np.savez(tmp_path / "masks.npz", **masks)
    done = run_oracle([str(ORACLE_PYTHON), "-c", PADDLEX_RLE, str(tmp_path / "masks.npz")], check=True,
                      capture_output=True, text=True)
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    ours = {name: coco_rle(mask) for name, mask in masks.items()}
    assert ours == theirs
    assert len(set(ours.values())) == len(ours)  # the cases differ, so equality means something
