"""OCR pictures draw their texts on a plain install: which font, and the one line when they cannot be drawn."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from hpi.core.errors import UsageError
from hpi.runtime_min.pipelines.fonts import FONT_ENV, FontChooser
from hpi.runtime_min.pipelines.ocr_result import save_visualization

DEJAVU = next((p for p in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans.ttf")
               if os.path.isfile(p)), None)
needs_dejavu = pytest.mark.skipif(DEJAVU is None, reason="DejaVu Sans not installed (apt install fonts-dejavu-core)")

BOX = np.array([[20, 20], [300, 20], [300, 80], [20, 80]], np.int16)


class Notices(list):
    def __call__(self, message):
        self.append(message)


def right_panel(tmp_path: Path, text: str, fonts: FontChooser, name="vis.png") -> np.ndarray:
    """The right half (texts on white) of the picture of one line reading `text`."""
    image = np.full((100, 320, 3), 200, np.uint8)
    result = {"rec_polys": [BOX], "rec_texts": [text]}
    save_visualization(result, image, tmp_path / name, fonts=fonts)
    picture = cv2.imread(str(tmp_path / name))
    return picture[:, picture.shape[1] // 2:]


def drawn(tmp_path, text, fonts) -> bool:
    """Whether the text left pixels in its box beyond the box outline (which "" also gets)."""
    return not np.array_equal(right_panel(tmp_path, text, fonts, "a.png"), right_panel(tmp_path, "", fonts, "b.png"))


@needs_dejavu
def test_latin_text_is_drawn_with_a_discovered_system_font(tmp_path):
    notices = Notices()
    fonts = FontChooser(system_fonts=["/nonexistent/font.ttf", DEJAVU], environ={}, notify=notices)
    assert fonts.font().path == DEJAVU
    assert drawn(tmp_path, "HELLO 2026", fonts)
    assert notices == []


def test_latin_text_is_drawn_when_no_system_font_is_found(tmp_path):
    """Pillow's own scalable font stands in for Latin texts."""
    notices = Notices()
    fonts = FontChooser(system_fonts=[], environ={}, notify=notices)
    assert fonts.font().path is None
    assert drawn(tmp_path, "HELLO 2026", fonts)
    assert notices == []


def test_cjk_text_without_a_cjk_font_gives_one_line_naming_the_fix(tmp_path):
    notices = Notices()
    fonts = FontChooser(system_fonts=[], environ={}, notify=notices)
    assert not drawn(tmp_path, "中文", fonts)  # outline only, no missing-glyph boxes
    assert not drawn(tmp_path, "日本", fonts)
    assert drawn(tmp_path, "HELLO", fonts)  # Latin texts of the same run are still drawn
    (line,) = notices
    assert "\n" not in line and "not drawn" in line
    assert "apt install fonts-noto-cjk" in line and "--font-path" in line and FONT_ENV in line


@needs_dejavu
def test_named_latin_font_and_cjk_text_names_the_font(tmp_path):
    notices = Notices()
    fonts = FontChooser(DEJAVU, system_fonts=[], environ={}, notify=notices)
    assert not drawn(tmp_path, "统一社会信用代码", fonts)
    (line,) = notices
    assert DEJAVU in line and "no glyphs" in line


@needs_dejavu
def test_font_path_then_environment_then_system(tmp_path):
    other = tmp_path / "other.ttf"
    other.write_bytes(Path(DEJAVU).read_bytes())
    env = {FONT_ENV: str(other)}
    assert FontChooser(system_fonts=[DEJAVU], environ=env).font().path == str(other)
    assert FontChooser(DEJAVU, system_fonts=[], environ=env).font().path == DEJAVU
    assert FontChooser(system_fonts=[DEJAVU], environ={FONT_ENV: ""}).font().path == DEJAVU  # empty: unset


def test_environment_naming_a_missing_or_invalid_font_is_a_clear_error(tmp_path):
    with pytest.raises(UsageError, match=rf"\${FONT_ENV} {tmp_path}/none.ttf: no such file"):
        FontChooser(environ={FONT_ENV: str(tmp_path / "none.ttf")}).check()
    (tmp_path / "notes.ttf").write_text("not a font")
    with pytest.raises(UsageError, match="not a font Pillow can read"):
        FontChooser(environ={FONT_ENV: str(tmp_path / "notes.ttf")}).check()
    with pytest.raises(UsageError, match=rf"font file {tmp_path}/none.ttf: no such file"):
        FontChooser(tmp_path / "none.ttf", environ={}).check()


@needs_dejavu
def test_save_to_img_font_path_overrides_and_shares_the_notice(tmp_path):
    notices = Notices()
    fonts = FontChooser(system_fonts=[], environ={}, notify=notices)
    other = fonts.using(DEJAVU)
    assert other.font().path == DEJAVU and fonts.using(DEJAVU) is other and fonts.using(None) is fonts
    right_panel(tmp_path, "中", fonts)
    right_panel(tmp_path, "中", other)
    assert len(notices) == 1  # one line per run, whichever font each picture used


def test_text_recognition_picture_draws_its_label(tmp_path):
    """A text recognition bundle's picture: the image over a row with `text (score)`, as PaddleX draws it."""
    from hpi.runtime_min.pipelines.single import TextRecognitionRunner

    runner = TextRecognitionRunner.__new__(TextRecognitionRunner)  # only its drawing is used here
    image = np.full((48, 320, 3), 200, np.uint8)
    notices = Notices()
    fonts = FontChooser(system_fonts=[], environ={}, notify=notices)
    runner.save_visualization({"rec_text": "HELLO", "rec_score": 0.98}, image, tmp_path / "a.png", fonts)
    picture = cv2.imread(str(tmp_path / "a.png"))
    assert picture.shape[0] > 48 and np.array_equal(picture[:48], image)
    assert (picture[48:] < 128).any() and notices == []  # dark pixels: the label
    runner.save_visualization({"rec_text": "中文", "rec_score": 0.98}, image, tmp_path / "b.png", fonts)
    assert not (cv2.imread(str(tmp_path / "b.png"))[48:] < 128).any() and len(notices) == 1
