"""The child process that distils a static model: ``python -m stance.embed._distil JOB``.

:func:`stance.embed._static.distilled_model` starts it, so torch, transformers and the
teacher are loaded here and never in the process that runs the experiment.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from pathlib import Path

from stance.embed._model import ModelInfo, file_sha256
from stance.embed._static import RECORD, distill_settings, static_model_dir


def distil(info: ModelInfo, dims: int, root: Path) -> None:
    """Distil the model and move it into place, under a temporary name until complete."""
    from model2vec.distill import distill

    folder = static_model_dir(info, dims, root)
    model = distill(model_name=str(info.path), pca_dims=dims)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.{uuid.uuid4().hex}"
    model.save_pretrained(str(staging))
    record = {**distill_settings(info, dims),
              "weights_sha256": file_sha256(staging / "model.safetensors")}
    (staging / RECORD).write_text(json.dumps(record, indent=2) + "\n")
    try:
        os.replace(staging, folder)
    except OSError:  # another process renamed its copy into place first: keep that one
        shutil.rmtree(staging, ignore_errors=True)


if __name__ == "__main__":
    job = json.loads(sys.argv[1])
    paths = {key: Path(job["info"][key]) for key in ("path", "weights_file")}
    distil(ModelInfo(**{**job["info"], **paths}), job["dims"], Path(job["root"]))
