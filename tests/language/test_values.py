"""Values as intervals: compatible values meet, conflicting ones do not."""
import datetime as dt

import pytest

from qa.language.spans import date_value, find_date_values
from qa.language.spans.dates import tense_of
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
    (("13,8 miljoen", "ging het om "), ("13,8 miljoen euro", ""), True),  # millions whose currency is unsaid
    (("13,8 miljoen", ""), ("13,8 procent", ""), False),  # ... are money, not a share
    (("14", ""), ("14 miljoen euro", ""), False),  # a count is no money
])
def test_amounts_meet_only_when_they_may_mean_the_same(a, b, meet):
    assert amount_of(*a).meets(amount_of(*b)) is meet


@pytest.mark.parametrize(("a", "b", "comparable"), [
    (("230", "", " mensen werkten er"), ("214", "", " mensen"), True),
    (("230", "", " mensen werkten er"), ("112", "er ", " nieuw werk"), False),  # other things counted
    (("230", "", " mensen"), ("214", "", "."), True),  # one says what it counts: may be the same
    (("14,5 miljoen euro", "", ""), ("13,8 miljoen", "", "."), True),
    (("40", "", ""), ("40%", "", ""), False),
])
def test_amounts_compare_only_when_they_count_one_thing(a, b, comparable):
    assert amount_of(*a).comparable(amount_of(*b)) is comparable


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


@pytest.mark.parametrize(("sentence", "article", "label"), [
    ("Kallio maakte het besluit gisteren bekend.", "2023-01-18", "2023-01-17"),
    ("De raad besloot eergisteren.", "2023-01-18", "2023-01-16"),
    ("Vandaag opent het zwembad.", "2024-09-09", "2024-09-09"),
    ("Het concern nam de fabriek zes jaar geleden over.", "2023-01-18", "2017"),
    ("The plant was sold two years ago.", "2023-01-18", "2021"),
    ("De rest volgt bij de sluiting aan het eind van het jaar.", "2023-03", "2023-late"),
])
def test_days_and_years_counted_from_the_articles(sentence, article, label):
    assert find_date_values(sentence, article)[0][1].label == label


def test_yesterday_needs_an_article_dated_to_the_day():
    assert find_date_values("Kallio maakte het besluit gisteren bekend.", "2023-01") == ()
    assert find_date_values("Kallio maakte het besluit gisteren bekend.", None) == ()


@pytest.mark.parametrize(("sentence", "article", "label"), [
    # half a year either way: the tense decides (nearest alone gave March 2025 and October 2023)
    ("In maart stemde de raad unaniem in met de tweede aanvulling.", "2024-09-09", "2024-03"),
    ("De gemeente verwacht dat de sloop in oktober begint.", "2024-04-11", "2024-10"),
    ("In October the council voted.", "2024-04-11", "2023-10"),
    # no tense to go by, or both: the nearest
    ("De raad praat in maart over de tegenvaller.", "2024-02-15", "2024-03"),
    ("De raad praat in oktober over de tegenvaller.", "2024-06-01", "2024-10"),
])
def test_a_month_without_its_year_lies_on_the_side_its_tense_says(sentence, article, label):
    assert find_date_values(sentence, article)[0][1].label == label


@pytest.mark.parametrize(("sentence", "tense"), [
    ("In maart stemde de raad in.", "past"),  # a weak past
    ("De fabriek sloot in december.", "past"),  # a strong one, listed
    ("De sloop begint naar verwachting in oktober; de gemeente verwacht geen vertraging.", "future"),
    ("The demolition will start in October.", "future"),
    ("De raad praat in maart.", None),
    ("De eerste gemeente in maart.", None),  # "eerste", "gemeente" end like a past, are none
    ("Hij zei dat de sloop in oktober zal beginnen.", None),  # both: the nearest decides
])
def test_tense_of_a_sentence(sentence, tense):
    assert tense_of(sentence) == tense


def test_decimals_and_sentences_without_dates_give_none():
    assert find_date_values("Het project is begroot op 17,2 miljoen euro.", "2023-03-16") == ()
    assert find_date_values("De wethouder trad af.", "2021-07") == ()


@pytest.mark.parametrize("article", ["2021-02-31", "2021-13", "2021-00-10"])
def test_an_article_date_no_calendar_has_places_no_relative_date_and_breaks_nothing(article):
    assert find_date_values("Begin dit jaar kwam het rapport.", article) == ()
    assert find_date_values("In 2019 kwam het rapport.", article)[0][1].label == "2019"
