"""Paddle Inference as the reference: the outputs every artifact is compared with.

Configured as PaddleX runs these models on CPU (MKLDNN on), so "identical to PaddleX" is what is
checked. Paddle runs in a child process: on a corrupt or foreign model file it can abort the whole
interpreter, which must become a clear CompileError, not a dead compiler. Tensors cross as `.npy`.

Child usage (internal): python -m hpi.compiler.reference MODEL PARAMS WORKDIR THREADS
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from hpi.compiler.source import ModelSource
from hpi.runtime_min.errors import CompileError


def run_reference(source: ModelSource, feeds_by_case: dict[str, dict[str, np.ndarray]],
                  num_threads: int = 2) -> dict[str, list[np.ndarray]]:
    """Paddle's outputs for every case, in the model's output order."""
    model_file = next(p for n, p in source.files.items() if n.endswith((".json", ".pdmodel")))
    with tempfile.TemporaryDirectory(prefix="hpi-reference-") as tmp:
        work = Path(tmp)
        cases = list(feeds_by_case)
        for i, case in enumerate(cases):
            for name, array in feeds_by_case[case].items():
                np.save(work / f"in_{i}_{name}.npy", array, allow_pickle=False)
        (work / "cases.json").write_text(json.dumps({"cases": len(cases), "inputs": list(feeds_by_case[cases[0]])}))
        proc = subprocess.run([sys.executable, "-m", "hpi.compiler.reference", str(model_file),
                               str(source.files["inference.pdiparams"]), tmp, str(num_threads)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [l for l in proc.stderr.splitlines() if l.strip()]
            if proc.returncode < 0:
                reason = f"Paddle crashed ({signal.Signals(-proc.returncode).name})"
            else:
                reason = lines[-1].strip()[:300] if lines else f"exit {proc.returncode}"
            raise CompileError(f"Paddle cannot load {model_file}: {reason}; is the file complete and "
                               "exported by paddlepaddle 3.0 or earlier?")
        outputs = {}
        for i, case in enumerate(cases):
            files = sorted(work.glob(f"out_{i}_*.npy"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
            outputs[case] = [np.load(f, allow_pickle=False) for f in files]
        return outputs


def _child(model_file: str, params_file: str, workdir: str, num_threads: str) -> None:
    import paddle.inference as pi

    work = Path(workdir)
    spec = json.loads((work / "cases.json").read_text())
    config = pi.Config(model_file, params_file)
    config.disable_gpu()
    config.enable_mkldnn()
    config.set_cpu_math_library_num_threads(int(num_threads))
    config.disable_glog_info()
    predictor = pi.create_predictor(config)
    output_names = predictor.get_output_names()
    for i in range(spec["cases"]):
        for name in predictor.get_input_names():
            array = np.load(work / f"in_{i}_{name}.npy", allow_pickle=False)
            handle = predictor.get_input_handle(name)
            handle.reshape(array.shape)
            handle.copy_from_cpu(array)
        predictor.run()
        for j, name in enumerate(output_names):
            np.save(work / f"out_{i}_{j}.npy", predictor.get_output_handle(name).copy_to_cpu(), allow_pickle=False)


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore")  # paddle's import-time ccache notice
    try:
        _child(*sys.argv[1:])
    except Exception as exc:  # paddle raises many unrelated types; the parent reports the last line
        print(f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}", file=sys.stderr)
        sys.exit(1)
