"""English word lists the extractor needs that are about the language, not about any case.

Indicator cues live in the taxonomy file (the analyst extends them); what is here is the
grammar around them — negators, hedges, report nouns, months — and the words that must
never identify a faction on their own (generic organisation words, countries, demonyms),
so that "Sudan" in an alias such as "Sudan Liberation Army" does not make every
mention of the country a mention of the faction.
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """A word list written as one string, for legibility."""
    return frozenset(text.split())


# Common function words: the language check counts them, and they never name a faction.
FUNCTION_WORDS = words(
    """a an the and or but nor if of in on at to for from by with without within into onto
    over under about after before since until while during as than that this these those
    there here it its it's he him his she her hers they them their theirs we us our you
    your i me my is are was were be been being has have had do does did not no never so
    such which who whom whose what when where why how all any some each every other another
    both either neither most more many much few also only just very too can could may might
    must shall should will would one two three said says say told"""
)

# Words that appear in many faction names and identify none of them alone.
GENERIC_NAME_WORDS = words(
    """network faction factions leadership leader leaders forces force group groups movement
    party parties front army armed government council congress committee organization
    organisation militia brigade brigades battalion corps wing command regime administration
    authority authorities ministry state states republic emirate caliphate province union
    league alliance coalition federation national nationalist people popular
    democratic liberation revolutionary resistance islamic interim transitional provisional
    central supreme new old free independent general social socialist communist workers
    labour labor green conservative liberal progressive reform justice development freedom
    unity solidarity salvation christian muslim jihad sunna sunnah defence defense support
    rapid special security guard guards police service services division regiment camp
    office bureau patriotic democratic united unified main official officials
    north south east west northern southern eastern western upper lower greater high
    second first third loyalists loyalist supporters allies camp opposition pmc sheikh
    emir minister president commander chief"""
)

# Countries, regions and demonyms: place words name no faction on their own.
PLACE_WORDS = words(
    """afghanistan afghan afghans albania albanian algeria algerian angola angolan argentina
    argentine armenia armenian australia australian austria austrian azerbaijan azerbaijani
    bahrain bahraini bangladesh bangladeshi belarus belarusian belgium belgian benin bolivia
    bosnia bosnian brazil brazilian britain british bulgaria bulgarian burkina burma burmese
    burundi cambodia cambodian cameroon cameroonian canada canadian chad chadian chile chilean
    china chinese colombia colombian congo congolese croatia croatian cuba cuban cyprus
    czech denmark danish djibouti egypt egyptian eritrea eritrean estonia ethiopia ethiopian
    finland finnish france french gaza georgia georgian germany german ghana greece greek
    guatemala guinea haiti hungary india indian indonesia indonesian iran iranian iraq iraqi
    ireland irish israel israeli italy italian japan japanese jordan jordanian kazakhstan
    kenya kenyan korea korean kosovo kurdish kurdistan kuwait kyrgyzstan laos lebanon
    lebanese liberia libya libyan lithuania mali malian mauritania mexico mexican moldova
    morocco moroccan mozambique myanmar nepal netherlands dutch nicaragua niger nigeria
    nigerian norway oman pakistan pakistani pakistanis palestine palestinian peru philippines
    filipino poland polish portugal qatar romania russia russian rwanda saudi arabia senegal
    serbia serbian sierra somalia somali spain spanish sri lanka sudan sudanese sweden syria
    syrian tajikistan tanzania thailand thai tigray tigrayan togo tunisia turkey turkish
    turkmenistan uganda ugandan ukraine ukrainian uzbekistan venezuela venezuelan vietnam
    yemen yemeni zambia zimbabwe emirates uae usa america american americans europe european
    africa african asia asian arab arabs middle levant sahel balkan caucasus western"""
)

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}  # fmt: skip
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a few": 3,
    "few": 3, "several": 3, "couple of": 2, "a couple of": 2,
}  # fmt: skip

# Words before a cue that say it did not happen ("did not defect", "no plans to break").
NEGATORS = words("not no never without nor neither n't cannot none")
# Words before a cue that make it hypothetical: the event is threatened, not done.
IRREALIS = words("if unless whether threatened threatening threatens")
# Words around an agreement cue that say it failed ("talks broke down", "tore up the deal").
REVERSALS_BEFORE = words(
    "abandon abandoned abandoning abandons tore scrapped collapse failure violated"
)
REVERSALS_AFTER = (
    ("broke", "down"),
    ("broke", "up"),
    ("collapsed",),
    ("failed",),
    ("came", "to", "nothing"),
    ("fell", "apart"),
    ("without", "agreement"),
    ("stalled",),
)
# Denial verbs and what they deny: "denied that…", "dismissed reports of…".
DENY_VERBS = words("denied deny denies denying")
REJECT_VERBS = words("dismissed dismisses rejected rejects refuted refutes rebuffed downplayed")
REPORT_NOUNS = words(
    """reports report claims claim rumours rumors rumour rumor talk speculation suggestion
    suggestions allegations allegation accusations accusation charge charges notion idea
    stories"""
)
# Hedges lower the confidence and the information credibility, they do not veto.
HEDGES = words(
    """reportedly rumoured rumored allegedly unconfirmed speculation speculated believed
    suspected apparently purportedly possibly may might"""
)
# Prepositions after which a name is a place or a container, not an actor.
LOCATIVE = words("in at near inside within throughout across around outside")

# The last word of an organisation's name: marks an unknown name as a possible faction.
ORG_HEADS = words(
    """network brigade brigades army front movement party corps council group militia
    forces faction organization organisation jamaat committee union league alliance
    battalion division regiment guard wing command brotherhood mujahideen"""
)
# Acronyms that are places, institutions or kit, not factions an analyst would add.
NON_ACTOR_ACRONYMS = words(
    """US USA UK UN EU UAE USSR NATO UNSC UNHCR UNICEF WHO IMF ICC ICRC AU TV HQ AK CEO
    GDP AM PM BBC CNN AFP AP IDP IDPs NGO NGOs ID OK DC"""
)
# Honorifics and titles: part of a person's name span, never the name itself.
TITLES = words(
    """mr mrs ms dr gen general lt col colonel maj major capt captain sgt president
    prime minister vice-president deputy sheikh mullah maulvi maulana khalifa emir
    commander chief former senior leader spokesman spokeswoman spokesperson"""
)
# Abbreviations that end with a full stop without ending a sentence.
ABBREVIATIONS = words(
    """mr mrs ms dr gen lt col maj capt sgt st jr sr no vol vs etc e.g i.e u.s u.n u.k
    jan feb mar apr jun jul aug sep sept oct nov dec rev prof gov sen rep est approx"""
)
