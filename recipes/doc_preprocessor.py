"""PaddleX's `doc_preprocessor` pipeline on its own: document orientation classification (turn the image
upright) then document unwarping (UVDoc), each on unless its switch is False (PaddleX's defaults)."""

from __future__ import annotations

from hpi.core.errors import CompileError
from hpi.recipes.base import PipelineRecipe, register_pipeline

# switch -> (SubModules key, model role, the family its model must be: the runtime checks the spec type)
_BRANCHES = {
    "use_doc_orientation_classify": ("DocOrientationClassify", "doc_ori", "image_classification"),
    "use_doc_unwarping": ("DocUnwarping", "doc_unwarp", "image_unwarping"),
}
# What PaddleX's _DocPreprocessorPipeline reads besides its switches and SubModules; batch_size only
# groups inputs (results are per image), so any positive value gives the same results.
_OTHER_KEYS = ("pipeline_name", "batch_size", "SubModules")


def switches(config: dict) -> dict[str, bool]:
    """PaddleX's `config.get(switch, True)` for both branches."""
    for key in _BRANCHES:
        if key in config and not isinstance(config[key], bool):
            raise CompileError(f"doc_preprocessor {key} must be true or false, got {config[key]!r}")
    return {key: bool(config.get(key, True)) for key in _BRANCHES}


@register_pipeline
class DocPreprocessorRecipe(PipelineRecipe):
    name = "doc_preprocessor"
    modules = {module: role for module, role, _ in _BRANCHES.values()}

    @classmethod
    def modules_for(cls, config):
        unknown = sorted(set(config) - set(_BRANCHES) - set(_OTHER_KEYS))
        if unknown:
            raise CompileError(f"doc_preprocessor config keys {unknown} are not PaddleX's (known: "
                               f"{', '.join((*_BRANCHES, *_OTHER_KEYS))})")
        modules = {}
        for switch, on in switches(config).items():
            module, role, _ = _BRANCHES[switch]
            if not on:
                continue
            if not (config.get("SubModules") or {}).get(module):
                hint = "" if switch in config else f"{switch} is not set, and PaddleX then turns it on; "
                raise CompileError(f"{hint}doc_preprocessor needs SubModules.{module} (model_name, model_dir); "
                                   f"or set {switch}: False")
            modules[module] = role
        return modules

    @classmethod
    def params(cls, config, models):
        batch = config.get("batch_size", 1)
        if isinstance(batch, bool) or not isinstance(batch, int) or batch <= 0:
            raise CompileError(f"doc_preprocessor batch_size must be a positive integer, got {batch!r}")
        return switches(config)
