"""Property tests (hypothesis) of the hotline's fast reader: a batch read from its raw JSON (msgspec, strict, in C,
falling back to the lenient parser for what it refuses) must give exactly what the lenient parser alone gives for the
same records: the same rows, the same errors naming the same fields, the same duplicates. The fast path may change
speed, never an answer."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bihuan_supervision.domain.feeds.batch import split_records, validate, validate_raw
from bihuan_supervision.domain.feeds.hotline import HOTLINE
from bihuan_supervision.domain.feeds.hotline_row import STATUSES

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)

offsets = st.sampled_from(["+08:00", "Z", "", "-05:30", "+0800", "z"])
canonical_times = st.builds(
    lambda d, frac, off: d.strftime("%Y-%m-%dT%H:%M:%S") + frac + off,
    st.datetimes(min_value=__import__("datetime").datetime(1980, 1, 1),
                 max_value=__import__("datetime").datetime(2040, 1, 1)),
    st.sampled_from(["", ".5", ".123456", ".1234567"]), offsets)
odd_times = st.sampled_from(["2026-03-02", "2026-03-02 09:00:00", "2026-03-02t09:00:00z", "20260302T090000Z",
                             "2026-03-02T09:00:00+08:00:30", "2026-03-02T09:00:00,5Z", "2026-03-02T24:00:00Z",
                             "2026-03-02T23:59:60Z", "yesterday", "", 20260302, None])
times = st.one_of(canonical_times, odd_times)
texts = st.one_of(st.text(max_size=12), st.sampled_from(["", "河道违建", "x" * 200, "x" * 201, "a\x00b", "\ud800",
                                                         "𐀀" * 200, "𐀀" * 201]),
                  st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False), st.none(), st.booleans())
ids = st.one_of(st.sampled_from(["W-1", "W-2", "W-3", "", "x" * 64, "x" * 65, "W\x00"]), st.integers(0, 3), st.none())
versions = st.one_of(st.integers(-2, 4), st.sampled_from([2**31 - 1, 2**31, "3", 3.0, 2.5, True, None, "v"]))
steps = st.fixed_dictionaries({"status": st.sampled_from([*STATUSES, "乱码"]), "at": times},
                              optional={"by": st.text(max_size=5)})
histories = st.one_of(st.lists(steps, max_size=5), st.none(), st.just(""), st.just("[]"), st.just("受理"),
                      st.just([{"status": "受理"}]), st.lists(steps, min_size=101, max_size=101))
FIELDS = {
    "order_id": ids, "version": versions, "received_at": times, "category": texts, "channel": texts,
    "sub_category": texts, "district": texts, "street": texts, "content": texts, "assigned_unit": ids,
    "status": st.sampled_from([*STATUSES, "乱码", "", None, 3]), "status_history": histories,
    "sign_in_deadline": times, "close_deadline": times,
    "resolved": st.sampled_from([True, False, None, "是", "否", 1, 0, "x", ""]),
    "satisfaction": st.sampled_from(["非常满意", "满意", "基本满意", "不满意", "非常不满意", "5", 3, "好", "", None]),
    "repeat_of": ids,
}


CANONICAL = {
    "order_id": st.sampled_from(["W-1", "W-2", "W-3"]), "version": st.integers(0, 4), "received_at": canonical_times,
    "category": st.sampled_from(["河道违建", "噪声扰民"]), "channel": st.sampled_from(["电话", "网站"]),
    "sub_category": st.just("其他"), "district": st.just("示范区"), "street": st.sampled_from(["街道1", "𐀀" * 200]),
    "content": st.text(min_size=1, max_size=20).filter(lambda t: "\x00" not in t), "assigned_unit": st.just("U-1"),
    "status": st.sampled_from(STATUSES), "status_history": st.lists(
        st.fixed_dictionaries({"status": st.sampled_from(STATUSES), "at": canonical_times}), max_size=4),
    "sign_in_deadline": canonical_times, "close_deadline": canonical_times, "resolved": st.booleans(),
    "satisfaction": st.sampled_from(["非常满意", "满意", "基本满意", "不满意", "非常不满意"]),
    "repeat_of": st.just("W-0"),
}
REQUIRED = ("order_id", "version", "received_at", "category")


@st.composite
def records(draw):
    """Mostly canonical records (the fast reader takes them), some fields made odd, some left out."""
    rec = {}
    odd = set(draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=3)))
    for name in FIELDS:
        if name not in REQUIRED and draw(st.integers(0, 3)) == 0:
            continue
        rec[name] = draw(FIELDS[name] if name in odd else CANONICAL[name])
    return rec


@PROPERTY
@given(st.lists(st.one_of(records(), st.just([1]), st.just("x")), min_size=1, max_size=12))
def test_the_fast_reader_answers_exactly_as_the_lenient_parser(batch):
    body = json.dumps(batch, ensure_ascii=True).encode()  # \u0000 and lone surrogates arrive escaped, as on the wire
    fast = validate_raw(HOTLINE, split_records(body))
    slow = validate(HOTLINE, json.loads(body))
    assert fast.errors == slow.errors
    assert fast.rows == slow.rows
    assert fast.duplicates_in_batch == slow.duplicates_in_batch


def test_a_canonical_order_takes_the_fast_path():
    """The equality above would hold trivially if everything fell back; canonical orders must not."""
    from bihuan_supervision.bench_data import batch_json

    raw = split_records(batch_json(0, 50))
    assert raw.clean and len(raw.records) == 50
    assert all(HOTLINE.wire.row(HOTLINE.wire.decoder.decode(r)) for r in raw.records)
