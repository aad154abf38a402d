"""Test-only: a Python process started with this folder on PYTHONPATH reads its fingerprint from the
fake machine at $HPI_TEST_MACHINE_ROOT (a folder made by license_helpers.make_machine).

Not part of hpi: the installed program honours no switch that moves where the fingerprint is read.
"""

import os

if os.environ.get("HPI_TEST_MACHINE_ROOT"):
    from pathlib import Path

    from hpi.licensing import fingerprint

    fingerprint.ROOT = Path(os.environ["HPI_TEST_MACHINE_ROOT"])
