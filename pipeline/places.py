"""Governing-law text -> one canonical state or country name ("the laws of the State of New York,
USA" -> "New York"), so that both label sets and predictions compare on the same spelling."""

from __future__ import annotations

import re
import unicodedata

# Sub-national units win over countries: "Ontario, Canada" is Ontario, "Texas, USA" is Texas.
_REGIONS = [
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Florida",
    "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine",
    "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska",
    "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio",
    "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee",
    "Texas", "Utah", "Vermont", "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming",
    "District of Columbia", "Puerto Rico", "Alberta", "British Columbia", "Manitoba", "New Brunswick",
    "Newfoundland and Labrador", "Nova Scotia", "Ontario", "Quebec", "Saskatchewan", "New South Wales",
    "Queensland", "Victoria", "Western Australia",
]  # fmt: skip
_COUNTRIES = [
    "Australia", "Austria", "Belgium", "Bermuda", "Brazil", "British Virgin Islands", "Canada",
    "Cayman Islands", "China", "Denmark", "England", "Finland", "France", "Germany", "Hong Kong", "India",
    "Ireland", "Israel", "Italy", "Japan", "Korea", "Luxembourg", "Malaysia", "Mexico", "Netherlands",
    "New Zealand", "Norway", "Scotland", "Singapore", "Spain", "Sweden", "Switzerland", "Taiwan", "Thailand",
    "United Kingdom", "United States", "Wales",
]  # fmt: skip
_ALIASES = {
    "people's republic of china": "China",
    "prc": "China",
    "republic of korea": "Korea",
    "south korea": "Korea",
    "england and wales": "England",
    "uk": "United Kingdom",
    "great britain": "United Kingdom",
    "usa": "United States",
    "us": "United States",
    "united states of america": "United States",
}
_PREFIX = re.compile(r"^(?:the )?(?:laws? of )?(?:the )?(?:state|commonwealth|province|republic) of ")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'").replace(".", "")
    return " ".join(re.sub(r"[^\w' ]", " ", text).split())


def _table(names: list[str]) -> dict[str, str]:
    return {_clean(name): name for name in names}


_TIERS = ({**_table(_REGIONS), "washington dc": "District of Columbia"}, {**_table(_COUNTRIES), **_ALIASES})
# Any known place as written in running text, in any case: what the governing-law finder looks for.
PLACE_PATTERN = re.compile(
    r"\b(?:"
    + "|".join(
        r"\s+".join(map(re.escape, name.split())) for name in sorted(_REGIONS + _COUNTRIES, key=len, reverse=True)
    )
    + r")\b",
    re.I,
)
_PATTERNS = tuple(
    re.compile(r"\b(" + "|".join(sorted(map(re.escape, tier), key=len, reverse=True)) + r")\b") for tier in _TIERS
)


def jurisdiction_name(text: str) -> str | None:
    """Canonical name of the most specific known place in `text`, else the text without "laws of"."""
    cleaned = _clean(text)
    for tier, pattern in zip(_TIERS, _PATTERNS, strict=True):
        if found := pattern.search(cleaned):
            return tier[found.group(1)]
    rest = _PREFIX.sub("", cleaned).strip()
    return rest.title() if rest else None
