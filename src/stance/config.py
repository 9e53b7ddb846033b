"""The experiment schema: every default is written here once, and YAML loading.

Relative input paths in a config resolve against the config file's folder, so a
config runs the same from any working directory; ``output_dir`` resolves
against the working directory, like any command's output.
"""

from __future__ import annotations

import codecs
import copy
import difflib
import hashlib
import json
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stance.errors import StanceError


def _expand_home(path: Path) -> Path:
    """``path`` with a leading ``~`` (or ``~user``) as that home folder."""
    try:
        return path.expanduser()
    except RuntimeError:  # ~user for a user this machine does not have
        raise ValueError(f"'{path}': no home folder for '{path.parts[0]}'; write the path "
                         "out") from None


#: A path setting: a leading ``~`` is the user's home, wherever the config comes from
#: (a file, code, a sweep point).
HomePath = Annotated[Path, AfterValidator(_expand_home)]


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: Columns of a loaded corpus that a label column may not be named after: stance.data's
#: DOCUMENT_COLUMNS, source and dup_group (written out: importing stance.data loads pandas).
RESERVED_COLUMNS = ("doc_id", "outlet", "date", "title", "text", "source", "dup_group")


class Columns(Section):
    """Which input column holds each field; ``id: null`` derives ids from content."""

    id: str | None = "doc_id"
    text: str = "text"
    outlet: str | None = "outlet"
    date: str | None = "date"
    title: str | None = "title"
    file: str = Field("file", description="folder format: metadata column naming each file")
    labels: list[str] = Field(default_factory=list)

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

    path: HomePath
    format: Literal["auto", "folder", "csv", "jsonl", "parquet"] = "auto"
    metadata: HomePath | None = Field(
        None, description="folder format: CSV with one row per file (default metadata.csv)"
    )
    columns: Columns = Columns()
    default_outlet: str = Field("unknown", description="outlet of documents that name none")
    csv_separator: str = Field(",", description="one character; a tab is \"\\t\"")
    encoding_fallbacks: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ENCODING_FALLBACKS),
        description="tried in order for lines that are not UTF-8")
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

    name: str
    regex: str
    scope: Literal["line", "block", "paragraph"] = "line"

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

    min_documents: int = Field(3, ge=2)
    max_words: int = Field(15, ge=1)


class CleaningConfig(Section):
    """Boilerplate removal and re-joining of paragraphs split mid-sentence."""

    enabled: bool = True
    default_patterns: bool = True
    patterns: list[PatternConfig] = Field(default_factory=list)
    remove_repeated_title: bool = True
    remove_repeated_lines_in_document: bool = True
    repeated_lines: RepeatedLinesConfig | None = RepeatedLinesConfig()
    rejoin_fragments: bool = True


class DedupConfig(Section):
    """Near-duplicate documents (syndicated copies of one wire story)."""

    method: Literal["minhash", "none"] = "minhash"
    threshold: float = Field(0.8, gt=0, le=1, description="estimated Jaccard similarity")
    action: Literal["keep", "drop"] = Field(
        "keep", description="keep: mark duplicates; drop: merge each into its first copy"
    )
    num_perm: int = Field(128, ge=16)
    shingle_words: int = Field(5, ge=1)


class SegmentationConfig(Section):
    """How documents split into segments, the unit every later stage works on."""

    unit: Literal["paragraph", "sentence", "window", "document"] = "paragraph"
    min_words: int = Field(8, ge=0, description="shorter segments merge into a neighbour")
    window_words: int = Field(100, ge=1)
    window_overlap: int = Field(0, ge=0)
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


class EmbeddingConfig(Section):
    """Sentence embeddings of segments, cached on disk."""

    model: str = Field(
        "all-MiniLM-L6-v2",
        description="a packaged model name, or the path of a local sentence-transformers folder",
    )
    weights_sha256: str | None = Field(
        None, description="expected sha256 of the weights file; checked when given"
    )
    normalize: bool = True
    batch_size: int = Field(
        32, ge=1, description="texts per forward pass; sentence-transformers' default, about "
        "12% faster on CPU than 64 on 20 Newsgroups paragraphs (long texts pad less)")
    backend: Literal["onnx", "torch"] = Field(
        "onnx", description="onnx: the model's transformer exported to ONNX Runtime when it "
        "loads, about 1.5x faster on CPU, the same vectors to 3e-7 (mean-pooled models only); "
        "torch: sentence-transformers' own forward pass")
    threads: int | None = Field(None, ge=1, description="threads per forward pass "
                                "(default: all cores)")
    max_seq_length: int | None = Field(None, ge=8)
    cache_dir: HomePath | None = Field(None, description="default: <output_dir>/.cache/embeddings")


#: Up to this many segments UMAP's own default is 500 epochs, above it 200.
UMAP_SMALL_CORPUS = 10_000


class UmapConfig(Section):
    """UMAP settings; ``auto`` adapts to the number of segments."""

    n_neighbors: int | Literal["auto"] = "auto"
    n_components: int | Literal["auto"] = "auto"
    min_dist: float = Field(0.0, ge=0)
    metric: str = "cosine"
    n_epochs: Annotated[int, Field(ge=1)] | Literal["auto"] = Field(
        "auto", description="layout optimisation passes: auto = UMAP's own, 500 up to "
        f"{UMAP_SMALL_CORPUS:,} segments and 200 above. Fewer is faster but, on 1,000 "
        "20 Newsgroups paragraphs, 200 collapsed 2 of 5 seeds to 4 topics "
        "(benchmarks/umap_epochs.py)")


class HdbscanConfig(Section):
    """HDBSCAN settings; ``auto`` adapts to the number of segments."""

    min_cluster_size: int | Literal["auto"] = "auto"
    min_samples: int | Literal["auto"] | None = Field(
        "auto", description="density smoothing: auto = min(min_cluster_size, 10), "
        "BERTopic's default smoothing whatever the topic size; null = HDBSCAN's own "
        "(min_cluster_size), which at large min_cluster_size can merge most of a corpus "
        "into one topic")
    cluster_selection_method: Literal["eom", "leaf"] = Field(
        "eom", description="eom keeps the most persistent clusters; leaf the finest ones "
        "(more, smaller and more uniform topics: suits a fixed nr_topics that merges them)")


class OutlierConfig(Section):
    """Reassigning outlier segments (topic -1) to topics after fitting."""

    reduce: bool = False
    strategy: Literal["c-tf-idf", "embeddings", "distributions", "probabilities"] = "embeddings"
    threshold: float = Field(0.0, ge=0)


class TopicsConfig(Section):
    """BERTopic on the cached embeddings, guided by seed themes."""

    enabled: bool = True
    seed_themes: dict[str, list[str]] = Field(default_factory=dict)
    guidance: Literal["guided", "zeroshot", "none"] = "guided"
    zeroshot_min_similarity: float = Field(0.5, gt=0, le=1)
    umap: UmapConfig = UmapConfig()
    hdbscan: HdbscanConfig = HdbscanConfig()
    nr_topics: int | Literal["auto"] | None = Field(
        None, description="merge topics down to this many besides the outlier topic -1 "
        "(BERTopic 0.17 itself counts -1 among them; stance does not), or auto (HDBSCAN "
        "over the topic vectors)")
    representation: Literal["ctfidf", "keybert", "mmr"] = "mmr"
    reduce_frequent_words: bool = Field(
        True, description="c-TF-IDF down-weights words frequent in every topic (actor names)")
    mmr_diversity: float = Field(0.3, ge=0, le=1)
    ngram_range: tuple[int, int] = (1, 2)
    stopwords: list[str] = Field(default_factory=list)
    top_n_words: int = Field(10, ge=1)
    outliers: OutlierConfig = OutlierConfig()
    stability_runs: int = Field(
        3, ge=0, description="fits compared for stability (mean ARI over every pair): the "
        "model and refits with seeds seed+1, seed+2, ...; 0 or 1 skips it")


class AnalysisConfig(Section):
    """Outlet and time comparison of topics."""

    n_bootstrap: int = Field(1000, ge=100, description="resamples of documents for intervals")
    confidence: float = Field(0.95, gt=0.5, lt=1)
    time_freq: Literal["auto", "D", "W", "M", "Q", "Y"] = Field(
        "auto", description="period of topics over time; auto picks one giving 4-40 periods"
    )


class FinetuneConfig(Section):
    """Contrastive fine-tuning of the embedding model for ``framing.classifier: setfit``.

    SetFit (Tunstall et al. 2022): pairs of training texts, labelled 1 when both have the
    same class and 0 otherwise, pull the model's vectors of a class together
    (CosineSimilarityLoss); a logistic regression head then classifies the tuned vectors.
    Each step trains on ``batch_size`` freshly sampled pairs, so the cost is fixed by
    ``steps`` whatever the corpus size (one pass; no epochs over a pair set).
    """

    steps: int = Field(60, ge=1, description="training steps of batch_size pairs each (on "
                       "2 CPU cores about 1 s per step of short sentences)")
    batch_size: int = Field(16, ge=2, description="pairs per step (half same-class)")
    learning_rate: float = Field(2e-5, gt=0, le=1e-2, description="AdamW learning rate of "
                                 "the model body, warmed up over the first 10% of steps")


class FramingConfig(Section):
    """Outlet framing: a classifier evaluated with outlets held out, actor naming, key terms."""

    enabled: bool | Literal["auto"] = Field(
        "auto", description="auto: run when the label column is among corpus.columns.labels")
    label: str = Field("framing", description="label column, one of corpus.columns.labels")
    classes: list[str] | None = Field(None, description="expected classes (default: as found)")
    rare_classes: Literal["error", "drop"] = Field(
        "error", description="a class with fewer than min_documents_per_class documents cannot "
        "be both trained and tested: error stops; drop removes it and the report says so")
    min_documents_per_class: int = Field(2, ge=2)
    level: Literal["document", "segment"] = Field(
        "segment", description="train and predict on segments (inheriting their document's "
        "label) or on whole documents")
    segment_labels: HomePath | None = Field(
        None, description="CSV or Parquet with seg_id and the label column, overriding the "
        "labels segments inherit")
    group: str = Field("outlet", description="documents sharing this column stay in one fold")
    features: list[Literal["embeddings", "tfidf_words", "tfidf_chars", "lexicon",
                           "learned_cues"]] = Field(
        default_factory=lambda: ["tfidf_words", "lexicon"], min_length=1,
        description="learned_cues: a cue lexicon learned from framing.rationales inside "
        "each training part")
    rationales: str | None = Field(
        None, description="label column holding each document's annotated cue words (a "
        "list such as ['word', 'two words'] or words separated by ';'), the supervision of "
        "the learned_cues feature; read only for training texts, never to score a text")
    classifier: Literal["logreg", "linearsvc", "setfit"] = Field(
        "logreg", description="setfit: fine-tune the embedding model on each training part "
        "(framing.finetune), then a logistic regression over the features; needs embeddings "
        "in features and calibrate: false")
    C: float = Field(1.0, gt=0, description="inverse regularisation strength")
    finetune: FinetuneConfig = FinetuneConfig()
    cv: Literal["auto", "leave_one_group_out", "stratified_group_kfold"] = Field(
        "auto", description="auto: leave one outlet out up to 12 outlets, else grouped k-fold")
    n_splits: int = Field(5, ge=2)
    n_bootstrap: int = Field(1000, ge=100)
    calibrate: bool = True
    lexicon: dict[str, list[str]] = Field(
        default_factory=dict, description="extra cues per category, added to the packaged ones")
    actors: dict[str, list[str]] = Field(
        default_factory=dict, description="actor -> aliases (every variant that names the "
        "actor); none by default: actor naming runs for the actors of your story")
    distinctive_prior: float = Field(
        0.01, gt=0, description="scale of the informative Dirichlet prior (share of counts)")
    top_n: int = Field(15, ge=1, description="features and terms listed per class or outlet")

    @model_validator(mode="after")
    def _rationales_and_learned_cues_go_together(self) -> FramingConfig:
        if ("learned_cues" in self.features) != (self.rationales is not None):
            raise ValueError("framing.features learned_cues and framing.rationales go "
                             "together: name the rationale column and add learned_cues, "
                             "or neither")
        return self

    @model_validator(mode="after")
    def _setfit_is_usable(self) -> FramingConfig:
        if self.classifier != "setfit":
            return self
        if "embeddings" not in self.features:
            raise ValueError("classifier setfit fine-tunes the embeddings feature; add "
                             "embeddings to framing.features")
        if self.calibrate:
            # Calibration refits the whole model on inner folds: 3 more fine-tunings per fold.
            raise ValueError("classifier setfit: set framing.calibrate: false (calibration "
                             "would fine-tune the model 3 more times per fold; the logistic "
                             "regression head gives probabilities)")
        return self


class ReportConfig(Section):
    """The PDF report."""

    enabled: bool = True
    title: str | None = None


class ExperimentConfig(Section):
    """A whole experiment: one YAML file in experiments/."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    seed: int = Field(42, ge=0, le=2**32 - 1, description="0 to 2**32 - 1 (numpy's range)")
    output_dir: HomePath = Path("reports")
    corpus: CorpusConfig
    cleaning: CleaningConfig = CleaningConfig()
    dedup: DedupConfig = DedupConfig()
    segmentation: SegmentationConfig = SegmentationConfig()
    embedding: EmbeddingConfig = EmbeddingConfig()
    topics: TopicsConfig = TopicsConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    framing: FramingConfig = FramingConfig()
    report: ReportConfig = ReportConfig()
    sweep: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(
        default_factory=dict, description="dotted setting -> values to try; `stance run` runs "
        "every combination, one run folder each (see stance.sweep)")

    @model_validator(mode="after")
    def _framing_label_is_loaded(self) -> ExperimentConfig:
        # with framing.enabled: auto a label left at its default only says "if loaded"; one
        # the user named (or framing.enabled: true) must be loaded, or a typo turns framing off
        labels, label = self.corpus.columns.labels, self.framing.label
        named = label != FramingConfig.model_fields["label"].default
        if (self.framing.enabled is True or (self.framing.enabled == "auto" and named)) \
                and label not in labels:
            raise ValueError(
                f"framing.label '{label}' is not in corpus.columns.labels {labels}; add the "
                "label column there, correct the name, or set framing.enabled: false")
        return self

    @model_validator(mode="after")
    def _refit_seeds_in_range(self) -> ExperimentConfig:
        # the stability refits use seed + 1, seed + 2, ...; numpy takes at most 2**32 - 1
        last = self.seed + max(0, self.topics.stability_runs - 1)
        if last > 2**32 - 1:
            raise ValueError(f"seed {self.seed}: the stability refits would use seeds up to "
                             f"{last}, above 2**32 - 1; choose a smaller seed")
        return self

    @model_validator(mode="after")
    def _sweep_is_valid(self) -> ExperimentConfig:
        if self.sweep:
            from stance.sweep import check_sweep  # lazy: stance.sweep builds on this schema

            check_sweep(self)
        return self

    @field_validator("name")
    @classmethod
    def _name_not_reserved(cls, value: str) -> str:
        if value in {"latest", "runs", "cache"}:
            raise ValueError(f"'{value}' is reserved; choose another experiment name")
        # the name is a folder under output_dir: '.' and '..' would write beside it, and a
        # leading dot hides it (output_dir/.cache holds the embedding cache)
        if value.startswith("."):
            raise ValueError(f"'{value}' starts with a dot, so it names no folder of its own "
                             "under output_dir; choose a name starting with a letter or digit")
        return value

    @property
    def framing_runs(self) -> bool:
        """Whether the framing stage runs (``auto``: when its label column is loaded)."""
        enabled = self.framing.enabled
        return enabled is True or (enabled == "auto"
                                   and self.framing.label in self.corpus.columns.labels)

    @property
    def framing_skipped_because(self) -> str | None:
        """Why the framing stage does not run (None when it does), for the report."""
        if self.framing_runs:
            return None
        if self.framing.enabled is False:
            return "framing.enabled is false"
        return (f"the label column framing.label ('{self.framing.label}') is not among "
                "corpus.columns.labels")

    def resolved_dump(self) -> dict[str, Any]:
        """The config with every default filled in, as plain YAML-ready data."""
        return json.loads(self.model_dump_json())

    def digest(self) -> str:
        """sha256 of the resolved config (stable key order)."""
        text = json.dumps(self.resolved_dump(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def load_config(path: str | Path) -> ExperimentConfig:
    """Read, validate and resolve an experiment config.

    Raises:
        StanceError: one line per problem, with file, line, dotted key and a fix.

    Example:
        >>> cfg = load_config("experiments/seeds.yaml")  # doctest: +SKIP
        >>> cfg.segmentation.unit
        'paragraph'
    """
    path = Path(path)
    if not path.is_file():
        raise StanceError(f"{path}: config file not found; give the path to a .yaml file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StanceError(f"{path}: not UTF-8 text (byte {exc.start}); re-save the config as "
                          "UTF-8") from None
    try:
        root = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise StanceError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(raw, dict):
        raise StanceError(f"{path}: expected a mapping of sections (name, corpus, ...)")
    duplicates: list[tuple[str, int, int]] = []
    lines = _key_lines(root, duplicates)
    if duplicates:
        key, line, first = duplicates[0]
        raise StanceError(f"{path}:{line} {key}: given twice (first at line {first}); YAML "
                          "keeps only the last, so delete one")
    return parse_config(raw, source=path, lines=lines)


def parse_config(
    raw: dict[str, Any], *, source: Path | None = None, lines: dict[str, int] | None = None,
    base_dir: Path | None = None,
) -> ExperimentConfig:
    """Validate a config given as data.

    Relative input paths resolve against ``base_dir``, else ``source``'s folder, else the
    working directory.
    """
    try:
        cfg = ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        raise StanceError(*_describe(exc, source, lines or {})) from None
    base = base_dir or (source.parent if source else Path.cwd())
    return _resolve_paths(cfg, Path(base).resolve())


def set_dotted(data: dict[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of config data with dotted settings replaced (``{"topics.seed_themes": ...}``).

    A section left out of ``data`` starts empty, so its defaults fill in on validation.
    """
    data = copy.deepcopy(data)
    for key, value in settings.items():
        *sections, last = key.split(".")
        target = data
        for part in sections:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        target[last] = value
    return data


def dump_config(cfg: ExperimentConfig) -> str:
    """The resolved config as YAML text (what a run folder's config.yaml holds)."""
    return yaml.safe_dump(cfg.resolved_dump(), sort_keys=False, allow_unicode=True)


#: Settings naming input files: relative values resolve against the config's folder.
INPUT_PATHS = ("corpus.path", "corpus.metadata", "framing.segment_labels")


def _resolve_paths(cfg: ExperimentConfig, base: Path) -> ExperimentConfig:
    """Input paths, and swept ones, against ``base`` (``~`` already expanded, see HomePath)."""
    def resolved(value: Any) -> Any:
        return value if value is None or Path(value).is_absolute() else (base / value).resolve()

    def swept(value: str) -> str:  # validated only in its point: HomePath has not run yet
        try:
            return str(resolved(_expand_home(Path(value))))
        except ValueError as exc:
            raise StanceError(f"sweep: {exc}") from None

    corpus = cfg.corpus.model_copy(update={"path": resolved(cfg.corpus.path),
                                           "metadata": resolved(cfg.corpus.metadata)})
    framing = cfg.framing.model_copy(
        update={"segment_labels": resolved(cfg.framing.segment_labels)})
    # a swept input path is a path of the config too (its points validate the values later)
    sweep = {key: [swept(v) if isinstance(v, str) else v for v in values]
             if key in INPUT_PATHS else values for key, values in cfg.sweep.items()}
    return cfg.model_copy(update={"corpus": corpus, "framing": framing, "sweep": sweep,
                                  "output_dir": cfg.output_dir.absolute()})


def _key_lines(node: yaml.Node | None, duplicates: list[tuple[str, int, int]] | None = None,
               prefix: str = "") -> dict[str, int]:
    """Map each dotted key of a composed YAML document to its 1-based line.

    ``duplicates`` collects (key, line, first line) of each key given twice in one mapping.
    """
    found: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            dotted = f"{prefix}{key_node.value}"
            line = key_node.start_mark.line + 1
            if dotted in found and duplicates is not None:
                duplicates.append((dotted, line, found[dotted]))
            found[dotted] = line
            found.update(_key_lines(value_node, duplicates, dotted + "."))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            dotted = f"{prefix}{index}"
            found[dotted] = item.start_mark.line + 1
            found.update(_key_lines(item, duplicates, dotted + "."))
    return found


def locate(error: StanceError, source: Path) -> StanceError:
    """``error`` with each problem that starts with a config key pointed at ``source``.

    Checks that need the data (a label class with one document, too few segments) name
    the key they concern but run long after the config was read; this adds the file and
    the key's line (or its section's) as :func:`load_config` gives them. Problems that
    start with anything else, such as a data file's path, are left as they are.
    """
    lines: dict[str, int] | None = None
    problems = []
    for problem in error.problems:
        key = problem.split(maxsplit=1)[0].rstrip(":") if problem.strip() else ""
        if key.split(".")[0] not in ExperimentConfig.model_fields:
            problems.append(problem)
            continue
        if lines is None:
            try:
                lines = _key_lines(yaml.compose(source.read_text(encoding="utf-8")))
            except (OSError, yaml.YAMLError):  # changed or gone since it was read
                lines = {}
        problems.append(_at_key(problem, source, lines))
    return StanceError(*problems)


def _at_key(message: str, source: Path | None, lines: dict[str, int]) -> str:
    """``message``, which starts with a dotted key, pointed at its line (or its section's)."""
    # sweep.<key>[i] names the i-th item, which _key_lines records as sweep.<key>.i
    key = re.sub(r"\[(\d+)\]", r".\1", message.split(maxsplit=1)[0].rstrip(":"))
    line = lines.get(key) or lines.get(key.split(".")[0])
    return f"{source}:{line} {message}" if source and line else f"{source or 'config'}: {message}"


def _describe(exc: ValidationError, source: Path | None, lines: dict[str, int]) -> list[str]:
    problems = []
    for error in _merge_union_branches(exc.errors()):
        loc = [str(part) for part in error["loc"]]
        if not loc:  # a check across sections: its message starts with the dotted key
            problems.append(_at_key(error["msg"].removeprefix("Value error, "), source, lines))
            continue
        dotted = ".".join(loc)
        line = lines.get(dotted) or lines.get(".".join(loc[:-1]))
        where = f"{source}:{line}" if source and line else str(source or "config")
        if error["type"] == "extra_forbidden":
            known = _known_keys(loc[:-1])
            close = difflib.get_close_matches(loc[-1], known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(known)}"
            problems.append(f"{where} {dotted}: unknown key; {hint}")
        elif error["type"] == "missing":
            problems.append(f"{where} {dotted}: required key is missing; add it")
        else:
            found = error.get("input")
            shown = "" if isinstance(found, dict | list) else f" (found {found!r})"
            message = error["msg"].removeprefix("Value error, ")
            # lower-case only the first letter: the rest may quote column names and values
            message = message[:1].lower() + message[1:]
            problems.append(f"{where} {dotted}: {message}{shown}")
    return problems


def _merge_union_branches(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One error per setting, where pydantic gives one per member of a union setting.

    A value that fits no member of ``int | "auto"`` fails once per member, each at the
    setting's location plus the member's tag; the messages become one: "input should be
    a valid integer; or 'auto'".
    """
    merged: dict[tuple, dict[str, Any]] = {}
    for number, error in enumerate(errors):
        tag = _union_tag_index(error["loc"])
        if tag is None:
            merged[(number,)] = error
            continue
        loc = error["loc"][:tag] + error["loc"][tag + 1:]
        if loc in merged:
            merged[loc]["msg"] += "; or " + error["msg"].removeprefix("Input should be ")
        else:
            merged[loc] = {**error, "loc": loc}
    return list(merged.values())


def _union_tag_index(loc: tuple) -> int | None:
    """Where in ``loc`` pydantic put a union member's tag (after a union setting), if anywhere."""
    model: Any = ExperimentConfig
    for index, part in enumerate(loc):
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return None
        annotation = fields[part].annotation
        model = _section_type(annotation)
        if model is None:
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            is_union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
            after = index + 1
            if is_union and len(members) > 1 and after < len(loc) and isinstance(loc[after], str):
                return after
            return None
    return None


def _known_keys(loc: list[str]) -> list[str]:
    """Field names of the section at ``loc`` (list indices skipped)."""
    model: Any = ExperimentConfig
    for part in loc:
        if part.isdigit():
            continue
        annotation = model.model_fields[part].annotation
        model = _section_type(annotation)
        if model is None:
            return []
    return list(model.model_fields)


def _section_type(annotation: Any) -> type[Section] | None:
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _section_type(arg)
        if found is not None:
            return found
    return None
