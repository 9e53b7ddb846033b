"""The README shows only configs that exist in experiments/ and load."""

import re

import pytest

from stance.config import load_config
from tests.conftest import EXPERIMENTS, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _named_configs() -> list[str]:
    return sorted(set(re.findall(r"(?:experiments/)?([\w-]+\.yaml)", README)) - {"mine.yaml",
                                                                                  "other.yaml"})


def test_the_readme_names_configs():
    assert "seeds.yaml" in _named_configs() and len(_named_configs()) >= 5


@pytest.mark.parametrize("name", _named_configs())
def test_every_config_the_readme_names_is_in_experiments_and_loads(name):
    path = EXPERIMENTS / name
    assert path.is_file(), f"README.md names {name}, which experiments/ lacks"
    assert load_config(path).name


def test_every_yaml_block_in_the_readme_is_part_of_an_experiment_file():
    configs = [p.read_text(encoding="utf-8") for p in EXPERIMENTS.glob("*.yaml")]
    for block in re.findall(r"```ya?ml\n(.*?)```", README, flags=re.DOTALL):
        assert any(block.strip() in text for text in configs), block[:200]
