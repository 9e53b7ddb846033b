"""The stage cache's keys: what each stage's output depends on, hashed.

A stage's key covers its inputs' keys, the config sections it reads, the seed, the source
of the packages that compute it and the packaged data they read, and, for the stages
that fit a model, the library versions, the machine and the variables that move numbers
(OPENBLAS_CORETYPE=Haswell gave the seed run 8 topics instead of 7 on an earlier
machine): an output computed under other ones is not this run's.
"""

from __future__ import annotations

from typing import Any

from stance.config import ExperimentConfig
from stance.corpus import is_pattern, matching_files, require_corpus_path
from stance.run._cache import files_sha256, stage_key
from stance.run._manifest import environment

#: The libraries whose versions can change the topics.
TOPIC_PACKAGES = ("numpy", "scikit-learn", "scipy", "bertopic", "umap-learn", "pynndescent",
                  "numba", "hdbscan")
#: The libraries whose versions can change a framing result: the classifier's, and the
#: embedding model's when the embeddings feature reads (or SetFit tunes) it.
FRAMING_PACKAGES = ("numpy", "pandas", "scikit-learn", "scipy", "skops", "torch",
                    "transformers", "sentence-transformers", "onnxruntime", "datasets",
                    "accelerate")
#: Framing settings the classifier does not read (distinctive terms).
NOT_THE_CLASSIFIERS = {"enabled", "distinctive_prior"}
#: The libraries whose versions can change a stance prediction or its tuning.
STANCE_PACKAGES = ("numpy", "pandas", "scikit-learn", "torch", "transformers", "tokenizers",
                   "safetensors")


def corpus_key(cfg: ExperimentConfig) -> str:
    """The corpus stage's key: its input files, settings, code and boilerplate rules."""
    return stage_key("corpus", _input_fingerprint(cfg), cfg.corpus, cfg.cleaning, cfg.dedup,
                     cfg.seed, code=("stance.corpus", "stance.data"), data=("boilerplate.yaml",))


def segments_key(corpus: str, cfg: ExperimentConfig, tokenizer: dict | None) -> str:
    """The segment stage's key: the corpus, the segmentation, the tokenizer that splits."""
    return stage_key("segment", corpus, cfg.segmentation, tokenizer,
                     code=("stance.corpus", "stance.data"))


def truncation_key(segments: str, embedder_key: str, seed: int) -> str:
    """The key of the count of segments the model cuts short."""
    return stage_key("truncation", segments, embedder_key, seed, code=("stance.embed",))


def topics_key(segments: str, embedder_key: str, vectors_sha256: str,
               cfg: ExperimentConfig) -> str:
    """The topics stage's key: segments, model and vectors, topics section, seed, versions.

    The vectors count apart from the model: a refilled embedding cache may change them in
    the last digits.
    """
    return stage_key("topics", segments, embedder_key, vectors_sha256, cfg.seed,
                     fitting_environment(TOPIC_PACKAGES), cfg.topics,
                     code=("stance.topics", "stance.data"))


def map_key(segments: str, embedder_key: str, vectors_sha256: str, seed: int) -> str:
    """The topic map's key: the vectors it lays out and the seed."""
    return stage_key("map", segments, embedder_key, vectors_sha256, seed,
                     fitting_environment(TOPIC_PACKAGES), code=("stance.topics",))


def framing_key(cfg: ExperimentConfig, segments: str, embedding: dict[str, Any] | None) -> str:
    """The framing stage's key.

    Beside the segments (whose key covers the corpus and its labels), the classifier's
    framing settings and the seed, it hashes what the config only names: the
    segment-labels file's bytes and the packaged cue lexicon. ``embedding`` (with the
    embeddings feature) is the model's description: the embedding settings without the
    cache's location, the weights, the resolved truncation length and the segments'
    vectors when the topic stages ran (the units' own vectors come from the embedding
    cache, keyed by text, model and settings).
    """
    labels = cfg.framing.segment_labels
    described = None
    if "embeddings" in cfg.framing.features and embedding is not None:
        described = {"section": cfg.embedding.model_dump(mode="json", exclude={"cache_dir"}),
                     "weights_sha256": embedding["weights_sha256"],
                     "max_seq_length": embedding["max_seq_length"],
                     "vectors_sha256": embedding.get("vectors_sha256")}
    return stage_key(
        "framing", segments, cfg.framing.model_dump(mode="json", exclude=NOT_THE_CLASSIFIERS),
        cfg.seed, described, fitting_environment(FRAMING_PACKAGES),
        # a missing file is the stage's to report, in its own words
        files_sha256([("segment_labels", labels)]) if labels and labels.is_file() else None,
        code=("stance.framing", "stance.embed", "stance.corpus", "stance.data"),
        data=("lexicon.yaml",))


def actor_stance_key(cfg: ExperimentConfig, segments: str, model_identity: str) -> str:
    """The actor stance stage's key.

    The segments' key covers the corpus and its dates; the actors, the lexicon (a title
    absorbs the actor it names) and the stage's settings decide the mentions; the model is
    hashed by its card and weights, the labels file by its bytes.
    """
    labels = cfg.actor_stance.labels
    return stage_key(
        "actor_stance", segments, cfg.actors, cfg.framing.lexicon,
        cfg.actor_stance.model_dump(mode="json", exclude={"enabled"}), cfg.seed,
        cfg.analysis.n_bootstrap, model_identity, fitting_environment(STANCE_PACKAGES),
        files_sha256([("labels", labels)]) if labels and labels.is_file() else None,
        code=("stance.sentiment", "stance.analysis", "stance.embed", "stance.corpus",
              "stance.data"),
        data=("lexicon.yaml",))


def fitting_environment(packages: tuple[str, ...]) -> dict[str, Any]:
    """The versions of ``packages``, the architecture and the variables that move numbers."""
    env = environment()
    return {"packages": {name: env["packages"][name] for name in packages},
            "machine": env["machine"], "numeric_env": env["numeric_env"]}


def _input_fingerprint(cfg: ExperimentConfig) -> str:
    """sha256 over the bytes of every corpus file, and of corpus.metadata kept elsewhere."""
    path = cfg.corpus.path
    require_corpus_path(path)  # the first stage to read it
    if is_pattern(path):
        return files_sha256([(str(p), p) for p in matching_files(path)])
    if not path.is_dir():
        return files_sha256([(path.name, path)])
    files = [(str(p.relative_to(path)), p) for p in sorted(path.rglob("*")) if p.is_file()]
    metadata = cfg.corpus.metadata
    # a missing file is the corpus stage's to report, in its own words
    if metadata is not None and metadata.is_file() and not metadata.resolve().is_relative_to(
            path.resolve()):
        files.append(("corpus.metadata", metadata))
    return files_sha256(files)
