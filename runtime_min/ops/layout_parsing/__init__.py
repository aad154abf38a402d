"""PaddleX 3.7.2's PP-StructureV3 (layout_parsing v2) pure-Python logic: settings, geometry, layout objects,
the enhanced XY-cut reading order and the Markdown converter, ported unchanged in behaviour."""
