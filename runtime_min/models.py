"""From a bundle's model entry to a running session: which target and backend, then loading.

Resolved once: `choices` checks every (target, backend) against every model and returns, for each that
works, the artifacts it found; loading takes that `Choice` and one `RunOptions`, and resolves nothing
again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hpi.core.bundle_format import ENCRYPTED_MEMBER_MAGIC, Bundle, npy_array
from hpi.core.errors import BackendUnavailable, BundleError, LicenseError, UsageError
from hpi.core.manifest import Artifact, ModelEntry
from hpi.runtime_min import backends
from hpi.runtime_min.targets import TARGETS

DEVICES = ("auto", "cpu", "gpu")


@dataclass(frozen=True)
class RunOptions:
    """How a bundle is run on this machine, as the caller asked: carried whole, never unpacked."""

    backend: str | None = None  # None: the bundle's preference for the target
    device: str = "auto"  # "auto" (a GPU target when a GPU backend works here, else cpu), "cpu", "gpu"
    num_threads: int | None = None
    content_key: bytes | None = field(default=None, repr=False)  # an encrypted bundle's key (licensing)

    def __post_init__(self):
        if self.device not in DEVICES:
            raise UsageError(f"unknown device {self.device!r}; use one of {', '.join(DEVICES)}")
        if self.backend is not None and self.backend not in backends.names():
            raise UsageError(f"unknown backend {self.backend!r}; expected one of {', '.join(backends.names())}")


@dataclass(frozen=True)
class Choice:
    """A (target, backend) that can run every model of the bundle, with the artifact for each model."""

    target: str
    backend: str
    artifacts: dict[str, Artifact]  # model key → the artifact this backend runs
    skipped: tuple[str, ...] = ()  # options passed over before this one, each with its reason


def _bundle_targets(bundle: Bundle, device: str) -> list[str]:
    known = [t for t in bundle.contents.targets if t in TARGETS]
    gpu = [t for t in known if TARGETS[t].is_gpu]
    cpu = [t for t in known if not TARGETS[t].is_gpu]
    if device == "gpu" and not gpu:
        raise BackendUnavailable(f"{bundle.path} has no GPU target (it has {', '.join(known)}); recompile with "
                                 "--target gpu_cuda13 (or gpu_cuda12, gpu_cuda118_cudnn86)")
    if device == "cpu" and not cpu:
        raise BackendUnavailable(f"{bundle.path} has no cpu target (it has {', '.join(known)}); recompile with "
                                 "--target cpu")
    return {"gpu": gpu, "cpu": cpu, "auto": gpu + cpu}[device]


def _artifacts_for(cls, target: str, models: dict[str, ModelEntry]) -> dict[str, Artifact] | str:
    """Each model's artifact for backend `cls` on `target`, or why `cls` cannot run them all here."""
    reason = cls.unavailable_on(TARGETS[target].device)
    if reason:
        return reason
    found = {}
    for key, entry in models.items():
        artifact = entry.artifact(cls.artifact_format, target)
        if artifact is None:
            return f"the bundle has no {cls.artifact_format} artifact for {key}"
        why = cls.accepts(artifact)
        if why:
            return f"{key}: {why}"
        found[key] = artifact
    return found


def choices(bundle: Bundle, options: RunOptions = RunOptions()) -> list[Choice]:
    """Every (target, backend) this machine can try for the bundle, best first; each carries the artifacts
    it runs and the options passed over before it, with why. BackendUnavailable, listing the reasons,
    when there is none."""
    contents = bundle.contents
    skipped, found = [], []
    for target in _bundle_targets(bundle, options.device):
        preference = contents.backend_preference.get(target) or TARGETS[target].backends
        for name in [options.backend] if options.backend else preference:
            artifacts = _artifacts_for(backends.get(name), target, contents.models)
            if isinstance(artifacts, str):
                skipped.append(f"{name} on {target}: {artifacts}")
            else:
                found.append(Choice(target, name, artifacts, tuple(skipped)))
    if not found:
        raise BackendUnavailable("no backend here can run this bundle: " + "; ".join(skipped))
    return found


@dataclass
class LoadedModel:
    entry: ModelEntry
    session: backends.Session
    backend: str
    precision: str
    target: str = "cpu"

    @property
    def key(self) -> str:
        return self.entry.key

    def __call__(self, x):
        """Single-input models: feed `x`, return the first output."""
        return self.session.run({self.session.input_names[0]: x})[0]

    def infer_normalized(self, img, mean, std, scale):
        """`self(normalize_to_chw(img, mean, std, scale)[None])` done by the backend where it can (the
        torch_cuda backend uploads the uint8 image and normalises on the GPU, to the same bits); None when
        it cannot, and the caller normalises on the host."""
        run = getattr(self.session, "run_normalized", None)
        return None if run is None else run(img, mean, std, scale)

    def infer_best_class(self, x, classes: int):
        """(argmax, max) over the last axis of the first output for input `x`, taken by the backend where it
        can (torch_cuda: inside the graph, so only [N, T] comes back instead of [N, T, classes]); None when it
        cannot, and the caller reduces on the host; ValueError when the output's last axis is not `classes`."""
        run = getattr(self.session, "run_best_class", None)
        return None if run is None else run({self.session.input_names[0]: x}, classes)

    def close(self) -> None:
        """Release the session's memory (device buffers, engines) now, not when it is collected."""
        self.session.close()


def read_member(bundle: Bundle, name: str, content_key: bytes | None = None):
    """A member's bytes, decrypted in memory when the bundle sealed it (never written to disk)."""
    if name not in bundle.contents.encrypted_members:
        data = bundle.read(name)
        if bytes(data[:len(ENCRYPTED_MEMBER_MAGIC)]) == ENCRYPTED_MEMBER_MAGIC:
            raise BundleError(f"{bundle.path}: member {name!r} is encrypted but the manifest does not say so "
                              "(its license section was removed): the bundle was altered")
        return data
    if content_key is None:
        raise LicenseError(f"{bundle.path} is encrypted for product {bundle.contents.license.product!r}: run it "
                           "with a license (hpi-run --serial-number SERIAL --update-license, or an installed "
                           "certificate)")
    from hpi.licensing.crypto import decrypt_member

    return decrypt_member(content_key, name, bundle.read(name))


def read_array(bundle: Bundle, name: str, content_key: bytes | None = None):
    """A `.npy` member (decrypted in memory when sealed) as a numpy array; pickles refused."""
    return npy_array(read_member(bundle, name, content_key))


def session_config(bundle: Bundle, artifact: Artifact, cls) -> dict:
    """The artifact's backend config, with the backend's on-disk compiled cache (OpenVINO blobs, TensorRT
    engines built on first run) only for artifacts the bundle did not encrypt: a compiled model on disk
    is the decrypted model."""
    config = dict(artifact.config)
    if not set(artifact.members.values()) & bundle.contents.encrypted_members:
        config.update(cls.compiled_cache_config())
    return config


def load_model(bundle: Bundle, key: str, choice: Choice, options: RunOptions) -> LoadedModel:
    """Load model `key` with the artifact `choice` found for it."""
    entry = bundle.contents.model(key)
    cls = backends.get(choice.backend)
    artifact = choice.artifacts[key]
    files = {role: read_member(bundle, name, options.content_key) for role, name in artifact.members.items()}
    session = cls.load(files, session_config(bundle, artifact, cls), options.num_threads)
    precision = getattr(session, "precision", None) or artifact.precision
    return LoadedModel(entry, session, choice.backend, precision, choice.target)
