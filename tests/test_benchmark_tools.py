"""The benchmark's own arithmetic: FLOP counting for the profile and the targets table."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_ocr import targets_table  # noqa: E402
from profile_ocr import count_gflop  # noqa: E402


def _model(nodes, inits, out_shape) -> bytes:
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        [numpy_helper.from_array(np.zeros(shape, np.float32), name) for name, shape in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]).SerializeToString()


def test_flops_of_conv_grouped_conv_transpose_and_matmul():
    conv = helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1])  # 3 -> 4 channels, 3x3
    dw = helper.make_node("Conv", ["c", "d"], ["e"], group=4, strides=[2, 2])  # depthwise 2x2, stride 2
    up = helper.make_node("ConvTranspose", ["e", "t"], ["f"], strides=[2, 2])  # 4 -> 2 channels, 2x2
    flat = helper.make_node("Reshape", ["f", "s"], ["g"])
    mm = helper.make_node("MatMul", ["g", "m"], ["y"])
    shape = numpy_helper.from_array(np.array([1, 2 * 8 * 8], np.int64), "s")
    data = _model([conv, dw, up, flat, mm], {"w": (4, 3, 3, 3), "d": (4, 1, 2, 2), "t": (4, 2, 2, 2),
                                             "m": (128, 10)}, [1, 10])
    model = onnx.load_from_string(data)
    model.graph.initializer.append(shape)
    macs = (4 * 27 * 8 * 8          # conv: each of 4x8x8 outputs takes 3*3*3
            + 4 * 4 * 4 * 4         # depthwise: 4 channels x 4x4 outputs x 2*2
            + 4 * 4 * 4 * 2 * 2 * 2  # transpose: 4x4x4 inputs each feed 2 channels x 2x2
            + 10 * 128)             # matmul 1x128 @ 128x10
    assert count_gflop(model.SerializeToString(), (1, 3, 8, 8)) == 2 * macs / 1e9


def test_targets_table_says_which_targets_are_met():
    ref = {"det_s": 0.120, "rec_s": 0.060, "cls_s": 0.003, "e2e_median_s": 0.110, "cold_first_result_s": 3.0,
           "peak_rss_mb": 900}
    mine = {"det_s": 0.040, "rec_s": 0.040, "cls_s": 0.001, "e2e_median_s": 0.050, "cold_first_result_s": 0.5,
            "peak_rss_mb": 600}
    report = {"systems": {"paddlex": ref, "hpi-openvino": mine},
              "text_identity": {"hpi-openvino": {"identical": 17, "images": 18}}}
    rows = {line.split("|")[1].strip(): line for line in targets_table(report) if line.startswith("| ")}
    assert rows["det model"].endswith("| 3.00x | yes |")
    assert rows["rec model"].endswith("| 1.50x | **no** |")
    assert rows["cold start, process start to first result"].endswith("| 6.00x | yes |")
    assert rows["rec_texts identical to PaddleX"].endswith("| 17/18 | **no** |")
    assert targets_table({"systems": {"hpi-openvino": mine}, "text_identity": {}}) == []


def test_pp_structure_table_gives_ratios_and_markdown_identity():
    from bench_pp_structure import markdown

    def system(e2e, rss):
        return {"e2e_median_s": e2e, "e2e_total_s": 5 * e2e, "e2e_per_image_median_s": {"a.png": e2e},
                "cold_start_s": 10.0, "cold_first_result_s": 9.0, "cold_load_s": 2.0, "peak_rss_mb": rss,
                "cold_peak_rss_mb": rss, "others_cpu_share_max": 0.01}

    report = {"command": "bench", "finished_unix": 0, "machine": {"cpu": "EPYC", "usable_cpus": 2},
              "settings": {"threads": 2, "pages": 1, "repeats": 3, "cold_image": "a.png", "cold_runs": 3,
                           "busy_limit": 0.1, "workers_run_again": 0, "workers_disturbed": 0},
              "systems": {"paddlex": system(3.0, 2000), "hpi-openvino": system(1.5, 2500)},
              "markdown_identity": {"hpi-openvino": {"identical": 4, "pages": 5}}}
    rows = {line.split("|")[1].strip(): line for line in markdown(report).splitlines() if line.startswith("| ")}
    assert rows["end-to-end, median over pages of per-page median (ms)"] == \
        "| end-to-end, median over pages of per-page median (ms) | 3000 | 1500 | 2.00x |"
    assert rows["peak RSS, benchmark worker (MB)"].endswith("| 2000 | 2500 | 0.80x |")
    assert rows["pages whose Markdown is identical to PaddleX's"] == \
        "| pages whose Markdown is identical to PaddleX's | reference | 4/5 | |"
    assert rows["a.png"] == "| a.png | 3000 | 1500 |"
