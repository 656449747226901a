"""What a verification of the trail found, and the report `qms audit verify` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l

from qms.audit.models import GENESIS_HASH

SHOWN_PER_KIND = 3
KIND_TITLES = {
    "chain": _l("chain"),
    "checkpoint": _l("checkpoint"),
    "rollback": _l("rollback"),
    "anchor": _l("printed head"),
    "data": _l("data"),
}
DATA_TITLES = {
    "orders": _l("orders"),
    "work items": _l("work items"),
    "approved records": _l("approved records"),
    "signatures": _l("signatures"),
    "stored files": _l("stored files"),
    "users": _l("users"),
    "notes": _l("audit notes"),
    "document revisions": _l("approved document revisions"),
}  # a rollback can contradict thousands of checkpoints: show a few, count all


@dataclass
class Finding:
    kind: str  # "chain", "checkpoint", "rollback", "anchor", "data"
    message: str


@dataclass
class TrailReport:
    events_checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    since_seq: int | None = None
    checkpoints_checked: int = 0
    checkpoints_superseded: int = 0
    anchors_checked: int = 0
    data_checked: dict[str, int] | None = None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    first_broken_seq: int | None = None
    first_broken_id: int | None = None

    @property
    def intact(self) -> bool:
        return not self.findings

    @property
    def problem(self) -> str | None:
        return self.findings[0].message if self.findings else None

    def lines(self) -> list[str]:
        """The report as the command prints it, in the reader's language."""
        start = str(_l(" (from checkpoint #%(seq)s)", seq=self.since_seq)) if self.since_seq else ""
        counts = str(_l("checkpoints: %(n)s compared", n=self.checkpoints_checked))
        if self.checkpoints_superseded:
            counts += str(_l(", %(n)s superseded", n=self.checkpoints_superseded))
        if self.anchors_checked:
            counts += str(_l("; printed heads: %(n)s", n=self.anchors_checked))
        out = [
            str(_l("audit trail head: #%(seq)s %(hash)s", seq=self.head_seq, hash=self.head_hash)),
            str(
                _l(
                    "chain: %(n)s events verified%(start)s, hashes and signatures",
                    n=self.events_checked,
                    start=start,
                )
            ),
            counts,
        ]
        if self.data_checked is not None:
            what = ", ".join(f"{n} {DATA_TITLES[name]}" for name, n in self.data_checked.items())
            out.append(str(_l("data against the trail: %(what)s", what=what)))
        out += [str(_l("note: %(note)s", note=n)) for n in self.notes]
        if self.intact:
            out.append(str(_l("audit trail intact: %(n)s events verified", n=self.events_checked)))
        else:
            out.append(str(_l("audit trail BROKEN: %(n)s finding(s)", n=len(self.findings))))
            out += [f"- {KIND_TITLES[f.kind]}: {f.message}" for f in self.findings]
        return out

    def summary(self) -> str:
        return "\n".join(self.lines())


def collapse(report: TrailReport, kind: str, messages: list[str]) -> None:
    report.findings += [Finding(kind, m) for m in messages[:SHOWN_PER_KIND]]
    if len(messages) > SHOWN_PER_KIND:
        more = len(messages) - SHOWN_PER_KIND
        report.findings.append(Finding(kind, _l("… and %(n)s more like these", n=more)))


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
