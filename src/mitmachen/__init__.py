"""mitmachen: a platform for local political and civic organisations."""
