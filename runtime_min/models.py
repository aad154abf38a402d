"""From a bundle's model entry to a running session on the chosen backend."""

from __future__ import annotations

from dataclasses import dataclass

from hpi.runtime_min import backends
from hpi.runtime_min.bundle import Bundle
from hpi.runtime_min.errors import BackendUnavailable, BundleError, LicenseError

TARGET = "cpu"


def _artifact(entry: dict, fmt: str, target: str) -> dict | None:
    return next((a for a in entry.get("artifacts", []) if a["format"] == fmt and a["target"] == target), None)


def choose_backend(bundle: Bundle, requested: str | None = None, target: str = TARGET) -> str:
    """The requested backend, else the first of the bundle's preference that is installed here."""
    models = bundle.manifest["models"]
    if requested:
        cls = backends.get(requested)
        missing = [k for k, m in models.items() if _artifact(m, cls.artifact_format, target) is None]
        if missing:
            raise BackendUnavailable(
                f"bundle has no {cls.artifact_format} artifact for {', '.join(missing)}, so backend "
                f"{requested!r} cannot run it; recompile with that backend or pick another with --backend"
            )
        cls.require()
        return requested
    preference = bundle.manifest.get("backend_preference", {}).get(target) or backends.names()
    for name in preference:
        cls = backends.get(name)
        if cls.is_available() and all(_artifact(m, cls.artifact_format, target) for m in models.values()):
            return name
    hints = "; ".join(f"`{backends.get(n).install_hint}`" for n in preference)
    raise BackendUnavailable(f"none of the bundle's backends ({', '.join(preference)}) is installed; install one: {hints}")


@dataclass
class LoadedModel:
    key: str
    entry: dict
    session: backends.Session
    backend: str
    precision: str

    def __call__(self, x):
        """Single-input models: feed `x`, return the first output."""
        return self.session.run({self.session.input_names[0]: x})[0]


def read_member(bundle: Bundle, name: str, content_key: bytes | None = None):
    """A member's bytes, decrypted in memory when the bundle sealed it (never written to disk)."""
    license = bundle.manifest.get("license") or {}
    if name not in license.get("encrypted_members", ()):
        return bundle.read(name)
    if content_key is None:
        raise LicenseError(f"{bundle.path} is encrypted for product {license['product']!r}: run it with a "
                           "license (hpi-run --serial-number SERIAL --update-license, or an installed certificate)")
    from hpi.licensing.crypto import decrypt_member

    return decrypt_member(content_key, name, bundle.read(name))


def load_model(bundle: Bundle, key: str, backend: str, num_threads: int | None = None,
               target: str = TARGET, content_key: bytes | None = None) -> LoadedModel:
    entry = bundle.manifest["models"].get(key)
    if entry is None:
        raise BundleError(f"bundle has no model {key!r}; it has {', '.join(bundle.manifest['models'])}")
    cls = backends.get(backend)
    artifact = _artifact(entry, cls.artifact_format, target)
    if artifact is None:
        raise BackendUnavailable(f"model {key!r} has no {cls.artifact_format} artifact for {target}")
    files = {role: read_member(bundle, name, content_key) for role, name in artifact["members"].items()}
    session = cls.load(files, artifact.get("config", {}), num_threads)
    return LoadedModel(key, entry, session, backend, artifact.get("precision", "fp32"))
