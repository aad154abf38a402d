"""`hpi inspect | verify | diff | serve | export | cache`: look at, check, compare, serve and export bundles;
manage the compile cache.

The CI tool sits with the compiler, at the top of the layers, because it reaches both sides (the
runtime's self-test, the compiler's cache); it imports neither's heavy dependencies, so it works on a
runtime-only install.

Exit codes: 0 fine (for diff: identical), 1 diff found changes, 3/4 bundle or signature refused,
7 self-test failed, others as in README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hpi.runtime_min.cli_args import add_run_args, add_trust_args


def _trust(paths):
    from hpi.core.signing import TrustStore

    return TrustStore.default([Path(p) for p in paths])


def _open(path, trusted_keys, check_signature: bool, allow_unsigned: bool = False):
    """Parse and hash-check; with `check_signature`, also refuse what hpi-run would refuse."""
    from hpi.core.bundle_format import Bundle

    trust = _trust(trusted_keys)
    if check_signature:
        bundle = Bundle.open(path, trust=trust if len(trust) else None, allow_unsigned=allow_unsigned)
    else:
        bundle = Bundle.open(path, check_signature=False)
    return bundle.verify_members(), trust


def _print_json(data) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def cmd_inspect(args) -> int:
    from hpi.runtime_min.bundle_tools import summarize

    bundle, trust = _open(args.bundle, args.trusted_key, check_signature=False)
    info = summarize(bundle, trust)
    if args.json:
        _print_json(info)
        return 0
    sig = info["signature"]
    print(f"{info['path']}: {info['pipeline']['name']} pipeline, {info['schema']}, "
          f"{info['bytes'] / 1e6:.1f} MB in {info['members']} members")
    print(f"  signature   {sig['status']}: {sig['message']}")
    print(f"  license     {'required: product ' + info['license']['product'] if info['license'] else 'none required'}")
    print(f"  built by    hpi {info['created_by']['hpi']}; "
          + ", ".join(f"{k} {v}" for k, v in sorted(info["created_by"]["tools"].items())))
    print(f"  targets     {', '.join(info['targets'])}; backend preference "
          + "; ".join(f"{t}: {' > '.join(b)}" for t, b in info["backend_preference"].items()))
    for key, params in sorted(info["pipeline"]["params"].items()):
        print(f"  param       {key} = {params}")
    for key, m in info["models"].items():
        print(f"  model {key}: {m['model_name']} ({m['family']})")
        for name, p in m["shape_profile"].items():
            print(f"    profile   {name}: min {p['min']} opt {p['opt']} max {p['max']}")
        for a in m["artifacts"]:
            print(f"    artifact  {a['target']} {a['format']} {a['precision']} ({a['bytes'] / 1e6:.1f} MB)")
        conv = m["conversion"]
        converter = conv["converter"] or {"name": "source onnx", "version": ""}
        print(f"    converted {converter['name']} {converter['version']} opset {conv['opset']} + {conv['simplifier']}")
        checks = ", ".join(f"{b} max abs {v['max_abs']:.2g}" for b, v in m["verification"].items())
        print(f"    verified  {checks} (atol {m['tolerance']['atol']}) on {', '.join(m['verified_on'])}")
    for name, size in info["member_bytes"].items():
        print(f"  member      {_size(size):>9}  {name}")
    return 0


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB" if n >= 1e3 else f"{n} B"


def cmd_verify(args) -> int:
    from hpi.runtime_min.bundle_tools import self_test, signature_status
    from hpi.core.errors import SelfTestError

    bundle, trust = _open(args.bundle, args.trusted_key, check_signature=True, allow_unsigned=args.allow_unsigned)
    report = {"bundle": str(bundle.path), "signature": signature_status(bundle, trust),
              "members": {"checked": len(bundle.members), "passed": True}}
    if args.self_test:
        from hpi.runtime_min.api import content_key
        from hpi.runtime_min.versions import version_note

        if note := version_note(bundle.manifest):
            print(f"hpi: {note}", file=sys.stderr)
        report["self_test"] = self_test(bundle, args.backend or None, args.threads, content_key(bundle))
    if args.json:
        _print_json(report)
    else:
        print(f"{bundle.path}: signature {report['signature']['status']}, "
              f"{len(bundle.members)} members match their sha256")
        for name, result in report.get("self_test", {}).get("backends", {}).items():
            verdict = "passed" if result["passed"] else "FAILED"
            detail = "; ".join(f"{k}: {m.get('error') or 'max abs %.2g' % m['max_abs']}"
                               for k, m in result["models"].items())
            print(f"  self-test {name}: {verdict} ({detail})")
    if args.self_test and not report["self_test"]["passed"]:
        failed = [n for n, r in report["self_test"]["backends"].items() if not r["passed"]]
        raise SelfTestError(f"self-test failed on {', '.join(failed) or 'every backend (none installed)'}: "
                            "this machine does not reproduce the bundle's golden outputs")
    return 0


def cmd_diff(args) -> int:
    from hpi.runtime_min.bundle_tools import diff_manifests

    a, _ = _open(args.a, [], check_signature=False)
    b, _ = _open(args.b, [], check_signature=False)
    changes = diff_manifests(a.manifest, b.manifest)
    if args.json:
        _print_json({"a": str(args.a), "b": str(args.b), "identical": not changes, "changes": changes})
    else:
        marks = {"added": "+", "removed": "-", "changed": "~"}
        for c in changes:
            values = {"added": f"{c.get('new')}", "removed": f"{c.get('old')}",
                      "changed": f"{c.get('old')} -> {c.get('new')}"}[c["change"]]
            print(f"{marks[c['change']]} {c['path']}: {values}")
        if not changes:
            print("bundles are equivalent (same models, artifacts, profiles, tools and verification)")
    return 1 if changes else 0


def cmd_cache(args) -> int:
    from hpi.compiler.cache import CompileCache

    cache = CompileCache()
    if args.action == "prune":
        removed = cache.prune(0 if args.all else args.max_bytes)
        print(f"removed {removed} entr{'y' if removed == 1 else 'ies'}", file=sys.stderr)
    info = cache.info()
    if args.json:
        _print_json(info)
    else:
        print(f"{info['root']}: {info['entries']} entries, {info['bytes'] / 1e6:.1f} MB "
              f"(cap {info['max_bytes'] / 1e9:.1f} GB)")
    return 0


def cmd_serve(args) -> int:
    from hpi.runtime_min.api import open_bundle
    from hpi.runtime_min.cli_args import one_backend
    from hpi.runtime_min.serving import serve
    from hpi.runtime_min.serving.app import Limits

    pipeline = open_bundle(args.bundle, backend=one_backend(args, "hpi serve"), device=args.device,
                           trusted_keys=args.trusted_key, allow_unsigned=args.allow_unsigned,
                           num_threads=args.threads)
    limits = Limits(workers=args.workers, max_queue=args.max_queue, max_body_bytes=args.max_body_mb * 1024 * 1024,
                    request_timeout=args.timeout, graceful_timeout=args.graceful_timeout)
    serve(pipeline, args.host, args.port, limits, visualize=not args.no_visualize)
    return 0


def cmd_export_triton(args) -> int:
    from hpi.runtime_min.cli_args import one_backend
    from hpi.runtime_min.serving.triton_export import export_triton

    model_dir = export_triton(args.bundle, args.output, model_name=args.model_name, instances=args.instances,
                              backend=one_backend(args, "hpi export triton"), threads=args.threads,
                              trusted_keys=args.trusted_key, allow_unsigned=args.allow_unsigned,
                              python_env=args.python_env, force=args.force)
    print(f"wrote {model_dir} (model {model_dir.name!r}, {args.instances} instance(s)); serve it with "
          f"tritonserver --model-repository {args.output}", file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hpi", description="Inspect, verify, compare, serve and export hpi bundles; "
                                                        "build retrieval indexes; manage the compile cache.")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name, func, help_text):
        s = sub.add_parser(name, help=help_text, description=help_text)
        s.set_defaults(func=func)
        s.add_argument("--json", action="store_true", help="machine-readable output")
        return s

    s = add("inspect", cmd_inspect, "summarize a bundle: pipeline, models, profiles, targets, backends, "
                                    "precisions, signer, license, verification")
    s.add_argument("bundle")
    add_trust_args(s, allow_unsigned=False)  # the signer is reported, not checked
    s = add("verify", cmd_verify, "check the signature and every member's hash; with --self-test, run the golden "
                                  "inputs on this machine's backends and compare with the stored outputs")
    s.add_argument("bundle")
    s.add_argument("--self-test", action="store_true", help="run the golden inputs on this machine")
    add_run_args(s, backend_help="self-test only these (default: every one that works here); repeatable",
                 device=False)
    add_trust_args(s)
    s = add("diff", cmd_diff, "what changed between two bundles (exit 1 when anything did)")
    s.add_argument("a")
    s.add_argument("b")
    s = sub.add_parser("serve", help="serve a bundle over HTTP with PaddleX's serving API (e.g. POST /ocr)",
                       description="Serve a bundle with PaddleX 3.7.2's basic serving API (its routes, request and "
                                   "response schemas), plus /health/ready, /metrics (Prometheus), a bounded queue "
                                   "(503 when full), body and time limits, and graceful shutdown on SIGTERM. Needs "
                                   "pip install 'hpi-aot[serve]'.")
    s.set_defaults(func=cmd_serve)
    s.add_argument("bundle")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    s.add_argument("--port", type=int, default=8080, help="port (default 8080, PaddleX's)")
    s.add_argument("--workers", type=int, default=1, help="inferences at a time (default 1)")
    s.add_argument("--max-queue", type=int, default=16, help="requests waiting for a worker before 503 (default 16)")
    s.add_argument("--max-body-mb", type=int, default=32, help="largest request body in MiB (default 32)")
    s.add_argument("--timeout", type=float, default=60.0, help="seconds per request before 504 (default 60)")
    s.add_argument("--graceful-timeout", type=float, default=30.0,
                   help="seconds in-flight requests get to finish on shutdown (default 30)")
    s.add_argument("--no-visualize", action="store_true", help="leave the result pictures out (PaddleX's visualize)")
    add_run_args(s, backend_help="give one (default: the bundle's choice)")
    add_trust_args(s)
    export = sub.add_parser("export", help="write a bundle as another server's deployment (triton)",
                            description="Write a bundle as another server's deployment.")
    targets = export.add_subparsers(dest="target", required=True)
    s = targets.add_parser("triton", help="an NVIDIA Triton Inference Server model repository",
                           description="Write a Triton model repository: a Python-backend model running hpi's "
                                       "runtime on the bundle (copied in, with its signer's public key; verified "
                                       "here and by every model instance). Inputs 'image' (encoded file) or "
                                       "'image_bgr' (UINT8 HxWx3), optional 'params' (JSON); output 'result' "
                                       "(PaddleX's result JSON). The server's Python needs hpi-aot installed.")
    s.set_defaults(func=cmd_export_triton)
    s.add_argument("bundle")
    s.add_argument("-o", "--output", required=True, metavar="REPOSITORY", help="model repository folder")
    s.add_argument("--model-name", help="the model's name in the repository (default: the pipeline's)")
    s.add_argument("--instances", type=int, default=1,
                   help="model instances, each its own process (default 1)")
    s.add_argument("--python-env", metavar="DIR",
                   help="virtual environment with hpi-aot for the Python backend (EXECUTION_ENV_PATH); "
                        "default: the server's own Python")
    s.add_argument("--force", action="store_true", help="replace the model's folder if it exists")
    add_run_args(s, backend_help="give one (default: the bundle's choice)", device=False)
    add_trust_args(s)
    from hpi.runtime_min.index_cli import add_index_commands

    add_index_commands(sub)
    s = add("cache", cmd_cache, "show (info) or shrink (prune) the compile cache")
    s.add_argument("action", choices=["info", "prune"])
    s.add_argument("--max-bytes", type=int, help="prune down to this size (default: the cap)")
    s.add_argument("--all", action="store_true", help="prune everything")
    return p


def main(argv: list[str] | None = None) -> int:
    from hpi.core.errors import run_cli

    args = _parser().parse_args(argv)
    code = []
    status = run_cli("hpi", lambda: code.append(args.func(args)))
    return status or code[0]


if __name__ == "__main__":
    sys.exit(main())
