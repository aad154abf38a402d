"""The compile cache: hits only on identical inputs, survives damage and concurrent compiles."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml

from conftest import BIN, OCR_IMAGES, compile_cli

pytestmark = pytest.mark.slow


@pytest.fixture
def model_dir(models_dir, tmp_path):
    """The real PP-LCNet_x0_25_textline_ori: the smallest model at hand (2 MB, ten compiles here)."""
    target = tmp_path / "model"
    shutil.copytree(models_dir / "PP-LCNet_x0_25_textline_ori", target)
    return target


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HPI_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _compile(source, out, *extra) -> dict:
    report = out.with_suffix(".json")
    assert compile_cli(source, "--output", out, "--quiet", "--report", report, *extra) == 0
    return json.loads(report.read_text())["cache"]


def test_hit_only_when_nothing_changed(model_dir, cache_dir, tmp_path):
    assert _compile(model_dir, tmp_path / "a.hpi") == {"image_classification": "miss"}
    assert _compile(model_dir, tmp_path / "b.hpi") == {"image_classification": "hit"}
    assert (tmp_path / "a.hpi").read_bytes() == (tmp_path / "b.hpi").read_bytes()

    config = yaml.safe_load((model_dir / "inference.yml").read_text(encoding="utf-8"))
    config["Hpi"]["backend_configs"]["tensorrt"]["dynamic_shapes"]["x"][2] = [4, 3, 48, 192]
    (model_dir / "inference.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert _compile(model_dir, tmp_path / "c.hpi") == {"image_classification": "miss"}  # changed input
    if OCR_IMAGES:
        assert _compile(model_dir, tmp_path / "d.hpi", "-c", OCR_IMAGES[0]) == {"image_classification": "miss"}  # option
    assert _compile(model_dir, tmp_path / "e.hpi", "--no-cache") == {}


def test_damaged_entry_is_a_miss_and_is_replaced(model_dir, cache_dir, tmp_path):
    _compile(model_dir, tmp_path / "a.hpi")
    (entry,) = [p for p in cache_dir.iterdir() if not p.name.startswith(".")]
    biggest = max(entry.glob("*.bin"), key=lambda p: p.stat().st_size)
    data = bytearray(biggest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    biggest.write_bytes(data)
    assert _compile(model_dir, tmp_path / "b.hpi") == {"image_classification": "miss"}
    assert (tmp_path / "a.hpi").read_bytes() == (tmp_path / "b.hpi").read_bytes()
    assert _compile(model_dir, tmp_path / "c.hpi") == {"image_classification": "hit"}


def test_two_concurrent_compiles_share_the_cache_safely(model_dir, cache_dir, tmp_path):
    procs = [subprocess.Popen([str(BIN / "hpi-compile"), str(model_dir), "--output", str(tmp_path / f"{i}.hpi"),
                               "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    for proc in procs:
        assert proc.wait() == 0, proc.stderr.read()
    assert (tmp_path / "0.hpi").read_bytes() == (tmp_path / "1.hpi").read_bytes()
    entries = [p.name for p in cache_dir.iterdir()]
    assert len(entries) == 1 and not entries[0].startswith(".")
    assert _compile(model_dir, tmp_path / "again.hpi") == {"image_classification": "hit"}


def test_cache_info_and_prune(model_dir, cache_dir, tmp_path, capsys):
    from hpi.compiler.tools_cli import main as hpi

    _compile(model_dir, tmp_path / "a.hpi")
    capsys.readouterr()
    assert hpi(["cache", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["entries"] == 1 and info["bytes"] > 1_000_000 and info["root"] == str(cache_dir)
    assert hpi(["cache", "prune", "--all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == 0
