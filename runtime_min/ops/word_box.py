"""Word boxes (`return_word_box`), as PaddleX 3.7.2 computes them.

Two steps, ported line for line so the boxes equal PaddleX's:

* `word_info` (text_recognition/processors.py `BaseRecLabelDecode.get_word_info`): split a
  recognized line into words of one kind ("cn": CJK ideographs, "en&num": ASCII letters and digits,
  with "." between digits and "-" after them, "symbol": anything else), each with the CTC time steps
  (columns) its characters were read at.
* `ocr_word_boxes` (pipelines/components/common/cal_ocr_word_box.py): place each word on its line's
  box by those columns; CJK characters get one box each, centred on their column, all of the line's
  mean character size; boxes are then sorted into lines, top to bottom, left to right.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["word_info", "ocr_word_boxes"]


def word_info(text: str, selection: np.ndarray) -> tuple[list[list[str]], list[list[int]], list[str]]:
    """(words as character lists, each word's columns, each word's kind) for `text`, decoded from the
    time steps where `selection` (bool [T]) is True."""
    state = None
    word_content, word_col_content = [], []
    word_list, word_col_list, state_list = [], [], []
    valid_col = np.where(selection)[0]
    for c_i, char in enumerate(text):
        if "\u4e00" <= char <= "\u9fff":
            c_state = "cn"
        elif re.search("[a-zA-Z0-9]", char):
            c_state = "en&num"
        else:
            c_state = "symbol"
        if char == "." and state == "en&num" and c_i + 1 < len(text) and re.search("[0-9]", text[c_i + 1]):
            c_state = "en&num"
        if char == "-" and state == "en&num":
            c_state = "en&num"
        if state is None:
            state = c_state
        if state != c_state:
            if word_content:
                word_list.append(word_content)
                word_col_list.append(word_col_content)
                state_list.append(state)
                word_content, word_col_content = [], []
            state = c_state
        word_content.append(char)
        word_col_content.append(int(valid_col[c_i]))
    if word_content:
        word_list.append(word_content)
        word_col_list.append(word_col_content)
        state_list.append(state)
    return word_list, word_col_list, state_list


def _is_vertical(box: np.ndarray) -> bool:
    width = box[:, 0].max() - box[:, 0].min()
    height = box[:, 1].max() - box[:, 1].min()
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero-width box: inf (vertical) or nan (not)
        return bool(height / width > 1.5)


def _sort_boxes(boxes: list, y_thresh: float) -> list:
    """Into lines by centre y (a jump of y_thresh or more starts a line), each line left to right."""
    items = sorted(((box, np.mean(box, axis=0)) for box in boxes), key=lambda x: x[1][1])
    lines, current, last_y = [], [], None
    for box, center in items:
        if last_y is None or abs(center[1] - last_y) < y_thresh:
            current.append((box, center))
        else:
            lines.append(current)
            current = [(box, center)]
        last_y = center[1]
    if current:
        lines.append(current)
    return [box for line in lines for box, _ in sorted(line, key=lambda x: x[1][0])]


def ocr_word_boxes(text: str, box: np.ndarray, columns: float, words: list[list[str]],
                   word_cols: list[list[int]], states: list[str]) -> tuple[list[str], list[tuple]]:
    """(word texts, word boxes as four (x, y) corners) for one line: `box` is its detected polygon
    (int [4, 2]), `columns` the line's share of the recognizer's time steps (PaddleX: T scaled by the
    crop's width/height over the batch's widest)."""
    vertical = _is_vertical(box)
    box = box.tolist()
    x_start, x_end, y_start, y_end = box[0][0], box[1][0], box[0][1], box[2][1]
    if vertical:
        cell_size = (y_end - y_start) / columns
        bbox_size, bbox_start = y_end - y_start, y_start

        def create_box(start, end):
            return (x_start, start), (x_start, end), (x_end, end), (x_end, start)
    else:
        cell_size = (x_end - x_start) / columns
        bbox_size, bbox_start = x_end - x_start, x_start

        def create_box(start, end):
            return (start, y_start), (end, y_start), (end, y_end), (start, y_end)

    word_boxes, word_texts, cn_sizes, cn_cols = [], [], [], []
    for word, cols, state in zip(words, word_cols, states):
        if state == "cn":
            if len(cols) != 1:
                cn_sizes.append((cols[-1] - cols[0] + 1) * cell_size / (len(cols) - 1))
            cn_cols += cols
            word_texts += word
        else:
            word_boxes.append(create_box(bbox_start + int(cols[0] * cell_size),
                                         bbox_start + int((cols[-1] + 1) * cell_size)))
            word_texts.append("".join(word))
    if cn_cols:
        avg_char_size = np.mean(cn_sizes) if cn_sizes else bbox_size / len(text)
        for col in cn_cols:
            center = (col + 0.5) * cell_size
            word_boxes.append(create_box(max(int(center - avg_char_size / 2), 0) + bbox_start,
                                         min(int(center + avg_char_size / 2), bbox_size) + bbox_start))
    return word_texts, _sort_boxes(word_boxes, y_thresh=12)
