"""Real datasets bundled with seqfeed (no download): JapaneseVowels and yearly sunspots.

Sources and licences are listed in ``data/SOURCES.md`` next to the files; the loaders are in
``seqfeed.sources`` (whose ``read`` also resolves these names).
"""

from ..sources._bundled import Series, export_csv, japanese_vowels, load, names, sunspots

__all__ = ["Series", "export_csv", "japanese_vowels", "load", "names", "sunspots"]
