"""The sections of the stages after segmentation: embedding, topics, analysis, framing, report."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    model_validator,
)

from stance.config._base import FolderOrURL, HomePath, Section


class EmbeddingConfig(Section):
    """Sentence embeddings of segments, cached on disk."""

    model: str = Field(
        "all-MiniLM-L6-v2",
        description="a packaged model name, or the path of a local sentence-transformers folder",
    )
    weights_sha256: str | None = Field(
        None, description="expected sha256 of the weights file; checked when given"
    )
    normalize: bool = Field(True, description="L2-normalise the vectors")
    batch_size: int = Field(
        32, ge=1, description="texts per forward pass; sentence-transformers' default, about "
        "12% faster on CPU than 64 on 20 Newsgroups paragraphs (long texts pad less)")
    backend: Literal["torch", "onnx", "static"] = Field(
        "torch", description="torch: sentence-transformers' own forward pass; onnx: the "
        "model's transformer exported to ONNX Runtime when it loads (mean-pooled models only), "
        "the same vectors to 3e-7. Which is faster depends on the CPU: "
        "benchmarks/backends.py measures both side by side. static: a model2vec model "
        "distilled from the model once (offline, about 20 s), a token-vector mean per text: "
        "for millions of segments, far faster and somewhat less accurate (README, "
        "benchmarks/embed.py)")
    static_dims: int = Field(256, ge=8, le=1024, description="backend static: dimensions "
                             "the distilled token vectors keep (PCA; model2vec's default)")
    threads: int | None = Field(None, ge=1, description="threads per forward pass "
                                "(default: all cores)")
    max_seq_length: int | None = Field(None, ge=8, description="tokens the model reads "
                                       "(default: the model's own, 256 for MiniLM)")
    cache_dir: FolderOrURL | None = Field(
        None, description="default: <output_dir>/.cache/embeddings; a folder, or an fsspec "
        "URL every worker reaches (s3://bucket/stance-cache, with its package, s3fs, "
        "installed). Backend static keeps its distilled model in <cache_dir>/static-models "
        "(with a URL, in the user's cache folder)")


#: Up to this many segments UMAP's own default is 500 epochs, above it 200.
UMAP_SMALL_CORPUS = 10_000


class UmapConfig(Section):
    """UMAP settings; ``auto`` adapts to the number of segments."""

    n_neighbors: int | Literal["auto"] = Field("auto", description="neighbours per point: auto "
                                               "= 15, fewer for a small corpus")
    n_components: int | Literal["auto"] = Field("auto", description="dimensions: auto = 5 "
                                                "(BERTopic's)")
    min_dist: float = Field(0.0, ge=0, description="how tightly points may pack")
    metric: str = Field("cosine", description="distance between embeddings")
    n_epochs: Annotated[int, Field(ge=1)] | Literal["auto"] = Field(
        "auto", description="layout optimisation passes: auto = UMAP's own, 500 up to "
        f"{UMAP_SMALL_CORPUS:,} segments and 200 above. Fewer is faster but, on 1,000 "
        "20 Newsgroups paragraphs, 200 collapsed 2 of 5 seeds to 4 topics "
        "(benchmarks/umap_epochs.py)")


class HdbscanConfig(Section):
    """HDBSCAN settings; ``auto`` adapts to the number of segments."""

    min_cluster_size: int | Literal["auto"] = Field(
        "auto", description="smallest topic in segments: auto = 1% of the segments, at least 3, "
        "at most their square root (316 at 100,000)")
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

    reduce: bool = Field(False, description="move outliers to their nearest topic")
    strategy: Literal["c-tf-idf", "embeddings", "distributions", "probabilities"] = Field(
        "embeddings", description="how nearness is measured (BERTopic's reduce_outliers)")
    threshold: float = Field(0.0, ge=0, description="least similarity for a move")


class TopicsConfig(Section):
    """BERTopic on the cached embeddings, guided by seed themes."""

    enabled: bool = Field(True, description="false: no embedding, topics or topic figures")
    seed_themes: dict[str, list[str]] = Field(
        default_factory=dict, description="theme name -> its words; topics take a matching "
        "theme's name")
    guidance: Literal["guided", "zeroshot", "none"] = Field(
        "guided", description="how seed themes steer the fit: guided (BERTopic seed_topic_list), "
        "zeroshot (segments close to a theme join it), none")
    zeroshot_min_similarity: float = Field(0.5, gt=0, le=1, description="zeroshot: least "
                                           "cosine similarity of a segment to its theme")
    umap: UmapConfig = Field(UmapConfig(), description="dimension reduction before clustering")
    hdbscan: HdbscanConfig = Field(HdbscanConfig(), description="clustering into topics")
    nr_topics: int | Literal["auto"] | None = Field(
        None, description="merge topics down to this many besides the outlier topic -1 "
        "(BERTopic 0.17 itself counts -1 among them; stance does not), or auto (HDBSCAN "
        "over the topic vectors)")
    representation: Literal["ctfidf", "keybert", "mmr"] = Field(
        "mmr", description="how topic terms are chosen: c-TF-IDF alone, or reranked by "
        "KeyBERTInspired or maximal marginal relevance")
    reduce_frequent_words: bool = Field(
        True, description="c-TF-IDF down-weights words frequent in every topic (actor names)")
    mmr_diversity: float = Field(0.3, ge=0, le=1, description="mmr: 0 keeps the top terms, "
                                 "1 the most different ones")
    ngram_range: tuple[int, int] = Field((1, 2), description="shortest and longest term, in "
                                         "words")
    stopwords: list[str] = Field(default_factory=list, description="words never a topic term, "
                                 "beside English stopwords")
    exclude_outlet_names: bool = Field(
        True, description="keep the outlets' names (with and without their top-level "
        "domain) out of topic terms and labels")
    exclude_site_furniture: bool = Field(
        True, description="keep out of topic terms what one outlet repeats across its "
        "documents (navigation, section labels): terms in 3 or more and a fifth of one "
        "outlet's documents and at most a tenth as often in the other outlets' (20 or more)")
    top_n_words: int = Field(10, ge=1, description="terms per topic")
    fit_sample: Annotated[int, Field(ge=100)] | Literal["auto"] | None = Field(
        "auto", description="fit the model on at most this many segments, drawn by outlet and "
        "month with the run's seed, and assign the others (see assign): auto = 100,000; "
        "null = every segment")
    assign: Literal["neighbors", "nearest"] = Field(
        "neighbors", description="how segments outside the fit sample get a topic: neighbors = "
        "the topic of most of the 15 most similar fitted segments (outliers too); nearest = the "
        "most similar topic centroid, outliers below the fit's outlier share of similarity: "
        "faster, but on 10,000 scale-corpus paragraphs with half of them outliers it gave "
        "the fit's own topic to 51% of fitted segments, neighbors to 80%. metrics.json gives "
        "both ways' agreement with the fit")
    outliers: OutlierConfig = Field(OutlierConfig(), description="reassigning outlier segments")
    stability_runs: int = Field(
        3, ge=0, description="fits compared for stability (mean ARI over every pair): the "
        "model and refits with seeds seed+1, seed+2, ...; 0 or 1 skips it")


class AnalysisConfig(Section):
    """Outlet and time comparison of topics."""

    n_bootstrap: int = Field(1000, ge=100, description="resamples of documents for intervals")
    confidence: float = Field(0.95, gt=0.5, lt=1, description="coverage of the intervals")
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
    min_documents_per_class: int = Field(2, ge=2, description="fewer documents: too few to "
                                         "train and test (see rare_classes)")
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
        "in features")
    C: float = Field(1.0, gt=0, description="inverse regularisation strength")
    finetune: FinetuneConfig = Field(FinetuneConfig(), description="classifier setfit: how the "
                                     "embedding model is tuned")
    cv: Literal["auto", "leave_one_group_out", "stratified_group_kfold"] = Field(
        "auto", description="auto: leave one outlet out up to 12 outlets, else grouped k-fold")
    n_splits: int = Field(5, ge=2, description="folds of grouped k-fold and of the random "
                          "split")
    n_bootstrap: int = Field(1000, ge=100, description="resamples for the macro-F1 intervals")
    calibrate: bool = Field(False, description="sigmoid calibration of the classifier's "
                            "probabilities, fitted on outlet groups held out inside each "
                            "training fold (the features fitted once per fold); it can move "
                            "the predicted class, and with outlets held out it lowered "
                            "macro-F1 on every labelled corpus measured (benchmarks/framing.py)")
    lexicon: dict[str, list[str]] = Field(
        default_factory=dict, description="extra cues per category, added to the packaged ones")
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
        return self


class ActorStanceConfig(Section):
    """Stance toward actors: each mention's sentence negative, neutral or positive toward it."""

    enabled: bool | Literal["auto"] = Field(
        "auto", description="auto: run when actors are named (the top-level actors section)")
    actors: list[str] | None = Field(
        None, description="which of the named actors to measure (default: all of them); "
        "the model was trained on sentiment toward people")
    model: str = Field(
        "shipped", description="shipped: MiniLM with its top layer and a classifier tuned on "
        "NewsMTSC, installed with stance; finetuned: every layer tuned, trained into the "
        "cache by `stance train actor-stance --variant finetuned`; or the folder of a model "
        "that command wrote")
    unit: Literal["sentence", "window"] = Field(
        "sentence", description="what the model reads around a mention: its sentence, or "
        "window_words words each side of it (a sentence longer than twice that is always "
        "cut to the window)")
    window_words: int = Field(30, ge=5, description="words each side of a mention in a window")
    labels: HomePath | None = Field(
        None, description="CSV of your own labelled mentions (doc_id, sentence, mention, "
        "stance, optional start and end in the sentence, optional rationale): the model's "
        "agreement with them is reported")
    adapt: bool = Field(
        False, description="also tune the model on the labels: scored with outlets held "
        "out beside the unadapted model, then tuned on every label to predict the corpus")
    adapt_epochs: int = Field(4, ge=1, description="passes over the labels when adapting")


class ReportConfig(Section):
    """The PDF report."""

    enabled: bool = Field(True, description="false: no report.pdf")
    title: str | None = Field(None, description="default: stance report: <name>")
