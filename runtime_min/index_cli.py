"""`hpi index build|append|remove|info`: PaddleX's vector index for PP-ShiTuV2 / face_recognition bundles.

    hpi index build shitu.hpi --gallery gallery/labels.txt --out index/       # embed, then save
    hpi-run shitu.hpi --input query.jpg --index index/                        # search it

The index folder is PaddleX's own form (vector.index + id_map.yaml): one PaddleX built loads here and the
other way round. Standard library only at import; faiss comes with `pip install 'hpi-aot[retrieval]'`.
"""

from __future__ import annotations

import argparse
import json
import sys

from hpi.runtime_min.cli_args import add_run_args, add_trust_args, one_backend

_GALLERY_HELP = ("PaddleX's gallery label file: one `relative/path label` line per image (one space); paths are "
                 "relative to --root (default: the current folder, as PaddleX)")


def _open(args):
    from hpi.runtime_min.api import open_bundle

    return open_bundle(args.bundle, backend=one_backend(args, "hpi index"), device=args.device,
                       trusted_keys=args.trusted_key, allow_unsigned=args.allow_unsigned, num_threads=args.threads)


def _say(index, where) -> None:
    print(f"hpi index: {where}: {len(index)} vectors, {len(set(index.id_map.values()))} labels, "
          f"metric {index.metric_type}, index type {index.index_type}", file=sys.stderr)


def cmd_build(args) -> int:
    index = _open(args).build_index(args.root, args.gallery, metric_type=args.metric_type, index_type=args.index_type)
    _say(index, index.save(args.out))
    return 0


def cmd_append(args) -> int:
    index = _open(args).append_index(args.root, args.gallery, args.index)
    _say(index, index.save(args.out or args.index))
    return 0


def cmd_remove(args) -> int:
    from hpi.runtime_min.ops.vector_index import VectorIndex

    ids = args.ids[0] if len(args.ids) == 1 and not args.ids[0].lstrip("-").isdigit() else [int(i) for i in args.ids]
    index = VectorIndex.load(args.index).remove(ids)
    _say(index, index.save(args.out or args.index))
    return 0


def cmd_info(args) -> int:
    from hpi.runtime_min.ops.vector_index import VectorIndex

    index = VectorIndex.load(args.index)
    info = {"vectors": len(index), "dimension": int(index.index.d), "metric_type": index.metric_type,
            "index_type": index.index_type, "id_map": {str(k): v for k, v in sorted(index.id_map.items())}}
    print(json.dumps(info, ensure_ascii=False, indent=2))
    return 0


def add_index_commands(sub) -> None:
    """The `index` command group of `hpi` (compiler/tools_cli.py)."""
    group = sub.add_parser("index", help="build, append to, remove from or show a PP-ShiTuV2 / face_recognition "
                                         "vector index (PaddleX's format)",
                           description="PaddleX's vector index for the retrieval bundles (PP-ShiTuV2, "
                                       "face_recognition), in PaddleX's own folder form (vector.index + "
                                       "id_map.yaml). Search it with hpi-run BUNDLE --input IMG --index DIR, or "
                                       "create_pipeline(BUNDLE).predict(IMG, index=DIR). Needs pip install "
                                       "'hpi-aot[retrieval]' (faiss).")
    actions = group.add_subparsers(dest="action", required=True)

    def with_bundle(name, func, help_text):
        s = actions.add_parser(name, help=help_text, description=help_text)
        s.set_defaults(func=func)
        s.add_argument("bundle", help="a PP-ShiTuV2 or face_recognition .hpi bundle (its recognition model embeds "
                                      "the gallery)")
        s.add_argument("--gallery", required=True, metavar="LABELS.txt", help=_GALLERY_HELP)
        s.add_argument("--root", default="", metavar="DIR", help="folder the gallery paths are relative to")
        add_run_args(s, backend_help="give one (default: the bundle's choice)")
        add_trust_args(s)
        return s

    s = with_bundle("build", cmd_build, "embed a gallery with the bundle and save a new index (PaddleX's "
                                        "build_index)")
    s.add_argument("--out", required=True, metavar="DIR", help="folder to save the index into")
    s.add_argument("--metric-type", default="IP", choices=("IP", "L2"),
                   help="IP (inner product of the unit embeddings: cosine, PaddleX's default) or L2")
    s.add_argument("--index-type", default="HNSW32", choices=("HNSW32", "Flat", "IVF"),
                   help="HNSW32 (PaddleX's default; cannot remove), Flat (exact) or IVF (8+ images)")
    s = with_bundle("append", cmd_append, "embed more gallery images into an index (PaddleX's append_index)")
    s.add_argument("--index", required=True, metavar="DIR", help="the index folder to add to")
    s.add_argument("--out", metavar="DIR", help="save the result here (default: over --index)")
    s = actions.add_parser("remove", help="remove entries by id (PaddleX's remove_index; not HNSW32)",
                           description="Remove entries by id (PaddleX's remove_index; an HNSW32 index cannot). "
                                       "`hpi index info DIR` lists the ids.")
    s.set_defaults(func=cmd_remove)
    s.add_argument("--index", required=True, metavar="DIR", help="the index folder")
    s.add_argument("--ids", required=True, nargs="+", metavar="ID",
                   help="ids to remove, or one file of `id ...` lines (PaddleX's form)")
    s.add_argument("--out", metavar="DIR", help="save the result here (default: over --index)")
    s = actions.add_parser("info", help="show an index: size, dimension, metric, index type, id -> label",
                           description="Show an index folder: vectors, dimension, metric, index type and its "
                                       "id -> label map, as JSON.")
    s.set_defaults(func=cmd_info)
    s.add_argument("index", metavar="DIR")


def main(argv=None) -> int:  # for tests: `hpi index ...` without the rest of `hpi`
    from hpi.core.errors import run_cli

    p = argparse.ArgumentParser(prog="hpi")
    add_index_commands(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(argv)
    code = []
    status = run_cli("hpi", lambda: code.append(args.func(args)))
    return status or code[0]
