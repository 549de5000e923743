"""Articles added through the API, shared by every replica through the
search cluster (QA_SEARCH_URL).

Each replica keeps its added articles in its own data folder (library.py),
and the cluster's index holds their sentences. What one replica adds, the
others must be able to cite: the text, not only the sentences. So a write
also goes to a small index beside the sentences' alias, `<alias>-sources`:
one document per id holding the data-folder file's text, or a tombstone when
it was deleted. Every replica looks at it every QA_WATCH_SECONDS and copies
what changed into its own data folder, which it then reloads as if the file
had been dropped there.

A source listed here belongs to the replica that wrote it: another replica
whose copy differs (not yet copied, or deleted here) leaves that source's
sentences in the cluster as they are (index.cluster_sync.SourceSync.run).
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from .library import valid_id

if TYPE_CHECKING:  # (the index stage reads the catalog: a type only, no import back)
    from ..index.cluster_sync import Connection

log = logging.getLogger(__name__)

MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "text": {"type": "text", "index": False},  # the data-folder file, as written
        "deleted": {"type": "boolean"},
        # microseconds since the epoch: the signature's maximum (a max aggregation is a double,
        # exact to 2**53: nanoseconds would not be)
        "updated": {"type": "long"},
    },
}


class Catalog:
    def __init__(self, connection: Connection):
        """`connection`: the search cluster's, whose client and settings are used."""
        self.cluster = connection
        self.name = f"{connection.settings.index}-sources"

    def _ensure(self) -> None:
        client = self.cluster.client
        if not self.cluster.call("catalog lookup", client.indices.exists, index=self.name):
            body = {"settings": {"number_of_shards": 1, "number_of_replicas": self.cluster.settings.replicas},
                    "mappings": MAPPINGS}
            self.cluster.call("catalog creation", client.indices.create, index=self.name, body=body,
                              ignore=400)  # (400: another replica made it first)

    def publish(self, source_id: str, text: str | None) -> None:
        """The data-folder file of `source_id` is now `text` (None: deleted)."""
        self._ensure()
        document = {"id": source_id, "text": text or "", "deleted": text is None,
                    "updated": time.time_ns() // 1000}
        self.cluster.call("catalog write", self.cluster.client.index, index=self.name, id=source_id,
                          body=document, refresh=True)

    def signature(self) -> tuple[int, int]:
        """(documents, latest change): one cheap search for whether anything
        changed ((0, 0) while there is no catalog: a missing index is skipped)."""
        found = self.cluster.call("catalog look", self.cluster.client.search, index=self.name,
                                  ignore_unavailable=True, body={
                                      "size": 0, "track_total_hits": True,
                                      "aggs": {"updated": {"max": {"field": "updated"}}}})
        latest = found.get("aggregations", {}).get("updated", {}).get("value")
        return int(found["hits"]["total"]["value"]), int(latest or 0)

    def listing(self) -> dict[str, str | None]:
        """id -> the file's text, or None for a deleted one."""
        client = self.cluster.client
        out: dict[str, str | None] = {}
        after = None
        while True:
            body = {"size": 1000, "sort": [{"id": "asc"}], "_source": ["id", "text", "deleted"]}
            if after is not None:
                body["search_after"] = after
            found = self.cluster.call("catalog listing", client.search, index=self.name, body=body,
                                      ignore_unavailable=True)
            hits = found["hits"]["hits"]
            for hit in hits:
                out[hit["_source"]["id"]] = None if hit["_source"]["deleted"] else hit["_source"]["text"]
            if len(hits) < 1000:
                return out
            after = hits[-1]["sort"]


def mirror(listing: dict[str, str | None], data) -> int:
    """Make the data folder (library.DataFolder, inside its lock) hold what the
    catalog lists; the number of files written or removed."""
    changed = 0
    for source_id, text in listing.items():
        if not valid_id(source_id):  # (not written by this service)
            continue
        if text is None:
            changed += data.remove(source_id)
        elif not data.holds(source_id) or data.file(source_id).read_text(encoding="utf-8") != text:
            data.write(source_id, text)
            changed += 1
    return changed
