"""What `hpi inspect`, `hpi verify --self-test` and `hpi diff` compute, as plain data."""

from __future__ import annotations

import hashlib

from hpi.runtime_min import backends
from hpi.core.bundle_format import Bundle
from hpi.core.canonical import canonical_json
from hpi.runtime_min.compare import Case, Tolerance, compare
from hpi.core.errors import HpiError


def signature_status(bundle: Bundle, trust) -> dict:
    """`valid`, `untrusted`, `invalid` or `unsigned`, with the signer's key id and the reason."""
    from hpi.core.signing import Signature

    if bundle.signature is None:
        return {"status": "unsigned", "key_id": None, "message": "the bundle carries no signature"}
    key_id = bundle.signature.get("key_id")
    if trust is None or not len(trust):
        return {"status": "untrusted", "key_id": key_id, "message": "no trusted keys on this machine"}
    try:
        trust.verify(bundle.manifest_bytes, Signature.from_dict(bundle.signature))
    except HpiError as exc:
        status = "untrusted" if "not trusted" in str(exc) else "invalid"
        return {"status": status, "key_id": key_id, "message": str(exc)}
    return {"status": "valid", "key_id": key_id, "message": f"signed by trusted key {key_id}"}


def summarize(bundle: Bundle, trust) -> dict:
    m = bundle.manifest
    models = {}
    for key, entry in m["models"].items():
        models[key] = {
            "model_name": entry["model_name"],
            "family": entry["family"],
            "inputs": entry["inputs"],
            "shape_profile": entry["shape_profile"],
            "artifacts": [{"target": a["target"], "format": a["format"], "precision": a["precision"],
                           "bytes": sum(bundle.members[n].size for n in a["members"].values())}
                          for a in entry["artifacts"]],
            "conversion": entry["conversion"],
            "verification": {b: {"passed": v["passed"], "max_abs": v["max_abs"]}
                             for b, v in entry["verification"]["backends"].items()},
            "tolerance": entry["verification"]["tolerance"],
            "verified_on": entry["verification"]["cases"],
        }
    return {
        "path": str(bundle.path),
        "schema": m["schema"],
        "pipeline": {"name": m["pipeline"]["name"], "params": m["pipeline"].get("params", {})},
        "targets": m["targets"],
        "backend_preference": m["backend_preference"],
        "signature": signature_status(bundle, trust),
        "license": m.get("license"),
        "created_by": m["created_by"],
        "members": len(bundle.members),
        "bytes": sum(x.size for x in bundle.members.values()),
        # name → size: what each artifact and golden tensor weighs (`hpi-compile --cpu-backend` trims them)
        "member_bytes": {name: bundle.members[name].size for name in sorted(bundle.members)},
        "models": models,
    }


def self_test(bundle: Bundle, names: list[str] | None = None, num_threads: int | None = None,
              content_key: bytes | None = None) -> dict:
    """Run each model's golden inputs on each backend and compare with the stored golden outputs.

    Backends: `names`, else every one that can run the bundle here (on each of its targets this machine
    can run: "onnxruntime" on cpu, "onnxruntime@gpu_cuda13" on a GPU target). An encrypted bundle needs
    its `content_key` (from this machine's license certificate).
    """
    from hpi.runtime_min.models import RunOptions, choices

    runs, results = [], {}
    for name in names or [None]:
        try:
            found = choices(bundle, RunOptions(backend=name))
        except HpiError as exc:
            results[name or "any"] = {"passed": False, "error": str(exc), "models": {}}
            continue
        runs += found[:1] if name else found
    options = RunOptions(num_threads=num_threads, content_key=content_key)
    for choice in runs:
        models = {}
        for key in bundle.contents.models:
            try:
                models[key] = _self_test_model(bundle, key, choice, options)
            except HpiError as exc:
                models[key] = {"passed": False, "error": str(exc)}
        label = choice.backend if choice.target == "cpu" else f"{choice.backend}@{choice.target}"
        results[label] = {"passed": all(m["passed"] for m in models.values()), "models": models}
    return {"backends": results, "passed": bool(results) and all(r["passed"] for r in results.values())}


def _self_test_model(bundle, key, choice, options) -> dict:
    from hpi.runtime_min.models import load_model, read_array

    model = load_model(bundle, key, choice, options)
    entry, golden = model.entry, model.entry.golden
    try:
        feeds = {name: read_array(bundle, member, options.content_key) for name, member in golden["inputs"].items()}
        expected = [read_array(bundle, member, options.content_key) for member in golden["outputs"]]
        got = model.session.run(feeds)
    finally:
        model.close()
    diffs = compare(Case(golden["case"], feeds, expected), got, entry.outputs, Tolerance(**golden["tolerance"]),
                    entry.spec.output_order)
    failed = [d for d in diffs if not d.passed]
    result = {"passed": not failed, "max_abs": max(d.max_abs for d in diffs), "tolerance": golden["tolerance"]}
    if failed:
        result["error"] = f"{failed[0].describe()} > atol {golden['tolerance']['atol']}"
    return result


def _digest(obj) -> str:
    return hashlib.sha256(canonical_json(obj)).hexdigest()[:16]


def _view(manifest: dict) -> dict:
    """The parts of a manifest worth comparing, with bulky values replaced by digests."""
    members = {m["name"]: m for m in manifest["members"]}
    options = dict(manifest["compile_options"])
    options["source_config"] = _digest(options.get("source_config"))
    view = {"pipeline": manifest["pipeline"], "targets": manifest["targets"], "compile_options": options,
            "hpi": manifest["created_by"]["hpi"], "tools": manifest["created_by"]["tools"], "models": {}}
    for key, e in manifest["models"].items():
        view["models"][key] = {
            "model_name": e["model_name"],
            "source": e["source"]["files"],
            "shape_profile": e["shape_profile"],
            "spec": _digest(e["spec"]),
            "conversion": e["conversion"],
            "artifacts": {f"{a['target']}/{a['format']}/{a['precision']}":
                          {role: {"sha256": members[n]["sha256"][:16], "size": members[n]["size"]}
                           for role, n in a["members"].items()} for a in e["artifacts"]},
            "verification": {b: v["max_abs"] for b, v in e["verification"]["backends"].items()},
        }
    return view


def _flatten(obj, prefix="") -> dict:
    if isinstance(obj, dict) and obj:
        out = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: obj}


def diff_manifests(a: dict, b: dict) -> list[dict]:
    """Changes from `a` to `b`: [{"path", "change": added|removed|changed, "old", "new"}], by path."""
    fa, fb = _flatten(_view(a)), _flatten(_view(b))
    changes = []
    for path in sorted(set(fa) | set(fb)):
        if path not in fa:
            changes.append({"path": path, "change": "added", "new": fb[path]})
        elif path not in fb:
            changes.append({"path": path, "change": "removed", "old": fa[path]})
        elif fa[path] != fb[path]:
            changes.append({"path": path, "change": "changed", "old": fa[path], "new": fb[path]})
    return changes
