"""`hpi-run BUNDLE --input PATH...`: run a bundle's pipeline on images.

argparse rather than typer: the runtime stays small and starts fast. Results go to stdout as one JSON
object per line (PaddleX's fields); progress and errors go to stderr as one line each.
Exit codes: 0 all inputs done (or some, with the bad ones reported), 6 every input failed, others per
error class (README.md).
"""

from __future__ import annotations

import argparse
import json
import sys

from hpi.runtime_min.cli_args import add_run_args, add_trust_args, one_backend


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hpi-run",
        description="Run a compiled hpi bundle (.hpi) on images: verifies its signature, picks a backend, "
                    "prints PaddleX-style JSON results.",
        epilog="example: hpi-run ocr.hpi --input photo.jpg scans/ 'shots/*.png' --output out/ --save-vis out/; "
               "retrieval: hpi index build shitu.hpi --gallery labels.txt --out index/, then "
               "hpi-run shitu.hpi --input query.jpg --index index/",
    )
    p.add_argument("bundle", help="the .hpi file made by hpi-compile")
    p.add_argument("--input", "-i", nargs="+", required=True, metavar="PATH",
                   help="image files, folders of images, or glob patterns (time series bundles: CSV files or folders)")
    p.add_argument("--output", "-o", metavar="DIR", help="write one <image>_res.json per image into DIR")
    p.add_argument("--save-vis", metavar="DIR", help="write one <image>_res.png with boxes and texts into DIR")
    p.add_argument("--save-csv", metavar="DIR", help="time series: write one <input>_res.csv per input into DIR "
                                                     "(PaddleX's save_to_csv)")
    p.add_argument("--save-html", metavar="DIR", help="table pipelines, PP-StructureV3: write each table's HTML as "
                                                      "<image>_table_<n>.html into DIR (PaddleX's save_to_html)")
    p.add_argument("--save-xlsx", metavar="DIR", help="table pipelines, PP-StructureV3: write each table as an Excel "
                                                      "workbook <image>_table_<n>.xlsx into DIR (PaddleX's "
                                                      "save_to_xlsx; needs the [xlsx] extra)")
    p.add_argument("--save-markdown", metavar="DIR", help="PP-StructureV3: write each page as <image>.md with its "
                                                          "pictures under DIR/imgs (PaddleX's save_to_markdown)")
    add_run_args(p, backend_help="default: the bundle's choice among those that work here")
    add_trust_args(p)
    p.add_argument("--serial-number", metavar="SERIAL", help="serial number of the license a license-bound bundle "
                                                             "needs (docs/licensing.md)")
    p.add_argument("--update-license", action="store_true", help="activate the serial number online first and "
                                                                 "install the certificate")
    p.add_argument("--license-server", metavar="URL", help="license server (default: $HPI_LICENSE_SERVER)")
    p.add_argument("--quiet", "-q", action="store_true", help="do not print results to stdout")
    p.add_argument("--font-path", metavar="FILE", help="font file (.ttf, .ttc, .otf) --save-vis draws texts with "
                                                       "(default: $HPI_FONT_PATH, else a system font, CJK first)")
    _add_ocr_options(p)
    return p


# PaddleX's per-call OCR parameters (its `predict()` names, dashes for underscores); unset: the bundle's.
_OCR_OPTIONS = (
    ("text_det_limit_side_len", int, "N", "side length limit of the detector's input"),
    ("text_det_limit_type", str, "min|max|resize_long", "min: short side at least N; max: long side at most N"),
    ("text_det_max_side_limit", int, "N", "no side of the detector's input above N"),
    ("text_det_thresh", float, "X", "probability above which a pixel is text"),
    ("text_det_box_thresh", float, "X", "minimum mean probability of a kept box"),
    ("text_det_unclip_ratio", float, "X", "how far boxes are grown"),
    ("text_rec_score_thresh", float, "X", "drop lines whose recognition score is below X"),
)
_OCR_SWITCHES = (
    ("return_word_box", "also give each line's words and their boxes (text_word, text_word_boxes)"),
    ("use_textline_orientation", "turn upside-down text lines (needs the bundle's orientation model)"),
    ("use_doc_orientation_classify", "turn the whole image upright first (needs the bundle's document "
                                     "orientation model)"),
    ("use_doc_unwarping", "unwarp the (turned) image with the bundle's UVDoc model first; false alone "
                          "turns the document preprocessor off, as in PaddleX"),
)


def _true_or_false(text: str) -> bool:
    """PaddleX's CLI spelling of booleans (`--use_textline_orientation False`), any case."""
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _add_ocr_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("OCR parameters", "PaddleX's per-call predict() parameters, same meaning; "
                                                   "default: the bundle's value (shown in each result)")
    for name, kind, metavar, text in _OCR_OPTIONS:
        group.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, metavar=metavar, help=text)
    for name, text in _OCR_SWITCHES:
        group.add_argument("--" + name.replace("_", "-"), dest=name, type=_true_or_false, metavar="true|false",
                           help=text)
    seal = p.add_argument_group("seal_recognition parameters", "PaddleX's names for the seal text detector, "
                                                               "recognizer and layout detection; default: the "
                                                               "bundle's value")
    for name, kind, metavar, text in (*_seal_options(), *_LAYOUT_OPTIONS):
        seal.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, metavar=metavar, help=text)
    table = p.add_argument_group("table_recognition parameters", "PaddleX's per-call table options (its text_det_*, "
                                 "text_rec_score_thresh, use_doc_* and --use-layout-detection above apply too)")
    for name, text in _TABLE_SWITCHES:
        table.add_argument("--" + name.replace("_", "-"), dest=name, type=_true_or_false, metavar="true|false",
                           help=text)
    retrieval = p.add_argument_group("PP-ShiTuV2 / face_recognition parameters", "PaddleX's predict() names; the "
                                     "index is a folder PaddleX or `hpi index build` saved (needs pip install "
                                     "'hpi-aot[retrieval]'); default: the bundle's value")
    for name, kind, metavar, text in _RETRIEVAL_OPTIONS:
        retrieval.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, metavar=metavar, help=text)


# The seal pipeline's layout detection parameters (use_doc_orientation_classify / use_doc_unwarping above
# apply to its document preprocessor too).
_LAYOUT_OPTIONS = (
    ("use_layout_detection", _true_or_false, "true|false", "crop the layout model's seal boxes first (false: "
                                                           "read the whole image)"),
    ("layout_threshold", float, "X", "layout boxes scoring above X are kept"),
    ("layout_nms", _true_or_false, "true|false", "layout NMS (true turns it on; false keeps the bundle's)"),
    ("layout_unclip_ratio", float, "X", "scale each layout box by X about its centre"),
    ("layout_merge_bboxes_mode", str, "union|large|small", "large: drop boxes inside another; small: drop "
                                                           "boxes holding another"),
)


_RETRIEVAL_OPTIONS = (
    ("index", str, "DIR", "the vector index to search (required by these bundles; see `hpi index --help`)"),
    ("det_threshold", float, "X", "detection boxes scoring above X are kept"),
    ("rec_threshold", float, "X", "a box whose best match scores below X is unlabelled"),
    ("rec_topk", int, "N", "labels and scores of the N best matches per box"),
)


_TABLE_SWITCHES = (
    ("use_ocr_model", "read the page with the bundle's OCR (only true: hpi takes no OCR results from elsewhere)"),
    ("use_ocr_results_with_table_cells", "read each cell's crop with the OCR instead of matching the page's lines"),
    ("cell_sort_by_y_projection", "order a cell's lines by rows (vertical overlap), each row left to right"),
)


def _seal_options() -> list[tuple]:
    from hpi.runtime_min.pipelines.call_params import SEAL_TO_OCR

    ocr = {name: rest for name, *rest in _OCR_OPTIONS}
    return [(seal, *ocr[text]) for seal, text in SEAL_TO_OCR.items()]


def _ocr_params(args) -> dict:
    """The per-call parameters given on the command line (PaddleX's names)."""
    names = [name for name, *_ in (*_OCR_OPTIONS, *_OCR_SWITCHES, *_seal_options(), *_LAYOUT_OPTIONS,
                                   *_TABLE_SWITCHES, *_RETRIEVAL_OPTIONS)]
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _err(message: str) -> None:
    print(f"hpi-run: {message}", file=sys.stderr)


def _run(args) -> None:
    from hpi.runtime_min.api import open_bundle
    from hpi.core.errors import InputError
    from hpi.runtime_min.targets import TARGETS

    pipeline = open_bundle(args.bundle, backend=one_backend(args, "hpi-run"), device=args.device,
                           trusted_keys=args.trusted_key, allow_unsigned=args.allow_unsigned, num_threads=args.threads,
                           serial_number=args.serial_number, update_license=args.update_license,
                           license_server=args.license_server, font_path=args.font_path)
    for note in pipeline.notes:
        _err(f"not using {note}")
    models = ", ".join(f"{role}: {d['backend']} {d['precision']}" for role, d in pipeline.describe().items())
    _err(f"{args.bundle}: {pipeline.bundle.contents.pipeline.name} on {pipeline.target} ({models})")
    order = pipeline.bundle.contents.backend_preference.get(pipeline.target) or TARGETS[pipeline.target].backends
    _err(f"backend {pipeline.backend}: " + ("as asked (--backend)" if one_backend(args, "hpi-run") else
                                           f"the first of {pipeline.target}'s order ({' > '.join(order)}) that runs here"))
    from hpi.runtime_min.versions import version_note

    if note := version_note(pipeline.bundle.manifest):
        _err(note)
    pipeline.fonts.notify = _err
    if args.save_vis:
        pipeline.fonts.check()  # a bad --font-path or $HPI_FONT_PATH stops the run before the first image
    if args.save_xlsx:
        from hpi.runtime_min.ops.xlsx import require_xlsx

        require_xlsx()  # a missing [xlsx] extra stops the run before the first image
    skipped = []

    def skip(item, exc):
        skipped.append(item)
        _err(f"skipped {exc}")

    done = 0
    for result in pipeline.predict(args.input, on_error=skip, **_ocr_params(args)):
        done += 1
        if not args.quiet:
            print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        if args.output:
            result.save_to_json(args.output)
        if args.save_vis:
            result.save_to_img(args.save_vis)
        if args.save_csv:
            result.save_to_csv(args.save_csv)
        if args.save_html:
            result.save_to_html(args.save_html)
        if args.save_xlsx:
            result.save_to_xlsx(args.save_xlsx)
        if args.save_markdown:
            result.save_to_markdown(args.save_markdown)
    if skipped and done:
        _err(f"{done} input(s) done, {len(skipped)} failed")
    elif skipped:
        raise InputError(f"all {len(skipped)} input(s) failed")


def main(argv: list[str] | None = None) -> int:
    from hpi.core.errors import run_cli

    args = _parser().parse_args(argv)
    return run_cli("hpi-run", lambda: _run(args))


if __name__ == "__main__":
    sys.exit(main())
