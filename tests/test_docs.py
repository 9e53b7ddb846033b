"""The reference pages that are generated stay current."""

from stance.config import reference_markdown
from tests.conftest import ROOT


def test_the_config_reference_is_current():
    written = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    assert written == reference_markdown(), "docs/config.md is stale: run `make docs`"


def test_the_config_reference_lists_every_setting_with_a_description():
    from stance.config import ExperimentConfig, setting_paths

    text = reference_markdown()
    rows = {line.split("|")[1].strip().strip("`"): line.split("|")[4].strip()
            for line in text.splitlines() if line.startswith("| `")}
    for path in setting_paths(ExperimentConfig):
        assert path in rows, path
        assert rows[path], f"{path} has no description in the schema"
