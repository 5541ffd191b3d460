"""Time against source megapixels (2-24 MP ladder cut from real photos, see fetch_photos.py).

imgedge's rounds are paired with libvips rounds (see test_cases.py), so the ratio column is steady even
when the machine's load drifts.
"""

import pytest

from conftest import quality_info, read_bytes
from impls import CASES, IMPL_FUNCS
from test_cases import have_vips, paired_pedantic

LADDER_CASES = ("640-jpeg-q80", "2048-jpeg-q85")


@pytest.mark.parametrize("ladder_case", LADDER_CASES)
@pytest.mark.parametrize("ladder_impl", ("imgedge", "libvips"))
def test_ladder(benchmark, ladder_photo, ladder_case, ladder_impl, rounds):
    if ladder_impl == "libvips" and not have_vips():
        pytest.skip("pyvips is not installed")
    case = CASES[ladder_case]
    if ladder_photo["width"] < case.width:
        pytest.skip("the ladder never upscales")
    partners = {"libvips": IMPL_FUNCS["libvips"]} if ladder_impl == "imgedge" and have_vips() else {}
    data = read_bytes(ladder_photo["path"])
    benchmark.group = f"ladder {ladder_case}"
    output, times = paired_pedantic(benchmark, IMPL_FUNCS[ladder_impl], (data, case), max(1, rounds // 2), partners)
    benchmark.extra_info.update(kind="ladder", case=ladder_case, photo=ladder_photo["name"], impl=ladder_impl,
                                megapixels=ladder_photo["megapixels"], **quality_info(ladder_photo["path"], output),
                                **times)
