"""Caps on what untrusted input may make the toolkit read or allocate. Everything declared by a
file (a zip member's size, a PNG's width and height, an RLE's size) is checked against these
before any byte is decompressed or decoded, so a bomb is refused in milliseconds with no memory
spent on it. Documented in docs/scoring.md ("What is refused and why")."""

# A submitted map may hold at most this many times the ground-truth image's pixels (2x per side),
# or a square network resolution up to MAP_SIDE_ANY_GT whatever the image's size (a 512 px model's
# map of a 200 px image is 6.5x its pixels): never a way to make the scorer allocate gigabytes.
MAP_PIXELS_PER_GT_PIXEL = 4
MAP_SIDE_ANY_GT = 2048
# Without a ground truth to compare with (validating a submission on its own): 8192 x 8192.
MAX_MAP_PIXELS = 1 << 26
# Any single archive member or file of a submission, uncompressed.
MAX_MEMBER_BYTES = 64 << 20
# Uncompressed / compressed size of a member bigger than 1 MiB (PNG masks are ~1:1, CSV ~5:1).
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_ABOVE = 1 << 20
# manifest.json: its size, and the length of any text field or list it holds.
MAX_MANIFEST_BYTES = 16 << 20
MAX_FIELD_CHARS = 1000
MAX_LIST_ITEMS = 1000
