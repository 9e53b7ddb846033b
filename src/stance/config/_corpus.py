"""The sections that read, clean, de-duplicate and segment the corpus."""

from __future__ import annotations

import codecs
import re
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stance.config._base import HomePath, Section

#: Columns of a loaded corpus that a label column may not be named after: stance.data's
#: DOCUMENT_COLUMNS, source and dup_group (written out: importing stance.data loads pandas).
RESERVED_COLUMNS = ("doc_id", "outlet", "date", "title", "text", "source", "dup_group")


class Columns(Section):
    """Which input column holds each field; ``id: null`` derives ids from content."""

    id: str | None = Field("doc_id", description="column of document ids; null: ids from the "
                           "text (or, in a folder, the file path)")
    text: str = Field("text", description="column of article text (not read in a folder, "
                      "whose files hold it)")
    outlet: str | None = Field("outlet", description="column naming each document's outlet")
    date: str | None = Field("date", description="column of publication dates (ISO 8601)")
    title: str | None = Field("title", description="column of headlines")
    file: str = Field("file", description="folder format: metadata column naming each file")
    labels: list[str] = Field(default_factory=list, description="label columns carried along "
                              "(e.g. the framing label); each keeps its column name")

    @field_validator("labels")
    @classmethod
    def _labels_keep_their_own_names(cls, value: list[str]) -> list[str]:
        # a label keeps its column name in the corpus, beside the standard columns
        taken = [c for c in value if c in RESERVED_COLUMNS]
        if taken:
            raise ValueError(f"'{taken[0]}' is the name of a column stance makes "
                             f"({', '.join(RESERVED_COLUMNS)}); rename that label column in the "
                             "input")
        return value


#: Tried in order for lines that are not UTF-8; latin-1 decodes any byte.
DEFAULT_ENCODING_FALLBACKS = ("cp1252", "latin-1")


class CorpusConfig(Section):
    """Where the articles are and how to read them."""

    path: HomePath = Field(description="a folder of .txt/.md files (with metadata.csv); a "
                           "CSV, JSON Lines or Parquet file; or a folder or pattern "
                           "(shards/*.parquet) of Parquet or JSON Lines shards")
    format: Literal["auto", "folder", "csv", "jsonl", "parquet"] = Field(
        "auto", description="auto: a folder, or the file's suffix; parquet or jsonl for shards")
    metadata: HomePath | None = Field(
        None, description="folder format: CSV with one row per file (default metadata.csv)"
    )
    columns: Columns = Field(Columns(), description="which input column holds each field")
    default_outlet: str = Field("unknown", description="outlet of documents that name none")
    csv_separator: str = Field(",", description="one character; a tab is \"\\t\"")
    encoding_fallbacks: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ENCODING_FALLBACKS),
        description="tried in order for lines that are not UTF-8")
    date_format: str | Annotated[list[str], Field(min_length=1)] = Field(
        "iso", description="how dates are written: iso (YYYY-MM-DD, a time and UTC offset "
        "allowed); dayfirst (28/02/2022) or monthfirst (02/28/2022), ISO dates read too; a "
        "strftime pattern such as '%d %B %Y'; or a list of these, tried in order. A value "
        "none reads is reported, never guessed")
    on_invalid: Literal["error", "drop"] = Field(
        "error", description="error: stop on any bad document; drop: drop it with a reason"
    )
    limit: int | None = Field(None, ge=1, description="read only the first N documents")
    outlet_from_url: str | None = Field(
        None, description="column of article URLs: the outlet is the site's domain "
        "(edition.cnn.com -> cnn.com); needs columns.outlet: null")
    outlet_names: dict[str, str] = Field(
        default_factory=dict, description="outlet -> name shown (go.com: ABC News); "
        "others unchanged")
    label_names: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="label column -> {value: name} (codes to names); "
        "values not listed stay as they are")
    keep_labels: dict[str, Annotated[list[str], Field(min_length=1)]] = Field(
        default_factory=dict, description="label column -> values kept (after label_names); "
        "other documents are dropped, with the reason in the audit")

    @field_validator("csv_separator")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError(f"{value!r} is not one character; give one, such as ',' or ';' "
                             "(a tab is written \"\\t\")")
        return value

    @field_validator("date_format")
    @classmethod
    def _known_date_format(cls, value: str | list[str]) -> str | list[str]:
        for name in [value] if isinstance(value, str) else value:
            if name not in ("iso", "dayfirst", "monthfirst") and "%" not in name:
                raise ValueError(f"{name!r} is neither iso, dayfirst, monthfirst nor a "
                                 "strftime pattern (such as '%m/%d/%Y')")
        return value

    @field_validator("encoding_fallbacks")
    @classmethod
    def _known_encodings(cls, value: list[str]) -> list[str]:
        for name in value:
            try:
                # codecs also holds bytes-to-bytes codecs (hex, zlib), which bytes.decode refuses
                known = getattr(codecs.lookup(name), "_is_text_encoding", True)
            except LookupError:
                known = False
            if not known:
                raise ValueError(f"unknown encoding {name!r}; use text encodings Python "
                                 "knows, such as cp1252, latin-1 or cp1251")
        return value

    @field_validator("label_names", "keep_labels", mode="before")
    @classmethod
    def _values_are_text(cls, value: Any) -> Any:
        # YAML reads codes such as `1: Gun rights` as integers; labels are always text
        if not isinstance(value, dict):
            return value
        return {k: {str(c): str(n) for c, n in v.items()} if isinstance(v, dict)
                else [str(x) for x in v] if isinstance(v, list) else v
                for k, v in value.items()}

    @field_validator("label_names", "keep_labels")
    @classmethod
    def _keys_are_label_columns(cls, value: dict, info: ValidationInfo) -> dict:
        columns = info.data.get("columns")
        labels = columns.labels if columns is not None else []
        unknown = [c for c in value if c not in labels]
        if columns is not None and unknown:
            raise ValueError(f"{unknown[0]!r} is not a label column {labels}; "
                             "add it to corpus.columns.labels")
        return value

    @field_validator("outlet_from_url")
    @classmethod
    def _one_outlet_source(cls, value: str | None, info: ValidationInfo) -> str | None:
        columns = info.data.get("columns")
        if value is not None and columns is not None and columns.outlet is not None:
            raise ValueError(f"columns.outlet is {columns.outlet!r}; set it to null so the "
                             "outlet comes from the URL alone")
        return value


class PatternConfig(Section):
    """One boilerplate rule, a case-insensitive regex.

    ``line`` removes matching lines; ``block`` removes a matching heading line and
    the bullet list after it; ``paragraph`` removes whole paragraphs after split
    fragments are re-joined (for stray punctuation that may end a fragment).
    """

    name: str = Field(description="the rule's name, as cleaning.csv and the report show it")
    regex: str = Field(description="a case-insensitive Python regular expression")
    scope: Literal["line", "block", "paragraph"] = Field("line", description="what a match "
                                                         "removes (see above)")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        return value


class RepeatedLinesConfig(Section):
    """Short lines repeated across an outlet's documents are boilerplate (taglines, bylines)."""

    min_documents: int = Field(3, ge=2, description="documents of one outlet a line must "
                               "repeat in")
    max_words: int = Field(15, ge=1, description="longest line that counts, in words")


class CleaningConfig(Section):
    """Boilerplate removal and re-joining of paragraphs split mid-sentence."""

    enabled: bool = Field(True, description="false: documents are used as read")
    default_patterns: bool = Field(True, description="apply the packaged boilerplate rules "
                                   "(data/boilerplate.yaml)")
    patterns: list[PatternConfig] = Field(default_factory=list,
                                          description="your own boilerplate rules")
    remove_repeated_title: bool = Field(True, description="drop a first line that repeats "
                                        "the title")
    remove_repeated_lines_in_document: bool = Field(
        True, description="drop a short line repeated within one document")
    repeated_lines: RepeatedLinesConfig | None = Field(
        RepeatedLinesConfig(), description="short lines repeated across an outlet's documents "
        "(taglines, bylines) are removed; null: kept")
    rejoin_fragments: bool = Field(True, description="re-join paragraphs split mid-sentence")


class DedupConfig(Section):
    """Near-duplicate documents (syndicated copies of one wire story)."""

    method: Literal["minhash", "none"] = Field("minhash", description="minhash: MinHash LSH over "
                                                "word shingles; none: no de-duplication")
    threshold: float = Field(0.8, gt=0, le=1, description="estimated Jaccard similarity")
    action: Literal["keep", "drop"] = Field(
        "keep", description="keep: mark duplicates; drop: merge each into its first copy"
    )
    num_perm: int = Field(128, ge=16, description="MinHash permutations (more: a closer "
                          "Jaccard estimate)")
    shingle_words: int = Field(5, ge=1, description="words per shingle")


class SegmentationConfig(Section):
    """How documents split into segments, the unit every later stage works on."""

    unit: Literal["paragraph", "sentence", "window", "document"] = Field(
        "paragraph", description="the unit every later stage works on")
    min_words: int = Field(8, ge=0, description="shorter segments merge into a neighbour")
    window_words: int = Field(100, ge=1, description="unit window: words per window")
    window_overlap: int = Field(0, ge=0, description="unit window: words shared by neighbours")
    max_tokens: Annotated[int, Field(ge=8)] | Literal["auto"] | None = Field(
        "auto", description="split a paragraph, sentence or window longer than this many "
        "tokens of the embedding model (at sentence ends, else at word starts) so the model "
        "reads all of it: auto = as many as the model reads; null = never split (the model "
        "then reads only a long segment's start)")

    @model_validator(mode="after")
    def _windows_move_on(self) -> SegmentationConfig:
        if self.window_overlap >= self.window_words:
            raise ValueError(f"window_overlap ({self.window_overlap}) must be "
                             f"below window_words ({self.window_words}), or windows would "
                             "not move forward")
        return self
