"""From a bundle's model entry to a running session: which target and backend, then loading."""

from __future__ import annotations

from dataclasses import dataclass, field

from hpi.runtime_min import backends
from hpi.core.bundle_format import ENCRYPTED_MEMBER_MAGIC, Bundle, npy_array
from hpi.core.errors import BackendUnavailable, BundleError, LicenseError, UsageError
from hpi.runtime_min.targets import TARGETS

DEVICES = ("auto", "cpu", "gpu")


def _artifact(entry: dict, fmt: str, target: str) -> dict | None:
    return next((a for a in entry.get("artifacts", []) if a["format"] == fmt and a["target"] == target), None)


@dataclass
class Choice:
    target: str
    backend: str
    skipped: list[str] = field(default_factory=list)  # options passed over, each with its reason


def _bundle_targets(bundle: Bundle, device: str) -> list[str]:
    if device not in DEVICES:
        raise UsageError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
    known = [t for t in bundle.manifest.get("targets", ["cpu"]) if t in TARGETS]
    gpu = [t for t in known if TARGETS[t].is_gpu]
    cpu = [t for t in known if not TARGETS[t].is_gpu]
    if device == "gpu" and not gpu:
        raise BackendUnavailable(f"{bundle.path} has no GPU target (it has {', '.join(known)}); recompile with "
                                 "--target gpu_cuda13 (or gpu_cuda12, gpu_cuda118_cudnn86)")
    if device == "cpu" and not cpu:
        raise BackendUnavailable(f"{bundle.path} has no cpu target (it has {', '.join(known)}); recompile with "
                                 "--target cpu")
    return {"gpu": gpu, "cpu": cpu, "auto": gpu + cpu}[device]


def _why_not(cls, target: str, models: dict) -> str | None:
    """Why backend `cls` cannot run every model of the bundle on `target` here, or None when it can."""
    reason = cls.unavailable_on(TARGETS[target].device)
    if reason:
        return reason
    for key, entry in models.items():
        artifact = _artifact(entry, cls.artifact_format, target)
        if artifact is None:
            return f"the bundle has no {cls.artifact_format} artifact for {key}"
        why = cls.accepts(artifact)
        if why:
            return f"{key}: {why}"
    return None


def choices(bundle: Bundle, requested: str | None = None, device: str = "auto") -> list[Choice]:
    """Every (target, backend) this machine can try for the bundle, best first; each carries the options
    passed over before it and why. BackendUnavailable, listing the reasons, when there is none."""
    if requested and requested not in backends.names():
        raise UsageError(f"unknown backend {requested!r}; expected one of {', '.join(backends.names())}")
    models = bundle.manifest["models"]
    skipped, found = [], []
    for target in _bundle_targets(bundle, device):
        preference = bundle.manifest.get("backend_preference", {}).get(target) or list(TARGETS[target].backends)
        for name in [requested] if requested else preference:
            reason = _why_not(backends.get(name), target, models)
            if reason:
                skipped.append(f"{name} on {target}: {reason}")
            else:
                found.append(Choice(target, name, list(skipped)))
    if not found:
        raise BackendUnavailable("no backend here can run this bundle: " + "; ".join(skipped))
    return found


@dataclass
class LoadedModel:
    key: str
    entry: dict
    session: backends.Session
    backend: str
    precision: str
    target: str = "cpu"

    def __call__(self, x):
        """Single-input models: feed `x`, return the first output."""
        return self.session.run({self.session.input_names[0]: x})[0]


def _sealed(bundle: Bundle) -> set[str]:
    """The members a license-bound bundle encrypted."""
    return set((bundle.manifest.get("license") or {}).get("encrypted_members", ()))


def read_member(bundle: Bundle, name: str, content_key: bytes | None = None):
    """A member's bytes, decrypted in memory when the bundle sealed it (never written to disk)."""
    if name not in _sealed(bundle):
        data = bundle.read(name)
        if bytes(data[:len(ENCRYPTED_MEMBER_MAGIC)]) == ENCRYPTED_MEMBER_MAGIC:
            raise BundleError(f"{bundle.path}: member {name!r} is encrypted but the manifest does not say so "
                              "(its license section was removed): the bundle was altered")
        return data
    if content_key is None:
        product = bundle.manifest["license"]["product"]
        raise LicenseError(f"{bundle.path} is encrypted for product {product!r}: run it with a license "
                           "(hpi-run --serial-number SERIAL --update-license, or an installed certificate)")
    from hpi.licensing.crypto import decrypt_member

    return decrypt_member(content_key, name, bundle.read(name))


def read_array(bundle: Bundle, name: str, content_key: bytes | None = None):
    """A `.npy` member (decrypted in memory when sealed) as a numpy array; pickles refused."""
    return npy_array(read_member(bundle, name, content_key))


def session_config(bundle: Bundle, artifact: dict, cls) -> dict:
    """The artifact's backend config, with the backend's on-disk compiled cache (OpenVINO blobs, TensorRT
    engines built on first run) only for artifacts the bundle did not encrypt: a compiled model on disk
    is the decrypted model."""
    config = dict(artifact.get("config", {}))
    if not set(artifact["members"].values()) & _sealed(bundle):
        config.update(cls.compiled_cache_config())
    return config


def load_model(bundle: Bundle, key: str, backend: str, num_threads: int | None = None,
               target: str = "cpu", content_key: bytes | None = None) -> LoadedModel:
    entry = bundle.manifest["models"].get(key)
    if entry is None:
        raise BundleError(f"bundle has no model {key!r}; it has {', '.join(bundle.manifest['models'])}")
    cls = backends.get(backend)
    artifact = _artifact(entry, cls.artifact_format, target)
    if artifact is None:
        raise BackendUnavailable(f"model {key!r} has no {cls.artifact_format} artifact for {target}")
    files = {role: read_member(bundle, name, content_key) for role, name in artifact["members"].items()}
    session = cls.load(files, session_config(bundle, artifact, cls), num_threads)
    precision = getattr(session, "precision", None) or artifact.get("precision", "fp32")
    return LoadedModel(key, entry, session, backend, precision, target)
