"""The report's topics section: the warning when one topic holds most of the corpus."""

from types import SimpleNamespace

import pandas as pd
import pytest
import typst
from pypdf import PdfReader

from stance.report_topics import topics_section


def run_with_topic_sizes(sizes: dict[int, int]) -> SimpleNamespace:
    topics = pd.DataFrame({"topic": list(sizes), "size": list(sizes.values()),
                           "label": [f"{t}_label" for t in sizes], "seed_theme": None,
                           "terms": "talks (0.2); summit (0.1)"})
    return SimpleNamespace(topics=SimpleNamespace(topics=topics),
                           segments=range(sum(sizes.values())), metrics={}, figures={},
                           run_dir=None)


def pdf_text(markup: str, tmp_path) -> str:
    (tmp_path / "section.typ").write_text(markup)
    typst.compile(str(tmp_path / "section.typ"), output=str(tmp_path / "section.pdf"))
    return " ".join(p.extract_text() for p in PdfReader(tmp_path / "section.pdf").pages)


def test_a_topic_with_most_segments_is_flagged_in_the_pdf(tmp_path):
    text = pdf_text(topics_section(run_with_topic_sizes({-1: 10, 0: 93, 1: 7})), tmp_path)
    assert "One topic holds most of the corpus." in " ".join(text.split())
    assert "topic 0 (0_label) has 85% of the segments" in " ".join(text.split())


@pytest.mark.parametrize("sizes", [{-1: 60, 0: 50, 1: 10}, {0: 50, 1: 50}])
def test_no_flag_when_no_topic_has_more_than_half(sizes):
    assert "holds most of the corpus" not in topics_section(run_with_topic_sizes(sizes))
