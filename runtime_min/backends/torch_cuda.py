"""PyTorch CUDA backend: the bundle's verified (affine-folded) ONNX run by PyTorch's own CUDA kernels,
one CUDA graph per exact input shape, no per-shape planning.

Why (measured on an H200, docs/targets.md): ONNX Runtime's cuDNN-frontend convolutions rebuild their
plans whenever an input shape changes (det ≈ 60 ms, rec ≈ 200 ms per call), and OCR shapes change with
every image. PyTorch's native convolutions (cuDNN off) plan nothing, so a new shape costs what a known
one does; what is left is launch overhead, which a CUDA graph per shape removes.

- The artifact (`torch_onnx`, compiler/gpu.py) is the model's verified ONNX with Conv → Mul/Add/BN
  folded (compiler/fold.py), verified against Paddle's outputs at compile time like every artifact.
  onnx2torch converts it at load; integer tensors (shapes, axes, starts) and Resize's roi/scales stay
  on the host, so no op reads a GPU value back (which would break graph capture), and `Shape` answers
  from the host.
- fp32: cuDNN is disabled and TF32 off for the process (torch.backends flags are process-wide), so
  results follow the cpu target's (TF32 changed a text once in the study).
- Graphs: `GraphLRU`, one per exact input shape (padding shapes to buckets changes PP-OCRv4's texts),
  at most `$HPI_TORCH_GRAPHS` (default 32) per model. A new shape is captured at once while the cache
  has room (a capture costs about an eager run); once it is full, on its second sighting
  (`$HPI_TORCH_CAPTURE_ON`), so shapes seen once (OCR rec widths are unbounded) run eagerly instead of
  evicting graphs that come back; `$HPI_TORCH_CAPTURE_EARLY=0` waits for the second sighting always.
  A session's graphs share one memory pool: all GPU work here is serialised by one lock, and a replay's
  outputs are copied (in stream order, to pinned memory) before a later replay can run.
- Pre/post-processing on the GPU where the pipeline offers it: `run_normalized` (uint8 image in,
  NormalizeImage + ToCHW on the device) and `run_best_class` (argmax/max over the classes inside the
  graph, so [N, T] comes back instead of [N, T, 6625]).
"""

from __future__ import annotations

import gc
import importlib.util
import os
import threading
from collections import OrderedDict
from typing import Callable, Hashable

import numpy as np

from hpi.core.errors import BackendUnavailable
from hpi.runtime_min.backends.base import Backend, Session

DEFAULT_GRAPHS = 32
CAPTURE_ON_SIGHTING = 2
_GPU_LOCK = threading.RLock()  # all GPU work of this backend, every session: see the module docstring


class GraphLRU:
    """Runs calls keyed by shape through captured graphs, keeping at most `capacity` (least recently used
    evicted). While the cache has room a new key is captured at once (`capture_early`: capturing costs
    about what an eager run does, measured); once it is full, a key runs eagerly until it has been seen
    `capture_on` times, so that shapes seen once (OCR rec widths are unbounded) do not evict the graphs
    of shapes that come back.

    `run(key, eager, capture)`: `eager()` returns the outputs; `capture()` returns a replay callable
    (itself returning the outputs), or raises, in which case the key runs eagerly from then on.
    Needs no GPU: the backend passes closures over its module."""

    def __init__(self, capacity: int = DEFAULT_GRAPHS, capture_on: int = CAPTURE_ON_SIGHTING,
                 max_tracked: int = 4096, capture_early: bool = True, attempts: int = 2):
        if capacity < 0 or capture_on < 1 or attempts < 1:
            raise ValueError(f"capacity must be >= 0, capture_on and attempts >= 1, got {capacity}, {capture_on}, "
                             f"{attempts}")
        self.capacity, self.capture_on, self.max_tracked = capacity, capture_on, max_tracked
        self.capture_early, self.attempts = capture_early, attempts
        self._graphs: OrderedDict[Hashable, Callable] = OrderedDict()
        self._seen: OrderedDict[Hashable, int] = OrderedDict()
        self._failed: OrderedDict[Hashable, int] = OrderedDict()  # failed captures per key, below `attempts`
        self.uncapturable: dict[Hashable, str] = {}  # keys whose capture failed `attempts` times: eager for good
        self.last_capture_error: str | None = None
        self.stats = {"eager": 0, "captured": 0, "replayed": 0, "evicted": 0, "capture_failed": 0}

    def __len__(self) -> int:
        return len(self._graphs)

    def keys(self) -> list:
        return list(self._graphs)

    def run(self, key: Hashable, eager: Callable, capture: Callable):
        replay = self._graphs.get(key)
        if replay is not None:
            self._graphs.move_to_end(key)
            self.stats["replayed"] += 1
            return replay()
        seen = self._seen.pop(key, 0) + 1
        room = self.capture_early and len(self._graphs) < self.capacity
        if (seen < self.capture_on and not room) or self.capacity == 0 or key in self.uncapturable:
            self._seen[key] = seen
            while len(self._seen) > self.max_tracked:
                self._seen.popitem(last=False)
            self.stats["eager"] += 1
            return eager()
        try:
            replay = capture()
        except Exception as exc:  # noqa: BLE001 - a failed capture: this call runs eagerly; after `attempts`, all
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            self.last_capture_error = reason
            failures = self._failed.pop(key, 0) + 1
            if failures >= self.attempts:
                self.uncapturable[key] = reason
            else:
                self._failed[key] = failures
                self._seen[key] = seen
            for table in (self.uncapturable, self._failed, self._seen):  # bounded, oldest first
                while len(table) > self.max_tracked:
                    del table[next(iter(table))]
            self.stats["capture_failed"] += 1
            self.stats["eager"] += 1
            return eager()
        self._graphs[key] = replay
        self.stats["captured"] += 1
        while len(self._graphs) > self.capacity:
            self._graphs.popitem(last=False)
            self.stats["evicted"] += 1
        return replay()


def _torch_ready() -> str | None:
    """Why torch cannot run our artifacts here, or None."""
    missing = [m for m in ("torch", "onnx2torch", "onnx") if importlib.util.find_spec(m) is None]
    if missing:
        return f"torch_cuda is not installed ({', '.join(missing)} missing: `{TorchCudaBackend.install_hint}`)"
    return None


def _host_shape(start: int, end):
    """Replaces onnx2torch's Shape: the shape as a host int64 tensor (its own is on the input's device,
    and the ops after it read it back with .tolist(), a device sync a CUDA graph cannot hold)."""
    import torch

    class HostShape(torch.nn.Module):
        def forward(self, x):
            return torch.tensor(x.shape[start:end], dtype=torch.int64)

    return HostShape()


def convert(model_bytes, device: str = "cuda"):
    """(module, input names, output names): the ONNX model as a torch.fx module on `device`, with the
    host-side tensors described in the module docstring left on the CPU."""
    import onnx
    from onnx2torch import convert as onnx2torch_convert
    from onnx2torch.node_converters.resize import OnnxResize
    from onnx2torch.node_converters.shape import OnnxShape

    model = onnx.load_from_string(bytes(model_bytes))
    initializers = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in initializers]
    outputs = [o.name for o in model.graph.output]
    module = onnx2torch_convert(model).eval()
    for name, sub in list(module.named_modules()):
        if isinstance(sub, OnnxShape):
            parent, _, leaf = name.rpartition(".")
            setattr(module.get_submodule(parent) if parent else module, leaf,
                    _host_shape(sub._start, sub._end))  # noqa: SLF001 - onnx2torch keeps them private
    host = set()
    for node in module.graph.nodes:
        if node.op == "call_module" and isinstance(module.get_submodule(node.target), OnnxResize):
            host |= {a.target for a in node.args[1:] if hasattr(a, "op") and a.op == "get_attr"}
    module.to(device)
    for name, buf in list(module.named_buffers()):
        if not buf.is_floating_point() or name in host:
            parent, _, leaf = name.rpartition(".")
            owner = module.get_submodule(parent) if parent else module
            owner._buffers[leaf] = buf.cpu()  # noqa: SLF001 - moving a buffer back to the host
    module.recompile()
    return module, inputs, outputs


class _InFlight:
    """A replay's outputs on their way to pinned host buffers."""

    def __init__(self, host, done):
        self.host, self.done = host, done


def _identity(tensors):
    return tensors


class _TorchCudaSession(Session):
    def __init__(self, module, input_names, output_names, capacity: int, capture_on: int = CAPTURE_ON_SIGHTING,
                 capture_early: bool = True):
        import torch

        self._torch = torch
        self._module = module
        self.input_names, self.output_names = input_names, output_names
        self.graphs = GraphLRU(capacity, capture_on, capture_early=capture_early)
        self._stream = torch.cuda.Stream()
        self._pending = None
        self._constants = {}  # run_normalized's (alpha, beta) on the GPU
        self._pool = None

    def _forward(self, tensors, prep, post) -> list:
        out = self._module(*prep(tensors))
        return post(list(out) if isinstance(out, (tuple, list)) else [out])

    def _eager(self, tensors, prep=_identity, post=_identity) -> list:
        torch = self._torch
        with torch.no_grad():
            outs = self._forward([t.to("cuda") for t in tensors], prep, post)
        return [o.detach().cpu().numpy() for o in outs]

    def _capture(self, tensors, prep=_identity, post=_identity) -> Callable:
        torch = self._torch
        static = [t.to("cuda") for t in tensors]
        if self._pool is None:  # the session's own pool: a pool whose graphs are all gone cannot be reused
            self._pool = torch.cuda.graph_pool_handle()
        graph = torch.cuda.CUDAGraph()
        stream = self._stream
        stream.wait_stream(torch.cuda.current_stream())
        # capture_begin/end directly: torch.cuda.graph() also runs gc.collect() and empty_cache() each time.
        # No garbage collection while capturing: freeing an earlier call's pinned output records a CUDA event
        # on the stream it was copied on, which invalidates a capture in progress on this thread (seen, rarely).
        collecting = gc.isenabled()
        gc.disable()
        try:
            with torch.no_grad(), torch.cuda.stream(stream):
                graph.capture_begin(pool=self._pool, capture_error_mode="thread_local")
                try:
                    outs = self._forward(static, prep, post)
                except BaseException:
                    try:
                        graph.capture_end()
                    finally:
                        self._pool = None  # the pool may hold the failed capture's state: take a fresh one
                    raise
                graph.capture_end()
        finally:
            if collecting:
                gc.enable()
        torch.cuda.current_stream().wait_stream(stream)

        def replay():  # the inputs of the call in progress (_call holds the lock)
            for dst, src in zip(static, self._pending):
                dst.copy_(src, non_blocking=True)
            graph.replay()
            # outputs into fresh pinned buffers (PyTorch's caching host allocator), copied in stream order
            # before any later replay can overwrite them; _call waits for the copy after releasing the lock
            host = [torch.empty(o.shape, dtype=o.dtype, pin_memory=True) for o in outs]
            for h, o in zip(host, outs):
                h.copy_(o, non_blocking=True)
            done = torch.cuda.Event()
            done.record()
            return _InFlight(host, done)

        return replay

    def _call(self, key, host_tensors, prep=_identity, post=_identity) -> list:
        with _GPU_LOCK:
            self._pending = host_tensors
            try:
                out = self.graphs.run(key, lambda: self._eager(host_tensors, prep, post),
                                      lambda: self._capture(host_tensors, prep, post))
            finally:
                self._pending = None
        if isinstance(out, _InFlight):  # a replay: wait for its outputs without holding the GPU lock
            out.done.synchronize()
            return [h.numpy() for h in out.host]
        return out

    def run(self, feeds):
        arrays = [np.ascontiguousarray(feeds[n]) for n in self.input_names]
        return self._call(tuple((a.shape, a.dtype.str) for a in arrays),
                          [self._torch.from_numpy(a) for a in arrays])

    def run_normalized(self, img: np.ndarray, mean, std, scale) -> np.ndarray | None:
        """The first output for `normalize_to_chw(img, mean, std, scale)[None]` (ops/normalize.py), computed
        on the GPU from the uint8 HWC image: a quarter of the bytes to upload and no host pass over the
        image. Same float32 operations in the same order (x * alpha, then + beta; no fused multiply-add),
        so the same bits. None (the caller normalises on the host) for anything but a uint8 HWC image."""
        from hpi.runtime_min.ops.normalize import parse_scale

        if len(self.input_names) != 1 or img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] not in (3, 4):
            return None
        img = np.ascontiguousarray(img[:, :, :3])  # COLOR_RGBA2RGB drops the fourth channel, as on the host
        factor = parse_scale(scale)
        alpha = np.array([factor / s for s in std], dtype=np.float32)
        beta = np.array([-m / s for m, s in zip(mean, std)], dtype=np.float32)
        torch = self._torch
        key = ("uint8_hwc", img.shape, alpha.tobytes(), beta.tobytes())
        if key[2:] not in self._constants:  # made outside any capture: a host→device copy cannot be captured
            self._constants[key[2:]] = torch.from_numpy(alpha).to("cuda"), torch.from_numpy(beta).to("cuda")
        a, b = self._constants[key[2:]]

        def prep(tensors):
            x = tensors[0].to(torch.float32) * a
            x = x + b
            return [x.permute(2, 0, 1).contiguous().unsqueeze(0)]

        return self._call(key, [torch.from_numpy(img)], prep)[0]

    def run_best_class(self, feeds, classes: int) -> tuple[np.ndarray, np.ndarray]:
        """(argmax, max) over the last axis of the first output, taken on the GPU (inside the graph): [N, T]
        each come back instead of [N, T, classes]. torch.argmax returns the first of equal maxima, as numpy's
        does. ValueError when the output's last axis is not `classes`."""
        torch = self._torch

        def post(outs):
            if outs[0].shape[-1] != classes:
                raise ValueError(f"expected [..., {classes}] scores, got {tuple(outs[0].shape)}")
            return [torch.argmax(outs[0], dim=-1), torch.amax(outs[0], dim=-1)]

        arrays = [np.ascontiguousarray(feeds[n]) for n in self.input_names]
        key = ("best_class", classes) + tuple((a.shape, a.dtype.str) for a in arrays)
        idx, prob = self._call(key, [torch.from_numpy(a) for a in arrays], post=post)
        return idx, prob

    def close(self):
        with _GPU_LOCK:
            self.graphs = GraphLRU(0)
            self._module = None


class TorchCudaBackend(Backend):
    name = "torch_cuda"
    artifact_format = "torch_onnx"
    python_module = "torch"
    install_hint = "pip install 'hpi-aot[gpu-torch]'"
    devices = ("gpu",)

    @classmethod
    def is_available(cls) -> bool:
        return _torch_ready() is None

    @classmethod
    def unavailable_on(cls, device: str) -> str | None:
        if device not in cls.devices:
            return f"{cls.name} does not run on {device}"
        reason = _torch_ready()
        if reason:
            return reason
        import torch

        if not torch.cuda.is_available():
            return (f"torch {torch.__version__} sees no CUDA GPU (torch.version.cuda={torch.version.cuda}; a CPU "
                    "build of torch, or no driver)")
        return None

    @classmethod
    def check_installed(cls) -> None:
        reason = _torch_ready()
        if reason:
            raise BackendUnavailable(reason)

    @classmethod
    def load(cls, files, config, num_threads):
        cls.check_installed()
        import torch

        if not torch.cuda.is_available():
            raise BackendUnavailable(cls.unavailable_on("gpu") or "torch sees no CUDA GPU")
        # fp32 as verified: PyTorch's native convolutions (no cuDNN planning per shape), no TF32
        torch.backends.cudnn.enabled = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        capacity = int(os.environ.get("HPI_TORCH_GRAPHS", config.get("graph_capacity", DEFAULT_GRAPHS)))
        capture_on = int(os.environ.get("HPI_TORCH_CAPTURE_ON", config.get("capture_on", CAPTURE_ON_SIGHTING)))
        early = os.environ.get("HPI_TORCH_CAPTURE_EARLY", str(config.get("capture_early", 1))) not in ("0", "False")
        with _GPU_LOCK:
            module, inputs, outputs = convert(files["model"])
            session = _TorchCudaSession(module, inputs, outputs, capacity, capture_on, early)
            for shapes in config.get("warmup", []):  # first-call costs (cuBLAS, kernels) at load, not later
                session._eager([torch.zeros(shapes[n], dtype=torch.float32) for n in inputs])
        return session
