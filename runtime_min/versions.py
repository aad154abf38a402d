"""The libraries pre/post-processing results depend on, and a one-line note when this machine's differ.

Resizes, warps and polygon offsets are computed by OpenCV, numpy and pyclipper: another version can
change a recognised text (OpenCV 5.0 against PaddleX's 4.10 changes PP-OCRv4 texts on 3 of 31 real
images). The compiler records the versions it verified with in the manifest (`created_by.verified_with`);
`hpi-run` and `hpi verify --self-test` compare them with this machine's.
"""

from __future__ import annotations

# import name → what to tell pip; the versions pyproject.toml pins are the ones verified.
LIBRARIES = {"cv2": "opencv-python-headless", "numpy": "numpy", "pyclipper": "pyclipper"}


def library_versions() -> dict[str, str]:
    """This machine's versions, by pip name (module `__version__`: no slow package-metadata scan)."""
    import importlib

    found = {}
    for module, name in LIBRARIES.items():
        try:
            found[name] = importlib.import_module(module).__version__
        except ImportError:
            found[name] = "missing"
    return found


def version_note(manifest: dict) -> str | None:
    """None when this machine has the versions the bundle was verified with, else one line saying which differ."""
    verified = (manifest.get("created_by") or {}).get("verified_with")
    if not verified:
        return None
    here = library_versions()
    differ = [f"{name} {here.get(name, 'missing')} (verified: {version})"
              for name, version in sorted(verified.items()) if here.get(name) != version]
    if not differ:
        return None
    return ("this machine has " + ", ".join(differ) + ": results may differ from PaddleX's; install the "
            "verified versions (pip install 'hpi-aot[openvino]' pins them)")
