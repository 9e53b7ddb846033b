"""The report's corpus sections and Methods, written from a run's audit and config."""

from types import SimpleNamespace

import pandas as pd
import pytest

from stance.config import parse_config
from stance.data import Audit
from stance.report._document import audit_section, methods_section


def audit(rows: list[tuple[str, str, str, str | None]]) -> Audit:
    return Audit(pd.DataFrame(rows, columns=["doc_id", "status", "reason", "duplicate_of"])
                 .assign(source="corpus.csv"))


def run_with(documents: Audit, **config) -> SimpleNamespace:
    cfg = parse_config({"name": "x", "corpus": {"path": "/data/c.csv"}, **config})
    return SimpleNamespace(config=cfg, corpus=SimpleNamespace(audit=documents),
                           manifest={"seeds": {"seed": 42, "stability_seeds": [43, 44]}},
                           topics=None, framing=None, actor_naming=None,
                           actor_stance=None, distinctive_terms=None)


def test_kept_near_duplicates_are_counted_and_every_kind_is_shown():
    rows = [(f"d{i}", "dropped", "type '' not in keep_labels", None) for i in range(100)]
    rows += [("a", "kept", "", ""),
             ("b", "kept", "kept; near-duplicate of a (Jaccard 0.93)", "a"),
             ("c", "merged", "merged into a (Jaccard 0.97)", "a")]
    text = audit_section(run_with(audit(rows)))
    assert "103 input documents: 2 kept, 100 dropped, 1 merged as near-duplicates." in text
    assert "1 kept documents are near-duplicates of another kept one" in text
    # the reasons for dropping, counted; the flagged copy is listed though 100 drops precede it
    assert '"type \'\' not in keep_labels"' in text and '"100"' in text
    assert '"b"' in text and '"c"' in text
    assert "(100 dropped, 1 merged, 1 flagged): the first 15 of each" in text


def test_a_dropped_row_without_an_id_is_named_by_where_it_was_read():
    documents = audit([("", "dropped", "no text", None), ("", "dropped", "no text", None),
                       ("a", "kept", "", "")])
    documents.documents.loc[0, "source"] = "/data/in/corpus.jsonl:line 7"
    documents.documents.loc[1, "source"] = "C:\\data\\corpus.csv:row 9"
    text = audit_section(run_with(documents))
    assert '"(no id) corpus.jsonl:line 7"' in text and '"no text"' in text
    assert '"(no id) corpus.csv:row 9"' in text


def test_a_corpus_with_nothing_to_note_has_no_tables():
    # the audit writes "" where a document is no copy (as prepare_corpus does)
    text = audit_section(run_with(audit([("a", "kept", "", "")])))
    assert "1 input documents: 1 kept, 0 dropped, 0 merged" in text
    assert "near-duplicates of another kept one" not in text and "#table" not in text


@pytest.mark.parametrize(("cleaning", "expected"), [
    ({}, "lines of at most 15 words repeated within a document removed, and those found in 3 "
         "or more of an outlet's documents (bylines, taglines) removed;"),
    ({"remove_repeated_lines_in_document": False, "repeated_lines": None},
     "lines of at most 15 words repeated within a document kept;"),
])
def test_the_methods_name_the_repeated_line_rules(cleaning, expected):
    text = methods_section(run_with(audit([("a", "kept", "", None)]), cleaning=cleaning))
    assert expected in text


def test_the_methods_name_kept_labels_and_the_refit_seeds():
    run = run_with(audit([("a", "kept", "", None)]),
                   corpus={"path": "/data/c.csv", "columns": {"labels": ["type"]},
                           "keep_labels": {"type": ["left", "right"]}})
    text = methods_section(run)
    assert ("only documents labelled left or right in type kept (the others are dropped in "
            "the audit).") in text
    assert ("Random seed 42 for every stochastic step but the stability refits (seeds 43 and "
            "44).") in text


def test_the_methods_name_the_embedding_model_when_only_framing_used_it(monkeypatch):
    import stance.report._document

    # framing_methods is tested elsewhere
    monkeypatch.setattr(stance.report._document, "framing_methods", lambda run: [])
    run = run_with(audit([("a", "kept", "", None)]), corpus={
        "path": "/data/c.csv", "columns": {"labels": ["framing"]}},
        framing={"features": ["tfidf_words", "embeddings"]})
    run.framing = object()
    run.manifest["embedding"] = {"model": "all-MiniLM-L6-v2", "weights_sha256": "53aa51172d14"
                                 "2c89", "source": "package", "normalize": True,
                                 "max_seq_length": 256, "backend": "onnx",
                                 "segments_cut": {"max_tokens": 256, "texts": 63,
                                                  "truncated": 12, "checked": 20,
                                                  "sampled": False}}
    text = methods_section(run)
    assert ("Embeddings (for framing features): all-MiniLM-L6-v2 (weights sha256 "
            "53aa51172d142c89…, from package), L2-normalised, at most 256 tokens per segment "
            "(the model reads no further; 12 of 63 segments (19%) are longer and were cut), "
            "run by ONNX Runtime.") in text
    run.topics = SimpleNamespace(params={})  # topics on, framing without embeddings
    run.config = run.config.model_copy(update={"framing": run.config.framing.model_copy(
        update={"features": ["tfidf_words"]})})
    monkeypatch.setattr(stance.report._document, "_topic_methods", lambda run: [])
    assert "Embeddings (for topics): all-MiniLM-L6-v2" in methods_section(run)
    del run.manifest["embedding"]
    assert "Embeddings" not in methods_section(run)


def test_the_topics_section_warns_when_the_model_cut_many_segments():
    from stance.report._topics import _truncation_note

    cut = {"max_tokens": 256, "texts": 2225, "truncated": 1941, "checked": 2000,
           "sampled": True}
    note = _truncation_note({"segments_cut": cut})
    assert "Many segments are longer than the embedding model reads." in note
    assert "About 1941 of 2225 segments (87%) have more than 256 tokens" in note
    assert _truncation_note({"segments_cut": {**cut, "truncated": 100}}) == ""  # 4%
    assert _truncation_note({}) == ""  # runs of older versions


def test_the_methods_say_how_the_embeddings_feature_read_each_unit():
    from stance.report._framing import _how_embedded

    mean = _how_embedded({"embedded": "mean of the document's segment vectors"})
    assert "represents each document by the mean of its segments' cached vectors" in mean
    cut = {"max_tokens": 256, "texts": 40, "truncated": 30, "checked": 40, "sampled": False}
    whole = _how_embedded({"embedded": "each unit whole", "units_cut": cut,
                           "level": "document"})
    assert "reads each unit's first 256 tokens; 30 of 40 documents (75%) are longer." in whole
    assert _how_embedded({}) == ""  # no embeddings feature


def test_the_topics_section_warns_when_the_topics_change_with_the_seed():
    from stance.report._topics import _stability_note

    seeds = {"seed": 42, "stability_seeds": [43, 44]}
    stability = {"runs": 3, "ari_mean": 0.257, "ari_topics_mean": 0.682}
    note = _stability_note(stability, seeds)
    assert "The topics change with the seed." in note
    assert "The 3 fits (seeds 42, 43 and 44) agree pair by pair at mean ARI 0.26 over all " \
           "segments and 0.68 over the segments in a topic in both" in note
    # outliers agreed on can carry the overall ARI: a low in-topics ARI alone is flagged
    assert "0.90 over all segments and 0.45" in _stability_note(
        {**stability, "ari_mean": 0.9, "ari_topics_mean": 0.45}, seeds)
    assert _stability_note({**stability, "ari_mean": 0.8, "ari_topics_mean": 0.9}, seeds) == ""
    assert _stability_note({"runs": 1, "ari_mean": None, "ari_topics_mean": None}, seeds) == ""


def test_a_run_without_a_classifier_still_reports_the_outlets_wording(tmp_path):
    from stance.report._framing import framing_section

    run = run_with(audit([("a", "kept", "", None)]))
    run.run_dir = tmp_path
    run.figures = {"distinctive_terms": tmp_path / "figures" / "distinctive_terms.svg"}
    run.distinctive_terms = pd.DataFrame({"outlet": ["A", "B"], "term": ["war", "talks"],
                                          "z": [5.0, 2.0], "n_tested": [100, 100]})
    text = framing_section(run)
    assert "No framing classifier ran (the label column framing.label ('framing') is not " \
           "among corpus.columns.labels)" in text
    assert '"figures/distinctive_terms.svg"' in text
    assert '"war (5.0)"' in text and '"talks (2.0)"' in text
    run.distinctive_terms = None
    assert framing_section(run) is None  # nothing to report


def test_the_cover_table_has_no_empty_header_row(tmp_path):
    from stance.report._document import title_page

    run = run_with(audit([("a", "kept", "", None)]))
    run.run_dir = tmp_path / "20260101T000000Z-abc"
    run.manifest.update(git={"commit": "0123456789abcdef", "dirty": False},
                        started="2026-01-01T00:00:00+00:00", config_sha256="c" * 64,
                        corpus_sha256="d" * 64, packages={"stance": "0.1.0"})
    markup = title_page(run)
    assert "table.header" not in markup  # the rows name themselves: experiment, run, ...
    assert '"experiment", "x"' in markup and '"commit", "0123456789ab"' in markup


def _pdf_pages(markup: str, tmp_path) -> list[str]:
    import typst
    from pypdf import PdfReader

    source = tmp_path / "r.typ"
    source.write_text(markup, encoding="utf-8")
    typst.compile(str(source), output=str(tmp_path / "r.pdf"), root=str(tmp_path),
                  ignore_system_fonts=True)
    return [" ".join(page.extract_text().split()) for page in PdfReader(tmp_path / "r.pdf").pages]


def test_a_long_table_breaks_across_pages_repeating_its_header(tmp_path):
    from stance.report import _markup as m

    rows = pd.DataFrame({"outlet": [f"outlet number {i:03d}" for i in range(150)],
                         "documents": range(150)})
    pages = _pdf_pages(m.preamble("t") + m.table(rows, caption="Documents per outlet."),
                       tmp_path)
    assert len(pages) >= 3  # 150 rows do not fit on a page
    for page in pages:  # every page with rows starts them under the header
        assert page.startswith("outlet documents"), page[:80]
    text = " ".join(pages)
    assert all(f"outlet number {i:03d}" in text for i in range(150))  # none lost or overlaid
    assert text.count("Documents per outlet.") == 1


def test_whole_numbers_print_as_integers_and_scores_keep_three_decimals():
    from stance.report import _markup as m

    table = m.table(pd.DataFrame({"topics": [38.0, 12.0, float("nan")],
                                  "npmi": [0.1, 0.25, 1.0], "flag": [1.0, 0.0, 1.0]}))
    assert '"38", "0.100", "1.000"' in table and '"12", "0.250", "0.000"' in table
    assert '"–", "1.000", "1.000"' in table


def test_the_methods_say_a_fit_without_seed_themes_was_unguided():
    run = run_with(audit([("a", "kept", "", None)]))
    run.topics = SimpleNamespace(params={
        "guidance": "none", "n_segments": 40, "seed": 42, "nr_topics": None,
        "umap": {"n_components": 5, "n_neighbors": 8, "min_dist": 0.0, "metric": "cosine",
                 "n_epochs": 500, "init": "random"},
        "hdbscan": {"min_cluster_size": 3, "min_samples": 3,
                    "cluster_selection_method": "eom"}})
    text = methods_section(run)
    assert "Topics: BERTopic unguided (no seed themes), on 40 segments." in text
    assert "guided by the seed themes" not in text


def test_a_cut_actor_table_keeps_the_pairs_with_most_mentions_and_says_so():
    from stance.report._framing import MAX_ACTOR_ROWS, _actor_table

    naming = pd.DataFrame({"actor": "Putin", "outlet": [f"o{i}" for i in range(40)],
                           "mentions": range(40), "bare": range(40)})
    table = _actor_table(naming)
    assert f"The {MAX_ACTOR_ROWS} of 40 actor and outlet pairs with most mentions" in table
    assert '"o39"' in table and '"o0"' not in table
    assert "most mentions" not in _actor_table(naming.head(5))


def test_the_report_names_the_intervals_by_the_configured_coverage():
    from stance.report._actor_stance import _outlet_table
    from stance.report._framing import _corpus_table
    from stance.report._topics import run_level

    run = run_with(audit([("a", "kept", "", "")]), analysis={"confidence": 0.9})
    assert run_level(run) == "90%"
    shares = {f"{kind}_{c}": [0.5] for c in ("negative", "neutral", "positive", "x")
              for kind in ("share", "low", "high")}
    stance = pd.DataFrame({"actor": ["Putin"], "outlet": ["a"], "mentions": [3],
                           "documents": [2], "net": [0.0], **shares})
    assert "with 90% intervals over its documents" in _outlet_table(stance, "90%")
    framing = pd.DataFrame({"outlet": ["a"], "segments": [3], "documents": [2], **shares})
    assert "with its 90% interval over documents" in _corpus_table(
        framing, {"level": "segment", "classes": ["x"]}, "90%")


@pytest.mark.parametrize(("distinct", "said"), [(3, True), (5, False)])
def test_the_methods_say_how_many_contexts_repeated_mentions_shared(distinct, said):
    from stance.report._actor_stance import actor_stance_methods

    run = run_with(audit([("a", "kept", "", None)]), actors={"Putin": ["Putin"]},
                   actor_stance={"actors": ["Putin"]})
    model = {"name": "stance-minilm", "base_model": "all-MiniLM-L6-v2", "tuned_layers": 1,
             "training_data": "NewsMTSC"}
    run.actor_stance = SimpleNamespace(mentions=pd.DataFrame({"actor": ["Putin"] * 5}),
                                       evaluation={"model": model,
                                                   "distinct_contexts": distinct})
    text = "".join(actor_stance_methods(run))
    assert ("3 distinct contexts for 5 mentions" in text) is said
    assert "for each mention of Putin" in text
