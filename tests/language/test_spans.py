from collections import Counter

import pytest

from qa.language.spans import (
    Casing,
    article_base,
    find_dates,
    find_names,
    find_numbers,
    find_relative_times,
    find_times,
    find_weekdays,
    is_age,
    is_money,
    role_before,
)


@pytest.mark.parametrize(("sentence", "date", "language", "expected"), [
    ("Hij is maandag 5 juli per direct afgetreden.", "2021-07-05", "nl", "5 juli 2021"),
    ("Hij is maandag 5 juli per direct afgetreden.", "2021-07-05", "en", "5 July 2021"),
    ("Februari 2021 Vier ambtenaren dienen een melding in.", "2021-10", "en", "February 2021"),
    ("Het onderzoek liep tot 18 juni.", "2021-07", "en", "18 June 2021"),
    ("Begin dit jaar deden vier medewerkers een melding.", "2021-07", "en", "early 2021"),
    ("Begin dit jaar deden vier medewerkers een melding.", "2021-07", "nl", "begin 2021"),
    ("Hij was wethouder sinds 2014.", "2021-07", "en", "2014"),
])
def test_dates(sentence, date, language, expected):
    assert [d.text for d in find_dates(sentence, date, language)][:1] == [expected]


@pytest.mark.parametrize(("sentence", "expected"), [
    ("In november schreef Luther een boek.", "November"),  # no year: not today's
    ("Op 5 juli trad hij af.", "5 July"),
    ("In november 1521 schreef Luther een boek.", "November 1521"),
])
def test_a_date_in_an_article_without_a_date_gets_no_year_it_does_not_write(sentence, expected):
    assert [d.text for d in find_dates(sentence, None, "en")][:1] == [expected]


def test_weekdays_in_the_questions_language():
    spans = find_weekdays("Donderdag moet zij zich verantwoorden.", "en")
    assert [(d.text, d.start, d.end) for d in spans] == [("Thursday", 0, 9)]
    assert [d.text for d in find_weekdays("on Monday", "nl")] == ["maandag"]


def test_a_sentence_without_dates_has_none():
    assert find_dates("De wethouder zei niets.", "2021-07", "nl") == []


def test_article_base_is_end_of_month_when_only_the_month_is_known():
    assert article_base("2021-02").day == 28 and article_base("2021-07-05").day == 5


def test_numbers_in_digits_and_words_but_not_years():
    spans = find_numbers("In 2020 volgden vijf meldingen over 10.000 woningen.", "en")
    assert [s.text for s in spans] == ["5", "10.000"]
    assert [s.text for s in find_numbers("In 2020 volgden vijf meldingen.", "nl")] == ["vijf"]


@pytest.mark.parametrize(("sentence", "counts", "dates"), [
    ("Ruim 2000 supporters demonstreerden voor het stadion.", ["2000"], []),  # an estimate of a count
    ("In 2000 kwamen 1500 mensen naar het stadion.", ["1500"], ["2000"]),  # a noun after it: a count
    ("Het pand uit 1884 brandde af.", [], ["1884"]),
    ("Sinds 2014 is hij wethouder.", [], ["2014"]),
])
def test_a_number_like_a_year_that_counts_things_is_a_count(sentence, counts, dates):
    assert [s.text for s in find_numbers(sentence, "nl")] == counts
    assert [s.text for s in find_dates(sentence, "2023-10", "nl")] == dates


@pytest.mark.parametrize(("sentence", "language", "counts"), [
    ("Eén op de duizend kinderen krijgt een hersenontsteking.", "en", ["1 in 1000"]),  # "Eén" opens it
    ("Eén op de duizend kinderen krijgt een hersenontsteking.", "nl", ["eén op de duizend"]),
    ("Zij kregen 3 op de 10 stemmen.", "en", ["3 in 10"]),
])
def test_a_ratio_is_shown_with_its_whole(sentence, language, counts):
    assert [s.text for s in find_numbers(sentence, language)] == counts


@pytest.mark.parametrize(("sentence", "ages"), [
    ("Twaalf kinderen werden opgenomen, onder wie een baby van vier maanden.", ["4"]),
    ("Amber (36) meldde zich.", ["36"]),
    ("Een 34-jarige man werd aangehouden.", ["34"]),
])
def test_ages_are_numbers_written_as_an_age(sentence, ages):
    assert [s.text for s in find_numbers(sentence, "en") if is_age(sentence, s)] == ages


@pytest.mark.parametrize(("sentence", "language", "amount"), [
    ("De schade is ruim 10 miljoen euro.", "nl", "10 miljoen euro"),
    ("De schade is ruim 10 miljoen euro.", "en", "10 million euro"),
    ("Zij eisen 7 procent meer loon.", "en", "7 percent"),
    ("Dat is 40% meer.", "nl", "40%"),
])
def test_amounts_keep_their_scale_and_unit(sentence, language, amount):
    assert [s.text for s in find_numbers(sentence, language)] == [amount]


@pytest.mark.parametrize(("sentence", "counts"), [
    ("Twaalf van de zeventien bewoners namen het aanbod aan.", ["twaalf"]),
    ("12 of the 17 residents accepted the offer.", ["12"]),
    ("Vijf mensen raakten gewond, van wie twee ernstig.", ["vijf", "twee"]),  # no whole here
])
def test_the_whole_a_part_is_counted_from_is_not_a_count(sentence, counts):
    assert [s.text for s in find_numbers(sentence, "nl")] == counts


def test_a_currency_sign_before_the_number_is_part_of_the_amount():
    [amount] = find_numbers("De reparatie kost € 2,5 miljoen.", "nl")
    assert amount.text == "€ 2,5 miljoen" and amount.start == len("De reparatie kost ")


@pytest.mark.parametrize(("sentence", "money", "money_or_share"), [
    ("De reparatie kost € 2,5 miljoen.", True, True),
    ("De schade is 10 miljoen euro.", True, True),
    ("Zij eisen 7 procent meer loon.", False, True),
    ("Vijf mensen raakten gewond.", False, False),
    ("De tram reed 30 kilometer per uur.", False, False),
])
def test_money_is_an_amount_with_a_currency_and_a_share_a_percentage(sentence, money, money_or_share):
    [amount] = find_numbers(sentence, "nl")
    assert is_money(amount) is money
    assert is_money(amount, share=True) is money_or_share


@pytest.mark.parametrize(("sentence", "money"), [
    ("Toen de raad instemde, ging het nog om 13,8 miljoen.", True),  # the currency left out
    ("Het ging om 13,8 miljoen voor de nieuwbouw.", True),
    ("Er wonen 17,9 miljoen mensen in Nederland.", False),  # millions of something written
    ("Het ging om 13 medewerkers.", False),  # no millions: a count
])
def test_millions_that_count_nothing_written_are_money_in_their_sentence(sentence, money):
    [amount] = find_numbers(sentence, "nl")
    assert is_money(amount, sentence=sentence) is money
    assert not is_money(amount) or "euro" in amount.text  # without the sentence: a currency only


CASING = Casing([
    "Gisteren sprak burgemeester Femke Halsema met de raad.",
    "De burgemeester zei dat wethouder Marieke van Doorninck de taken overneemt.",
    "Dit artikel is afkomstig uit Het Parool en de burgemeester las het.",
])


def test_an_adjective_of_a_people_before_a_noun_is_no_name():
    casing = Casing(["Het schilderij was van de Franse familie Rothschild.", "De Franse regering zweeg."])
    assert [n.text for n in find_names("Het was van de Franse familie Rothschild.", casing)] == ["Rothschild"]


def test_a_name_takes_one_group_of_particles():
    casing = Casing(["Gisteren sprak minister Karel van der Berg van Sociale Zaken met Sociale Zaken."])
    sentence = "Gisteren sprak minister Karel van der Berg van Sociale Zaken."
    names = [n.text for n in find_names(sentence, casing)]
    assert names == ["Karel van der Berg", "Sociale Zaken"]


def test_names_join_particles_and_skip_common_words():
    names = [n.text for n in find_names("De taken gaan naar wethouder Marieke van Doorninck.", CASING)]
    assert names == ["Marieke van Doorninck"]
    assert [n.text for n in find_names("Volgens Het Parool klopt het.", CASING)] == ["Het Parool"]


def test_organisation_names_keep_voor():
    casing = Casing(["Het rapport van de Onderzoeksraad voor Veiligheid komt later."])
    names = find_names("Nu onderzoekt de Onderzoeksraad voor Veiligheid het.", casing)
    assert [n.text for n in names] == ["Onderzoeksraad voor Veiligheid"]


def test_an_organisation_name_goes_on_past_en_but_two_people_stay_two():
    casing = Casing(["Het meldt het Rijksinstituut voor Volksgezondheid en Milieu vandaag.",
                     "Zij zagen Marieke van Doorninck en Femke Halsema gisteren."])
    names = find_names("Dat meldt het Rijksinstituut voor Volksgezondheid en Milieu (RIVM).", casing)
    assert [n.text for n in names][0] == "Rijksinstituut voor Volksgezondheid en Milieu"
    names = find_names("Toen spraken Marieke van Doorninck en Femke Halsema.", casing)
    assert [n.text for n in names] == ["Marieke van Doorninck", "Femke Halsema"]


def test_a_capitalised_stopword_is_no_name():
    casing = Casing(["Zij zei: “Wij gaan door”, en “Wij stoppen niet”, aldus Anna Bakker."])
    names = find_names("Zij zei: “Wij gaan door”, aldus Anna Bakker.", casing)
    assert [n.text for n in names] == ["Anna Bakker"]


def test_names_already_asked_about_are_left_out():
    names = find_names("Femke Halsema sprak Marieke van Doorninck.", CASING, exclude={"halsema"})
    assert [n.text for n in names] == ["Marieke van Doorninck"]


def test_role_before_a_name():
    role = role_before("Gisteren sprak burgemeester Femke Halsema met de raad.", "Femke Halsema", CASING)
    assert role.text == "burgemeester"


@pytest.mark.parametrize(("sentence", "language", "times", "dates"), [
    ("De brandweer kreeg om 03.12 uur de eerste melding.", "nl", ["03.12 uur"], []),
    ("De brandweer kreeg om 03.12 uur de eerste melding.", "en", ["03.12"], []),  # not "30 May"
    ("The call came at 3:12 a.m. on 5 May 2022.", "en", ["3:12 a.m."], ["5 May 2022"]),
    ("Hij verdiende 3.50 euro per uur.", "nl", [], []),  # an amount, not a time
])
def test_times_of_day_are_times_not_dates(sentence, language, times, dates):
    assert [t.text for t in find_times(sentence, language)] == times
    assert [d.text for d in find_dates(sentence, "2022-05", language)] == dates


@pytest.mark.parametrize(("sentence", "language", "expected"), [
    ("Op 5 juli 2021 trad hij af.", "nl", ["5 juli 2021"]),  # not just "2021"
    ("Hij was sinds januari 2022 minister.", "en", ["January 2022"]),
    ("NovaChip schrapt 1200 banen.", "en", []),  # 1200 is no year in the news
])
def test_dutch_dates_in_full_and_no_bare_numbers_as_years(sentence, language, expected):
    assert [d.text for d in find_dates(sentence, "2023-09", language)] == expected


@pytest.mark.parametrize(("sentence", "language", "expected"), [
    ("De minister is donderdagavond afgetreden.", "en", ["Thursday evening"]),
    ("De minister is donderdagavond afgetreden.", "nl", ["donderdagavond"]),
    ("Zondag bezocht zij de plek.", "en", ["Sunday"]),
])
def test_weekdays_with_their_part_of_the_day(sentence, language, expected):
    assert [d.text for d in find_weekdays(sentence, language)] == expected


@pytest.mark.parametrize(("sentence", "language", "expected"), [
    ("Bij een vertraging van 30 tot 59 minuten krijgt u geld terug.", "nl", []),
    ("Hij zat 2 jaar vast.", "en", []),
    ("It happened 3 weeks ago.", "en", ["10 October 2023"]),  # 3 weeks before the end of the month
])
def test_a_length_of_time_is_no_date(sentence, language, expected):
    assert [d.text for d in find_dates(sentence, "2023-10", language)] == expected


@pytest.mark.parametrize(("sentence", "date", "expected"), [
    ("Het waterschap begint in maart met de dijk.", "2024-01", ["March 2024"]),  # the next March
    ("Op 5 juli trad hij af.", "2021-10", ["5 July 2021"]),  # the last July
])
def test_a_date_without_its_year_is_the_one_nearest_the_article(sentence, date, expected):
    assert [d.text for d in find_dates(sentence, date, "en")] == expected


@pytest.mark.parametrize(("sentence", "amounts"), [
    ("De kosten stijgen van 250 miljoen naar 380 miljoen euro.", ["250 miljoen euro", "380 miljoen euro"]),
    ("Het loon stijgt van 5 tot 7 procent.", ["5 procent", "7 procent"]),
    ("Geen getal hier.", []),
])
def test_the_first_amount_of_a_range_has_the_seconds_unit(sentence, amounts):
    assert [s.text for s in find_numbers(sentence, "nl")] == amounts


@pytest.mark.parametrize(("sentence", "language", "amounts"), [
    ("De storing kost de NS enkele miljoenen euro's.", "nl", [("enkele miljoenen euro's", True)]),
    ("De storing kost de NS enkele miljoenen euro's.", "en", [("several million euros", True)]),
    ("Het kost tientallen miljoenen euro.", "en", [("tens of millions of euros", True)]),
    ("Er gingen honderden miljarden dollars op.", "en", [("hundreds of billions of dollars", True)]),
    ("Duizenden reizigers strandden.", "en", [("thousands", False)]),
    ("Er strandden enkele reizigers.", "nl", []),  # too vague to answer how many
])
def test_amounts_and_counts_without_a_number(sentence, language, amounts):
    assert [(s.text, is_money(s)) for s in find_numbers(sentence, language)] == amounts


@pytest.mark.parametrize(("sentence", "language", "numbers"), [
    ("Wie meer dan dertig minuten vertraging had, krijgt geld terug.", "en", ["30"]),
    ("Er kwamen tweehonderdvijftig mensen.", "nl", ["tweehonderdvijftig"]),
    ("Het kost dertig miljoen euro.", "en", ["30 million euro"]),  # a number in words has its unit too
    ("Een miljoen is veel.", "nl", []),  # the article and a scale alone are no numbers
])
def test_numbers_written_in_words(sentence, language, numbers):
    assert [s.text for s in find_numbers(sentence, language)] == numbers


@pytest.mark.parametrize(("sentence", "language", "times"), [
    ("De dader werd na drie weken opgepakt.", "en", ["after 3 weeks"]),
    ("Het vuur was binnen een uur onder controle.", "en", ["within 1 hour"]),
    ("Aanvragen kan tot drie maanden na de reisdatum.", "en", ["drie maanden na de reisdatum"]),  # as written
    ("Twee dagen voor de verkiezingen trad hij af.", "nl", ["twee dagen voor de verkiezingen"]),
    ("De staking duurde drie weken.", "nl", []),  # a length of time, not when
    ("Hij kwam na \u00b2 weken.", "en", []),  # a superscript two is a digit to str.isdigit, not to int()
    ("Daar begint volgende week de uitverkoop.", "en", ["next week"]),  # counted from the article's date
    ("Hij zei gisteren dat het klaar is.", "nl", ["gisteren"]),
])
def test_times_after_an_event(sentence, language, times):
    assert [s.text for s in find_relative_times(sentence, language)] == times


@pytest.mark.parametrize(("sentence", "language", "dates"), [
    ("De winkel sloot vorige maand.", "en", ["June 2024"]),  # the month before the article's
    ("Volgende maand opent de brug.", "nl", ["augustus 2024"]),
    ("Hij werkt er al een maand.", "nl", []),
])
def test_a_month_counted_from_the_articles(sentence, language, dates):
    assert [d.text for d in find_dates(sentence, "2024-07", language)] == dates


def test_casing_counts_capitals_after_the_first_word_and_every_lower_case_word():
    from qa.language.analysis import normalize
    from qa.language.sentences import split_document
    from qa.language.spans import WORD
    from qa.sources.documents import load_sources

    texts = [s.text for d in load_sources("seeds")[0] for s in split_document(d)]
    texts += ["2021 was een jaar.", "„Wij gaan door”, zei Ivens.", "", "1st Ivens kwam.", "x-ray Zag ivens."]
    upper, lower = Counter(), Counter()
    for text in texts:  # the definition, word by word
        for i, word in enumerate(WORD.findall(text)):
            if word[0].isupper():
                if i > 0:
                    upper[normalize(word)] += 1
            else:
                lower[normalize(word)] += 1
    casing = Casing(texts)
    assert +casing.upper == upper and +casing.lower == lower
