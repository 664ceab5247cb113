"""Static file storage for production."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Compressed, hashed static files that ignore source-map comments.

    The vendored libraries in static/vendor/ are byte-for-byte the CDN's files
    (their SRI hashes must match), so they keep their sourceMappingURL comments
    while the .map files are not shipped; the manifest would otherwise fail on
    every missing map.
    """

    patterns = tuple(
        (extension, [p for p in rules if "sourceMappingURL" not in str(p)])
        for extension, rules in CompressedManifestStaticFilesStorage.patterns
    )
