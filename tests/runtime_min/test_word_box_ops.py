"""ops/word_box.py against PaddleX 3.7.2's get_word_info and cal_ocr_word_box, worked by hand (the OCR parity
test compares whole pipelines' word boxes with PaddleX's)."""

from __future__ import annotations

import numpy as np

from hpi.runtime_min.ops.word_box import ocr_word_boxes, word_info

LINE = np.array([[10, 20], [110, 20], [110, 40], [10, 40]], dtype=np.int16)


def _selection(columns: list[int], steps: int = 12) -> np.ndarray:
    keep = np.zeros(steps, dtype=bool)
    keep[columns] = True
    return keep


def test_words_split_by_kind_with_their_columns():
    assert word_info("ab 中文", _selection([1, 3, 5, 7, 9])) == (
        [["a", "b"], [" "], ["中", "文"]], [[1, 3], [5], [7, 9]], ["en&num", "symbol", "cn"])
    # "." between digits and "-" after a word stay in it; "." before a letter does not
    words, _, states = word_info("v1.5-b.c", _selection(list(range(8))))
    assert ["".join(w) for w in words] == ["v1.5-b", ".", "c"] and states == ["en&num", "symbol", "en&num"]


def test_boxes_follow_the_columns_and_cjk_gets_one_box_per_character():
    texts, boxes = ocr_word_boxes("ab 中文", LINE, 10.0, *word_info("ab 中文", _selection([1, 3, 5, 7, 9])))
    # cell 10 px; Latin words span their columns; CJK: mean character size (9 - 7 + 1) * 10 / 1 = 30 px,
    # centred on each column (75, 95) and clipped to the line
    assert texts == ["ab", " ", "中", "文"]
    assert [b[0][0] for b in boxes] == [20, 60, 70, 90] and [b[1][0] for b in boxes] == [50, 70, 100, 110]
    assert all(b[0][1] == 20 and b[2][1] == 40 for b in boxes)


def test_a_tall_line_is_split_along_its_height():
    tall = np.array([[0, 0], [10, 0], [10, 100], [0, 100]], dtype=np.int16)
    _, boxes = ocr_word_boxes("ab", tall, 10.0, *word_info("ab", _selection([2, 5])))
    assert boxes == [((0, 20), (0, 60), (10, 60), (10, 20))]
