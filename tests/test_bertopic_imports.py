"""bertopic without its unused integrations: a fit never loads them, a user still can.

Each case runs in a fresh interpreter: this one may have imported bertopic already.
"""

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

FIT = """
import json, sys
from pathlib import Path
from tests.test_topics import FakeEmbedder, config, embed, make_segments
from stance.topics import fit_topics, load_topic_model, save_topic_model

fake = FakeEmbedder()
segments = make_segments(60)
result = fit_topics(segments, embed(segments, fake), config(representation="mmr"), seed=5,
                    embedder=fake)
folder = Path(sys.argv[1]) / "model"
save_topic_model(result.model, folder, "no/such/model/folder")
"""

FIT_SAVE_LOAD = FIT + """
load_topic_model(folder, fake)
loaded = sorted(m for m in ("torch", "transformers", "sentence_transformers", "plotly",
                            "jinja2") if m in sys.modules)

# the legacy format that needs torch still saves and loads (torch imported on use)
from bertopic import BERTopic
result.model.save(str(folder) + "-pt", serialization="pytorch", save_ctfidf=True,
                  save_embedding_model=False)
pytorch_round_trip = bool((BERTopic.load(str(folder) + "-pt").topic_embeddings_
                           == result.model.topic_embeddings_).all())

import bertopic.backend as backend
import bertopic.representation as representation
from bertopic.representation import TextGeneration, VisualRepresentation, ZeroShotClassification
try:
    representation.NoSuchModel
    unknown = "no error"
except AttributeError as error:
    unknown = str(error)
print(json.dumps({
    "loaded_by_fit": loaded,
    "pytorch_round_trip": pytorch_round_trip,
    "modules": [c.__module__ for c in (TextGeneration, ZeroShotClassification,
                                       VisualRepresentation, backend.MultiModalBackend)],
    "loaded_on_use": "transformers" in sys.modules,
    "unknown": unknown,
    "plot": type(result.model.visualize_barchart()).__module__,  # plotting loads on use
}))
"""

# sentence-transformers already imported (as in a run that embedded): still never built
LOAD_WITH_ST_IMPORTED = FIT + """
import sentence_transformers
built = []
sentence_transformers.SentenceTransformer.__init__ = lambda self, *a, **k: built.append(a)
model = load_topic_model(folder, fake)
print(json.dumps({"built": built, "backend": type(model.embedding_model).__name__,
                  "still_imported": sys.modules.get("sentence_transformers") is not None}))
"""

MISSING_DEPENDENCY = """
import importlib.abc, json, sys

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "transformers":
            raise ModuleNotFoundError("No module named 'transformers'", name=name)

sys.meta_path.insert(0, NotInstalled())
from stance.bertopic_imports import import_bertopic
import_bertopic()
from bertopic.representation import TextGeneration
print(json.dumps(type(TextGeneration).__name__))
"""


def _run(script: str, *args: str):
    # no HF_HUB_OFFLINE: a hub request would show as a slow test and a network error
    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "huggingface.co" not in done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_fit_save_and_load_never_import_torch_or_plotly_and_both_still_load(tmp_path):
    seen = _run(FIT_SAVE_LOAD, str(tmp_path))
    assert seen["loaded_by_fit"] == []
    assert seen["pytorch_round_trip"]
    assert seen["modules"] == ["bertopic.representation._textgeneration",
                               "bertopic.representation._zeroshot",
                               "bertopic.representation._visual",
                               "bertopic.backend._multimodal"]
    assert seen["loaded_on_use"]
    assert "has no attribute 'NoSuchModel'" in seen["unknown"]
    assert seen["plot"].startswith("plotly.graph_objs")


def test_loading_never_builds_the_embedding_model_saved_with_the_topics(tmp_path):
    seen = _run(LOAD_WITH_ST_IMPORTED, str(tmp_path))
    assert seen == {"built": [], "backend": "StanceBackend", "still_imported": True}


def test_an_integration_whose_dependency_is_missing_gets_bertopics_placeholder():
    assert _run(MISSING_DEPENDENCY) == "NotInstalled"
