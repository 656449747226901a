"""Frozen objects for the standards catalogue; built once, shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field

ISO_2000 = "ISO 9001:2000"
ISO_2015 = "ISO 9001:2015"


@dataclass(frozen=True)
class Text:
    """A title in English and Russian."""

    en: str
    ru: str

    def get(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.en

    def as_dict(self) -> dict[str, str]:
        return {"en": self.en, "ru": self.ru}


@dataclass(frozen=True)
class Clause2015:
    number: str
    title: Text
    standard: str = ISO_2015


@dataclass(frozen=True)
class Clause2000:
    """A requirement of ISO 9001:2000 as the process map cites it."""

    number: str
    title: Text  # ru: the source's wording, en: its meaning
    heading: str  # the nearest heading number, e.g. "7.2.2"
    maps_to: tuple[str, ...]  # ISO 9001:2015 clause numbers
    standard: str = ISO_2000


@dataclass(frozen=True)
class Heading2000:
    number: str
    title: Text


@dataclass(frozen=True)
class Document:
    register: str
    code: str | None
    title: Text
    tree: tuple[Text, ...]  # folders from the root down
    parent: str | None = None
    parent_inferred: bool = False

    @property
    def label(self) -> str:
        return f"{self.register} {self.code}" if self.code else self.register


@dataclass(frozen=True)
class Step:
    number: str
    title: Text
    group: str
    documents: tuple[str, ...]  # register numbers
    clauses: tuple[str, ...]  # ISO 9001:2000 requirement numbers
    register_only: bool = False  # the source cites the СТП register, no document


@dataclass(frozen=True)
class StepGroup:
    number: str
    title: Text
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    clauses_2015: dict[str, Clause2015]
    clauses_2000: dict[str, Clause2000]
    headings_2000: dict[str, Heading2000]
    documents: dict[str, Document]
    groups: dict[str, StepGroup]
    steps: dict[str, Step]
    _clauses_2015_to_2000: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def step_documents(self, step: Step) -> list[Document]:
        return [self.documents[r] for r in step.documents]

    def step_clauses(self, step: Step) -> list[Clause2000]:
        return [self.clauses_2000[n] for n in step.clauses]

    def step_clauses_2015(self, step: Step) -> list[Clause2015]:
        """The ISO 9001:2015 clauses a step satisfies, through the crosswalk, in order."""
        numbers: dict[str, None] = {}
        for clause in self.step_clauses(step):
            numbers.update(dict.fromkeys(clause.maps_to))
        return [self.clauses_2015[n] for n in sorted(numbers, key=clause_sort_key)]

    def clauses_2000_for(self, number_2015: str) -> tuple[str, ...]:
        """The cited 2000 requirements that map onto a 2015 clause."""
        return self._clauses_2015_to_2000.get(number_2015, ())


def clause_sort_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))
