"""The option table is the one description of the URL options: the parser, the key codec, the bound and
the README's table all read it, so these checks hold the table itself together."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from imgedge.config import Config
from imgedge.request.canonical import resolve
from imgedge.request.grammar import parse_query
from imgedge.request.options import ALIASES, ALL_OPTIONS, DEFAULT_ALLOWED_OPTIONS, KEY_ORDER, KEY_TOKENS, OPTIONS
from imgedge.request.reference import parameter_table, rewrite
from imgedge.request.spec import RequestParams, VariantSpec

README = Path(__file__).resolve().parents[2] / "README.md"
#: Bound terms several options share; every other option is an axis of its own.
COMBINED_AXES = {"box", "encoding", "orientation", "colour"}


def test_the_readme_table_is_the_option_table():
    text = README.read_text(encoding="utf-8")
    assert parameter_table() in text, "README's parameter table is stale: python -m imgedge.request.reference README.md"
    assert rewrite(text) == text


def test_every_spelling_names_one_option():
    spellings = [s for o in OPTIONS for s in (o.name, *o.aliases)]
    assert len(spellings) == len(set(spellings)) == len(ALIASES)
    assert all(s == s.lower() for s in spellings)
    assert set(ALIASES.values()) == set(ALL_OPTIONS)
    assert DEFAULT_ALLOWED_OPTIONS == tuple(o.name for o in OPTIONS if o.open) == Config().allowed_options


def test_each_option_sets_a_request_field_and_is_counted_by_the_bound():
    request_fields = {f.name for f in fields(RequestParams)}
    for option in OPTIONS:
        assert option.field is None or option.field in request_fields, option.name
        assert (option.parse is None) == (option.field is None), option.name
        assert option.open or option.count is not None, f"{option.name}: a closed option needs a count"
    own_axes = [o.axis for o in OPTIONS if o.axis is not None and o.axis not in COMBINED_AXES]
    assert len(own_axes) == len(set(own_axes))


def test_one_token_order_spells_every_field_a_spec_can_change():
    with_tokens = {o.name for o in OPTIONS if o.token is not None}
    assert set(KEY_ORDER) <= with_tokens and len(KEY_ORDER) == len(set(KEY_ORDER))
    # fp-x and fp-y share one; q also spells q=auto's target
    assert {t for o in OPTIONS if o.token is not None for t in (o.token, *o.more_tokens)} == set(KEY_TOKENS)
    spelled = {t.field for t in KEY_TOKENS}
    assert spelled == {f.name for f in fields(VariantSpec)} and len(spelled) == len(KEY_TOKENS)


def test_paints_follows_the_table():
    config = Config(watermarks={"logo": {"key": "logo.png"}}, allowed_options=ALL_OPTIONS)

    def spec(query: str) -> VariantSpec:
        return resolve(parse_query(f"w=320&h=240&{query}", config), config, negotiated_format="webp")

    assert not spec("rot=90&flip=h&rect=0,0,10,10&mb=5000&q=50&g=north&meta=copyright").paints
    painting = [o.name for o in OPTIONS if o.paints]
    assert painting == ["bg", "blur", "sharpen", "bri", "con", "sat", "gray", "wm"]
    for query in ("bg=fff", "blur=2", "sharpen=1", "bri=10", "con=10", "sat=10", "gray=1", "wm=logo"):
        assert spec(query).paints, query
