"""Stage 6: the index. What the pipeline reads of one (base.Index); BM25 over sentences in this
process (bm25.py) or on a search cluster (cluster.py, kept equal to the sources by cluster_sync.py),
built on every core (ingest.py), saved and loaded (snapshot.py, packing.py)."""
