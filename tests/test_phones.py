"""Phone numbers: spreadsheet repairs as named steps, then libphonenumber's exact answer."""

from __future__ import annotations

import phonenumbers
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, VARIABLES_MAP
from csvprep import UsageError, phones, validate
from csvprep.phones import CLEAN, CODE, E164, TYPE, lookup, normalise, region_for


def by_line(report, code):
    return {p.line: p for p in report.problems if p.code == code}


def test_excel_damage_is_named_and_repaired():
    report = validate(FIXTURES / "excel_mangled_numbers.csv", variables_map=VARIABLES_MAP)
    assert report.problem_counts == {
        "phone_scientific_notation": 1,
        "phone_repaired_decimal": 1,
        "phone_repaired_apostrophe": 1,
        "phone_repaired_invisible": 2,
        "phone_repaired_formula": 1,
    }
    assert set(by_line(report, "phone_scientific_notation")) == {2}
    assert set(by_line(report, "phone_repaired_decimal")) == {3}
    assert set(by_line(report, "phone_repaired_apostrophe")) == {4}
    assert set(by_line(report, "phone_repaired_invisible")) == {5, 6}
    assert set(by_line(report, "phone_repaired_formula")) == {7}
    assert report.rows.valid == 5 and report.rows.invalid == 1


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("919876543210.0", "919876543210"),
        ("'+919876543210", "+919876543210"),
        ('="+919876543210"', "+919876543210"),
        ("+91\u00a098765\u00a043210", "+91 98765 43210"),
        ("\u200b9876543210\u200d", "9876543210"),
        ("  9876543210  ", "9876543210"),
    ],
)
def test_repairs(raw, clean):
    out = normalise(pl.DataFrame({"p": [raw]}), "p", "IN")
    assert out[CLEAN].item() == clean
    assert out[E164].item() is not None


def test_scientific_notation_is_rejected_not_guessed():
    out = normalise(
        pl.DataFrame({"p": ["9.19877E+11", "9,19877E+11", "9.19876543210E+11"]}), "p", "IN"
    )
    assert out[CODE].to_list() == ["phone_scientific_notation"] * 3
    assert out[E164].to_list() == [None] * 3


def test_empty_number_is_its_own_problem():
    report = validate(FIXTURES / "empty_phone.csv")
    assert report.problem_counts == {"phone_missing": 2}
    assert [p.line for p in report.problems] == [3, 4]


def test_invalid_numbers_are_never_formatted():
    report = validate(FIXTURES / "invalid_numbers.csv")
    assert report.problem_counts == {"phone_invalid": 2, "phone_unparseable": 2}
    assert report.rows.valid == 1


def test_every_number_has_a_type_and_mobile_only_rejects_the_rest():
    out = normalise(
        pl.DataFrame({"p": ["+919876543210", "+911123456789", "18001234567"]}), "p", "IN"
    )
    assert out[TYPE].to_list() == ["mobile", "fixed_line", "toll_free"]
    assert validate(FIXTURES / "landline_numbers.csv").rows.valid == 3
    strict = validate(FIXTURES / "landline_numbers.csv", mobile_only=True)
    assert strict.problem_counts == {"phone_not_mobile": 2}
    assert strict.rows.valid == 1


def test_extension_is_warned_about():
    report = validate(FIXTURES / "phone_extension.csv")
    assert report.problem_counts == {"phone_extension_dropped": 1}
    assert report.rows.valid == 1


def test_international_numbers_keep_their_own_country():
    out = normalise(pl.DataFrame({"p": ["+1 650-253-0000", "+44 7911 123456"]}), "p", "IN")
    assert out[E164].to_list() == ["+16502530000", "+447911123456"]


@pytest.mark.parametrize(
    ("code", "region"),
    [("+91", "IN"), ("91", "IN"), ("IN", "IN"), ("in", "IN"), ("+44", "GB"), ("+1", "US")],
)
def test_country_code_forms(code, region):
    assert region_for(code) == region


@pytest.mark.parametrize("code", ["+999", "XX", "India", ""])
def test_bad_country_code_is_a_usage_error(code):
    with pytest.raises(UsageError):
        region_for(code)


def test_country_code_changes_the_default_region():
    out = normalise(pl.DataFrame({"p": ["07911 123456"]}), "p", region_for("+44"))
    assert out[E164].item() == "+447911123456"


_numberish = st.text(alphabet=st.sampled_from(list("0123456789+ -()./xe")), max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(_numberish, min_size=1, max_size=20),
    region=st.sampled_from(["IN", "US", "GB", "AE", "SG", "BR"]),
)
def test_answers_equal_libphonenumber(values, region):
    out = normalise(pl.DataFrame({"p": values}), "p", region)
    for clean, e164, code in out.select(CLEAN, E164, CODE).rows():
        if code in ("phone_missing", "phone_scientific_notation"):
            continue
        try:
            number = phonenumbers.parse(clean, region)
            valid = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            valid = False
        if valid:
            assert e164 == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            assert code is None
        else:
            assert e164 is None and code is not None


def test_a_short_list_is_answered_by_libphonenumber_itself_a_long_one_column_wise():
    from csvprep.phones import _ASKED_ONE_BY_ONE

    short = ["9876543210", "98123 45678", "", "9876543210"]
    lookup.cache_clear()
    out = normalise(pl.DataFrame({"p": short}), "p", "IN")
    assert lookup.cache_info().misses == 2  # each distinct value once; the empty one never
    assert out[E164].to_list() == ["+919876543210", "+919812345678", None, "+919876543210"]
    assert out[CODE].to_list() == [None, None, "phone_missing", None]
    lookup.cache_clear()
    long = [f"98765{i:05d}" for i in range(_ASKED_ONE_BY_ONE + 1)]
    out = normalise(pl.DataFrame({"p": long}), "p", "IN")
    assert lookup.cache_info().misses == 0
    assert out[E164].to_list() == [f"+91{v}" for v in long]


def test_libphonenumber_is_called_once_per_distinct_value_it_must_decide():
    lookup.cache_clear()
    # the vectorised path decides plain numbers; an upper-case extension goes to the library
    values = ["9876543210"] * 1000 + ["9812345678 EXT 1"] * 1000 + ["9812345678 EXT 2"] * 1000
    out = normalise(pl.DataFrame({"p": values}), "p", "IN")
    assert lookup.cache_info().misses == 2
    assert out[E164].unique().sort().to_list() == ["+919812345678", "+919876543210"]


def test_the_decimal_repair_never_touches_a_dotted_national_number():
    # every region's example numbers of every type, written nationally with dots for spaces
    # and hyphens: their digits after a dot are the number's, so the spreadsheet repair must
    # leave them to libphonenumber (which reads dots as separators), and csvprep's E.164 must
    # be libphonenumber's for each
    import re
    from collections import defaultdict

    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    from csvprep.phones import e164

    def reference(value: str, region: str) -> str | None:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)

    by_region: dict[str, list[str]] = defaultdict(list)
    kinds = [getattr(PhoneNumberType, k) for k in dir(PhoneNumberType) if k.isupper()]
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in kinds:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                national = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
                dotted = re.sub(r"[ \-]", ".", national)
                if "." in dotted:
                    by_region[region].append(dotted)
    by_region["IN"].append("919876543210.0")  # what the repair is for
    by_region["DE"].append("0301234.0000")
    assert sum(map(len, by_region.values())) > 500
    wrong = []
    for region, values in by_region.items():
        values = sorted(set(values))
        got = pl.DataFrame({"v": values}).select(e164("v", region=region)).to_series()
        for value, answer in zip(values, got.to_list(), strict=True):
            want = "+919876543210" if value == "919876543210.0" else reference(value, region)
            if answer != want:
                wrong.append((region, value, answer, want))
    assert wrong == []


def test_the_invisible_repair_names_the_characters_it_removed(tmp_path):
    path = tmp_path / "invisible.csv"
    path.write_text("Mobile Number\n+91\u00a081234\u200b56789\n", encoding="utf-8")
    (problem,) = validate(path).problems
    assert problem.code == "phone_repaired_invisible"
    assert "read +91<U+00A0>81234<U+200B>56789 as +91 8123456789" in problem.message


@settings(max_examples=500, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from([*"09+-.() /:Mobx'=\"eE,\t ", "\u00a0", "\u200b", "०"]),
        max_size=14,
    )
)
def test_the_values_that_skip_the_repairs_are_those_no_repair_would_change(text):
    # the repairs' regexes with Unicode classes are paid only by values they may change
    values = pl.Series([text, f"Mob: {text}", f"{text}.0", f" {text}"])
    digits = values.cast(pl.UInt64, strict=False).is_not_null()
    assert phones._repairs(values, digits).equals(phones.repaired(values))
