"""runtime_min/ops/vector_index.py alone, on seeded random unit vectors (no models): PaddleX's FaissBuilder /
FaissIndexer semantics (ids, thresholds, top-k, remove, append) and its folder form; the parity with PaddleX's own
index code and files is tests/recipes/test_parity_retrieval.py's."""

from __future__ import annotations

import numpy as np
import pytest

faiss = pytest.importorskip("faiss", reason="the retrieval extra (faiss-cpu) is not installed")

from hpi.core.errors import UsageError  # noqa: E402
from hpi.runtime_min.ops.vector_index import VectorIndex  # noqa: E402


def _unit(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("index_type", ["Flat", "IVF", "HNSW32"])
def test_build_search_save_load(tmp_path, index_type):
    gallery = _unit(16)
    labels = [f"item{i % 5}" for i in range(16)]
    index = VectorIndex.build(gallery, labels, metric_type="IP", index_type=index_type)
    assert len(index) == 16 and index.id_map == dict(enumerate(labels))
    queries = np.concatenate([gallery[[3, 7]], -gallery[:1]])  # two gallery items, then one that matches none
    (a, b, far) = index.search(queries, score_thres=0.999, hamming_radius=None, topk=3)
    assert a["label"][0] == "item3" and abs(a["score"][0] - 1) < 1e-5 and len(a["label"]) == 3
    assert b["label"][0] == "item2"
    assert far == {"score": None, "label": None}
    saved = index.save(tmp_path / "index")
    assert sorted(p.name for p in saved.iterdir()) == ["id_map.yaml", "vector.index"]
    again = VectorIndex.load(saved)
    assert again.id_map == index.id_map and (again.metric_type, again.index_type) == ("IP", index_type)
    assert again.search(queries, 0.999, None, 3) == index.search(queries, 0.999, None, 3)


def test_append_and_remove_keep_paddlex_ids(tmp_path):
    index = VectorIndex.build(_unit(4), list("abcd"), index_type="Flat")
    index.remove([1, 2]).append(_unit(2, seed=1), ["e", "f"])
    assert index.id_map == {0: "a", 3: "d", 4: "e", 5: "f"}  # new ids after the largest, as FaissBuilder
    (ids_file := tmp_path / "remove.txt").write_text("4 e\n0 a\n", encoding="utf-8")
    index.remove(ids_file)
    assert index.id_map == {3: "d", 5: "f"} and len(index) == 2
    (hit,) = index.search(_unit(2, seed=1)[1:], score_thres=0.9, hamming_radius=None, topk=5)
    assert hit["label"] == ["f", "d"]  # only the two that are left, no -1 ids


def test_refusals(tmp_path):
    with pytest.raises(UsageError, match="cannot remove"):
        VectorIndex.build(_unit(4), list("abcd")).remove([0])  # HNSW32, PaddleX's default
    with pytest.raises(UsageError, match="hamming"):
        VectorIndex.build(_unit(4), list("abcd"), metric_type="hamming", index_type="Flat")
    with pytest.raises(UsageError, match="index_type"):
        VectorIndex.build(_unit(4), list("abcd"), index_type="PQ")
    with pytest.raises(UsageError, match="4 image"):
        VectorIndex.build(_unit(4), list("abc"))
    with pytest.raises(UsageError, match="no vector.index"):
        VectorIndex.load(tmp_path)
    index = VectorIndex.build(_unit(4), list("abcd"), index_type="Flat")
    index.save(tmp_path / "i")
    (tmp_path / "i" / "id_map.yaml").write_text("id_map: {0: a}\nindex_type: Flat\nmetric_type: IP\n")
    with pytest.raises(UsageError, match="4 vectors but id_map.yaml 1"):
        VectorIndex.load(tmp_path / "i")
