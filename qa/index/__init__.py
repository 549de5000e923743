"""Stage 6: the index. BM25 over sentences in this process (bm25.py) or on a search cluster
(cluster.py), built on every core (ingest.py), saved and loaded (snapshot.py)."""
