"""The web edition: a page per source, the feed and the other editions, as one folder."""
