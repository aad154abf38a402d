"""The manifest as typed records, parsed once when a bundle opens (docs/bundle-format.md).

`Bundle.manifest` stays the signed JSON document as stored (what `hpi inspect` and `hpi diff` show);
`Bundle.contents` is this parse of it, what the runtime reads: a missing or mistyped key is a
BundleError at open, not a KeyError in the middle of a run. The compiler writes the same records
(`to_dict`), so writer and reader share one definition of each key. Sections the runtime does not
read (conversion, verification, source, compile options) stay in the document. The records are frozen;
the JSON values they hold (a spec, a config) are shared with every reader and never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from hpi.core.errors import BundleError
from hpi.core.specs import FamilySpec, spec_from_dict


def _get(data: Mapping, key: str, kind, where: str, default=...):
    if key not in data:
        if default is not ...:
            return default
        raise BundleError(f"manifest {where} has no {key!r}; the bundle is malformed (recompile it)")
    value = data[key]
    if not isinstance(value, kind):
        raise BundleError(f"manifest {where}.{key} is {type(value).__name__}, expected {kind}; "
                          "the bundle is malformed (recompile it)")
    return value


@dataclass(frozen=True)
class Artifact:
    """One converted model file set for one target: which backend format, which members hold it."""

    format: str  # "onnx", "openvino_ir", "tensorrt_plan"
    target: str  # a runtime_min.targets name
    members: Mapping[str, str]  # role ("model", "xml", "weights", ...) → member name
    precision: str = "fp32"
    config: Mapping = field(default_factory=dict)  # backend session settings (a TensorRT engine's build key)

    @classmethod
    def from_dict(cls, data: Mapping, where: str) -> "Artifact":
        return cls(format=_get(data, "format", str, where), target=_get(data, "target", str, where),
                   members=_get(data, "members", dict, where),
                   precision=_get(data, "precision", str, where, "fp32"),
                   config=_get(data, "config", dict, where, {}))

    def to_dict(self) -> dict:
        return {"target": self.target, "format": self.format, "precision": self.precision,
                "members": dict(self.members), "config": dict(self.config)}


@dataclass(frozen=True)
class ModelEntry:
    """One model of the bundle: its family, I/O, shape profile, pre/post-processing spec, artifacts."""

    key: str  # the model's key in the manifest (a pipeline role such as "text_det")
    family: str
    model_name: str
    spec: FamilySpec  # the family's pre/post-processing spec (hpi.core.specs: recipes write it, pipelines read it)
    artifacts: tuple[Artifact, ...]
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    shape_profile: Mapping = field(default_factory=dict)
    backend_preference: Mapping[str, list[str]] = field(default_factory=dict)
    golden: Mapping | None = None

    @classmethod
    def from_dict(cls, key: str, data: Mapping) -> "ModelEntry":
        where = f"models.{key}"
        if not isinstance(data, Mapping):
            raise BundleError(f"manifest {where} is not an object; the bundle is malformed (recompile it)")
        artifacts = _get(data, "artifacts", list, where)
        family = _get(data, "family", str, where)
        return cls(key=key, family=family,
                   model_name=_get(data, "model_name", str, where, key),
                   spec=spec_from_dict(family, _get(data, "spec", dict, where), f"{where}.spec"),
                   artifacts=tuple(Artifact.from_dict(a, f"{where}.artifacts[{i}]") for i, a in enumerate(artifacts)),
                   inputs=_get(data, "inputs", list, where, []),
                   outputs=_get(data, "outputs", list, where, []),
                   shape_profile=_get(data, "shape_profile", dict, where, {}),
                   backend_preference=_get(data, "backend_preference", dict, where, {}),
                   golden=(_get(data, "golden", (dict, type(None)), where, None)))

    def artifact(self, fmt: str, target: str) -> Artifact | None:
        """The artifact of format `fmt` built for `target`, or None."""
        return next((a for a in self.artifacts if a.format == fmt and a.target == target), None)

    def input_names(self) -> list[str]:
        return [i["name"] for i in self.inputs]


@dataclass(frozen=True)
class PipelineEntry:
    """Which PaddleX pipeline the bundle runs, its model roles and its resolved parameters."""

    name: str
    models: Mapping[str, str]  # role → model key
    params: Mapping

    @classmethod
    def from_dict(cls, data: Mapping) -> "PipelineEntry":
        return cls(name=_get(data, "name", str, "pipeline"),
                   models=_get(data, "models", dict, "pipeline", {}),
                   params=_get(data, "params", dict, "pipeline", {}))


@dataclass(frozen=True)
class LicenseSection:
    """A license-bound bundle: the product it belongs to and the members it encrypted."""

    product: str
    encrypted_members: frozenset[str]
    raw: Mapping  # every key (key generation, issuers, ...), read by hpi.licensing.bundle_keys

    @classmethod
    def from_dict(cls, data: Mapping) -> "LicenseSection":
        return cls(product=_get(data, "product", str, "license"),
                   encrypted_members=frozenset(_get(data, "encrypted_members", list, "license", [])),
                   raw=(data))


@dataclass(frozen=True)
class Manifest:
    """The parts of a bundle's manifest the runtime reads, checked and typed."""

    targets: list[str]
    models: Mapping[str, ModelEntry]
    pipeline: PipelineEntry
    backend_preference: Mapping[str, list[str]]
    license: LicenseSection | None
    verified_with: Mapping[str, str]  # library → version the bundle was verified with (created_by)
    hpi_version: str

    @classmethod
    def from_dict(cls, data: Mapping) -> "Manifest":
        models = _get(data, "models", dict, "root")
        license = _get(data, "license", (dict, type(None)), "root", None)
        created_by = _get(data, "created_by", dict, "root", {})
        return cls(targets=_get(data, "targets", list, "root", ["cpu"]),
                   models={k: ModelEntry.from_dict(k, v) for k, v in models.items()},
                   pipeline=PipelineEntry.from_dict(_get(data, "pipeline", dict, "root")),
                   backend_preference=_get(data, "backend_preference", dict, "root", {}),
                   license=LicenseSection.from_dict(license) if license else None,
                   verified_with=(created_by.get("verified_with") or {}),
                   hpi_version=str(created_by.get("hpi", "")))

    def model(self, key: str) -> ModelEntry:
        entry = self.models.get(key)
        if entry is None:
            raise BundleError(f"bundle has no model {key!r}; it has {', '.join(self.models)}")
        return entry

    @property
    def encrypted_members(self) -> frozenset[str]:
        return self.license.encrypted_members if self.license else frozenset()
