"""OpenVINO frontend extensions for standard ONNX operators its ONNX frontend does not convert.

DeformConv (ONNX opset 19): deformable convolution v2, the operator of CenterNet-DLA's DCN layers
(Paddle's `deform_conv2d`). paddle2onnx 1.3.1 cannot emit it (it stops at opset 18); paddle2onnx 2.1.0
emits `DeformConv`, which ONNX Runtime runs but OpenVINO 2026.4 refuses ("No conversion rule found for
operations: DeformConv-19") although OpenVINO has the same operation natively (DeformableConvolution-8).
The rule below maps one onto the other; bilinear_interpolation_pad=True gives the sampling of Paddle,
torchvision and ONNX at the borders. Verified against Paddle Inference by tests/compiler/test_deform_conv.py.
"""

from __future__ import annotations

import numpy as np


def _deform_conv(node):
    import openvino.opset8 as ops8
    import openvino.opset13 as ops13

    rank = len(node.get_attribute("kernel_shape", [3, 3]))
    pads = node.get_attribute("pads", [0] * 2 * rank)
    mask = node.get_input(4) if node.get_input_size() > 4 else None
    y = ops8.deformable_convolution(
        node.get_input(0), node.get_input(2), node.get_input(1),  # data, offsets, filters
        node.get_attribute("strides", [1] * rank), pads[:rank], pads[rank:],
        node.get_attribute("dilations", [1] * rank), mask,
        group=node.get_attribute("group", 1), deformable_group=node.get_attribute("offset_group", 1),
        bilinear_interpolation_pad=True)
    if node.get_input_size() > 3:  # bias B [C]
        bias = ops13.reshape(node.get_input(3), ops13.constant(np.array([1, -1] + [1] * rank, np.int64)), False)
        y = ops13.add(y, bias)
    return y.outputs()


def extensions() -> list:
    from openvino.frontend import ConversionExtension

    return [ConversionExtension("DeformConv", _deform_conv)]
