"""The pre/post-processing library versions: recorded at compile time, one line when they differ here."""

from __future__ import annotations

import cv2

from hpi.runtime_min.versions import library_versions, version_note


def test_same_versions_say_nothing():
    assert version_note({"created_by": {"verified_with": library_versions()}}) is None
    assert version_note({"created_by": {}}) is None  # bundles from before the versions were recorded


def test_a_different_opencv_is_one_line_naming_both_versions():
    verified = {**library_versions(), "opencv-python-headless": "5.0.0"}
    note = version_note({"created_by": {"verified_with": verified}})
    assert note.count("\n") == 0
    assert f"opencv-python-headless {cv2.__version__} (verified: 5.0.0)" in note and "numpy" not in note


def test_the_ocr_bundle_records_this_machines_versions(ocr_bundle):
    from hpi.core.signing import TrustStore
    from hpi.core.bundle_format import Bundle

    manifest = Bundle.open(ocr_bundle, trust=TrustStore.default()).manifest
    assert manifest["created_by"]["verified_with"] == library_versions()
