"""The font OCR pictures draw recognized texts with, and one notice when texts cannot be drawn.

Where the font comes from, first match wins:
  1. `font_path` given by the caller (`hpi-run --font-path FILE`, `open_bundle(font_path=...)`,
     `result.save_to_img(path, font_path=...)`);
  2. `$HPI_FONT_PATH` (PaddleX reads `$PADDLE_PDX_LOCAL_FONT_FILE_PATH` for the same purpose);
  3. the first of SYSTEM_FONTS that exists (CJK fonts first, then common Latin ones);
  4. Pillow's own scalable font (Latin only, Pillow >= 10.1).
A font named in 1 or 2 that Pillow cannot read is a UsageError, not a silent fallback.

Texts with characters the chosen font has no glyph for (e.g. Chinese with a Latin font) are not
drawn (their box outline is); that, and a missing Pillow, is said once per FontChooser in one line
naming the fix.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from typing import Callable

from hpi.core.errors import UsageError

FONT_ENV = "HPI_FONT_PATH"
CJK_FIX = "apt install fonts-noto-cjk"

SYSTEM_FONTS = (
    # CJK: PaddleX's own download first, then the common Linux/macOS/Windows packages.
    "~/.paddlex/fonts/simfang.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/simfang.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    # Latin.
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)

# A code point no font maps: what a missing glyph looks like in a given font (its .notdef box).
_NO_GLYPH = "\U0010fffd"


def _stderr_line(message: str) -> None:
    print(f"hpi: {message}", file=sys.stderr)


@dataclass(frozen=True)
class Font:
    """A scalable font: `path` None is Pillow's built-in one. `source` says where it came from."""

    path: str | None
    source: str

    def at(self, size: int):
        """The Pillow font object at `size` pixels (at least 1)."""
        return _face(self.path, max(int(size), 1))

    def missing(self, text: str) -> set[str]:
        """The visible characters of `text` this font draws as its missing-glyph box."""
        return {c for c in set(text) if not c.isspace() and not c.isascii() and not _has_glyph(self, c)}

    def describe(self) -> str:
        return f"{self.path} ({self.source})" if self.path else "Pillow's built-in font"


@functools.lru_cache(maxsize=64)
def _face(path: str | None, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


@functools.lru_cache(maxsize=None)
def _has_glyph(font: Font, char: str) -> bool:
    return _render(font, char) != _render_notdef(font)


@functools.lru_cache(maxsize=8)
def _probe_face(font: Font):
    return font.at(24)


@functools.lru_cache(maxsize=8)
def _render_notdef(font: Font) -> bytes:
    """The font's missing-glyph box, drawn once per font."""
    return _render(font, _NO_GLYPH)


def _render(font: Font, char: str) -> bytes:
    """The pixels of one character drawn at 24 px."""
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (48, 48))
    ImageDraw.Draw(canvas).text((4, 4), char, font=_probe_face(font), fill=255)
    return canvas.tobytes()


def _readable(path: str, what: str) -> Font:
    """A Font for a file the user named, or a UsageError saying why it cannot be used."""
    from PIL import ImageFont

    if not os.path.isfile(path):
        raise UsageError(f"{what} {path}: no such file; expected a TrueType/OpenType font (.ttf, .ttc, .otf); "
                         f"fix: name an existing font file (e.g. after `{CJK_FIX}`)")
    try:
        ImageFont.truetype(path, 12)
    except OSError as exc:
        raise UsageError(f"{what} {path}: not a font Pillow can read ({exc}); expected a .ttf, .ttc or .otf file") from None
    return Font(path, what)


def _pillow_missing() -> bool:
    try:
        import PIL.ImageFont  # noqa: F401
    except ImportError:
        return True
    return False


class FontChooser:
    """Finds the font once (see the module docstring) and says once when texts cannot be drawn.

    `system_fonts` and `environ` are the discovery inputs (tests pass their own); `notify` takes the
    one-line notice (default: stderr, prefixed "hpi: ").
    """

    def __init__(self, font_path: str | os.PathLike | None = None, *, system_fonts=SYSTEM_FONTS,
                 environ=None, notify: Callable[[str], None] | None = None):
        self.font_path = os.fspath(font_path) if font_path else None
        self.system_fonts = tuple(system_fonts)
        self.environ = os.environ if environ is None else environ
        self.notify = notify if notify is not None else _stderr_line
        self._font: Font | None = None
        self._found = False
        self._said: set[str] = set()
        self._others: dict[str, FontChooser] = {}

    def font(self) -> Font | None:
        """The font, found on first use; None when Pillow is missing or has no FreeType support."""
        if not self._found:
            self._font, self._found = self._find(), True
        return self._font

    def check(self) -> None:
        """Raise UsageError now for a font the user named that cannot be read."""
        if not _pillow_missing():
            self.font()

    def using(self, font_path) -> FontChooser:
        """A chooser for another font file, sharing this one's notices (one per kind per run)."""
        if not font_path or os.fspath(font_path) == self.font_path:
            return self
        key = os.fspath(font_path)
        if key not in self._others:
            other = FontChooser(key, system_fonts=self.system_fonts, environ=self.environ, notify=self.notify)
            other._said = self._said
            self._others[key] = other
        return self._others[key]

    def font_for(self, text: str) -> Font | None:
        """The font to draw `text` with, or None (after the one notice) when it cannot be drawn here."""
        if _pillow_missing():
            self._say("pillow", "texts are not drawn in pictures: Pillow is not installed; fix: pip install pillow")
            return None
        font = self.font()
        if font is None:
            self._say("none", "texts are not drawn in pictures: no usable font (Pillow lacks FreeType and no font "
                              f"file was found); fix: --font-path FILE or ${FONT_ENV}=FILE")
            return None
        missing = font.missing(text)
        if missing:
            sample = "".join(sorted(missing)[:3])
            self._say("glyphs", f"texts with characters such as {sample!r} are not drawn in pictures: "
                                f"{font.describe()} has no glyphs for them; fix: `{CJK_FIX}`, or "
                                f"--font-path FILE / ${FONT_ENV}=FILE naming a font that has them")
            return None
        return font

    def _say(self, kind: str, message: str) -> None:
        if kind not in self._said:
            self._said.add(kind)
            self.notify(message)

    def _find(self) -> Font | None:
        if self.font_path:
            return _readable(self.font_path, "font file")
        if self.environ.get(FONT_ENV):
            return _readable(self.environ[FONT_ENV], f"${FONT_ENV}")
        for candidate in self.system_fonts:
            path = os.path.expanduser(candidate)
            if os.path.isfile(path):
                return Font(path, "found on this system")
        try:
            Font(None, "built in").at(12)  # FreeType and Pillow >= 10.1
        except (OSError, TypeError, ImportError):
            return None
        return Font(None, "built in")


_default: FontChooser | None = None


def default_chooser() -> FontChooser:
    """The process-wide chooser for callers that bring none (one notice per process)."""
    global _default
    if _default is None:
        _default = FontChooser()
    return _default
