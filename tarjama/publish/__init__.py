"""Publishing approved versions: HTML pages, Hugo Markdown, IPTC ninjs, per-language index and Atom feed."""
