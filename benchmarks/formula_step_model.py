"""The alternative to PP-FormulaNet's in-graph decoding Loop, measured on the same weights: an encoder model and a
one-step decoder model (past self-attention keys / values in, the step's 3 tokens and the grown cache out),
driven by a numpy loop with PaddleOCR's stopping rule; against the exported Loop graph, model time only.

    .venv/bin/python benchmarks/formula_step_model.py OUT_DIR IMAGE... [--name PP-FormulaNet-S] [--runs 5]

The network is tests/fixtures/make_formula_model.py's (build_net: same seed, calibration images = the first
10 IMAGEs, same eos lift), exported three ways by paddle 3.0 (the Loop graph as PaddleOCR's export, the encoder,
the step), converted by paddle2onnx 2.1.0 and simplified by onnxslim as hpi-compile does (compiler/convert.py),
with compiler/loops.py's rewrites. Tokens must be equal between the two ways on every image; the medians are
printed per backend.
A PaddleX model dir holds only the Loop graph: the step models need the network's code, which is why this is
a measurement and not a compile path (docs/pipelines.md, formula recognition).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


def _export(out: str, name: str, images: list[str]) -> None:
    """Child process (paddle): the three exports."""
    import paddle

    sys.path.insert(0, str(FIXTURES))
    import make_formula_model as m

    net = m.build_net(name, m.SEED, images)
    size = m.NAMES[name]
    heads, hd = 16, m.D_MODEL // 16

    class Encoder(paddle.nn.Layer):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net.head.enc_to_dec_proj(self.net.backbone(x))

    class Step(paddle.nn.Layer):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, ids, enc, k0, v0, k1, v1):
            mask = paddle.ones([paddle.shape(ids)[0], paddle.shape(k0)[2] + paddle.shape(ids)[1]])
            # the cross-attention "past" never matches the encoder length in an export: recomputed, as in the Loop
            logits, cache = self.net.head.decoder(ids, mask, enc, [(k0, v0, k0, v0), (k1, v1, k1, v1)])
            return paddle.argmax(logits[:, -3:, :], axis=-1), cache[0][0], cache[0][1], cache[1][0], cache[1][1]

    spec = paddle.static.InputSpec
    paddle.jit.save(net, f"{out}/loop/inference", input_spec=[spec([None, 1, size, size], "float32", "x")])
    paddle.jit.save(Encoder(), f"{out}/encoder/inference", input_spec=[spec([None, 1, size, size], "float32", "x")])
    kv = [spec([None, heads, None, hd], "float32", n) for n in ("k0", "v0", "k1", "v1")]
    paddle.jit.save(Step(), f"{out}/step/inference",
                    input_spec=[spec([None, 3], "int64", "ids"), spec([None, None, m.D_MODEL], "float32", "enc"), *kv])


def _convert(out: Path) -> dict[str, Path]:
    from hpi.compiler.convert import converters, onnx_from_paddle, simplify
    from hpi.compiler.loops import loadable_loops

    converter = next(c for c in converters() if c.version == "2.1.0")
    paths = {}
    for part in ("loop", "encoder", "step"):
        onnx = onnx_from_paddle(out / part / "inference.json", out / part / "inference.pdiparams",
                                out / f"{part}.onnx", converter, 14)
        loadable_loops(onnx)
        paths[part] = simplify(onnx, out / f"{part}.slim.onnx", "onnxslim")  # as hpi-compile's candidate
    return paths


def _sessions(paths: dict[str, Path], backend: str, scratch: Path) -> dict:
    if backend == "onnxruntime":
        import onnxruntime as ort

        def make(path):
            options = ort.SessionOptions()
            options.log_severity_level = 3
            s = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            names = [o.name for o in s.get_outputs()]
            return lambda feeds: s.run(names, feeds)
    else:
        import openvino as ov

        from hpi.compiler.loops import onnx_for_openvino

        core = ov.Core()

        def make(path):
            src = onnx_for_openvino(str(path), str(scratch / f"ov-{path.name}"))
            compiled = core.compile_model(core.read_model(src), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
            request = compiled.create_infer_request()
            return lambda feeds: [np.asarray(v) for v in request.infer(feeds).values()]
    return {k: make(p) for k, p in paths.items()}


def _driven(s: dict, x: np.ndarray, steps: int, heads: int, hd: int) -> np.ndarray:
    """PaddleOCR's generate_export, step by step: parallel_step 3, pad 1 after a position's eos, stop once every
    sequence holds eos."""
    enc = s["encoder"]({"x": x})[0]
    b = x.shape[0]
    ids = np.zeros((b, 3), np.int64)
    step_in, unfinished = ids, np.ones((b, 3), np.int64)
    past = [np.zeros((b, heads, 0, hd), np.float32)] * 4
    for _ in range(steps):
        tokens, *past = s["step"]({"ids": step_in, "enc": enc, "k0": past[0], "v0": past[1], "k1": past[2],
                                   "v1": past[3]})
        tokens = tokens * unfinished + 1 * (1 - unfinished)
        ids = np.concatenate([ids, tokens], axis=-1)
        step_in = tokens
        unfinished = unfinished & ~(ids[:, -3:] == 2).astype(np.int64)
        if ((ids == 2).cumsum(1)[:, -1] >= 1).all():
            break
    return ids


def _median_ms(fn, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("images", nargs="+")
    parser.add_argument("--name", default="PP-FormulaNet-S")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    out = args.out_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "step" / "inference.json").is_file():
        code = (f"import sys; sys.path.insert(0, {str(REPO / 'benchmarks')!r}); import formula_step_model as b; "
                f"b._export({str(out)!r}, {args.name!r}, {args.images[:10]!r})")
        subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "FLAGS_enable_pir_api": "1"})
    paths = _convert(out)
    sys.path.insert(0, str(FIXTURES))
    import cv2

    import make_formula_model as m
    from hpi.core.specs import FormulaRecognitionSpec
    from hpi.runtime_min.ops.formula import preprocess

    size = m.NAMES[args.name]
    spec = FormulaRecognitionSpec(input_size=[size, size], pad_multiple=16, postprocess=None)
    inputs = [preprocess(cv2.imread(p), spec) for p in args.images]
    steps = m.MAX_NEW_TOKENS // 3
    for backend in ("onnxruntime", "openvino"):
        s = _sessions(paths, backend, out)
        loop_ms, step_ms, equal, lengths = [], [], 0, []
        for x in inputs:
            looped = np.asarray(s["loop"]({"x": x})[0])
            driven = _driven(s, x, steps, 16, m.D_MODEL // 16)
            equal += looped.shape == driven.shape and bool((looped == driven).all())
            lengths.append(looped.shape[-1])
            loop_ms.append(_median_ms(lambda: s["loop"]({"x": x}), args.runs))
            step_ms.append(_median_ms(lambda: _driven(s, x, steps, 16, m.D_MODEL // 16), args.runs))
        print(f"{backend}: tokens equal on {equal}/{len(inputs)} (lengths {sorted(lengths)}); model time per formula, "
              f"median: in-graph Loop {statistics.median(loop_ms):.2f} ms, runtime-driven steps "
              f"{statistics.median(step_ms):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
