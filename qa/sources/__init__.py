"""Stage 1: the sources. Articles read from a folder (documents.py) or handed in as HTML or PDF
(extract.py), the writable data folder of articles added while serving (library.py), and their
sharing through a search cluster (catalog.py)."""
