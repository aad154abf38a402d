"""Paddle Inference as the reference: the outputs every artifact is compared with.

Configured as PaddleX runs these models on CPU (MKLDNN on), so "identical to PaddleX" is what is
checked. Paddle runs in a child process: on a corrupt or foreign model file it can abort the whole
interpreter, which must become a clear CompileError, not a dead compiler. Tensors cross as `.npy`.

Memory (measured on PP-OCRv4 mobile det at 1x3x4000x4000, docs/performance.md "Compile memory"): without
`enable_memory_optim` Paddle keeps every intermediate tensor alive, 17.6 GB; with it 3.4 GB, the same
outputs, 4x faster. One predictor serving min, opt and max one after the other grew to 5.6 GB (buffers
kept per shape), so each case gets a fresh predictor and the previous one's memory is released first.

Child usage (internal): python -m hpi.compiler.reference MODEL PARAMS CASE_FOLDERS_JSON THREADS [mkldnn|plain]
"""

from __future__ import annotations

import gc
import json
import signal
import sys
import tempfile
from pathlib import Path

import numpy as np

from hpi.compiler.cases import StoredCase, input_file, output_file
from hpi.compiler.child_output import last_error_line
from hpi.compiler.forkserver import run_python
from hpi.compiler.source import ModelSource
from hpi.core.errors import CompileError


def run_reference(source: ModelSource, cases: list[StoredCase], num_threads: int = 2, mkldnn: bool = True) -> None:
    """Paddle's outputs for every case, written into the case's folder in the model's output order.

    One child process runs the cases one after the other, each on a fresh predictor."""
    model_file = next(p for n, p in source.files.items() if n.endswith((".json", ".pdmodel")))
    with tempfile.TemporaryDirectory(prefix="hpi-reference-") as tmp:
        folders = Path(tmp) / "cases.json"
        folders.write_text(json.dumps([str(c.folder) for c in cases]))
        proc = run_python(["-m", "hpi.compiler.reference", str(model_file), str(source.files["inference.pdiparams"]),
                           str(folders), str(num_threads), "mkldnn" if mkldnn else "plain"])
    if proc.returncode != 0:
        if proc.returncode < 0:
            reason = f"Paddle crashed ({signal.Signals(-proc.returncode).name})"
        else:
            reason = last_error_line(proc.stderr, f"exit {proc.returncode}")
        raise CompileError(f"Paddle cannot load {model_file}: {reason}; is the file complete and "
                           "exported by paddlepaddle 3.0 or earlier?")


def _child(model_file: str, params_file: str, folders_file: str, num_threads: str, mode: str = "mkldnn") -> None:
    import paddle.inference as pi

    folders = [Path(f) for f in json.loads(Path(folders_file).read_text())]

    def predictor():
        config = pi.Config(model_file, params_file)
        config.disable_gpu()
        if mode == "mkldnn":
            config.enable_mkldnn()
        else:
            # PaddleX's CPU path for the models of its MKLDNN_BLOCKLIST (formula recognition): plain kernels,
            # PIR and its executor (a PIR while loop does not run without enable_new_ir).
            config.disable_mkldnn()
            if model_file.endswith(".json"):
                config.enable_new_ir(True)
                config.enable_new_executor()
        if model_file.endswith(".pdmodel"):
            # Legacy programs keep every intermediate alive unless told to reuse buffers (same outputs, a
            # fifth of the memory). PIR programs free them as they go; paddle 3.0.0 refuses the option
            # there ("Not find predictor_id 0 and pass_name memory_optimize_pass").
            config.enable_memory_optim()
        config.set_cpu_math_library_num_threads(int(num_threads))
        config.disable_glog_info()
        return pi.create_predictor(config)

    for folder in folders:
        handle = None
        run = predictor()  # fresh per case: nothing sized for an earlier shape stays alive
        for name in run.get_input_names():
            handle = run.get_input_handle(name)
            array = np.load(input_file(folder, name), allow_pickle=False)
            handle.reshape(array.shape)
            handle.copy_from_cpu(array)
            del array  # Paddle holds its own copy
        run.run()
        for j, name in enumerate(run.get_output_names()):
            np.save(output_file(folder, j), run.get_output_handle(name).copy_to_cpu(), allow_pickle=False)
        run = handle = None  # release this case's predictor before the next one is made
        gc.collect()


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore")  # paddle's import-time ccache notice
    try:
        _child(*sys.argv[1:])
    except Exception as exc:  # paddle raises many unrelated types; the parent reports the last line
        print(f"{type(exc).__name__}: {last_error_line(str(exc))}", file=sys.stderr)
        sys.exit(1)
