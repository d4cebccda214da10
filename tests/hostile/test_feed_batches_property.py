"""Property tests (hypothesis) of the feed batch validation (supervision's parsers for the 12345 hotline, service-window
ratings and the three centres): whatever a feed sends, validation never crashes; every bad record is answered with
its index, a field and a reason; every good record is kept; nothing kept is text PostgreSQL would refuse."""
import copy


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bihuan_supervision.domain.feeds.batch import validate
from bihuan_supervision.domain.feeds.centers import CENTER_CASES
from bihuan_supervision.domain.feeds.hotline import HOTLINE
from bihuan_supervision.domain.feeds.windows import WINDOW_RATINGS
from bihuan_supervision.sample_orders import order

SOURCES = [HOTLINE, WINDOW_RATINGS, CENTER_CASES]
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)

# Ways a required field of a good record goes wrong: missing, blank, wrong type, oversized, not a time, not a number.
BREAKAGES = {
    "order_id": [None, "", ["x"], {"a": 1}, "x" * 65],
    "version": [None, "v1", 1.5, True, -1, 2**40, [1]],
    "received_at": [None, "yesterday", 20260302, "2026-13-45T99:00:00", {"t": 1}],
    "category": [None, "", 42.0 if False else ["河道"], "类" * 201],
    "status_history": ["受理", [{"status": "乱码状态", "at": "2026-03-02T09:00:00+08:00"}], [{"status": "受理"}]],
}


def good_order(i: int) -> dict:
    return order(f"P-{i}", version=1 + i % 3, unit=f"U-{i % 7}")


@st.composite
def mixed_batches(draw):
    size = draw(st.integers(min_value=1, max_value=40))
    batch, bad = [], set()
    for i in range(size):
        kind = draw(st.sampled_from(["good", "good", "broken", "junk"]))
        if kind == "good":
            batch.append(good_order(i))
            continue
        bad.add(i)
        if kind == "junk":
            batch.append(draw(json_values.filter(lambda v: not isinstance(v, dict) or "order_id" not in v)))
            continue
        rec = copy.deepcopy(good_order(i))
        field = draw(st.sampled_from(sorted(BREAKAGES)))
        value = draw(st.sampled_from(BREAKAGES[field]))
        if value is None:
            rec.pop(field)
        else:
            rec[field] = value
        batch.append(rec)
    return batch, bad


@PROPERTY
@given(source=st.sampled_from(SOURCES), records=st.lists(json_values, max_size=30),
       first=st.integers(min_value=0, max_value=10_000))
def test_validation_never_crashes_and_indexes_every_error(source, records, first):
    result = validate(source, records, first)
    indices = range(first, first + len(records))
    assert all(e.index in indices and e.message for e in result.errors)
    for i, rec in enumerate(records, first):
        if not isinstance(rec, dict):
            assert any(e.index == i for e in result.errors), f"record {i} ({rec!r}) is not an object"
    assert len(result.rows) + result.duplicates_in_batch + len({e.index for e in result.errors}) == len(records)


@PROPERTY
@given(mixed_batches())
def test_a_mixed_batch_keeps_every_good_record_and_answers_every_bad_one(batch_and_bad):
    batch, bad = batch_and_bad
    result = validate(HOTLINE, batch)
    assert {e.index for e in result.errors} == bad
    assert all(e.field or not isinstance(batch[e.index], dict) for e in result.errors)  # names the field
    assert {row[0] for row in result.rows} == {batch[i]["order_id"] for i in range(len(batch)) if i not in bad}


@PROPERTY
@given(st.integers(min_value=1, max_value=30), st.data())
def test_the_newest_version_of_a_record_wins_within_a_batch(copies, data):
    versions = data.draw(st.lists(st.integers(min_value=1, max_value=50), min_size=copies, max_size=copies))
    batch = [order("SAME", version=v) for v in versions]
    result = validate(HOTLINE, batch)
    assert len(result.rows) == 1 and result.rows[0][1] == max(versions)
    assert result.duplicates_in_batch == copies - 1


MIS_ENCODED = ["\x00", "abc\x00def", "\ud800", "a\udcff", "\ufffe"]


@PROPERTY
@given(field=st.sampled_from(["order_id", "category", "content", "street", "assigned_unit"]),
       bad=st.sampled_from(MIS_ENCODED))
def test_mis_encoded_text_is_refused_or_never_reaches_the_database(field, bad):
    rec = good_order(1)
    rec[field] = f"{rec.get(field) or 'x'}{bad}"
    result = validate(HOTLINE, [rec])
    for row in result.rows:
        for value in row:
            if isinstance(value, str):
                assert "\x00" not in value, f"{field}: NUL kept (PostgreSQL text cannot store it)"
                value.encode("utf-8")  # a lone surrogate cannot be stored either
