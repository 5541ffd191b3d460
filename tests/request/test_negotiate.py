import pytest

from imgedge.config import Config
from imgedge.request.negotiate import negotiate_format

CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
SAFARI_18 = ("image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,"
             "image/*;q=0.8,*/*;q=0.5")
FIREFOX_OLD = "image/webp,*/*"


@pytest.mark.parametrize(
    "accept, expected",
    [
        (CHROME, "avif"),
        (SAFARI_18, "avif"),
        (FIREFOX_OLD, "webp"),
        ("*/*", "legacy"),
        ("image/*", "legacy"),
        (None, "legacy"),
        ("", "legacy"),
        ("image/avif;q=0, image/webp", "webp"),
        ("IMAGE/AVIF", "avif"),
        ("image/avif;q=bogus,image/webp;q=0.5", "webp"),
    ],
)
def test_accept_picks_avif_then_webp_then_legacy(accept, expected):
    assert negotiate_format(accept, Config()) == expected


def test_operators_can_turn_avif_off():
    assert negotiate_format(CHROME, Config(auto_formats=("webp",))) == "webp"
