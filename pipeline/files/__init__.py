"""Files: atomic writes, bounded reads, paths kept inside a folder, the local resources a source names."""
