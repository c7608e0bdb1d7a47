"""Party finder: the names a preamble lists, people included, then organisation names.

A preamble names each party once, in a fixed shape: "between ACME, INC., a Delaware corporation
(the “Company”), and John C. Smith (“Employee”)", or under a heading "PARTIES:". Reading that shape
finds people and names without a corporate suffix, which an organisation pattern cannot;
organisation names in the opening and the signature blocks are the fallback for contracts without
such a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from pipeline.agent.candidate import Candidate, window
from pipeline.models import Page, ParsedDocument
from pipeline.places import PLACE_PATTERN

OPENING_CHARS = 4000  # where a preamble can stand: past exhibit headers and the title
PREAMBLE_CHARS = 800  # how far a preamble sentence can run
MAX_PARTIES = 10
MAX_WRAPPED_WORDS = 4  # how many words of a name a line wrap can leave on the line before
WRAPPED_LINE_CHARS = 50  # a shorter line ends by itself (an address, a title), not by wrapping

_SUFFIXES = (
    r"Inc|Incorporated|Corp|Corporation|Company|Co|LLC|L\.L\.C|Ltd|Limited|LP|L\.P|LLP|PLC|plc|GmbH|AG"
    r"|S\.A|N\.V|B\.V|Pte|Pty|S\.p\.A|SE|AB|A/S|ApS|Holdings|Group|Trust|Bank|N\.A"
)
_SUFFIX = rf"(?i:{_SUFFIXES})\.?(?![\w\-])"  # "INC." as well as "Inc."; "AG" but not "AGREEMENT"
_LONE_SUFFIX = re.compile(_SUFFIX)
_SUFFIX_ENDS_LINE = re.compile(rf"\b{_SUFFIX}[^\S\n]*$")
_SENTENCE_OPENS = re.compile(r"\s*(?i:this|these|the|whereas)\b")
# Words that stand where a name would but are roles or articles, not names.
_NOT_NAMES = frozenset(
    "company employee executive consultant party parties recipient discloser buyer seller purchaser "  # noqa: SIM905
    "investor contractor licensor licensee you i we agreement each either both all any certain its "
    "his her their corporation the this such said section exhibit article schedule distributor".split()
)
# Offices a signatory holds: "Chief Executive Officer" under a signature is a title, not a party. Only
# a name made of nothing else is refused ("General Partner LLC" is a name).
_ROLES_AND_OFFICES = _NOT_NAMES | frozenset(
    "chief officer president vice director secretary treasurer manager chairman general counsel financial "  # noqa: SIM905
    "operating senior managing partner member authorized signatory ceo cfo coo".split()
)
# A name's word: capitalised, or a brand's lower-case prefix before a capital ("nStor", "eBay").
_WORD = r"(?:&?(?:[A-Z0-9]|[a-z]{1,3}[A-Z])[\w'\u2019.\-\u00a2&/]*|[\u201c\"][^\u201d\"]{1,40}[\u201d\"])"
# A word in parentheses inside a name, a place or a line of business: "Dialog Semiconductor (UK) Ltd.",
# "GALEN (CHEMICALS) LIMITED"; a role ("Jane Roe (EMPLOYEE) ACME, Inc.") or a word at a name's end
# ("Acme (Seller)") is a defined term, not part of it.
_INNER = rf"\((?!(?i:{'|'.join(sorted(_ROLES_AND_OFFICES))})\))[A-Z][A-Za-z]*\)(?=[^\S\n]+[A-Z])"
# Lower-case words that belong inside a name: "Heritage Bank of Nevada", "Sears, Roebuck and Co.".
_AND = r"(?:&|and(?=\s+(?:Co\b|Company\b|Partners\b|Sons\b|Associates\b)))"
_JOIN = rf"(?:{_AND}|of|de|du)"
# A suffix may be spelled out in lower case: "AZZ incorporated".
_GENERATION = r"(?:Jr\.|Sr\.|JR\.|SR\.|III|II|IV)"  # "III" before "II": the longer first
_NAME = re.compile(
    rf"{_WORD}(?:\s+(?:{_WORD}|{_INNER}|{_JOIN}|(?:incorporated|limited|plc)\b)|,\s*(?:{_SUFFIX}|{_GENERATION}))*"
)
# Where a preamble's names begin: after "between", or under a heading "PARTIES:".
_BETWEEN = re.compile(r"\b(?:between|among):?\s+(?:the\s+undersigned\s*,?\s*)?|(?P<heading>\bparties:\s*)", re.I)
# "between you and the Company", "between the parties": a sentence about the parties, not a list of them.
_NOT_LISTED = re.compile(r"(?:me|us|you|them|myself|the\s+parties|the\s+company)\b", re.I)
# "NONDISCLOSURE AGREEMENT BETWEEN ..." in capitals is a title; "THIS AGREEMENT BETWEEN" is not.
_TITLE_BEFORE_BETWEEN = re.compile(r"\b(?!THIS\b|THE\b)[A-Z\-]{2,}\s+AGREEMENT\s+$")
# A title page sets "AND" or "&" on a line of its own between the names.
_NEXT = re.compile(r"\b(?:and,?|AND:)\s+(?:between\s+)?|\),\s*|;\s*|\n[^\S\n]*(?i:and|&)[^\S\n]*\n\s*")
# Under a heading "PARTIES:" each name comes with its role in parentheses, and no comma follows.
_LISTED_NEXT = re.compile(r"\b(?:and,?|AND:)\s+|\),?\s*|;\s*")
# A sentence ends at a period after a lower-case letter (not "J."; not before "AND:" and the next
# party), or where recitals begin. After a suffix ("Inc.") only a next sentence's word ends it, not
# the defined term "(the “Company”)"; a title or "St." begins a name ("St. Denis J. Villere & Company").
_ABBREVIATED = r"(?<!\bInc)(?<!\bCorp)(?<!\bCo)(?<!\bLtd)(?<!\bJr)(?<!\bSr)"
_TITLES = r"(?<!\bSt)(?<!\bMr)(?<!\bMs)(?<!\bDr)"
_END = re.compile(
    rf"(?<![A-Z]){_ABBREVIATED}{_TITLES}\.(?=\s+[A-Z\u201c\"(])(?!\s+AND:)|(?<![A-Z]){_TITLES}\.(?=\s+[A-Z][a-z])"
    r"|\b(?i:whereas|recitals|w\s?i\s?t\s?n\s?e\s?s\s?s)|\b(?!AND:)[A-Z]{3,}:"  # or a heading "DATE:" (not "AND:")
)
_DEFINED = re.compile(r"\(\s*(?:the\s+|each\s+a\s+)?[\"\u201c\u201d']([A-Z][\w .&-]{1,40})[\"\u201c\u201d']")
# A legal form that ends a name, before "of" and an address (see `_to_legal_form`).
_LEGAL_FORM_THEN_OF = re.compile(
    r"\b(?i:Inc|LLC|L\.L\.C|Ltd|Limited|LP|L\.P|LLP|PLC|GmbH|AG|A/S|ApS|S\.A|N\.V|B\.V)\.?(?=,?\s+of\b)"
)
# A final period that belongs to the name: initials ("J.", "L.P.") and abbreviations, not "LLC.".
_KEEP_PERIOD = re.compile(r"(?:\b[A-Z]|\b(?i:inc|corp|co|ltd|pty|pte|bros|jr|sr))\.$")
# Words that precede a name, capitalised in an all-caps sentence, never begin one.
_PREPOSITIONS = frozenset({"of", "by", "and", "to", "for", "with", "from", "between", "among"})
# A word of four letters or more with a final period, before a capital: the end of a sentence or
# heading, not an initial ("J."), an abbreviation ("St.", "U.S.") or a suffix ("Co.", "Ltd.").
_SENTENCE_BREAK = re.compile(r"(?<![\w.])[A-Za-z][A-Za-z\-]{3,}\.\s+(?=[A-Z])")
# "1. ", "(a) ", but not the first of a name's initials ("L. B. Foster Company").
_ENUMERATOR = re.compile(r"\(?[A-Za-z0-9]{1,3}[.)]\s+(?![A-Z]\.\s)")
# The labels of a signature block ("By:", "Print Name:") stand after a signed name, never in it.
_BLOCK_LABEL = r"(?!(?:By|Name|Print|Signature|Title|Date|Its)\b)"
# A surname may go on after an apostrophe or hyphen with a capital: "O'Neil", "Smith-Jones".
# Each part begins with a capital or the apostrophe or hyphen, so a word splits one way only (no
# backtracking through a long word).
_PERSON_WORD = r"(?=[A-Z]['\u2019\-]?[A-Z]?[a-z])[A-Z][a-z]*(?:['\u2019\-][A-Z]?[a-z]+|[A-Z][a-z]+)*"
_MORE_NAME = rf"[^\S\r\n]+{_BLOCK_LABEL}(?:[A-Z]\.|{_PERSON_WORD})"
# "Jane Q. Doe", "J. Smith Lee", "J.H. Cromarty": a surname alone only after initials.
_PERSON = (
    rf"(?:(?:[A-Z]\.[^\S\r\n]*){{1,2}}{_PERSON_WORD}(?:{_MORE_NAME}){{0,3}}|{_PERSON_WORD}(?:{_MORE_NAME}){{1,3}})"
    rf"(?:,?[^\S\r\n]+{_GENERATION})?"
)
_SIGNED = re.compile(rf"/s/[^\S\r\n]*(?P<name>{_PERSON})")
# The role a person signs in, as a signature block labels it: above "By:", or beside or under the name.
_PERSON_ROLE = r"(?i:employee|executive|consultant|second\s+party|the\s+undersigned|individual|optionee)"
_ROLE_BLOCK = re.compile(rf"[^\S\n]*{_PERSON_ROLE}[^\S\n]*:?[^\S\n]*")
_ROLE_NAMED = re.compile(  # "EMPLOYEE: Adrian Adams", "J.H. Cromarty\nEMPLOYEE"
    rf"^{_PERSON_ROLE}[^\S\n]*:[^\S\n]*(?P<beside>{_PERSON})[^\S\n]*$|^(?P<above>{_PERSON})[^\S\n]*\n{_PERSON_ROLE}[^\S\n]*$",
    re.M,
)
# Organisation names anywhere (the fallback): capitalized words ending in a corporate suffix, on one line.
_LINE_WORD = r"[\w&'\u2019.\-]*,?[^\S\r\n]+"
# "&" joins the words of one name ("Home & Security, Inc."), as "and" does before "Co." or "Associates".
_LINE_JOIN = rf"(?:{_AND}[^\S\r\n]+)?"
_ORG = re.compile(
    rf"\b(?:(?:[A-Z0-9]{_LINE_WORD}|{_INNER}[^\S\r\n]+){_LINE_JOIN}){{0,6}}?(?:[A-Z]{_LINE_WORD}){{0,2}}{_SUFFIX}(?:,?[^\S\r\n]+{_SUFFIX})*"
)


def _clean(name: str) -> str:
    name = " ".join(name.split()).strip(" ,")
    return name if _KEEP_PERIOD.search(name) else name.rstrip(".")


def _line_end(text: str, start: int, end: int) -> int:
    """Where a name ends that a title page sets on its own line: at a line ending in a corporate
    suffix ("GINARES GROUP AG\nJanuary 5, 2015", "Uniquest Corporation\n780 Montague Expressway",
    "Commnet Wireless, LLC\nAnd\nAT&T Mobility LLC"), unless the next line goes on with a suffix,
    or before a line that begins a sentence ("OF DELAWARE\nThis Agreement")."""
    for newline in re.finditer(r"\n", text[start:end]):
        at = start + newline.start()
        suffix_ends_line = _SUFFIX_ENDS_LINE.search(text, start, at) and not _LONE_SUFFIX.match(text, at + 1)
        if suffix_ends_line or _SENTENCE_OPENS.match(text, at + 1):
            return at
    return end


def _to_legal_form(name: str) -> str:
    """Cut a name after a legal form followed by "of": "LEO PHARMA A/S of Industriparken 55" goes on
    with its address, while "Heritage Bank of Nevada" is one name ("Bank" and "Company" may begin a
    longer name; "Ltd." and "A/S" end one)."""
    form = _LEGAL_FORM_THEN_OF.search(name)
    return name[: form.end()] if form else name


def _to_sentence_end(name: str) -> str:
    """Cut a name at a word that ends a sentence ("Bolt LLC. This Agreement"): a word with a final
    period that is neither an initial or short abbreviation ("J.", "L.P.", "St.") nor followed by
    another suffix ("Co. Ltd.")."""
    words = name.split()
    for index, (word, following) in enumerate(pairwise(words)):
        if word.endswith(".") and "." not in word[:-1] and len(word) > 3 and not _LONE_SUFFIX.fullmatch(following):
            return " ".join(words[: index + 1])
    return name


def is_name(name: str) -> bool:
    """Whether `name` can name a party: not only role words, offices or articles ("the Employee"),
    not a quoted defined term, not a street address."""
    words = [w.strip("\u201c\u201d\"'").casefold() for w in name.split()]
    return (
        bool(words)
        and not all(w in _ROLES_AND_OFFICES for w in words)
        and not PLACE_PATTERN.fullmatch(name)  # "laws of England and Wales" lists no party "Wales"
        and not name.startswith(("\u201c", '"'))
        and not words[0].isdigit()  # a street address: "4690 Millennium Drive"
    )


def _role(text: str, start: int, end: int) -> str:
    """The defined term that follows a name, ("the “Company”"), between `start` and `end`."""
    role = _DEFINED.search(text, start, min(len(text), end))
    return role.group(1) if role else ""


def _candidate(kind: str, page: Page, start: int, value: str, role: str) -> Candidate:
    left, right = window(page.text, start, start + len(value))
    return Candidate(kind, value, page.number, start, start + len(value), page.text[left:right], role)


def _preamble(page: Page, start: int, separator: re.Pattern[str] = _NEXT) -> Iterator[Candidate]:
    """The names listed from `start` (just after "between") to the end of the sentence, one after
    each `separator`."""
    text = page.text
    limit = min(len(text), start + PREAMBLE_CHARS)
    end = _END.search(text, start, limit)
    stop = end.start() if end else limit
    position, roles = start, set[str]()
    while position < stop and len(roles) < MAX_PARTIES:
        match = _NAME.match(text, position, stop)
        name_end = _line_end(text, match.start(), match.end()) if match else position
        name = _clean(_to_legal_form(_to_sentence_end(text[position:name_end])))
        if match and is_name(name) and name.casefold() not in roles:  # "and Party-2 is" names a role
            after = separator.search(text, name_end, stop)
            role = _role(text, name_end, after.start() if after else stop)
            yield _candidate("party", page, match.start(), name, role)
            roles.add(role.casefold() or name.casefold())
            position = name_end
        following = separator.search(text, position, stop)
        if following is None:
            return
        position = following.end()


def _preamble_start(text: str, length: int) -> re.Match[str] | None:
    """The "between" (or "PARTIES:") that begins a preamble's list of names, within `length`; a
    title's "CONFIDENTIALITY AGREEMENT BETWEEN ACME AND ITS EMPLOYEES" names no parties the way a
    preamble does, nor does "between you and the Company"."""
    for between in _BETWEEN.finditer(text, 0, length):
        line = text[text.rfind("\n", 0, between.start()) + 1 : between.start()]
        in_title = between.group(0).isupper() and _TITLE_BEFORE_BETWEEN.search(line)
        if not in_title and not _NOT_LISTED.match(text, between.end()):
            return between
    return None


def _opening(parsed: ParsedDocument) -> Iterator[tuple[Page, int]]:
    """The pages the opening spans, each with how many of its characters belong to the opening."""
    seen = 0
    for page in parsed.pages:
        if seen >= OPENING_CHARS:
            return
        yield page, min(len(page.text), OPENING_CHARS - seen)
        seen += len(page.text)


def _wrapped_start(text: str, start: int) -> int:
    """Where a name begins that a line wrap split ("of American Realty\nCapital Properties, Inc."):
    the capitalised words that end the line before, if that line is running text, not a heading."""
    line_start = text.rfind("\n", 0, start - 1) + 1
    words = text[line_start : start - 1].split(" ")
    run = 0
    for word in reversed(words):
        if not (word[:1].isupper() and word[-1:].isalnum()) or word.casefold() in _NOT_NAMES:
            break
        run += 1
    if not 0 < run < len(words) or run > MAX_WRAPPED_WORDS or start - line_start < WRAPPED_LINE_CHARS:
        return start
    return start - 1 - len(" ".join(words[-run:]))


def _organisations(kind: str, page: Page, left: int, right: int) -> Iterator[Candidate]:
    text = page.text
    for match in _ORG.finditer(text, left, right):
        start = match.start()
        at_line_start = start == 0 or text[start - 1] == "\n"
        if at_line_start and (enumerator := _ENUMERATOR.match(text, start, match.end())):
            start = enumerator.end()  # "1. Acme Inc." in a numbered list
        elif at_line_start:
            start = _wrapped_start(text, start)
        for heading in _SENTENCE_BREAK.finditer(text, start, match.end()):
            start = heading.end()  # "Full Satisfaction. Acme and Company": a heading, then the name
        name = _clean(text[start : match.end()])
        if _is_organisation(name):
            yield _candidate(kind, page, start, name, _role(text, match.end(), match.end() + 200))


def _is_organisation(name: str) -> bool:
    """Whether words ending in a corporate suffix name an organisation, not a role, a description
    ("a Delaware corporation") or words of a sentence ("OF ACME, INC.", "trust, group")."""
    words = name.split()
    return (
        len(words) >= 2
        and not all(_LONE_SUFFIX.fullmatch(w.rstrip(",")) for w in words)  # "Co., Ltd." alone
        and (name[0].isupper() or name[0].isdigit())
        and not any(w.casefold().strip(",.") in _NOT_NAMES for w in words[:-1])
        and words[0].casefold() not in _PREPOSITIONS
        and not PLACE_PATTERN.fullmatch(" ".join(words[:-1]))
    )


def _individuals(page: Page) -> Iterator[Candidate]:
    """People who sign for themselves: "/s/ Jane Q. Doe" not after "By", which marks an officer
    signing for a company, unless a person's role heads the block ("SECOND PARTY"); and names a
    signature block gives a person's role ("EMPLOYEE: Adrian Adams")."""
    text = page.text
    found = [(m.start("name"), m.group("name")) for m in _SIGNED.finditer(text) if _for_self(text, m.start())]
    for match in _ROLE_NAMED.finditer(text):
        name = "beside" if match["beside"] else "above"
        found.append((match.start(name), match[name]))
    for start, name in sorted(found):
        yield _candidate("individual", page, start, name, "")


def _for_self(text: str, signed: int) -> bool:
    """Whether "/s/" at `signed` is a person signing for themselves: not after "By", or after a
    "By" under a person's role rather than an organisation's name."""
    if not re.search(r"\bby\W*$", text[max(0, signed - 8) : signed], re.I):
        return True
    heading_end = text.rfind("\n", 0, signed)  # the line above the one signed on
    heading = text[text.rfind("\n", 0, max(0, heading_end)) + 1 : max(0, heading_end)]
    return bool(_ROLE_BLOCK.fullmatch(heading))


def find_parties(parsed: ParsedDocument) -> list[Candidate]:
    """Preamble parties first (kind "party", labelled with their defined role), then organisation
    names in the opening ("organisation") and the signature blocks ("signatory"), and people who
    sign for themselves ("individual"); one candidate per name."""
    candidates: list[Candidate] = []
    opening = list(_opening(parsed))
    for page, length in opening:
        if between := _preamble_start(page.text, length):
            candidates.extend(_preamble(page, between.end(), _LISTED_NEXT if between["heading"] else _NEXT))
            break
    for page, length in opening:
        candidates.extend(_organisations("organisation", page, 0, length))
    for page in parsed.pages[-2:]:
        candidates.extend(_organisations("signatory", page, max(0, len(page.text) - 1500), len(page.text)))
        candidates.extend(_individuals(page))
    found: dict[str, Candidate] = {}
    for candidate in candidates:
        found.setdefault(_identity(candidate.value), candidate)
    return list(found.values())


def _identity(name: str) -> str:
    """What tells one party from another: its name without trailing corporate suffixes, so that
    "Acme Holdings" and "Acme Holdings, Inc." are one party."""
    words = re.findall(r"[\w.]+", name.lower())
    while len(words) > 1 and _LONE_SUFFIX.fullmatch(words[-1]):
        words.pop()
    return re.sub(r"\W", "", "".join(words))
