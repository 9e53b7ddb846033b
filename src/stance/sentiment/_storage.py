"""How a stance model's tuned tensors are stored: small enough for the shipped one to live in git.

Every tensor is first rounded to the card's dtype. With ``int8_delta`` storage (the shipped
model), each tuned weight matrix of the base model is stored as its change from the base
weights, quantised to int8 per row (the row's largest change maps to 127) with a float32
scale per row; vectors (biases, layer norms) and the new classifier stay in the dtype. A
tuned layer's change is small beside its weights, so the quantisation error is small beside
the change, and the top layer of MiniLM fits in 1.8 MB instead of 3.6 MB (float16).
Loading reverses it over the base model's weights; the card's scores are those of the
stored file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DELTA, SCALE = ".delta_int8", ".delta_scale"


def encode(tensors: Mapping[str, Any], base: Mapping[str, Any], *, dtype: str,
           storage: str) -> dict[str, Any]:
    """The tensors to write: rounded to ``dtype``, weight matrices as int8 deltas if asked."""
    import torch

    out = {}
    for name, tensor in sorted(tensors.items()):
        rounded = tensor.detach().to(getattr(torch, dtype)).float()
        # only the base model's own weights (encoder.*) have a base to differ from; the
        # classifier (head.*) is new
        if storage == "int8_delta" and rounded.dim() == 2 and name.startswith("encoder."):
            delta = rounded - base[name].float()
            scale = delta.abs().amax(dim=1).clamp(min=1e-12) / 127
            out[name + DELTA] = torch.round(delta / scale[:, None]).to(torch.int8).contiguous()
            out[name + SCALE] = scale.contiguous()
        else:
            out[name] = rounded.to(getattr(torch, dtype)).contiguous()
    return out


def decode(stored: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """float32 tensors by parameter name, int8 deltas laid over ``base``."""
    out = {}
    for name, tensor in stored.items():
        if name.endswith(SCALE):
            continue
        if name.endswith(DELTA):
            weight = name.removesuffix(DELTA)
            out[weight] = base[weight].float() + tensor.float() * stored[weight + SCALE][:, None]
        else:
            out[name] = tensor.float()
    return out
