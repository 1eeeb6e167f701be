"""Writers: one per file format, all streaming (nothing held beyond one day or one page)."""
