"""A whole run on a corpus whose names look like markup and math, in Cyrillic and Latin."""

import logging
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from stance.config import parse_config
from stance.run import run_experiment

pytestmark = pytest.mark.integration

OUTLETS = ("$ x $", r"$\foo$ news", "Белта", "Україна Сьогодні")
CLASSES = ("про-$", "анти")
PARAGRAPHS = (
    "Лукашенко встретился с Путиным в Сочи, и они обсудили поставки газа и цены на нефть.",
    "The talks in Minsk covered the Union State, integration and a common currency plan.",
    "Україна заявила, що війська та зброя прибувають до кордону щодня цього тижня.",
    "Officials said sanctions hit the factories, and exports of potash fell sharply again.",
)


def _corpus(folder):
    rows = []
    for i in range(16):
        outlet = OUTLETS[i % 4]
        text = "\n\n".join(f"{PARAGRAPHS[(i + k) % 4]} ({outlet}, заметка {i}.{k})"
                           for k in range(3))
        rows.append({"doc_id": f"d{i}", "outlet": outlet, "date": f"2022-0{1 + i % 9}-15",
                     "title": f"Заголовок {i}", "text": text, "frame": CLASSES[i // 2 % 2]})
    path = folder / "корпус.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    cfg = parse_config({
        "name": "hostile", "output_dir": str(folder / "reports"),
        "corpus": {"path": str(_corpus(folder)), "columns": {"labels": ["frame"]}},
        "dedup": {"method": "none"},
        "topics": {"stability_runs": 1, "seed_themes": {"газ $": ["газ", "нефть"]}},
        "framing": {"label": "frame"},
        "actors": {"Лукашенко $": ["Лукашенко", "Lukashenko"], "Путин": ["Путиным", "Путин"]},
    })
    return run_experiment(cfg, progress=False)


def test_every_figure_draws_names_with_dollars_and_cyrillic_literally(hostile_run, caplog):
    # the run drew them (a name like $\foo$ would have stopped it); redraw to watch the fonts
    from stance.report import run_figures, save_figure

    folder = hostile_run.run_dir / "redrawn"
    folder.mkdir()
    with caplog.at_level(logging.WARNING):
        for name, draw in run_figures(hostile_run).items():
            save_figure(draw(), folder / name)
    assert not [r for r in caplog.records if "missing from the font" in r.getMessage()]
    assert {"segments_per_outlet", "framing_by_outlet", "actor_naming", "topic_terms",
            "prevalence_heatmap", "distinctive_terms"} <= set(hostile_run.figures)


def test_the_report_shows_the_names_as_written(hostile_run):
    pages = PdfReader(hostile_run.run_dir / "report.pdf").pages
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))
    for name in (*OUTLETS, *CLASSES, "Лукашенко $"):
        assert name in text, name


def test_outputs_keep_cyrillic_terms(hostile_run):
    terms = pd.read_csv(hostile_run.run_dir / "topic_terms.csv")
    assert terms["term"].str.contains(r"[а-яіїєґў]", regex=True).any()
    actors = pd.read_csv(hostile_run.run_dir / "actors.csv")
    assert set(actors["actor"]) == {"Лукашенко $", "Путин"}
