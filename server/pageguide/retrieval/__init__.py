"""Knowledge: parse, embed, store in Chroma, and search page-aware."""
