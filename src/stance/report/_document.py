"""report.pdf: Typst markup built from a run's results, compiled with the ``typst`` package.

The report is a list of sections, each a function of the run result returning
markup (or None when its stage did not run); later stages add sections to
:data:`SECTIONS` without touching the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from stance.corpus import summarise_outlets
from stance.report import _markup as m
from stance.report._actor_stance import actor_stance_methods, actor_stance_section
from stance.report._framing import framing_methods, framing_section
from stance.report._plots import interval_level, shown_note
from stance.report._topics import cut_segments, topics_section

if TYPE_CHECKING:
    from stance.config import CleaningConfig, TopicsConfig
    from stance.data import RunResult

log = logging.getLogger(__name__)

Section = Callable[["RunResult"], str | None]

def title_page(run: RunResult) -> str:
    """Experiment, description, date and the commit that produced the run."""
    cfg, git = run.config, run.manifest["git"]
    commit = git["commit"][:12] if git["commit"] else "not in a git checkout"
    if git["dirty"]:
        commit += " (uncommitted changes)"
    title = run.config.report.title or f"stance report: {cfg.name}"
    rows = pd.DataFrame({"what": ["experiment", "run", "date", "commit", "config sha256",
                                  "corpus sha256", "stance"],
                         "value": [cfg.name, run.run_dir.name, run.manifest["started"], commit,
                                   run.manifest["config_sha256"][:16],
                                   run.manifest["corpus_sha256"][:16],
                                   run.manifest["packages"].get("stance") or "?"]})
    return (f"#align(center)[#v(3cm)#text(size: 22pt, weight: \"bold\")[{m.text(title)}]"
            f"#v(0.6cm)#text(size: 12pt)[{m.text(cfg.description)}]]\n#v(1.5cm)\n"
            + m.table(rows, align=["left", "left"], size="10pt", header=False)
            + "#pagebreak()\n")


def corpus_section(run: RunResult) -> str:
    """Documents and segments per outlet, words and dates, with a figure."""
    summary = summarise_outlets(run.corpus.corpus, run.segments)
    out = m.heading("Corpus")
    unit = run.config.segmentation.unit
    split, pieces = run.segments.split_counts()
    out += m.paragraph(m.text(
        f"{len(run.corpus.corpus)} documents from {summary.shape[0] - 1} outlets, split into "
        f"{len(run.segments)} segments ({unit} units)."
        + (f" {split} {unit}{'s' if split != 1 else ''} longer than the embedding model "
           f"reads {'were' if split != 1 else 'was'} split into {pieces} segments, at "
           "sentence ends where possible, so that the model reads all of the text."
           if split else "")))
    out += m.table(summary, caption="Documents, segments, words and dates per outlet.")
    if "segments_per_outlet" in run.figures:
        out += m.image(_rel(run, run.figures["segments_per_outlet"]), "Segments per outlet.")
    return out


def _id_or_source(documents: pd.DataFrame) -> pd.Series:
    """Each document's id, or for one without (no text to take it from) where it was read."""
    ids = documents["doc_id"].fillna("").astype(str)
    where = documents["source"].fillna("").astype(str).str.replace(r".*[\\/]", "", regex=True)
    return ids.where(ids != "", ("(no id) " + where).str.strip())


def audit_section(run: RunResult) -> str:
    """What happened to every input document, and what cleaning removed."""
    audit = run.corpus.audit
    counts = audit.counts()
    documents = audit.documents
    flagged = (documents["status"] == "kept") & (documents["reason"].fillna("") != "")
    copies = int(((documents["status"] == "kept")
                  & (documents["duplicate_of"].fillna("") != "")).sum())  # "" names no copy
    out = m.heading("Cleaning and duplicates")
    out += m.paragraph(m.text(
        f"{len(documents):,} input documents: {counts['kept']:,} kept, "
        f"{counts['dropped']:,} dropped, {counts['merged']:,} merged as near-duplicates. "
        + (f"{copies} kept documents are near-duplicates of another kept one: they count in "
           "every share and score (dedup.action: drop merges them). " if copies else "")
        + "Every input document appears in audit.csv with its fate and reason."))
    dropped = documents[documents["status"] == "dropped"]
    if not dropped.empty:
        reasons = dropped["reason"].fillna("").value_counts().rename_axis("reason").rename(
            "documents").reset_index()
        out += m.table(reasons.head(AUDIT_ROWS_PER_KIND), align=["left", "right"], size="8pt",
                       caption="Why documents were dropped"
                       + shown_note(min(len(reasons), AUDIT_ROWS_PER_KIND), len(reasons),
                                    "the {} most common reasons") + ".")
    kinds = {"dropped": documents["status"] == "dropped",
             "merged": documents["status"] == "merged", "flagged": flagged}
    notable = pd.concat([documents[rows].head(AUDIT_ROWS_PER_KIND) for rows in kinds.values()])
    if not notable.empty:
        totals = ", ".join(f"{int(rows.sum())} {kind}" for kind, rows in kinds.items())
        notable = notable.assign(doc_id=_id_or_source(notable))
        out += m.table(notable[["doc_id", "status", "reason"]], align=["left", "left", "left"],
                       caption=f"Documents dropped, merged or flagged ({totals}): the first "
                               f"{AUDIT_ROWS_PER_KIND} of each; audit.csv lists them all.")
    removals = audit.removals
    if not removals.empty:
        by_pattern = (removals.groupby("pattern")
                      .agg(documents=("doc_id", "nunique"), pieces=("doc_id", "size"),
                           characters=("n_chars", "sum"))
                      .sort_values("characters", ascending=False).reset_index())
        out += m.table(by_pattern, caption="Boilerplate removed, per pattern (cleaning.csv "
                                           "lists every removed piece).")
        examples = removals.drop_duplicates("pattern")[["pattern", "doc_id", "text"]]
        examples = examples.assign(text=examples["text"].astype(str).str.slice(0, 90))
        out += m.table(examples, align=["left", "left", "left"], size="8pt",
                       caption="One removed piece per pattern.")
    return out


#: Rows of each kind (dropped, merged, flagged) the report's audit tables show.
AUDIT_ROWS_PER_KIND = 15


def methods_section(run: RunResult) -> str:
    """The method, written from the resolved config."""
    cfg = run.config
    cleaning = cfg.cleaning
    steps = [
        m.text(f"Corpus read from {cfg.corpus.path.name} ({cfg.corpus.format} format); invalid "
               f"documents: {cfg.corpus.on_invalid}" + _kept_labels(cfg.corpus.keep_labels)
               + "."),
        m.text("Cleaning: " + ("off." if not cleaning.enabled else
               f"{'packaged' if cleaning.default_patterns else 'no packaged'} boilerplate "
               f"patterns plus {len(cleaning.patterns)} from the config; repeated headline "
               f"{'removed' if cleaning.remove_repeated_title else 'kept'}; "
               + _repeated_lines(cleaning) + "; paragraphs split mid-sentence "
               f"{'re-joined' if cleaning.rejoin_fragments else 'left as is'}.")),
        m.text(f"Near-duplicates: {cfg.dedup.method}" + (
            "." if cfg.dedup.method == "none" else
            f" over {cfg.dedup.shingle_words}-word shingles, {cfg.dedup.num_perm} permutations, "
            f"Jaccard >= {cfg.dedup.threshold}; duplicates "
            f"{'merged' if cfg.dedup.action == 'drop' else 'kept and flagged'}.")),
        m.text(f"Segments: {cfg.segmentation.unit}"
               + (f" units; segments under {cfg.segmentation.min_words} words merge into a "
                  "neighbour." if cfg.segmentation.unit in ("paragraph", "sentence") else ".")),
        *_embedding_methods(run),
        *_topic_methods(run),
        *framing_methods(run),
        *actor_stance_methods(run),
        m.text(f"Random seed {cfg.seed} for every stochastic step{_refit_seeds(run)}. The "
               "resolved config is config.yaml in the run folder; versions and hashes are in "
               "manifest.json."),
    ]
    return m.heading("Methods") + m.bullets(steps)


def _kept_labels(keep: dict[str, list[str]]) -> str:
    """Which labels corpus.keep_labels kept, as a clause; '' when it is unset."""
    if not keep:
        return ""
    kept = "; ".join(f"{' or '.join(values)} in {column}" for column, values in keep.items())
    return f"; only documents labelled {kept} kept (the others are dropped in the audit)"


def _repeated_lines(cleaning: CleaningConfig) -> str:
    """What the cleaning does with lines repeated within a document and across an outlet."""
    rule = cleaning.repeated_lines
    short = f"lines of at most {rule.max_words if rule else 15} words"
    within = (f"{short} repeated within a document "
              f"{'removed' if cleaning.remove_repeated_lines_in_document else 'kept'}")
    across = ("" if rule is None else
              f", and those found in {rule.min_documents} or more of an outlet's documents "
              "(bylines, taglines) removed")
    return within + across


def _refit_seeds(run: RunResult) -> str:
    """' but the stability refits (seeds 43 and 44)', or '' when there were none."""
    seeds = (run.manifest.get("seeds") or {}).get("stability_seeds") or []
    if not seeds:
        return ""
    named = " and ".join(map(str, seeds)) if len(seeds) < 3 else ", ".join(map(str, seeds))
    return f" but the stability refits (seed{'s' if len(seeds) > 1 else ''} {named})"


def _embedding_methods(run: RunResult) -> list[str]:
    """The embedding model, for topics or framing features; [] when neither used one."""
    emb = run.manifest.get("embedding")
    if not emb:
        return []
    embeds = run.framing is not None and "embeddings" in run.config.framing.features
    used = " and ".join(what for what, on in (("topics", run.topics is not None),
                                               ("framing features", embeds)) if on)
    return [m.text(
        f"Embeddings{f' (for {used})' if used else ''}: {emb.get('model')} (weights sha256 "
        f"{str(emb.get('weights_sha256', ''))[:16]}…, from {emb.get('source')}), "
        f"{'L2-normalised' if emb.get('normalize') else 'not normalised'}, at most "
        f"{emb.get('max_seq_length')} tokens per segment (the model reads no further"
        + _cut_clause(emb.get("segments_cut")) + "), run by "
        f"{'ONNX Runtime' if emb.get('backend') == 'onnx' else 'torch'}.")]


def _cut_clause(cut: dict | None) -> str:
    """'; 12 of 63 segments (19%) are longer and were cut', or '' when unknown."""
    if not cut or cut.get("truncated") is None:
        return ""
    return f"; {cut_segments(cut)} are longer and were cut"


def _topic_methods(run: RunResult) -> list[str]:
    if run.topics is None:
        return []
    cfg = run.config
    topics, params = cfg.topics, run.topics.params
    # what ran: without seed themes a fit is unguided whatever topics.guidance says
    guidance = {"guided": "guided by the seed themes (BERTopic seed_topic_list)",
                "zeroshot": "zero-shot from the seed themes (similarity >= "
                            f"{topics.zeroshot_min_similarity})",
                "none": "unguided" + (" (no seed themes)" if not topics.seed_themes else
                                      "")}[params.get("guidance", topics.guidance)]
    return [
        m.text(f"Topics: BERTopic {guidance}, on {params['n_segments']} segments. "
               + fit_settings(params, topics) + " " + _term_settings(topics)
               + _theme_matching(topics)),
        m.text(f"Outlet comparison: {cfg.analysis.n_bootstrap} bootstrap resamples of each "
               f"outlet's documents, {interval_level(cfg.analysis.confidence)} percentile "
               "intervals; "
               "exact (Clopper-Pearson) over the documents where none or all of an outlet's "
               "segments are in a topic, which no resample moves."),
    ]


def _theme_matching(topics: TopicsConfig) -> str:
    from stance.topics import THEME_MIN_SHARED_WORDS, THEME_MIN_SIMILARITY

    if not topics.seed_themes:
        return ""
    return (" A topic takes a seed theme's name when its centroid's cosine similarity to the "
            f"theme (its name and words, embedded) is at least {THEME_MIN_SIMILARITY}, or when "
            f"{THEME_MIN_SHARED_WORDS} or more of the theme's words are among its top terms.")


def fit_settings(params: dict, topics: TopicsConfig) -> str:
    """The resolved UMAP, HDBSCAN, merging and outlier settings of a fit, as sentences.

    ``params`` is the fit's resolved params (``manifest["topics"]``), ``topics`` its config:
    "UMAP to 5 dimensions (14 neighbours, min_dist 0.0, cosine metric, ...); HDBSCAN (...)".
    """
    umap, hdb, merge = params["umap"], params["hdbscan"], params["nr_topics"]
    sentence = (
        f"UMAP to {umap['n_components']} dimensions ({umap['n_neighbors']} neighbours, "
        f"min_dist {umap['min_dist']}, {umap['metric']} metric, {umap['n_epochs']} epochs, "
        f"{umap['init']} initialisation, seed {params['seed']}); HDBSCAN (min_cluster_size "
        f"{hdb['min_cluster_size']}, min_samples {hdb['min_samples']}, "
        f"{hdb['cluster_selection_method']} cluster selection); "
        + ("topics not merged (nr_topics unset)." if merge is None else
           "similar topics merged automatically (nr_topics auto)." if merge == "auto" else
           f"topics merged down to {merge} besides the outlier topic.")
    )
    if "outliers_reassigned" in params:
        sentence += (f" {params['outliers_reassigned']} outlier segments reassigned to a topic "
                     f"({topics.outliers.strategy} strategy, threshold "
                     f"{topics.outliers.threshold}).")
    return sentence


def _term_settings(topics: TopicsConfig) -> str:
    """How topic terms were chosen, as a sentence."""
    representation = {
        "ctfidf": "c-TF-IDF",
        "mmr": f"c-TF-IDF reranked by MMR (diversity {topics.mmr_diversity})",
        "keybert": "c-TF-IDF reranked by KeyBERTInspired",
    }[topics.representation]
    return (f"Topic terms: {representation}, {topics.top_n_words} per topic, over "
            f"{topics.ngram_range[0]}-{topics.ngram_range[1]}-grams without English and "
            f"{len(topics.stopwords)} configured stopwords"
            + ("; words frequent in every topic down-weighted (reduce_frequent_words)."
               if topics.reduce_frequent_words else "."))


#: The report's sections in order; a later stage appends its own.
SECTIONS: list[Section] = [title_page, corpus_section, audit_section, topics_section,
                           framing_section, actor_stance_section, methods_section]


def render_markup(run: RunResult) -> str:
    """The whole report as Typst markup."""
    title = run.config.report.title or f"stance report: {run.config.name}"
    parts = [m.preamble(title)]
    parts += [markup for section in SECTIONS if (markup := section(run))]
    return "\n".join(parts)


def write_report(run: RunResult, pdf_path: Path) -> Path:
    """Compile the report to ``pdf_path``; report.typ beside it keeps the source."""
    import typst

    source = pdf_path.with_suffix(".typ")
    source.write_text(render_markup(run), encoding="utf-8")
    # Bundled fonts only and a fixed timestamp: the same run gives the same PDF on any machine.
    # Libertinus Serif, typst's bundled text font, has Latin, Greek and Cyrillic glyphs.
    started = datetime.fromisoformat(run.manifest["started"]).astimezone(UTC)
    _, warnings = typst.compile_with_warnings(
        str(source), output=str(pdf_path), root=str(run.run_dir), ignore_system_fonts=True,
        timestamp=int(started.timestamp()))
    for warning in warnings:
        log.warning("%s: %s", source.name, " ".join(str(warning).split()))
    return pdf_path


def _rel(run: RunResult, path: Path) -> str:
    return str(Path(path).relative_to(run.run_dir))
