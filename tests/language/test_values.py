"""Values as intervals: compatible values meet, conflicting ones do not."""
import datetime as dt

import pytest

from qa.language.spans import date_value, find_date_values
from qa.language.values import amount_of, same_name


@pytest.mark.parametrize(("a", "b", "meet"), [
    (("14 miljoen euro", "kost "), ("16 miljoen euro", "kost "), False),
    (("90", "ruim "), ("93", ""), True),
    (("100", "bijna "), ("93", ""), True),
    (("100", "bijna "), ("120", ""), False),
    (("vier", ""), ("4", ""), True),
    (("vier", ""), ("vijf", ""), False),
    (("2.000", "zo'n "), ("2100", ""), True),
    # "over" before the words before the number is no "more than"
    (("14 miljoen euro", "over de Waal kost "), ("15 miljoen euro", ""), False),
    (("40", ""), ("40%", ""), False),  # a count is no share
])
def test_amounts_meet_only_when_they_may_mean_the_same(a, b, meet):
    assert amount_of(*a).meets(amount_of(*b)) is meet


def test_a_word_without_a_number_is_no_amount():
    assert amount_of("enkele", "") is None


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Halsema", "Femke Halsema", True), ("F. Halsema", "Femke Halsema", True),
    ("Sjoerd Hoekstra", "Jelle Hoekstra", False), ("Halsema", "Teesink", False), ("", "Halsema", False),
])
def test_names_with_and_without_a_first_name_are_one(a, b, same):
    assert same_name(a, b) is same


def test_a_season_holds_its_months_and_meets_them():
    early = date_value(dt.datetime(2021, 1, 1), "year", "early")
    february = date_value(dt.datetime(2021, 2, 10), "month")
    july = date_value(dt.datetime(2021, 7, 5), "day")
    assert (early.label, early.precision) == ("2021-early", "season")
    assert february.within(early) and early.meets(february)
    assert not early.meets(july)


@pytest.mark.parametrize(("sentence", "article", "label"), [
    ("Begin dit jaar deden vier medewerkers een formele melding.", "2021-07", "2021-early"),
    ("Op 5 juli trad Ivens af.", "2021-10", "2021-07-05"),
    ("Vorige week dinsdag sloot de fabriek.", "2023-03-16", "2023-03-07"),  # a Thursday's last week's Tuesday
    ("Dinsdag sloot de fabriek.", "2023-03-16", "2023-03-14"),
    ("In juli vorig jaar kwam er 2,7 miljoen euro bij.", "2024-02", "2023-07"),
    ("De raad besprak het dinsdag.", "2021-10", "2021-10"),  # an article dated to the month: that month
])
def test_dates_are_placed_against_the_article_date(sentence, article, label):
    assert find_date_values(sentence, article)[0][1].label == label


def test_decimals_and_sentences_without_dates_give_none():
    assert find_date_values("Het project is begroot op 17,2 miljoen euro.", "2023-03-16") == ()
    assert find_date_values("De wethouder trad af.", "2021-07") == ()


@pytest.mark.parametrize("article", ["2021-02-31", "2021-13", "2021-00-10"])
def test_an_article_date_no_calendar_has_places_no_relative_date_and_breaks_nothing(article):
    assert find_date_values("Begin dit jaar kwam het rapport.", article) == ()
    assert find_date_values("In 2019 kwam het rapport.", article)[0][1].label == "2019"
