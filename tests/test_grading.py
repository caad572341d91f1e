"""Grading per question type, and the invariants of drawing and grading checked with hypothesis."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from lms.courses.content_files import _Collector
from lms.quizzes import bank_files, grading
from tests.quiz_helpers import fields_for

DATA = Path(__file__).parent / "data"


def _load_every_type(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("bank")
    (folder / "questions").mkdir()
    shutil.copy(DATA / "every-type.yml", folder / "questions" / "every-type.yml")
    out = _Collector(folder)
    specs = bank_files.load_banks(folder, out)
    assert out.problems == []
    return {s.key: {"question_id": n, "key": s.key, "type": s.qtype, "points": s.points,
                    "prompt_html": s.prompt_markdown, "explanation_html": "", "source": s.legal_source,
                    "spec": s.spec} for n, s in enumerate(specs, start=1)}


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    return _load_every_type(tmp_path_factory)


def snap(bank, key, seed=1):
    return grading.make_snapshot(bank[key], random.Random(seed))


def option_id(snapshot, text):
    return next(o["id"] for o in snapshot["options"] if o["text"] == text)


def test_single_choice_scores_only_the_right_option(bank):
    s = snap(bank, "luat-2022-ngay-hieu-luc")
    assert grading.grade(s, option_id(s, "01/01/2024")) == 1.0
    assert grading.grade(s, option_id(s, "15/6/2022")) == 0.0
    assert grading.grade(s, None) == 0.0


def test_multiple_choice_partial_credit_and_all_or_nothing(bank):
    s = snap(bank, "hinh-thuc-khen-thuong")
    right = [option_id(s, t) for t in ("Huân chương", "Bằng khen", "Giấy khen")]
    wrong = option_id(s, "Chiến sĩ thi đua cơ sở")
    assert grading.grade(s, right) == 1.0
    assert grading.grade(s, right[:2]) == pytest.approx(2 / 3, abs=1e-4)
    assert grading.grade(s, right + [wrong]) == pytest.approx(2 / 3, abs=1e-4)  # a wrong tick takes a share
    assert grading.grade(s, [wrong]) == 0.0  # never below zero
    strict = dict(s, scoring=grading.ALL_OR_NOTHING)
    assert grading.grade(strict, right) == 1.0
    assert grading.grade(strict, right[:2]) == 0.0
    assert grading.grade(strict, right + [wrong]) == 0.0


def test_true_false(bank):
    s = snap(bank, "thi-dua-tu-nguyen")
    assert grading.grade(s, "false") == 1.0
    assert grading.grade(s, "true") == 0.0


@pytest.mark.parametrize("typed, score", [
    ("Thủ tướng Chính phủ", 1.0),
    ("  thủ tướng chính phủ ", 1.0),        # case and surrounding spaces do not matter
    ("THỦ TƯỚNG", 1.0),
    ("Thủ  tướng   Chính phủ", 1.0),        # nor runs of spaces inside
    ("Thu tuong Chinh phu", 0.0),           # diacritics do
    ("Thủ tướng Chính phủ.", 0.0),
    ("Thu\u0309 tướng", 1.0),               # the same letters typed in decomposed Unicode
])
def test_short_answer_normalisation(bank, typed, score):
    s = snap(bank, "chu-tich-hoi-dong-trung-uong")
    assert grading.grade(s, typed) == score


@pytest.mark.parametrize("typed, score", [("1948", 1.0), (" 1948 ", 1.0), ("1948,0", 1.0), ("1948.0", 1.0),
                                          ("1947", 0.0), ("một nghìn", 0.0), ("", 0.0)])
def test_numeric_exact(bank, typed, score):
    s = snap(bank, "nam-loi-keu-goi")
    assert grading.grade(s, typed) == score


def test_numeric_tolerance_range_and_weighted_alternatives():
    question = {"question_id": 1, "key": "k", "type": grading.NUMERIC, "points": 1, "prompt_html": "",
                "explanation_html": "", "source": "", "spec": {"answers": [
                    {"value": 4.5, "tolerance": 0.1, "min": 4.4, "max": 4.6, "weight": 1.0, "feedback": ""},
                    {"value": None, "tolerance": None, "min": 4.0, "max": 5.0, "weight": 0.5, "feedback": ""}]}}
    s = grading.make_snapshot(question, random.Random(0))
    assert grading.grade(s, "4,5") == 1.0
    assert grading.grade(s, "4.6") == 1.0   # the edge of the tolerance counts
    assert grading.grade(s, "4.9") == 0.5   # only the wider, half-credit range
    assert grading.grade(s, "5.1") == 0.0


def test_matching_partial_credit(bank):
    s = snap(bank, "loai-hinh-khen-thuong")
    right = grading.correct_response(s)
    assert grading.grade(s, right) == 1.0
    lefts = [left["id"] for left in s["lefts"]]
    one_wrong = dict(right, **{lefts[0]: right[lefts[1]]})
    assert grading.grade(s, one_wrong) == pytest.approx(2 / 3, abs=1e-4)
    assert grading.grade(dict(s, scoring=grading.ALL_OR_NOTHING), one_wrong) == 0.0
    assert len(s["rights"]) == 4  # the distractor is offered too


def test_ordering_all_or_nothing_by_default(bank):
    s = snap(bank, "moc-lich-su")
    right = grading.correct_response(s)
    assert grading.grade(s, right) == 1.0
    swapped = dict(right)
    first, second = list(right)[:2]
    swapped[first], swapped[second] = right[second], right[first]
    assert grading.grade(s, swapped) == 0.0
    assert grading.grade(dict(s, scoring=grading.PARTIAL), swapped) == pytest.approx(1 / 3, abs=1e-4)


def test_the_page_view_holds_no_answer(bank):
    for key in bank:
        view = grading.public_view(snap(bank, key))
        text = repr(view)
        for secret in ("weight", "answer", "right", "position", "feedback", "explanation", "source"):
            assert f"'{secret}'" not in text, (key, secret)


def test_option_ids_are_per_attempt_tokens_not_bank_ids(bank):
    first, second = snap(bank, "luat-2022-ngay-hieu-luc", 1), snap(bank, "luat-2022-ngay-hieu-luc", 2)
    assert {o["id"] for o in first["options"]}.isdisjoint({"o1", "o2", "o3"})
    assert {o["id"] for o in first["options"]} != {o["id"] for o in second["options"]}


def test_read_response_refuses_what_no_page_could_send(bank):
    s = snap(bank, "luat-2022-ngay-hieu-luc")
    with pytest.raises(grading.InvalidAnswer):
        grading.read_response(s, 1, MultiDict([("q1", "not-an-option")]))
    t = snap(bank, "thi-dua-tu-nguyen")
    with pytest.raises(grading.InvalidAnswer):
        grading.read_response(t, 1, MultiDict([("q1", "maybe")]))
    o = snap(bank, "moc-lich-su")
    with pytest.raises(grading.InvalidAnswer):
        grading.read_response(o, 1, MultiDict([(f"q1-{o['items'][0]['id']}", "9")]))
    assert grading.read_response(s, 1, MultiDict()) is None


# --- invariants ------------------------------------------------------------------------------------------

KEYS = ["luat-2022-ngay-hieu-luc", "hinh-thuc-khen-thuong", "thi-dua-tu-nguyen", "chu-tich-hoi-dong-trung-uong",
        "nam-loi-keu-goi", "loai-hinh-khen-thuong", "moc-lich-su"]


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), key=st.sampled_from(KEYS))
def test_shuffling_keeps_every_choice_and_the_right_answer_still_earns_full_marks(tmp_path_factory, seed, key):
    bank = _bank_cache(tmp_path_factory)
    s = grading.make_snapshot(bank[key], random.Random(seed))
    spec = bank[key]["spec"]
    if "options" in spec:
        assert sorted(o["text"] for o in s["options"]) == sorted(o["text"] for o in spec["options"])
        assert len({o["id"] for o in s["options"]}) == len(spec["options"])
    if "items" in spec:
        assert sorted(i["text"] for i in s["items"]) == sorted(i["text"] for i in spec["items"])
        assert [i["text"] for i in s["items"]] != [i["text"] for i in spec["items"]]  # never shown solved
    right = grading.correct_response(s)
    assert grading.grade(s, right) == 1.0
    # What a browser would post for that answer reads back as the same answer.
    form = MultiDict(fields_for(s, 1, right))
    assert grading.grade(s, grading.read_response(s, 1, form)) == 1.0


_BANK: dict = {}


def _bank_cache(tmp_path_factory):
    if not _BANK:
        _BANK.update(_load_every_type(tmp_path_factory))
    return _BANK


@settings(max_examples=200, deadline=None)
@given(data=st.data(), key=st.sampled_from(KEYS), seed=st.integers(min_value=0, max_value=2**16))
def test_any_response_scores_between_zero_and_one(tmp_path_factory, data, key, seed):
    bank = _bank_cache(tmp_path_factory)
    s = grading.make_snapshot(bank[key], random.Random(seed))
    kind = s["type"]
    if kind == grading.SINGLE:
        response = data.draw(st.sampled_from([o["id"] for o in s["options"]]))
    elif kind == grading.MULTIPLE:
        response = data.draw(st.lists(st.sampled_from([o["id"] for o in s["options"]]), unique=True))
    elif kind == grading.TRUE_FALSE:
        response = data.draw(st.sampled_from(["true", "false"]))
    elif kind in (grading.SHORT_ANSWER, grading.NUMERIC):
        response = data.draw(st.text(max_size=30))
    elif kind == grading.MATCHING:
        response = {left["id"]: data.draw(st.sampled_from([r["id"] for r in s["rights"]])) for left in s["lefts"]}
    else:
        n = len(s["items"])
        response = {i["id"]: data.draw(st.integers(min_value=1, max_value=n)) for i in s["items"]}
    score = grading.grade(s, response)
    assert 0.0 <= score <= 1.0
    # Full marks only for the answer the review page shows as right (or one as good as it).
    if score == 1.0 and kind in (grading.SINGLE, grading.MULTIPLE, grading.TRUE_FALSE, grading.MATCHING):
        assert response == grading.correct_response(s) or sorted(response) == grading.correct_response(s)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), weights=st.lists(
    st.floats(min_value=-1, max_value=1, allow_nan=False), min_size=2, max_size=6))
def test_partial_credit_never_leaves_zero_to_one(seed, weights):
    options = [{"id": f"o{n}", "text": f"Lựa chọn {n}", "weight": grading.round_weight(w), "feedback": ""}
               for n, w in enumerate(weights)]
    question = {"question_id": 1, "key": "k", "type": grading.MULTIPLE, "points": 2, "prompt_html": "",
                "explanation_html": "", "source": "",
                "spec": {"options": options, "shuffle": True, "scoring": grading.PARTIAL}}
    s = grading.make_snapshot(question, random.Random(seed))
    chosen = random.Random(seed).sample([o["id"] for o in s["options"]], k=len(options) // 2)
    result = grading.grade_slot(s, chosen)
    assert 0.0 <= result.fraction <= 1.0
    assert 0.0 <= result.points <= 2.0
