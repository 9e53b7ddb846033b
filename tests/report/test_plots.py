"""Figures stay readable (and quick to render) when a corpus has many topics and outlets."""

import warnings

import numpy as np
import pandas as pd
import pytest

from stance.report import _plots as plots


def _prevalence(n_outlets: int, n_topics: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for o in range(n_outlets):
        shares = rng.dirichlet(np.ones(n_topics + 1))
        for t, share in zip(range(-1, n_topics), shares, strict=True):
            rows.append({"outlet": f"outlet{o:03d}", "topic": t, "share": share,
                         "low": share / 2, "high": min(1.0, share * 2),
                         "n_segments": int(share * 100) + o, "n_documents": 5})
    return pd.DataFrame(rows)


def _labels(n_topics: int) -> dict[int, str]:
    return {**{t: f"topic {t}" for t in range(n_topics)}, -1: "outliers"}


def test_small_heatmap_writes_share_and_interval_in_every_cell():
    fig = plots.plot_prevalence_heatmap(_prevalence(3, 4), _labels(4), level="95%")
    ax = fig.axes[0]
    assert len(ax.texts) == 3 * 5
    assert "[" in ax.texts[0].get_text()


def test_a_wide_heatmap_has_no_cell_text_it_would_shrink_past_reading():
    # 5 outlets x 18 topics is 90 cells, under the cell cap, but 18 columns wide
    fig = plots.plot_prevalence_heatmap(_prevalence(5, 17), _labels(17), level="95%")
    assert len(fig.axes[0].texts) == 0
    assert fig.get_figwidth() < 12


def test_a_heatmap_of_one_document_outlets_says_it_has_no_intervals():
    prevalence = _prevalence(3, 4).assign(low=np.nan, high=np.nan, n_documents=1)
    ax = plots.plot_prevalence_heatmap(prevalence, _labels(4), level="95%").axes[0]
    assert "(one document per outlet: no intervals)" in ax.get_title()
    assert "95% interval" not in ax.get_title()
    assert all("\n" not in t.get_text() for t in ax.texts)  # the shares alone


def test_the_intervals_are_named_by_their_coverage():
    from stance.report import plot_actor_stance, plot_framing_shares

    assert plots.interval_level(0.9) == "90%" and plots.interval_level(0.975) == "97.5%"
    ax = plots.plot_prevalence_heatmap(_prevalence(3, 4), _labels(4), level="90%").axes[0]
    assert "(90% interval over documents)" in ax.get_title()
    stance = plot_actor_stance(_stance_shares(("a", "b", "Putin", "Lukashenko")), level="90%")
    assert "whiskers: 90% intervals" in stance.get_suptitle()
    framing = plot_framing_shares(_framing_shares(("a", "b", "c", "d")), ["a", "b"],
                                  unit="segments", level="97.5%")
    assert "whiskers: 97.5% intervals" in framing.get_supxlabel()


def test_topic_terms_says_how_many_topics_it_leaves_out():
    terms = pd.DataFrame([(t, f"w{t}_{k}", 1 / (k + 1)) for t in range(17) for k in range(8)],
                         columns=["topic", "term", "weight"])
    fig = plots.plot_topic_terms(terms, _labels(17))
    assert len(fig.axes) == 12
    assert fig.get_suptitle() == "Top terms per topic (largest 12 topics of 17)"
    assert plots.plot_topic_terms(terms[terms.topic < 3], _labels(3)).get_suptitle() \
        == "Top terms per topic"


def test_topic_map_tells_topics_past_the_tenth_apart_by_shape():
    rng = np.random.default_rng(1)
    topics = np.repeat(np.arange(12), 5)
    ax = plots.plot_topic_map(rng.normal(size=(60, 2)), topics, _labels(12)).axes[0]
    first, eleventh = ax.collections[1], ax.collections[11]  # the outliers come first
    assert np.allclose(first.get_facecolor(), eleventh.get_facecolor())  # C0 again
    circle, square = (c.get_paths()[0].vertices for c in (first, eleventh))
    assert circle.shape != square.shape or not np.allclose(circle, square)


def test_large_heatmap_shows_largest_topics_and_outlets_without_cell_text():
    prevalence = _prevalence(50, 30)
    fig = plots.plot_prevalence_heatmap(prevalence, _labels(30), level="95%")
    ax = fig.axes[0]
    assert len(ax.texts) == 0
    assert len(ax.get_xticklabels()) == plots.MAX_TOPICS_SHOWN + 1  # and the outliers
    assert len(ax.get_yticklabels()) == plots.MAX_OUTLETS_SHOWN
    shown = {label.get_text() for label in ax.get_yticklabels()}
    busiest = prevalence.groupby("outlet")["n_segments"].sum().nlargest(
        plots.MAX_OUTLETS_SHOWN).index
    assert shown == set(busiest)
    title = ax.get_title()
    assert "largest 25 topics of 30" in title and "40 outlets with most segments of 50" in title
    assert "topic_prevalence.csv" in title


def test_topic_sizes_shows_largest_topics_and_outliers():
    sizes = pd.DataFrame({"topic": range(-1, 139), "label": [f"t{t}" for t in range(-1, 139)],
                          "size": [500, *range(139, 0, -1)]})
    ax = plots.plot_topic_sizes(sizes).axes[0]
    names = [label.get_text() for label in ax.get_yticklabels()]
    assert len(names) == plots.MAX_TOPICS_SHOWN + 1
    assert "-1: t-1" in names and "0: t0" in names and "25: t25" not in names
    assert "largest 25 topics of 139" in ax.get_title()


@pytest.mark.parametrize("n_topics", [5, 60])
def test_topic_map_legend_is_capped(n_topics):
    rng = np.random.default_rng(1)
    topics = rng.integers(-1, n_topics, size=2000)
    ax = plots.plot_topic_map(rng.normal(size=(2000, 2)), topics, _labels(n_topics)).axes[0]
    entries = len(ax.get_legend().get_texts())
    assert entries == 1 + min(n_topics, plots.MAX_TOPICS_SHOWN)  # outliers + topics
    assert ("legend: largest" in ax.get_title()) == (n_topics > plots.MAX_TOPICS_SHOWN)


def test_pngs_rendered_from_the_svgs_match_what_matplotlib_would_draw(tmp_path):
    import base64
    import re

    from PIL import Image

    from stance.report import save_figure
    from stance.report._figure_files import DPI

    rng = np.random.default_rng(2)
    figures = {"sizes": plots.plot_topic_sizes(pd.DataFrame(
                   {"topic": [-1, 0, 1], "label": ["outliers", "war", "trade"],
                    "size": [5, 30, 12]})),
               "map": plots.plot_topic_map(rng.normal(size=(300, 2)),
                                           rng.integers(-1, 4, size=300), _labels(4))}
    for name, fig in figures.items():
        assert save_figure(fig, tmp_path / name) == tmp_path / f"{name}.svg"
    def grey_blocks(path, rows, cols, k=8):  # mean grey of k x k pixel blocks
        grey = np.asarray(Image.open(path).convert("L"), dtype=float)[:rows // k * k,
                                                                      :cols // k * k]
        return grey.reshape(rows // k, k, cols // k, k).mean(axis=(1, 3))

    for name, fig in figures.items():
        fig.savefig(tmp_path / f"{name}_matplotlib.png", dpi=DPI, bbox_inches="tight")
        ours, theirs = (Image.open(tmp_path / f"{name}{end}.png").size
                        for end in ("", "_matplotlib"))
        assert abs(ours[0] - theirs[0]) <= 1 and abs(ours[1] - theirs[1]) <= 1
        cols, rows = min(ours[0], theirs[0]), min(ours[1], theirs[1])
        # the same picture: anti-aliased edges differ by a pixel, which 8-pixel blocks
        # average out (about 1.5 grey levels here; without the title it is 6 to 25)
        difference = (grey_blocks(tmp_path / f"{name}.png", rows, cols)
                      - grey_blocks(tmp_path / f"{name}_matplotlib.png", rows, cols))
        assert np.abs(difference).mean() < 3
    # the map's points are a raster layer inside the SVG, drawn at the PNGs' resolution
    svg = (tmp_path / "map.svg").read_text()
    width_pt = float(re.search(r'<image[^>]*width="([\d.]+)"', svg).group(1))
    layer = base64.b64decode(re.search(r'base64,([^"]+)"', svg).group(1))
    (tmp_path / "layer.png").write_bytes(layer)
    assert Image.open(tmp_path / "layer.png").width == pytest.approx(width_pt * DPI / 72, abs=2)


def test_framing_by_outlet_orders_classes_as_the_tables_and_names_the_unit():
    from stance.report import plot_framing_by_outlet

    predictions = pd.DataFrame({"outlet": ["a", "a", "b", "b"],
                                "predicted": ["left", "right", "center", "left"]})
    ax = plot_framing_by_outlet(predictions, classes=["left", "center", "right"],
                                unit="documents").axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["left", "center", "right"]
    assert ax.get_xlabel() == "share of documents (predicted label)"


def test_report_tables_give_every_number_three_decimals():
    from stance.report._markup import _cell

    assert [_cell(v) for v in (0.16, 0.0769, 0.348, 1.0, 12345.6)] == [
        "0.160", "0.077", "0.348", "1.000", "12,346"]


def test_the_heatmap_svg_holds_one_pixel_per_cell_drawn_sharp(tmp_path):
    # not an image resampled to the output's dpi: smaller, quicker, and exact at any zoom
    import re

    fig = plots.plot_prevalence_heatmap(_prevalence(20, 25), _labels(25), level="95%")
    fig.savefig(tmp_path / "heatmap.svg", dpi=200)
    svg = (tmp_path / "heatmap.svg").read_text()
    cells = re.search(r'<image [^>]*width="(\d+)" height="(\d+)"[^>]*style="([^"]*)"', svg)
    assert cells is not None
    assert (int(cells[1]), int(cells[2])) == (26, 20)  # 25 topics and the outliers x 20
    assert "pixelated" in cells[3]


def test_ranked_terms_say_how_many_panels_they_leave_out():
    from stance.report import plot_ranked_terms

    terms = pd.DataFrame({"outlet": [f"o{i:02d}" for i in range(12)], "term": "w", "z": 3.0})
    fig = plot_ranked_terms(terms, "outlet", "term", "z", title="Distinctive terms",
                            shown="first {} outlets by name")
    assert [ax.get_title() for ax in fig.axes] == [f"o{i:02d}" for i in range(9)]
    assert fig.get_suptitle() == "Distinctive terms (first 9 outlets by name of 12)"
    assert plot_ranked_terms(terms.head(3), "outlet", "term", "z",
                             title="Distinctive terms").get_suptitle() == "Distinctive terms"


@pytest.mark.integration  # subprocesses or a whole run
def test_the_same_figure_gives_the_same_svg_bytes_in_every_process(tmp_path):
    # matplotlib salts the SVG's element ids with a random UUID unless told otherwise
    import subprocess
    import sys

    script = ("import sys, pandas as pd; from pathlib import Path; "
              "from stance.report import _plots as plots; from stance.report import save_figure; "
              "save_figure(plots.plot_topic_sizes(pd.DataFrame({'topic': [-1, 0], "
              "'label': ['outliers', 'war'], 'size': [3, 9]})), Path(sys.argv[1]))")
    for name in ("first", "second"):
        subprocess.run([sys.executable, "-c", script, str(tmp_path / name)], check=True)
    first, second = ((tmp_path / f"{n}.svg").read_bytes() for n in ("first", "second"))
    assert b'clip-path="url(#' in first  # it has ids to compare
    assert first == second


def _figures_of_every_kind() -> dict:
    from stance.report import (
        plot_actor_naming,
        plot_actor_stance,
        plot_actor_stance_over_time,
        plot_confusion_matrix,
        plot_framing_by_outlet,
        plot_ranked_terms,
        plot_reliability,
    )

    terms = pd.DataFrame([(t, f"w{t}_{k}", 1 / (k + 1)) for t in range(7) for k in range(8)],
                         columns=["topic", "term", "weight"])
    naming = pd.DataFrame({"actor": ["Lukashenko"] * 2, "outlet": ["a", "b"],
                           "official": [3, 0], "pejorative": [1, 4]})
    big = 2_000_000  # counts past matplotlib's 1e6 switch to an offset text
    return {
        "sizes": lambda: plots.plot_topic_sizes(pd.DataFrame(
            {"topic": [-1, 0, 1], "label": ["outliers", "war", "trade"],
             "size": [big, big + 10, big + 20]})),
        "outlets": lambda: plots.plot_segments_per_outlet(pd.DataFrame(
            {"outlet": ["a", "b"], "segments": [big, big + 5]})),
        "heatmap": lambda: plots.plot_prevalence_heatmap(_prevalence(4, 5), _labels(5),
                                                         level="95%"),
        "terms": lambda: plots.plot_topic_terms(terms, _labels(7)),
        "ranked": lambda: plot_ranked_terms(terms.assign(topic=terms.topic.astype(str)),
                                            "topic", "term", "weight", title="Ranked",
                                            threshold={"0": 0.5}),
        "naming": lambda: plot_actor_naming(naming),
        "confusion": lambda: plot_confusion_matrix([[big, 2], [3, big]], ["x", "y"], "Held out"),
        "by_outlet": lambda: plot_framing_by_outlet(pd.DataFrame(
            {"outlet": ["a", "b"], "predicted": ["x", "y"]})),
        "reliability": lambda: plot_reliability(
            {"mean_predicted": [0.2, 0.9], "fraction_correct": [0.3, 0.8]}, 0.1),
        "over_time": lambda: plots.plot_topics_over_time(pd.DataFrame(
            {"period": pd.to_datetime(["2022-01-01", "2022-02-01"] * 2), "topic": [0, 0, 1, 1],
             "share": [0.2, 0.4, 0.8, 0.6]}), _labels(2)),
        "map": lambda: plots.plot_topic_map(np.arange(20.0).reshape(10, 2),
                                            np.repeat([-1, 0], 5), _labels(1)),
        "stance": lambda: plot_actor_stance(_stance_shares(("a", "b", "Putin", "Lukashenko")),
                                            level="95%"),
        "stance_over_time": lambda: plot_actor_stance_over_time(
            pd.concat([_stance_shares(("a", "b", "Putin", "Lukashenko")).assign(
                period=pd.Timestamp(day)) for day in ("2022-01-01", "2022-02-01")]),
            _stance_shares(("a", "b", "Putin", "Lukashenko")), level="95%"),
    }


@pytest.mark.integration  # subprocesses or a whole run
def test_pinned_titles_and_empty_axis_labels_draw_the_same_file_as_placed_ones(tmp_path,
                                                                              monkeypatch):
    # stance pins them to skip matplotlib's search on every draw (a third of a grid's
    # time); the search would have put them in the same place, byte for byte
    from stance.report import save_figure

    for name, make in _figures_of_every_kind().items():
        save_figure(make(), tmp_path / f"{name}_pinned")
    monkeypatch.setattr(plots, "_pin_empty_labels", lambda fig: fig)
    monkeypatch.setattr(plots, "_title", lambda ax, text, **kw: ax.set_title(text, **kw))
    import stance.report._plots_framing as plots_framing

    monkeypatch.setattr(plots_framing, "_pin_empty_labels", lambda fig: fig)
    monkeypatch.setattr(plots_framing, "_title", lambda ax, text, **kw: ax.set_title(text, **kw))
    for name, make in _figures_of_every_kind().items():
        save_figure(make(), tmp_path / f"{name}_placed")
        assert ((tmp_path / f"{name}_pinned.svg").read_bytes()
                == (tmp_path / f"{name}_placed.svg").read_bytes()), name


def test_characters_the_font_lacks_are_logged_once_per_figure_in_one_line(tmp_path, caplog,
                                                                          recwarn):
    import logging

    import matplotlib

    from stance.report import save_figure
    from stance.report._figure_files import _log_missing

    # U+1D81 and U+1D84: in matplotlib's STIX fonts, not in its default DejaVu Sans
    topics = pd.DataFrame({"topic": [0, 1, -1], "label": ["ᶁ ᶄ", "ᶄ war", "outliers"],
                           "size": [3, 2, 1]})
    (tmp_path / "figures").mkdir()
    with caplog.at_level(logging.WARNING, logger="stance.report._figure_files"):
        save_figure(plots.plot_topic_sizes(topics), tmp_path / "figures" / "sizes")
    assert [r.getMessage() for r in caplog.records] == [
        "figures/sizes.svg: 2 characters are missing from the font (DejaVu Sans) and show as "
        "boxes: ᶁ ᶄ; list a font that has them after DejaVu Sans in matplotlib's font.family "
        "(matplotlibrc)"]
    assert not [w for w in recwarn if "Glyph" in str(w.message)]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="stance.report._figure_files"):
        _log_missing({"DejaVu Serif, DejaVu Sans": {"ᶁ"}}, "figures/terms.svg")
    assert caplog.messages == [
        "figures/terms.svg: 1 character is missing from the fonts (DejaVu Serif, DejaVu Sans) "
        "and shows as boxes: ᶁ; list a font that has them after those in matplotlib's "
        "font.family (matplotlibrc)"]
    caplog.clear()
    # what the line advises: a font that has them, after DejaVu Sans (matplotlib falls back)
    with matplotlib.rc_context({"font.family": ["DejaVu Sans", "STIXGeneral"]}), \
            caplog.at_level(logging.WARNING, logger="stance.report._figure_files"):
        save_figure(plots.plot_topic_sizes(topics), tmp_path / "figures" / "sizes_stix")
    assert caplog.records == []


def test_other_warnings_raised_while_saving_a_figure_still_reach_the_caller(tmp_path):
    from stance.report import save_figure

    class Drawing:  # a figure whose drawing warns about something else
        def savefig(self, path, **kwargs):
            warnings.warn("an axis has no data", UserWarning, stacklevel=1)
            path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')

    with pytest.warns(UserWarning, match="an axis has no data"):
        save_figure(Drawing(), tmp_path / "drawing")
    assert (tmp_path / "drawing.png").is_file()
    with warnings.catch_warnings(record=True) as seen:  # the caller's filters still decide
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message="an axis", module=__name__)
        save_figure(Drawing(), tmp_path / "drawing")
    assert seen == []


#: Names from data that matplotlib would read as math, and Cyrillic ones.
HOSTILE = ("$ x $", r"$\foo$ news", "a $5 deal", r"back\$slash $")
CYRILLIC = ("Белта", "Лукашенко", "Україна", "Лукашэнка ў Мінску")


def _every_figure(names: tuple[str, ...]) -> dict:
    """Each plot_* function, drawn with ``names`` as its outlets, labels, terms and actors."""
    from stance.report import (
        plot_actor_naming,
        plot_actor_stance,
        plot_actor_stance_over_time,
        plot_confusion_matrix,
        plot_framing_by_outlet,
        plot_framing_shares,
        plot_metrics_against,
        plot_ranked_terms,
        plot_reliability,
    )

    a, b, c, d = names
    labels = {0: a, 1: b, 2: c, -1: "outliers"}
    terms = pd.DataFrame([(t, f"{names[k % 4]} {k}", 1 / (k + 1)) for t in range(3)
                          for k in range(4)], columns=["topic", "term", "weight"])
    prevalence = pd.DataFrame([{"outlet": o, "topic": t, "share": 0.25, "low": 0.1,
                                "high": 0.4, "n_segments": 4, "n_documents": 2}
                               for o in names for t in (-1, 0, 1, 2)])
    return {
        "plot_segments_per_outlet": lambda: plots.plot_segments_per_outlet(
            pd.DataFrame({"outlet": list(names), "segments": [4, 3, 2, 1]})),
        "plot_topic_sizes": lambda: plots.plot_topic_sizes(pd.DataFrame(
            {"topic": [-1, 0, 1, 2], "label": ["outliers", a, b, c], "size": [1, 4, 3, 2]})),
        "plot_topic_terms": lambda: plots.plot_topic_terms(terms, labels),
        "plot_topic_map": lambda: plots.plot_topic_map(np.arange(16.0).reshape(8, 2),
                                                       np.repeat([-1, 0, 1, 2], 2), labels),
        "plot_prevalence_heatmap": lambda: plots.plot_prevalence_heatmap(prevalence, labels,
                                                                         level="95%"),
        "plot_topics_over_time": lambda: plots.plot_topics_over_time(pd.DataFrame(
            {"period": pd.to_datetime(["2022-01-01", "2022-02-01"] * 2), "topic": [0, 0, 1, 1],
             "share": [0.2, 0.4, 0.8, 0.6]}), labels),
        "plot_confusion_matrix": lambda: plot_confusion_matrix([[3, 1], [0, 2]], [a, b],
                                                               "Held out"),
        "plot_framing_by_outlet": lambda: plot_framing_by_outlet(pd.DataFrame(
            {"outlet": [a, b, c, d], "predicted": [a, b, a, b]}), classes=[a, b]),
        "plot_framing_shares": lambda: plot_framing_shares(
            _framing_shares(names), [a, b], unit="segments", level="95%"),
        "plot_ranked_terms": lambda: plot_ranked_terms(
            terms.assign(topic=terms["topic"].map(dict(enumerate(names)))), "topic", "term",
            "weight", title="Ranked", threshold={a: 0.5}),
        "plot_actor_naming": lambda: plot_actor_naming(pd.DataFrame(
            {"actor": [c, c, d, d], "outlet": [a, b, a, b], "official": [3, 0, 1, 1],
             "delegitimising": [1, 4, 0, 2], "bare": [0, 1, 1, 0]})),
        "plot_reliability": lambda: plot_reliability(
            {"mean_predicted": [0.2, 0.9], "fraction_correct": [0.3, 0.8]}, 0.1),
        "plot_actor_stance": lambda: plot_actor_stance(_stance_shares(names), level="95%"),
        "plot_actor_stance_over_time": lambda: plot_actor_stance_over_time(
            pd.concat([_stance_shares(names).assign(period=pd.Timestamp(day))
                       for day in ("2022-01-01", "2022-02-01")]), _stance_shares(names),
            level="95%"),
        "plot_metrics_against": lambda: plot_metrics_against(
            pd.DataFrame({a: [b, c, d], "npmi_mean": [0.1, 0.2, 0.3]}), a, {"npmi_mean": "NPMI"}),
    }


def _stance_shares(names: tuple[str, ...]) -> pd.DataFrame:
    """Stance shares of two actors (names[2], names[3]) in two outlets (names[0], names[1])."""
    a, b, c, d = names
    rows = []
    for actor, outlet, (neg, neu, pos) in ((c, a, (0.5, 0.3, 0.2)), (c, b, (0.1, 0.6, 0.3)),
                                           (d, a, (0.7, 0.3, 0.0)), (d, b, (0.2, 0.2, 0.6))):
        row = {"actor": actor, "outlet": outlet, "mentions": 10, "documents": 4,
               "net": pos - neg}
        for cls, share in zip(("negative", "neutral", "positive"), (neg, neu, pos),
                              strict=True):
            row |= {f"share_{cls}": share, f"low_{cls}": max(0.0, share - 0.1),
                    f"high_{cls}": min(1.0, share + 0.1)}
        rows.append(row)
    return pd.DataFrame(rows)


def _framing_shares(names: tuple[str, ...]) -> pd.DataFrame:
    """An outlet shares table with ``names`` as outlets and the first two as the labels."""
    rows = []
    for i, outlet in enumerate(names):
        row = {"outlet": outlet, "segments": 10 + i, "documents": 1 + i}
        for label, share in ((names[0], 0.2 * i), (names[1], 1 - 0.2 * i)):
            row |= {f"share_{label}": share, f"low_{label}": max(0.0, share - 0.1),
                    f"high_{label}": min(1.0, share + 0.1)}
        rows.append(row)
    return pd.DataFrame(rows)


def test_every_plot_function_is_drawn_by_the_literal_text_tests():
    import inspect

    from stance.report import _plots_framing as plots_framing
    from stance.report import _plots_stance as plots_stance
    from stance.report import _plots_sweep as plots_sweep

    defined = {name for module in (plots, plots_framing, plots_stance, plots_sweep)
               for name, value in inspect.getmembers(module, inspect.isfunction)
               if name.startswith("plot_") and value.__module__ == module.__name__}
    assert defined == set(_every_figure(HOSTILE))


@pytest.mark.parametrize("name", sorted(_every_figure(HOSTILE)))
def test_names_that_look_like_math_are_drawn_literally(tmp_path, name):
    from matplotlib.text import Text

    from stance.report import save_figure

    fig = _every_figure(HOSTILE)[name]()
    save_figure(fig, tmp_path / name)  # drawing parses the text: $\foo$ would raise here
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    # no text holds an unescaped pair of dollar signs, which would start mathtext
    assert all((t.count("$") - t.count(r"\$")) == 0 for t in texts), texts
    shown = " ".join(t.replace(r"\$", "$") for t in texts)  # what matplotlib draws
    if name != "plot_reliability":  # the one figure without text from data
        assert any(h in shown for h in HOSTILE), shown


@pytest.mark.parametrize("name", sorted(_every_figure(CYRILLIC)))
def test_cyrillic_names_are_drawn_with_a_font_that_has_their_glyphs(tmp_path, name, caplog):
    import logging

    from stance.report import save_figure

    with caplog.at_level(logging.WARNING, logger="stance.report._figure_files"):
        save_figure(_every_figure(CYRILLIC)[name](), tmp_path / name)
    assert caplog.records == []  # no character is missing from the figure's font
