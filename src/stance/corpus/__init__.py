"""The corpus stage: read, validate, clean and de-duplicate articles, then segment them.

Every input document is accounted for: kept, dropped with a reason, or merged into a
near-duplicate (audit.csv).

Example:
    >>> cleaned = prepare_corpus(cfg.corpus, cfg.cleaning, cfg.dedup, seed=42)  # doctest: +SKIP
    >>> segments = segment_corpus(cleaned.corpus, cfg.segmentation)  # doctest: +SKIP
"""

from stance.corpus._clean import clean_corpus, clean_text, default_patterns
from stance.corpus._dedup import apply_duplicates, find_near_duplicates
from stance.corpus._files import TEXT_SUFFIXES, decode_text, parse_csv, read_text_file
from stance.corpus._lexicon import DESCRIPTOR_CATEGORIES, NEUTRAL, CueMatch, Lexicon, load_lexicon
from stance.corpus._names import outlet_name_pattern
from stance.corpus._prepare import prepare_corpus
from stance.corpus._read import LoadedCorpus, load_corpus
from stance.corpus._segment import (
    Tokenizer,
    fit_to_model,
    segment_corpus,
    sentence_spans,
    split_text,
)
from stance.corpus._summary import summarise_outlets
from stance.corpus._tables import is_pattern, matching_files, require_corpus_path
from stance.corpus._validate import MISSING_LABELS, blank_missing_labels, site_domain

__all__ = [
    "DESCRIPTOR_CATEGORIES", "MISSING_LABELS", "NEUTRAL", "TEXT_SUFFIXES", "CueMatch",
    "Lexicon", "LoadedCorpus", "Tokenizer", "apply_duplicates", "blank_missing_labels",
    "clean_corpus", "clean_text", "decode_text", "default_patterns", "find_near_duplicates",
    "fit_to_model", "is_pattern", "load_corpus", "load_lexicon", "matching_files",
    "outlet_name_pattern", "parse_csv", "prepare_corpus", "read_text_file",
    "require_corpus_path", "segment_corpus", "sentence_spans", "site_domain", "split_text",
    "summarise_outlets",
]
