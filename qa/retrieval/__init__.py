"""The index (article and chunk tables, BM25, FAISS), its builds, and hybrid retrieval over it."""
