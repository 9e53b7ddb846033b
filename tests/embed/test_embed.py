"""The embedding cache (atomic, shared, resumable) and the local-only model loader."""

from __future__ import annotations

import threading
import uuid

import numpy as np
import pytest

from stance.config import EmbeddingConfig
from stance.embed import (
    PACKAGED_MODELS,
    EmbeddingCache,
    embed_texts,
    load_embedder,
    resolve_model,
    text_keys,
)
from stance.errors import StanceError


class CountingEmbedder:
    """A stand-in model: deterministic vectors from the text hash, counting every call."""

    model_id = "fake@0"
    dimension = 8

    def __init__(self):
        self.texts_encoded = 0
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        self.texts_encoded += len(texts)
        seeds = [int.from_bytes(k[:4], "little") for k in text_keys(texts)]
        return np.stack([np.random.default_rng(s).standard_normal(8) for s in seeds]).astype(
            np.float32)

    def cache_key(self):
        return "fake"


@pytest.fixture(params=["folder", "url"])
def cache_dir(request, tmp_path):
    """A cache in a local folder, or at an fsspec URL (an in-memory filesystem)."""
    return tmp_path if request.param == "folder" else f"memory://stance-{uuid.uuid4().hex}"


def test_second_embed_of_the_same_texts_calls_the_model_zero_times(cache_dir):
    model = CountingEmbedder()
    texts = ["a", "b", "a", "c"]
    first = embed_texts(texts, model, cache_dir)
    assert model.texts_encoded == 3  # duplicates are encoded once
    calls = model.calls
    second = embed_texts(texts, model, cache_dir)
    assert model.calls == calls
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first[0], first[2])


def test_only_unseen_texts_are_encoded(cache_dir):
    model = CountingEmbedder()
    embed_texts(["a", "b"], model, cache_dir)
    out = embed_texts(["b", "c", "a"], model, cache_dir)
    assert model.texts_encoded == 3
    np.testing.assert_array_equal(out, model.encode(["b", "c", "a"]))


def test_cache_left_by_a_killed_write_still_loads(tmp_path):
    model = CountingEmbedder()
    embed_texts(["a", "b"], model, tmp_path)
    folder = tmp_path / "fake"
    # A write killed before its rename leaves a temporary file; one killed between the two
    # renames leaves vectors without keys; a disk error can leave a truncated keys file.
    (folder / ".tmp-dead-x.vecs.npy").write_bytes(b"\x93NUMPY half")
    (folder / "orphan.vecs.npy").write_bytes(b"\x93NUMPY half")
    (folder / "broken.keys.npy").write_bytes(b"\x93NUMPY")
    before = model.texts_encoded
    out = embed_texts(["a", "b", "c"], model, tmp_path)
    assert model.texts_encoded == before + 1
    np.testing.assert_array_equal(out, model.encode(["a", "b", "c"]))


def _only_shard(folder):
    (sidecar,) = folder.glob("*.json")
    return sidecar.with_name(sidecar.name.removesuffix(".json"))


def test_vectors_overwritten_in_place_are_moved_aside_once_and_encoded_again(tmp_path, caplog):
    import logging

    model = CountingEmbedder()
    texts = ["a", "b", "c"]
    good = embed_texts(texts, model, tmp_path)
    shard = _only_shard(tmp_path / "fake")
    vecs = shard.with_name(shard.name + ".vecs.npy")
    poisoned = np.load(vecs)
    poisoned[1] += 1.0  # the same shape and size: only the bytes tell
    np.save(vecs, poisoned)
    before = model.texts_encoded
    with caplog.at_level(logging.WARNING, logger="stance.embed._cache"):
        again = embed_texts(texts, model, tmp_path)
    np.testing.assert_array_equal(again, good)  # the model's vectors, not the changed ones
    assert model.texts_encoded == before + 3
    (message,) = caplog.messages
    assert f"shard {shard.name} is damaged (its vector bytes do not match the sha256" in message
    assert (tmp_path / "fake" / "damaged" / vecs.name).is_file()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="stance.embed._cache"):
        embed_texts(texts, model, tmp_path)
    assert caplog.messages == [] and model.texts_encoded == before + 3  # said once, reused


def test_a_truncated_shard_is_moved_aside_once(tmp_path, caplog):
    import logging

    model = CountingEmbedder()
    embed_texts(["a", "b"], model, tmp_path)
    shard = _only_shard(tmp_path / "fake")
    vecs = shard.with_name(shard.name + ".vecs.npy")
    vecs.write_bytes(vecs.read_bytes()[:-8])
    with caplog.at_level(logging.WARNING, logger="stance.embed._cache"):
        embed_texts(["a", "b"], model, tmp_path)
        embed_texts(["a", "b"], model, tmp_path)
    (message,) = caplog.messages
    assert f"shard {shard.name} is damaged (unreadable" in message
    assert model.texts_encoded == 4


def test_concurrent_writers_do_not_corrupt_the_cache(cache_dir):
    cache = EmbeddingCache(cache_dir)
    keys = text_keys([str(i) for i in range(400)])
    vectors = np.arange(400 * 4, dtype=np.float32).reshape(400, 4)

    def write(lo, hi):
        for start in range(lo, hi, 20):
            cache.add(keys[start:start + 20], vectors[start:start + 20])

    threads = [threading.Thread(target=write, args=(0, 300)),
               threading.Thread(target=write, args=(100, 400))]  # overlapping ranges
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    found, got = cache.lookup(keys)
    assert found.all()
    np.testing.assert_array_equal(got, vectors)
    assert len(cache) == 400


def test_a_url_cache_sets_damaged_shards_aside_and_encodes_their_texts_again(caplog):
    import logging

    import fsspec

    fs = fsspec.filesystem("memory")
    url = f"memory://stance-{uuid.uuid4().hex}"
    model = CountingEmbedder()
    good = embed_texts(["a", "b", "c"], model, url)
    root = url.removeprefix("memory:/") + "/fake"
    (sidecar,) = fs.glob(f"{root}/*.json")
    vecs = sidecar.removesuffix(".json") + ".vecs.npy"
    payload = bytearray(fs.cat_file(vecs))
    payload[-1] ^= 0xFF  # the same size: only the bytes tell
    fs.pipe_file(vecs, bytes(payload))
    with caplog.at_level(logging.WARNING, logger="stance.embed._cache"):
        again = embed_texts(["a", "b", "c"], model, url)
    np.testing.assert_array_equal(again, good)
    assert model.texts_encoded == 6
    (message,) = caplog.messages
    assert "is damaged (its vector bytes do not match the sha256" in message
    assert fs.isfile(f"{root}/damaged/{vecs.rsplit('/', 1)[-1]}")
    (sidecar,) = fs.glob(f"{root}/*.json")  # the shard written again
    vecs = sidecar.removesuffix(".json") + ".vecs.npy"
    fs.pipe_file(vecs, fs.cat_file(vecs)[:-8])  # truncated
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="stance.embed._cache"):
        np.testing.assert_array_equal(embed_texts(["a", "b", "c"], model, url), good)
    (message,) = caplog.messages
    assert "is damaged (unreadable" in message and model.texts_encoded == 9


def test_model_setting_is_part_of_the_cache_key():
    cfg = EmbeddingConfig()
    a = load_embedder(cfg)
    b = load_embedder(cfg.model_copy(update={"normalize": False}))
    c = load_embedder(cfg.model_copy(update={"max_seq_length": 128}))
    d = load_embedder(cfg.model_copy(update={"backend": "onnx"}))
    assert len({a.cache_key(), b.cache_key(), c.cache_key(), d.cache_key()}) == 4
    assert a.model_id == "all-MiniLM-L6-v2@53aa51172d14"


def test_weights_with_another_hash_are_refused():
    with pytest.raises(StanceError, match="expected 00ff.*weights_sha256"):
        resolve_model(EmbeddingConfig(weights_sha256="00ff" * 16))


def test_unknown_model_names_the_key_and_the_fix(tmp_path):
    with pytest.raises(StanceError, match="embedding.model: 'no-such-model' is neither"):
        resolve_model(EmbeddingConfig(model="no-such-model"))
    with pytest.raises(StanceError, match="no model.safetensors or pytorch_model.bin"):
        resolve_model(EmbeddingConfig(model=str(tmp_path)))


def test_packaged_weights_match_the_official_revision():
    info = resolve_model(EmbeddingConfig())
    assert info.weights_sha256 == PACKAGED_MODELS["all-MiniLM-L6-v2"].weights_sha256
    assert info.weights_file.name == "model.safetensors"


@pytest.mark.integration
def test_real_model_matches_bare_sentence_transformers_and_local_folder_works(tmp_path):
    from sentence_transformers import SentenceTransformer

    packaged = load_embedder(EmbeddingConfig())
    texts = ["Putin and Lukashenko agreed on the supply of military equipment.",
             "Trade between the two states grew."]
    ours = embed_texts(texts, packaged, tmp_path)
    bare = SentenceTransformer(str(packaged.info.path), device="cpu").encode(
        texts, normalize_embeddings=True)
    np.testing.assert_allclose(ours, bare, atol=1e-6)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    # Another local folder loads the same way, by path, with its hash recorded.
    folder = tmp_path / "my-model"
    folder.symlink_to(packaged.info.path, target_is_directory=True)
    local = load_embedder(EmbeddingConfig(model=str(folder)))
    assert local.describe()["weights_sha256"] == packaged.info.weights_sha256
    assert local.describe()["source"] == "local folder"
    np.testing.assert_allclose(local.encode(texts), bare, atol=1e-6)


def test_segments_longer_than_the_model_reads_are_counted_with_its_tokenizer(monkeypatch):
    import stance.embed
    import stance.embed._tokenizer

    embedder = load_embedder(EmbeddingConfig())  # 256 tokens, [CLS] and [SEP] included
    long = " ".join(["talks"] * 300)  # one word piece each: 302 tokens
    fits = " ".join(["talks"] * 200)  # 202 tokens: tokenised, not cut
    texts = ["A short paragraph.", long, fits, long + " again"]
    cut = stance.embed.count_truncated(texts, embedder, seed=0)
    assert cut == {"max_tokens": 256, "texts": 4, "truncated": 2, "checked": 3,
                   "sampled": False}
    # above the sample size a seeded sample is tokenised and its count scaled up
    monkeypatch.setattr(stance.embed._tokenizer, "TRUNCATION_SAMPLE", 1)
    sampled = stance.embed.count_truncated(texts, embedder, seed=0)
    assert sampled["checked"] == 1 and sampled["sampled"]
    assert sampled["truncated"] in (0, 3)  # the one checked, scaled by 3
    assert sampled == stance.embed.count_truncated(texts, embedder, seed=0)
