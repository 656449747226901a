"""The quality system as data: ISO clauses, the document register and the process map."""

from qms.catalogue.loader import CatalogueError, get_catalogue, load_catalogue
from qms.catalogue.model import (
    Catalogue,
    Clause2000,
    Clause2015,
    Document,
    Step,
    StepGroup,
    Text,
)

__all__ = [
    "Catalogue",
    "CatalogueError",
    "Clause2000",
    "Clause2015",
    "Document",
    "Step",
    "StepGroup",
    "Text",
    "get_catalogue",
    "load_catalogue",
]
