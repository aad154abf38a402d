import pytest

from hpi.licensing.serials import ALPHABET, new_serial, normalize_serial
from hpi.core.errors import UnknownSerial
from license_helpers import private_folders  # noqa: F401 (fixtures)


def test_new_serials_are_unique_grouped_and_valid():
    serials = {new_serial() for _ in range(500)}
    assert len(serials) == 500
    for serial in serials:
        assert [len(g) for g in serial.split("-")] == [5, 5, 5, 5]
        assert normalize_serial(serial) == serial


def test_typed_variants_normalize_to_one_spelling():
    serial = new_serial()
    typed = serial.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalize_serial(typed) == serial


def test_every_single_substitution_is_caught():
    serial = new_serial()
    compact = serial.replace("-", "")
    for i, char in enumerate(compact):
        for other in ALPHABET:
            if other != char:
                with pytest.raises(UnknownSerial, match="mistyped"):
                    normalize_serial(compact[:i] + other + compact[i + 1:])


def test_malformed_serials_say_what_a_serial_looks_like():
    with pytest.raises(UnknownSerial, match="20 characters"):
        normalize_serial("ABC")
    with pytest.raises(UnknownSerial, match="found 'U'"):
        normalize_serial("UUUUU-UUUUU-UUUUU-UUUUU")
