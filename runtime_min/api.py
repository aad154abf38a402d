"""The Python API: open a bundle, predict on paths or arrays.

    from hpi.runtime_min import open_bundle
    ocr = open_bundle("ocr.hpi")
    for result in ocr.predict("images/", on_error="skip", text_det_thresh=0.4):
        print(result.to_dict()["rec_texts"])
        result.save_to_img("out/")
"""

from __future__ import annotations

import glob
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from hpi.runtime_min import backends, pipelines
from hpi.core.bundle_format import Bundle
from hpi.core.errors import BackendUnavailable, InputError, UsageError
from hpi.runtime_min.models import Choice, RunOptions, choices, load_model
from hpi.runtime_min.result import Result
from hpi.runtime_min.targets import TARGETS

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def expand_inputs(inputs, suffixes=IMAGE_SUFFIXES) -> list:
    """Files, folders (their files with `suffixes`: images, sorted), globs and arrays, in the order given.

    A path that matches nothing stays in the list so that predicting on it reports it.
    """
    if isinstance(inputs, (str, os.PathLike, np.ndarray)):
        inputs = [inputs]
    items = []
    for item in inputs:
        if isinstance(item, np.ndarray):
            items.append(item)
            continue
        path = Path(item)
        if path.is_dir():
            items += sorted(str(p) for p in path.iterdir() if p.suffix.lower() in suffixes)
        elif not path.exists() and glob.has_magic(str(item)):
            items += sorted(glob.glob(str(item))) or [str(item)]
        else:
            items.append(str(item))
    return items


class Pipeline:
    """A bundle opened for inference: verified, target and backend chosen, models loaded.

    The first (target, backend) of `models.choices` that loads wins; one that fails to load (e.g. CUDA
    cannot start) is passed over like one that is not installed, and `notes` says why for each.
    """

    def __init__(self, bundle: Bundle, options: RunOptions = RunOptions(), font_path=None):
        from hpi.runtime_min.pipelines.fonts import FontChooser

        self.bundle = bundle
        self.options = options
        self.fonts = FontChooser(font_path)
        if font_path:
            self.fonts.check()  # a font the caller named must be usable: say so now, not at the first picture
        pipeline = bundle.contents.pipeline
        failed = []
        for choice in choices(bundle, options):
            try:
                self.models = _load_models(bundle, choice, options)
            except BackendUnavailable as exc:
                failed.append(f"{choice.backend} on {choice.target}: {exc}")
                continue
            self.backend, self.target, self.notes = choice.backend, choice.target, list(choice.skipped) + failed
            break
        else:
            raise BackendUnavailable("no backend here could load this bundle: " + "; ".join(failed))
        self._runner = pipelines.build(pipeline.name, self.models, pipeline.params)

    def close(self) -> None:
        """Release every model's session now (GPU memory, engines); the pipeline is unusable after."""
        for model in getattr(self, "models", {}).values():
            model.close()
        self.models = {}

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> dict:
        """Which target, backend and precision each model runs with."""
        return {role: {"target": m.target, "backend": m.backend, "precision": m.precision}
                for role, m in self.models.items()}

    def predict_one(self, item, **params) -> Result:
        """One input's result; InputError (exit code 6) when it is not a usable image.

        `params`: PaddleX's per-call parameters, as for `predict`."""
        return self._predict_item(item, self._runner_with(params))

    def build_index(self, gallery_imgs, gallery_label, metric_type="IP", index_type="HNSW32", **kwargs):
        """Retrieval bundles (PP-ShiTuV2, face_recognition): PaddleX's build_index. `gallery_imgs` a list of
        images with `gallery_label` a list of labels, or a root folder with a label file of `path label` lines;
        metric_type IP / L2 / hamming, index_type HNSW32 / Flat / IVF. Returns the index (`.save(DIR)`)."""
        return self._index_op("build_index")(gallery_imgs, gallery_label, metric_type, index_type)

    def append_index(self, gallery_imgs, gallery_label, index):
        """PaddleX's append_index: the gallery embedded and added to `index` (a folder or a built index)."""
        return self._index_op("append_index")(gallery_imgs, gallery_label, index)

    def remove_index(self, remove_ids, index):
        """PaddleX's remove_index: drop ids (a list, or a file of `id ...` lines) from `index` (not HNSW32)."""
        return self._index_op("remove_index")(remove_ids, index)

    def _index_op(self, name: str):
        op = getattr(self._runner, name, None)
        if op is None:
            raise UsageError(f"{name}: this bundle's {self.bundle.contents.pipeline.name} pipeline has no vector "
                             "index (only PP-ShiTuV2 and face_recognition bundles do)")
        return op

    def predict(self, inputs, *, on_error="raise", **params) -> Iterator[Result]:
        """Results one by one, like PaddleX's `predict`: paths, folders (their images, sorted), globs or
        BGR arrays.

        on_error: what a bad input (not an image, corrupt, missing) does:
          "raise" (default, as PaddleX): InputError, which ends the iteration;
          "skip": one stderr line `hpi: skipped a.jpg: not an image (...)`, then the next input;
          a callable `f(input, error)`: called with the input as given and the InputError, then the
          next input (collect them, log them, or raise to stop).
        params: PaddleX's per-call OCR parameters, same names and meaning as PaddleX 3.7.2's OCR
          `predict` (None or left out: the bundle's value): use_doc_orientation_classify,
          use_doc_unwarping (True needs the bundle's UVDoc model), use_textline_orientation,
          text_det_limit_side_len, text_det_limit_type, text_det_max_side_limit, text_det_thresh,
          text_det_box_thresh, text_det_unclip_ratio, text_rec_score_thresh, return_word_box. The
          results' `model_settings` and `text_det_params` show the values used. seal_recognition takes
          PaddleX's seal_det_* and seal_rec_score_thresh; table_recognition its use_layout_detection,
          use_ocr_results_with_table_cells and cell_sort_by_y_projection (call_params.split_table; no
          text_det_max_side_limit, as PaddleX's table predict). An unknown name, a bad value, or any
          parameter for a pipeline that takes none, is a UsageError, raised here (before the first
          result).
        """
        report = _error_handler(on_error)
        runner = self._runner_with(params)
        return self._results(expand_inputs(inputs, getattr(runner, "input_suffixes", IMAGE_SUFFIXES)), runner, report)

    def _results(self, items, runner, report) -> Iterator[Result]:
        for item in items:
            try:
                result = self._predict_item(item, runner)
            except InputError as exc:
                if report is None:
                    raise
                report(item, exc)
                continue
            yield result

    def _predict_item(self, item, runner) -> Result:
        from hpi.runtime_min.ops.image_io import ImageReadError, read_image

        path = None if isinstance(item, np.ndarray) else str(item)
        if hasattr(runner, "read_input"):  # a runner whose inputs are not images (time series: CSV files)
            try:
                data = runner.read_input(item)
            except FileNotFoundError:
                raise InputError(f"{path}: not found") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
            return Result(path, runner.predict_one(data), data, runner, self.fonts)
        try:
            image = read_image(item)
        except ImageReadError as exc:
            raise InputError(f"{path}: {exc.reason}") from None
        except FileNotFoundError:
            raise InputError(f"{path}: not found") from None
        except OSError as exc:
            raise InputError(f"{path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise InputError(f"{path or 'array input'}: {exc}") from None
        return Result(path, runner.predict_one(image), image, runner, self.fonts)

    def _runner_with(self, params: dict):
        """The pipeline runner with per-call parameters applied; UsageError for ones it does not take."""
        if not params:
            return self._runner
        name = self.bundle.contents.pipeline.name
        if not hasattr(self._runner, "with_params"):
            raise UsageError(f"predict parameter(s) {', '.join(sorted(params))} not accepted: this bundle's "
                             f"{name} pipeline takes no per-call parameters (PaddleX's OCR names apply to OCR bundles)")
        return self._runner.with_params(**params)


def _error_handler(on_error):
    """None to raise, else a callable(input, InputError)."""
    if callable(on_error):
        return on_error
    if on_error == "raise":
        return None
    if on_error == "skip":
        return lambda item, exc: print(f"hpi: skipped {exc}", file=sys.stderr)
    raise UsageError(f"on_error={on_error!r}: expected 'raise', 'skip' or a callable f(input, error)")


def _load_models(bundle: Bundle, choice: Choice, options: RunOptions) -> dict:
    """Every model of the pipeline. On CPU side by side: backends compile (or read their compiled cache)
    without holding the GIL, so two models load in about the time of the slower one, and the pipeline's
    own imports (OpenCV) overlap them (cold start figures: docs/performance.md). GPU backends load one
    after the other: their start (CUDA, engine deserialization) has not been measured side by side."""
    pipeline = bundle.contents.pipeline
    roles = pipeline.models
    if len(roles) == 1 or TARGETS[choice.target].is_gpu:
        return {role: load_model(bundle, key, choice, options) for role, key in roles.items()}
    backends.get(choice.backend).require()  # import the library here once, not in two threads at a time
    with ThreadPoolExecutor(len(roles), thread_name_prefix="hpi-load") as pool:
        loading = {role: pool.submit(load_model, bundle, key, choice, options) for role, key in roles.items()}
        pipelines.prepare(pipeline.name)
        return {role: future.result() for role, future in loading.items()}


def open_bundle(path, *, backend: str | None = None, device: str = "auto", trusted_keys: Iterable = (),
                allow_unsigned: bool = False, num_threads: int | None = None, serial_number: str | None = None,
                update_license: bool = False, license_server: str | None = None, font_path=None) -> Pipeline:
    """Open and verify a bundle. Trusted keys: `trusted_keys`, $HPI_TRUSTED_KEYS, the config folder.

    `device`: "auto" (the bundle's GPU target when a GPU backend works here, else cpu), "cpu" or "gpu".

    `font_path`: the font file `save_to_img` draws recognized texts with (UsageError now if Pillow
    cannot read it); default $HPI_FONT_PATH, else a system font (CJK ones first), else Pillow's own
    (Latin only). Texts a font cannot draw are left out of the picture and one stderr line says why.

    A license-bound bundle needs a valid certificate for its product on this machine; with
    `serial_number` and `update_license` it is fetched from the license server first (as PaddleX's
    `--serial_number X --update_license`). Encrypted artifacts are decrypted in memory only.
    """
    from hpi.core.signing import TrustStore

    trust = TrustStore.default([Path(p) for p in trusted_keys])
    bundle = Bundle.open(path, trust=trust if len(trust) else None, allow_unsigned=allow_unsigned)
    key = content_key(bundle, serial_number, update_license, license_server)
    return Pipeline(bundle, RunOptions(backend, device, num_threads, key), font_path)


def content_key(bundle: Bundle, serial_number=None, update_license=False, license_server=None) -> bytes | None:
    """Checks the license a bundle requires (LicenseError if absent); returns the key of an encrypted one."""
    if bundle.contents.license is None:
        return None
    from hpi.licensing.bundle_keys import bundle_key

    return bundle_key(bundle.manifest, serial_number=serial_number, update_license=update_license,
                      server_url=license_server)
