"""Where hpi's OCR time goes on this CPU: per model, the work (GFLOP), the speed reached against this
machine's own large-matrix speed, and OpenVINO's per-operation profile; per image, model vs the rest.

    python benchmarks/profile_ocr.py build/bench/ocr.hpi --out build/bench/profile.md

The models run at bench_ocr.py's shapes (MODEL_INPUTS) with the bundle's OpenVINO artifacts and
settings; FLOPs are counted from the bundle's ONNX members (2 per multiply-add of Conv, ConvTranspose,
MatMul and Gemm, which is nearly all the work). The reference speed is numpy's float32 matrix product
(2048x2048, OpenBLAS with its default threads, one per core): what these cores sustain on the
friendliest kernel there is.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ocr import DEFAULT_IMAGES, MODEL_INPUTS, list_images  # noqa: E402

ROLES = {"det": "text_det", "rec": "text_rec"}


def _median_ms(fn, runs: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def matmul_gflops() -> float:
    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    return 2 * 2048 ** 3 / (_median_ms(lambda: a @ a, 10) / 1000) / 1e9


def count_gflop(onnx_bytes: bytes, shape: tuple) -> float:
    """Multiply-adds x 2 of the Conv/ConvTranspose/MatMul/Gemm nodes at the given input shape."""
    import onnx
    from onnx import shape_inference

    model = onnx.load_from_string(bytes(onnx_bytes))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for dim, size in zip(dims, shape):
        dim.Clear()
        dim.dim_value = size
    model = shape_inference.infer_shapes(model, data_prop=True)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in [*model.graph.value_info, *model.graph.input, *model.graph.output]}
    shapes.update({t.name: list(t.dims) for t in model.graph.initializer})
    macs = 0
    for node in model.graph.node:
        if node.op_type in ("Conv", "ConvTranspose"):
            out, weight = shapes[node.output[0]], shapes[node.input[1]]
            spatial = int(np.prod(out[2:])) if node.op_type == "Conv" else int(np.prod(shapes[node.input[0]][2:]))
            # Conv weight (Cout, Cin/g, k...): each output element takes Cin/g*k MACs;
            # ConvTranspose weight (Cin, Cout/g, k...): each input element feeds Cout/g*k outputs.
            macs += out[0] * weight[0] * int(np.prod(weight[1:])) * spatial
        elif node.op_type in ("MatMul", "Gemm"):
            a, out = shapes[node.input[0]], shapes[node.output[0]]
            k = a[-1] if node.op_type == "MatMul" or not any(
                att.name == "transA" and att.i for att in node.attribute) else a[-2]
            macs += int(np.prod(out)) * k
    return 2 * macs / 1e9


def profile_model(bundle, role: str, shape: tuple, threads: int, runs: int) -> dict:
    """Wall time, then OpenVINO's per-operation times (PERF_COUNT, its own run) grouped by kind."""
    import openvino as ov

    entry = bundle.manifest["models"][ROLES[role]]
    artifacts = {a["format"]: a for a in entry["artifacts"] if a["target"] == "cpu"}
    ir, onnx_member = artifacts["openvino_ir"], artifacts["onnx"]["members"]["model"]
    core = ov.Core()
    weights = ov.Tensor(np.frombuffer(bundle.read(ir["members"]["weights"]), dtype=np.uint8).copy())
    model = core.read_model(model=bytes(bundle.read(ir["members"]["xml"])).decode(), weights=weights)
    x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    config = {**{k: str(v) for k, v in ir["config"].items()}, "INFERENCE_NUM_THREADS": str(threads)}
    request = core.compile_model(model, "CPU", config).create_infer_request()
    wall_ms = _median_ms(lambda: request.infer({0: x}), runs)
    profiled = core.compile_model(model, "CPU", {**config, "PERF_COUNT": "YES"}).create_infer_request()
    by_kind, total = collections.defaultdict(float), 0.0
    for _ in range(runs):
        profiled.infer({0: x})
        for op in profiled.profiling_info:
            us = op.real_time.total_seconds() * 1e6
            by_kind[op.node_type] += us
            total += us
    gflop = count_gflop(bundle.read(onnx_member), shape)
    return {"shape": shape, "wall_ms": wall_ms, "gflop": gflop, "gflops": gflop / (wall_ms / 1000),
            "ops": sorted(((kind, us / total) for kind, us in by_kind.items()), key=lambda kv: -kv[1])}


def profile_pipeline(path: Path, images: list[str], threads: int) -> list[dict]:
    """Per image (after one warm-up pass): total, det model, rec model, and everything else."""
    from hpi.runtime_min import open_bundle

    pipe = open_bundle(path, backend="openvino", num_threads=threads, allow_unsigned=True)
    spent = collections.defaultdict(float)
    for role, model in pipe.models.items():
        run = model.session.run

        def timed(feeds, run=run, role=role):
            start = time.perf_counter()
            try:
                return run(feeds)
            finally:
                spent[role] += time.perf_counter() - start

        model.session.run = timed
    for image in images:
        pipe.predict_one(image)
    rows = []
    for image in images:
        spent.clear()
        start = time.perf_counter()
        pipe.predict_one(image)
        total = time.perf_counter() - start
        det, rec = spent["text_det"], spent["text_rec"]
        rows.append({"image": Path(image).name, "total_ms": total * 1000, "det_ms": det * 1000,
                     "rec_ms": rec * 1000, "other_ms": (total - det - rec) * 1000})
    return rows


def markdown(models: dict, peak: float, rows: list[dict], threads: int) -> str:
    lines = [f"# Where the OCR time goes (hpi, OpenVINO, {threads} threads)", "",
             f"Reference: float32 2048x2048 matrix product (numpy/OpenBLAS, one thread per core): "
             f"**{peak:.0f} GFLOP/s**.", "",
             "| model | input | GFLOP | median ms | GFLOP/s | share of the matmul speed | top operations (share of "
             "profiled time) |", "|---|---|---|---|---|---|---|"]
    for role, m in models.items():
        ops = ", ".join(f"{kind} {share:.0%}" for kind, share in m["ops"][:4])
        lines.append(f"| {role} | {'x'.join(map(str, m['shape']))} | {m['gflop']:.2f} | {m['wall_ms']:.1f} | "
                     f"{m['gflops']:.0f} | {m['gflops'] / peak:.0%} | {ops} |")
    sums = {k: sum(r[k] for r in rows) for k in ("total_ms", "det_ms", "rec_ms", "other_ms")}
    lines += ["", f"Pipeline over {len(rows)} images (one warm-up pass, then one timed pass): det model "
              f"{sums['det_ms'] / sums['total_ms']:.0%}, rec model {sums['rec_ms'] / sums['total_ms']:.0%}, "
              f"everything else (decoding, resizing, DB post-processing, crops, CTC) "
              f"{sums['other_ms'] / sums['total_ms']:.0%} of {sums['total_ms']:.0f} ms.", "",
              "| image | total ms | det ms | rec ms | other ms |", "|---|---|---|---|---|"]
    lines += [f"| {r['image']} | {r['total_ms']:.1f} | {r['det_ms']:.1f} | {r['rec_ms']:.1f} | {r['other_ms']:.1f} |"
              for r in rows]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bundle", help="compiled OCR bundle (e.g. build/bench/ocr.hpi from bench_ocr.py)")
    p.add_argument("--images", default=str(DEFAULT_IMAGES))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=20, help="timed runs per model (default: 20)")
    p.add_argument("--out", help="also write the markdown here")
    args = p.parse_args(argv)
    from hpi.core.bundle_format import Bundle

    peak = matmul_gflops()
    bundle = Bundle.open(args.bundle, allow_unsigned=True)
    models = {role: profile_model(bundle, role, MODEL_INPUTS[role], args.threads, args.runs) for role in ROLES}
    text = markdown(models, peak, profile_pipeline(Path(args.bundle), list_images(args.images), args.threads),
                    args.threads)
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
