"""Serial numbers people can read over the phone and type without mistakes going unnoticed.

A serial is 20 characters of Crockford's base32 (digits and letters without I, L, O, U, so nothing
looks like anything else), shown in four groups of five: `7K3QD-M2X9A-RT4HV-0CJ8P`. Nineteen are random
(95 bits: guessing a valid serial is hopeless even at the server's rate limit) and the last is a Luhn
mod 32 check character, which catches every single mistyped character and almost every swap of two
neighbours before the server is ever asked.
"""

from __future__ import annotations

import secrets

from hpi.core.errors import UnknownSerial

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# Crockford's decoding rules: letters people confuse with digits read as those digits.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
RANDOM_CHARS = 19
GROUP = 5


def _check_char(body: str) -> str:
    """Luhn mod N (N = 32): double every second value from the right, sum the base-32 digits."""
    n = len(ALPHABET)
    total, factor = 0, 2
    for char in reversed(body):
        addend = factor * _VALUE[char]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def new_serial() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    return format_serial(body + _check_char(body))


def format_serial(compact: str) -> str:
    return "-".join(compact[i:i + GROUP] for i in range(0, len(compact), GROUP))


def normalize_serial(text: str) -> str:
    """The canonical spelling of a typed serial (any case, spaces or dashes), or UnknownSerial.

    Raised before any network round trip so a typo gets its own message instead of "unknown serial".
    """
    compact = "".join(str(text).split()).replace("-", "").upper().translate(_ALIASES)
    bad = sorted({c for c in compact if c not in _VALUE})
    if bad or len(compact) != RANDOM_CHARS + 1:
        raise UnknownSerial(
            f"{text!r} is not a serial number: expected 20 characters of 0-9 and A-Z (without U), "
            f"like 7K3QD-M2X9A-RT4HV-0CJ8P" + (f"; found {''.join(bad)!r}" if bad else f"; found {len(compact)}")
        )
    if _check_char(compact[:-1]) != compact[-1]:
        raise UnknownSerial(f"serial {text!r} fails its check character: a character is mistyped; "
                            "copy it again from your license email")
    return format_serial(compact)
