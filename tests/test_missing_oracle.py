"""A test that needs the PaddleX oracle or ../shared/testdata skips without them on a developer's machine and
fails in CI (`CI` set, as .ci/run sets it): a parity test that skips in CI would pass without checking."""

from __future__ import annotations

import pytest

import conftest


def test_missing_skips_outside_ci(monkeypatch):
    monkeypatch.setattr(conftest, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="oracle env missing"):
        conftest.missing(conftest.ORACLE_MISSING)


def test_missing_fails_in_ci(monkeypatch):
    monkeypatch.setattr(conftest, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="oracle env missing.*CI is set"):
        conftest.missing(conftest.ORACLE_MISSING)


def test_the_needs_mark_goes_through_missing(monkeypatch):
    monkeypatch.setattr(conftest, "IN_CI", True)

    class Item:
        def iter_markers(self, name):
            return [conftest.needs(False, "shared test images not found at /nowhere").mark] if name == "needs" else []

    with pytest.raises(pytest.fail.Exception, match="/nowhere"):
        conftest.pytest_runtest_setup(Item())
    conftest.pytest_runtest_setup(type("Ok", (), {"iter_markers": lambda self, name: [conftest.needs(True, "x").mark]})())


def test_ci_run_sets_ci():
    assert 'export CI="${CI:-true}"' in (conftest.REPO / ".ci" / "run").read_text(encoding="utf-8")
