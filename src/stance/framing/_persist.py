"""Saving a fitted framing model with skops (never pickle), and loading it with an allow-list.

A fine-tuned embedding model (``classifier: setfit``) is saved as a sentence-transformers
folder beside the skops file, since torch modules have no safe skops form.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.framing._cues import LearnedCues
from stance.framing._features import FingerprintMasker, LexiconCounts, SentenceEmbeddings
from stance.framing._finetune import FineTunedEmbeddings
from stance.framing._pipeline import BLOCKS
from stance.framing._text_features import TextFeatures

#: Types a saved framing model may hold beyond those skops trusts already (public
#: scikit-learn estimators, NumPy arrays and scalars, SciPy sparse matrices, builtins):
#: stance's transformers, the column selector of its feature blocks and the private
#: pieces of a calibrated classifier.
TRUSTED_TYPES = frozenset({
    *(f"{cls.__module__}.{cls.__qualname__}"
      for cls in (TextFeatures, FingerprintMasker, LexiconCounts, SentenceEmbeddings,
                  FineTunedEmbeddings, LearnedCues)),
    "sklearn.compose._column_transformer.make_column_selector",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
})


def save_framing_model(pipeline, path: Path, *, metadata: dict[str, Any]) -> Path:
    """Save a fitted model with skops, plus a JSON sidecar (``path.with_suffix('.json')``).

    The sidecar lists classes, feature blocks, label column (``metadata['label']`` when
    given), stance and scikit-learn versions, and ``metadata``. A fine-tuned embedding
    model (``classifier: setfit``) goes to a sentence-transformers folder beside the file,
    ``<name>_body`` (safetensors; torch modules have no safe skops form).

    Returns:
        The path of the model file.
    """
    import sklearn
    import skops
    import skops.io as sio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bodies = _finetuned_blocks(pipeline)
    for k, block in enumerate(bodies):
        folder = path.parent / f"{path.stem}_body{k or ''}"
        if folder.is_dir():  # a model saved here before: no stale files may remain
            shutil.rmtree(folder)
        block.save_body(folder)
    sio.dump(pipeline, path)
    _write_sidecar(path, classes=[str(c) for c in pipeline.classes_],
                   features=_feature_blocks(pipeline), sklearn_version=sklearn.__version__,
                   skops_version=skops.__version__,
                   finetuned_bodies=[block.body_folder_ for block in bodies], metadata=metadata)
    return path


def restamp_sidecar(source: Path, path: Path, *, metadata: dict[str, Any]) -> None:
    """Write the sidecar of the model at ``path``, a copy of ``source``, for ``metadata``."""
    old = json.loads(Path(source).with_suffix(".json").read_text())
    _write_sidecar(Path(path), classes=old["classes"], features=old["features"],
                   sklearn_version=old["sklearn_version"], skops_version=old["skops_version"],
                   finetuned_bodies=old["finetuned_bodies"], metadata=metadata)


def _write_sidecar(path: Path, *, classes: list[str], features: list[str], sklearn_version: str,
                   skops_version: str, finetuned_bodies: list[str],
                   metadata: dict[str, Any]) -> None:
    import stance

    sidecar = {"classes": classes, "features": features, "label": metadata.get("label"),
               "stance_version": stance.__version__, "sklearn_version": sklearn_version,
               "skops_version": skops_version, "metadata": metadata,
               "finetuned_bodies": finetuned_bodies}
    path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2, default=str) + "\n")


def _finetuned_blocks(model) -> list[FineTunedEmbeddings]:
    """The fine-tuned embedding blocks inside a pipeline, in order."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if isinstance(model, FineTunedEmbeddings):
        return [model]
    if isinstance(model, Pipeline):
        return [b for _, step in model.steps for b in _finetuned_blocks(step)]
    if isinstance(model, ColumnTransformer):
        return [b for _, part, _ in _transformers(model) for b in _finetuned_blocks(part)]
    return []


def _feature_blocks(model) -> list[str]:
    """The config names of a model's feature blocks (``tfidf_words``, ...), in order."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if isinstance(model, CalibratedClassifierCV):
        return _feature_blocks(model.estimator)
    config_name = {block: feature for feature, block in BLOCKS.items()}
    if isinstance(model, Pipeline):
        for _, step in model.steps:
            if isinstance(step, ColumnTransformer):
                return [config_name.get(name, name) for name, _, _ in _transformers(step)
                        if name != "remainder"]
    return []


def _transformers(union) -> list:
    """A column transformer's blocks: the fitted ones once it is fitted."""
    return getattr(union, "transformers_", union.transformers)


def load_framing_model(path: Path):
    """Load a model saved by :func:`save_framing_model`, trusting only known types.

    Raises:
        StanceError: the file is missing, unreadable, or holds types outside
            :data:`TRUSTED_TYPES`.
    """
    import zipfile

    path = Path(path)
    if not path.is_file():
        raise StanceError(f"{path}: no framing model there; give the framing_model.skops of "
                          "a run folder")
    import skops.io as sio  # after the check: importing it takes seconds

    try:
        found = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise StanceError(f"{path}: not a readable skops file ({error}); re-run the "
                          "experiment to save it again") from error
    untrusted = sorted(set(found) - TRUSTED_TYPES)
    if untrusted:
        raise StanceError(f"{path}: refusing to load types stance does not save: "
                          f"{', '.join(untrusted)}; only load models written by stance, or "
                          "if you trust this file, load it with skops.io.load(path, trusted=[...])")
    model = sio.load(path, trusted=list(found))
    for block in _finetuned_blocks(model):
        block.load_body(path.parent / block.body_folder_)
    return model
