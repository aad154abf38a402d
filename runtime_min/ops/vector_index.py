"""PaddleX 3.7.2's vector index for its retrieval pipelines (pipelines/components/faisser.py: IndexData,
FaissBuilder, FaissIndexer), on faiss as PaddleX does, in PaddleX's own on-disk form, so an index either side
builds loads on the other: a folder with

* `vector.index`: faiss.write_index of an IndexIDMap2 around `index_factory(dim, type, metric)`
  (faiss.write_index_binary of a binary index for the `hamming` metric);
* `id_map.yaml`: {id_map: {int id: label}, index_type, metric_type} as PyYAML dumps it (PaddleX's YAMLWriter,
  default_flow_style False, allow_unicode).

PaddleX's quirks kept: ids count on from the largest one in the map; IVF becomes `IVF<n // 8>,Flat`; HNSW32
cannot remove; a query whose best score is below `score_thres` (IP and L2 alike) or, for hamming, above
`hamming_radius`, has no match ({"score": None, "label": None}). PaddleX's pickled `to_bytes` form is not read
(the runtime never unpickles). faiss comes with the `retrieval` extra, imported when an index is first used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hpi.core.errors import BackendUnavailable, UsageError

METRIC_TYPES = ("hamming", "IP", "L2")
INDEX_TYPES = ("Flat", "IVF", "HNSW32")
BINARY_METRIC_TYPES = ("hamming",)  # searched when loaded (faiss binary index); not built, see build
VECTOR_FILE, ID_MAP_FILE = "vector.index", "id_map.yaml"


def faiss():
    """The faiss module; BackendUnavailable with the install command when it is missing."""
    try:
        import faiss as module
    except ImportError:
        raise BackendUnavailable("the retrieval pipelines' vector index needs faiss (the library PaddleX uses): "
                                 "pip install 'hpi-aot[retrieval]'") from None
    return module


def _factory_string(metric_type: str, index_type: str, num: int) -> str:
    """FaissBuilder._get_index_type for float indexes: IVF gets n // 8 lists (IVF0, which faiss refuses, below
    8 gallery images, as in PaddleX)."""
    return f"IVF{min(int(num // 8), 65536)},Flat" if index_type == "IVF" else index_type


def _metric(metric_type: str) -> int:
    f = faiss()
    return {"IP": f.METRIC_INNER_PRODUCT, "L2": f.METRIC_L2}[metric_type]


def _features(features, metric_type: str) -> np.ndarray:
    """[N, D] features as PaddleX casts them (uint8 for hamming, else float32); each may be [D] or [1, D]."""
    array = np.array([np.asarray(f).reshape(-1) for f in features])
    return array.astype(np.uint8 if metric_type in BINARY_METRIC_TYPES else np.float32)


def _labels(labels, features) -> list[str]:
    labels = [str(label) for label in labels]
    if len(labels) != len(features):
        raise UsageError(f"the gallery has {len(features)} image(s) but {len(labels)} label(s); give one label each")
    return labels


class VectorIndex:
    """PaddleX's IndexData: a faiss index, its id → label map, metric and index type."""

    def __init__(self, index, id_map: dict[int, str], metric_type: str, index_type: str):
        if metric_type not in METRIC_TYPES:
            raise UsageError(f"metric_type {metric_type!r}: PaddleX's index takes {', '.join(METRIC_TYPES)}")
        self.index, self.id_map, self.metric_type, self.index_type = index, id_map, metric_type, index_type

    @property
    def binary(self) -> bool:
        return self.metric_type in BINARY_METRIC_TYPES

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, features, labels, metric_type: str = "IP", index_type: str = "HNSW32") -> "VectorIndex":
        """FaissBuilder.build from the gallery's embeddings and labels."""
        if index_type not in INDEX_TYPES:
            raise UsageError(f"index_type {index_type!r}: PaddleX's index takes {', '.join(INDEX_TYPES)}")
        if metric_type not in METRIC_TYPES:
            raise UsageError(f"metric_type {metric_type!r}: PaddleX's index takes {', '.join(METRIC_TYPES)}")
        if metric_type in BINARY_METRIC_TYPES:
            # PaddleX 3.7.2 lists it, but its build fails there (faiss has no METRIC_Hamming, and
            # index_binary_factory takes no metric), and these models give float embeddings, not binary codes.
            raise UsageError(f"metric_type {metric_type!r}: building a binary (hamming) index is not supported "
                             "(PaddleX 3.7.2's fails too; the embeddings are floats); use 'IP' or 'L2'")
        f = faiss()
        array = _features(features, metric_type)
        labels = _labels(labels, array)
        if len(array) == 0:
            raise UsageError("the gallery is empty; give at least one image and label")
        num, dim = array.shape
        index = f.IndexIDMap2(f.index_factory(dim, _factory_string(metric_type, index_type, num),
                                              _metric(metric_type)))
        made = cls(index, {}, metric_type, index_type)
        made._add(array, labels, new=True)
        return made

    def append(self, features, labels) -> "VectorIndex":
        """FaissBuilder.append: new entries under ids after the largest one; in place, returns self."""
        array = _features(features, self.metric_type)
        self._add(array, _labels(labels, array), new=False)
        return self

    def remove(self, ids) -> "VectorIndex":
        """FaissBuilder.remove: drop these ids (a list, or PaddleX's file of lines `id ...`); in place."""
        if self.index_type == "HNSW32":
            raise UsageError("an HNSW32 index cannot remove entries (as PaddleX's); build it with index_type "
                             "'Flat' or 'IVF' to remove")
        if isinstance(ids, (str, Path)):
            lines = Path(ids).read_text(encoding="utf-8").splitlines()
            ids = [int(line.strip().split(" ")[0]) for line in lines if line.strip()]
        ids = np.asarray(ids, dtype=np.int64)
        self.index.remove_ids(ids)
        self.id_map = {k: v for k, v in self.id_map.items() if k not in set(ids.tolist())}
        return self

    def _add(self, array: np.ndarray, labels: list[str], new: bool) -> None:
        """FaissBuilder._add_gallery: train a new index, then `add_with_ids` (PaddleX does not append to a
        binary index: its ids are only recorded)."""
        start = max(self.id_map) + 1 if self.id_map else 0
        ids = (np.arange(len(labels)) + start).astype(np.int64)
        if new:
            self.index.train(array)
        if not self.binary:
            self.index.add_with_ids(array, ids)
        for i, label in zip(ids.tolist(), labels):
            self.id_map[int(i)] = label

    def search(self, features, score_thres: float, hamming_radius, topk: int) -> list[dict]:
        """FaissIndexer.__call__: per feature {"score": [...], "label": [...]} of the top-k entries, or
        {"score": None, "label": None} when the best one misses the threshold."""
        scores_list, ids_list = self.index.search(_features(features, self.metric_type), int(topk))
        preds = []
        for scores, ids in zip(scores_list, ids_list):
            preds.append({"score": [s for s, i in zip(scores, ids) if i >= 0],
                          "label": [self.id_map[int(i)] for i in ids if i >= 0]})
        if self.binary:
            misses = np.where(scores_list[:, 0] > hamming_radius)[0]
        else:
            misses = np.where(scores_list[:, 0] < score_thres)[0]
        for i in misses:
            preds[i] = {"score": None, "label": None}
        return preds

    def save(self, save_dir) -> Path:
        """IndexData.save: `vector.index` and `id_map.yaml` into `save_dir` (made if missing)."""
        import yaml

        f, target = faiss(), Path(save_dir)
        target.mkdir(parents=True, exist_ok=True)
        (f.write_index_binary if self.binary else f.write_index)(self.index, str(target / VECTOR_FILE))
        info = {"index_type": self.index_type, "metric_type": self.metric_type,
                "id_map": {int(k): str(v) for k, v in self.id_map.items()}}
        with open(target / ID_MAP_FILE, "w", encoding="utf-8") as out:
            yaml.dump(info, out, default_flow_style=False, allow_unicode=True)
        return target

    @classmethod
    def load(cls, index_dir) -> "VectorIndex":
        """IndexData.load of a folder PaddleX (or hpi) saved; UsageError naming what is missing or wrong."""
        import yaml

        root = Path(index_dir)
        vector, id_map = root / VECTOR_FILE, root / ID_MAP_FILE
        for path in (vector, id_map):
            if not path.is_file():
                raise UsageError(f"index {root}: no {path.name} there; give a folder saved by build_index / "
                                 "hpi index build (or PaddleX's IndexData.save)")
        info = yaml.safe_load(id_map.read_text(encoding="utf-8")) or {}
        if not isinstance(info, dict) or not {"id_map", "metric_type", "index_type"} <= set(info):
            raise UsageError(f"index {id_map}: needs id_map, metric_type and index_type (the file may be damaged)")
        f = faiss()
        binary = info["metric_type"] in BINARY_METRIC_TYPES
        index = (f.read_index_binary if binary else f.read_index)(str(vector))
        ids = {int(k): str(v) for k, v in (info["id_map"] or {}).items()}
        if index.ntotal != len(ids):
            raise UsageError(f"index {root}: {VECTOR_FILE} holds {index.ntotal} vectors but {ID_MAP_FILE} "
                             f"{len(ids)} labels; rebuild it")
        return cls(index, ids, info["metric_type"], info["index_type"])


def as_index(index) -> VectorIndex:
    """A VectorIndex, or one loaded from a folder path."""
    if isinstance(index, VectorIndex):
        return index
    if isinstance(index, (str, Path)):
        return VectorIndex.load(index)
    raise UsageError(f"index must be an index folder or a built index (build_index), got {type(index).__name__}")
