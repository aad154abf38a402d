"""What every single-model runner shares: its model and typed spec (hpi.core.specs), PaddleX's
single-image JSON envelope (`input_path`, `page_index`, then the result's fields as plain lists and
numbers), and `from_models`."""

from __future__ import annotations

from hpi.core.specs import FamilySpec
from hpi.runtime_min.result import plain


class SingleModelRunner:
    def __init__(self, model, spec: FamilySpec):
        self.model, self.spec = model, spec

    def to_json(self, data: dict, input_path=None) -> dict:
        return {"input_path": input_path, "page_index": None, **plain(data)}

    @classmethod
    def from_models(cls, models: dict):
        """The runner of a bundle whose one model has the role `model`."""
        model = models["model"]
        return cls(model, model.entry.spec)
