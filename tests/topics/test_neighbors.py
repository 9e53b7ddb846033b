import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from stance.topics import _neighbors as neighbors
from stance.topics import exact_knn, knn_graph


def points(n=300, d=8, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def no_search(*_):
    raise AssertionError("the approximate search was called")


@pytest.fixture(autouse=True)
def forget_graph():
    neighbors._last.clear()


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_exact_knn_matches_brute_force_and_puts_each_point_first(metric, monkeypatch):
    x = points()
    monkeypatch.setattr(neighbors, "BLOCK_ENTRIES", 1000)  # many row blocks
    idx, dist = exact_knn(x, 10, metric)
    ref_dist, ref_idx = NearestNeighbors(n_neighbors=10, metric=metric,
                                         algorithm="brute").fit(x).kneighbors(x)
    assert idx.shape == dist.shape == (300, 10)
    assert (idx[:, 0] == np.arange(300)).all() and (dist[:, 0] == 0).all()
    assert (np.sort(idx, axis=1) == np.sort(ref_idx, axis=1)).all()
    np.testing.assert_allclose(dist, ref_dist, atol=1e-5)
    assert (np.diff(dist, axis=1) >= 0).all()


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_the_exact_graph_is_the_same_bits_on_one_core_or_several(metric, monkeypatch):
    # a multi-threaded BLAS sums one product differently with each number of threads
    with threadpool_limits(2):
        if neighbors._blas_threads() < 2:  # every setting below would search serially
            pytest.skip("BLAS runs one thread here: the comparison needs two or more")
    x = points(n=2000, d=384)
    monkeypatch.setattr(neighbors, "BLOCK_ENTRIES", 2000 * 300)  # seven row blocks
    graphs = []
    for blas_threads, search_threads in ((1, 1), (2, 2), (4, 4)):
        monkeypatch.setattr(neighbors, "MAX_THREADS", search_threads)
        with threadpool_limits(blas_threads):
            graphs.append(exact_knn(x, 15, metric))
    for idx, dist in graphs[1:]:
        assert np.array_equal(idx, graphs[0][0]) and np.array_equal(dist, graphs[0][1])


@pytest.mark.parametrize("n", [0, 1])
def test_no_point_or_one_point_gives_its_graph(n):
    idx, dist = exact_knn(points(n=n), 5, "cosine")
    assert idx.tolist() == [[0]] * n and dist.tolist() == [[0.0]] * n


def test_duplicates_and_zero_vectors_keep_each_point_first():
    x = np.array([[1, 0], [1, 0], [0, 1], [0, 0]], dtype=np.float32)
    idx, dist = exact_knn(x, 2, "cosine")
    assert idx[:, 0].tolist() == [0, 1, 2, 3]
    assert idx[0, 1] == 1 and idx[1, 1] == 0 and dist[0, 1] == pytest.approx(0)


def test_graph_is_reused_for_the_same_vectors_and_sliced_for_fewer_neighbours():
    x = points()
    idx15, dist15 = knn_graph(x, 15, "cosine", approximate=no_search)
    idx5, dist5 = knn_graph(x.copy(), 5, "cosine", approximate=no_search)
    assert (idx5 == idx15[:, :5]).all() and np.shares_memory(idx5, idx15)
    other, _ = knn_graph(x + 1, 5, "cosine", approximate=no_search)
    assert not np.shares_memory(other, idx15)


def test_large_corpora_and_other_metrics_use_the_approximate_search(monkeypatch):
    calls = []

    def search(vectors, k, metric):
        calls.append((len(vectors), k, metric))
        return exact_knn(vectors, k, "euclidean")

    monkeypatch.setattr(neighbors, "EXACT_MAX_POINTS", 100)
    knn_graph(points(), 4, "cosine", approximate=search)
    knn_graph(points(50), 4, "manhattan", approximate=search)
    assert calls == [(300, 4, "cosine"), (50, 4, "manhattan")]


@pytest.mark.integration
def test_umap_takes_its_neighbours_from_the_shared_graph():
    import warnings

    from umap import UMAP

    from stance.topics._umap import seeded_umap

    x = points(500, 16)
    settings = {"n_neighbors": 10, "n_components": 3, "min_dist": 0.0, "metric": "cosine"}
    ours = seeded_umap(7, 7, **settings).fit_transform(x)
    # the layout is chaotic: a graph with float64 distances (sklearn's) already moves it
    graph = exact_knn(x, 10, "cosine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = UMAP(**settings, random_state=7, n_jobs=1,
                      precomputed_knn=(*graph, None)).fit_transform(x)
    np.testing.assert_array_equal(ours, theirs)
    assert neighbors._last["k"] == 10  # the graph came from knn_graph


@pytest.mark.integration
def test_umap_transform_returns_the_fitted_coordinates_of_training_points():
    from stance.topics._umap import seeded_umap

    x = points(200, 8)
    reducer = seeded_umap(3, 3, n_neighbors=8, n_components=2, min_dist=0.0, metric="cosine")
    fitted = reducer.fit_transform(x)
    np.testing.assert_array_equal(reducer.transform(x[[5, 2, 5]]), fitted[[5, 2, 5]])
    with pytest.raises(ValueError, match="fitted on"):
        reducer.transform(points(1, 8, seed=9))
