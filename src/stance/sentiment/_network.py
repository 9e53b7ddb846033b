"""The network: MiniLM's token vectors pooled over the sentence and over the mention, classified.

Pooling the mention's own tokens beside the whole sentence is what makes the prediction
target-dependent: in "Putin praised Lukashenko while critics condemned Putin" each mention
reads the same sentence but contributes different token vectors. On frozen MiniLM, the two
pools together scored above either alone on the NewsMTSC dev sets (benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

#: Tokens read per text: MiniLM's own limit; a mention's window is cut to fit well inside it.
MAX_TOKENS = 256


class MentionClassifier(torch.nn.Module):
    """A transformer encoder, then a linear layer over [sentence mean; mention mean]."""

    def __init__(self, encoder: torch.nn.Module, n_classes: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        width = encoder.config.hidden_size
        self.dropout = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(2 * width, n_classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                mention_mask: torch.Tensor) -> torch.Tensor:
        """Class scores (logits), one row per text."""
        hidden = self.encoder(input_ids=input_ids,
                              attention_mask=attention_mask).last_hidden_state
        pooled = torch.cat([_masked_mean(hidden, attention_mask),
                            _masked_mean(hidden, mention_mask)], dim=1)
        return self.head(self.dropout(pooled))


def tokenize(tokenizer, texts: Sequence[str], spans: Sequence[tuple[int, int]]) -> dict:
    """Model inputs for ``texts``, with ``mention_mask`` marking the tokens of each span."""
    batch = tokenizer(list(texts), padding=True, truncation=True, max_length=MAX_TOKENS,
                      return_tensors="pt", return_offsets_mapping=True)
    offsets = batch.pop("offset_mapping")
    start = torch.tensor([s for s, _ in spans]).unsqueeze(1)
    end = torch.tensor([e for _, e in spans]).unsqueeze(1)
    # a token belongs to the mention when its characters overlap the span; special and
    # padding tokens have empty offsets
    mention = (offsets[:, :, 1] > start) & (offsets[:, :, 0] < end) & (
        offsets[:, :, 1] > offsets[:, :, 0])
    return {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"],
            "mention_mask": mention.long()}


def _masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
