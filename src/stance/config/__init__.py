"""The experiment schema (every default written once), YAML loading and sweep expansion.

Example:
    >>> cfg = load_config("experiments/seeds.yaml")  # doctest: +SKIP
    >>> cfg.segmentation.unit
    'paragraph'
"""

from stance.config._base import HomePath, Section, set_dotted
from stance.config._compute import ComputeConfig, JobqueueConfig
from stance.config._corpus import (
    DEFAULT_ENCODING_FALLBACKS,
    RESERVED_COLUMNS,
    CleaningConfig,
    Columns,
    CorpusConfig,
    DedupConfig,
    PatternConfig,
    RepeatedLinesConfig,
    SegmentationConfig,
)
from stance.config._experiment import ExperimentConfig
from stance.config._load import INPUT_PATHS, dump_config, load_config, locate, parse_config
from stance.config._reference import reference_markdown
from stance.config._stages import (
    UMAP_SMALL_CORPUS,
    ActorStanceConfig,
    AnalysisConfig,
    EmbeddingConfig,
    FinetuneConfig,
    FramingConfig,
    HdbscanConfig,
    OutlierConfig,
    ReportConfig,
    TopicsConfig,
    UmapConfig,
)
from stance.config._sweep import MAX_POINTS, expand_sweep, setting_paths, value_label

__all__ = [
    "DEFAULT_ENCODING_FALLBACKS", "INPUT_PATHS", "MAX_POINTS", "RESERVED_COLUMNS",
    "UMAP_SMALL_CORPUS", "ActorStanceConfig", "AnalysisConfig", "CleaningConfig", "Columns",
    "ComputeConfig", "CorpusConfig", "JobqueueConfig",
    "DedupConfig", "EmbeddingConfig", "ExperimentConfig", "FinetuneConfig", "FramingConfig",
    "HdbscanConfig", "HomePath", "OutlierConfig", "PatternConfig", "RepeatedLinesConfig",
    "ReportConfig", "Section", "SegmentationConfig", "TopicsConfig", "UmapConfig",
    "dump_config", "expand_sweep", "load_config", "locate", "parse_config",
    "reference_markdown", "set_dotted",
    "setting_paths", "value_label",
]
