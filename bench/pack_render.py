"""Contract pack rendering: a ~30-page pack, our path against WeasyPrint alone.

Our path is everything issuing a revision does: the content, the HTML, the PDF/A-3b with
its manifest embedded, and the PAdES signature. Goals (issues 5 and 14): under 3 s for
the pack with signing, ratio to WeasyPrint rendering the same HTML alone at most 1.3;
downloading an issued pack again under 50 ms.
"""

from __future__ import annotations

import logging

from weasyprint import HTML

from bench.common import fresh_app, median_cpu_seconds, median_seconds
from qms.demo_data import record_fields
from qms.extensions import db
from qms.packs.content import content_sha256, pack_content
from qms.packs.render import STATIC_DIR, STATIC_SCHEME, render_pdf
from qms.packs.services import build_pack_pdf, certificate_facts, issue_pack, pack_html
from qms.packs.signing import signing_identity
from qms.records.services import create_record, revise_record, update_draft
from qms.records.signing import sign_record
from qms.timeutil import utcnow

PARAGRAPH = (
    "Система должна распределять запросы к электронному каталогу по поисковым "
    "индексам и поисковым терминам, сохраняя журнал обработки. "
) * 6


def build_order(team_size_pages: int = 30):
    from tests.factories import approved_record, make_order, make_team

    team = make_team()
    order = make_order(team, title="Тяжёлый комплект для замера")
    for kind in ("requirements_review", "contract", "quality_plan", "work_plan"):
        approved_record(order, kind, team, fields=record_fields(kind, order))
    spec = create_record(
        order,
        "technical_specification",
        author=team["engineer"],
        title="Техническое задание",
        body="\n\n".join([PARAGRAPH] * 160),
        fields=record_fields("technical_specification", order),
    )
    sign_record(
        spec,
        signer=team["manager"],
        password="manager-pw",
        meaning="approved",
        seen_sha256=spec.content_hash(),
    )
    for n in range(3):  # the ТЗ makes most of the pages, its revisions the amendments
        spec = revise_record(spec, author=team["engineer"], reason=f"уточнение {n + 1}")
        update_draft(spec, editor=team["engineer"], body=spec.body + f"\n\nУточнение {n + 1}.")
        sign_record(
            spec,
            signer=team["manager"],
            password="manager-pw",
            meaning="approved",
            seen_sha256=spec.content_hash(),
        )
    db.session.commit()
    return order


def run() -> dict[str, float]:
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    app = fresh_app()
    results: dict[str, float] = {}
    with app.app_context():
        order = build_order()
        certificate = certificate_facts(signing_identity())
        content = pack_content(order)
        html = pack_html(order, content, 1, utcnow(), "0" * 64, None, certificate)
        _, pages = render_pdf(html)
        direct_html = html.replace(STATIC_SCHEME, STATIC_DIR.as_uri() + "/")

        def issue_path():
            content = pack_content(order)
            build_pack_pdf(
                order,
                content,
                content_sha256(content),
                1,
                utcnow(),
                issued_by=None,
                trail_head=(1, "0" * 64),
            )

        ours = median_seconds(issue_path, repeat=5)
        direct = median_seconds(lambda: HTML(string=direct_html).write_pdf(), repeat=5)
        results["pack_pages"] = pages
        results["pack_render_seconds"] = ours
        results["pack_weasyprint_direct_seconds"] = direct
        results["pack_overhead_ratio"] = ours / direct
        # The same two in CPU time: wall time on a busy shared machine says more about the
        # neighbours than about the pack.
        ours_cpu = median_cpu_seconds(issue_path, repeat=3)
        direct_cpu = median_cpu_seconds(lambda: HTML(string=direct_html).write_pdf(), repeat=3)
        results["pack_render_cpu_seconds"] = ours_cpu
        results["pack_weasyprint_direct_cpu_seconds"] = direct_cpu
        results["pack_overhead_ratio_cpu"] = ours_cpu / direct_cpu

        pack, _ = issue_pack(order, None)
        db.session.commit()
        client = app.test_client()
        client.post("/login", data={"username": "manager", "password": "manager-pw"})
        url = f"/orders/{order.number}/packs/{pack.revision}.pdf"

        def download():
            response = client.get(url)
            assert response.status_code == 200 and len(response.data) == len(pack.pdf)

        results["pack_redownload_ms"] = median_seconds(download, repeat=20, warmup=2) * 1000
        results["pack_reissue_unchanged_ms"] = (
            median_seconds(lambda: issue_pack(order, None), repeat=5) * 1000
        )
    return results


UNITS = {
    "pack_pages": "pages",
    "pack_render_seconds": "s",
    "pack_weasyprint_direct_seconds": "s",
    "pack_overhead_ratio": "x",
    "pack_render_cpu_seconds": "s",
    "pack_weasyprint_direct_cpu_seconds": "s",
    "pack_overhead_ratio_cpu": "x",
    "pack_redownload_ms": "ms",
    "pack_reissue_unchanged_ms": "ms",
}
