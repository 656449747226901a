"""Contract pack rendering: a ~30-page pack, our path against WeasyPrint alone.

Goals (issue 5): ratio <= 1.2 and under 3 s for the pack; downloading an issued pack
again under 50 ms.
"""

from __future__ import annotations

import logging

from weasyprint import HTML

from bench.common import fresh_app, median_seconds
from qms.extensions import db
from qms.packs.content import pack_content
from qms.packs.render import STATIC_DIR, STATIC_SCHEME, render_pdf
from qms.packs.services import issue_pack, pack_html
from qms.records.services import create_record, revise_record
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
        approved_record(order, kind, team)
    spec = create_record(
        order,
        "technical_specification",
        author=team["engineer"],
        title="Техническое задание",
        body="\n\n".join([PARAGRAPH] * 22),
    )
    sign_record(
        spec,
        signer=team["manager"],
        password="manager-pw",
        meaning="approved",
        seen_sha256=spec.content_hash(),
    )
    for n in range(3):  # the ТЗ and its revisions make most of the pages
        spec = revise_record(spec, author=team["engineer"], reason=f"уточнение {n + 1}")
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
        html = pack_html(order, pack_content(order), 1, utcnow(), "0" * 64)
        _, pages = render_pdf(html)
        direct_html = html.replace(STATIC_SCHEME, STATIC_DIR.as_uri() + "/")

        ours = median_seconds(
            lambda: render_pdf(pack_html(order, pack_content(order), 1, utcnow(), "0" * 64)),
            repeat=5,
        )
        direct = median_seconds(lambda: HTML(string=direct_html).write_pdf(), repeat=5)
        results["pack_pages"] = pages
        results["pack_render_seconds"] = ours
        results["pack_weasyprint_direct_seconds"] = direct
        results["pack_overhead_ratio"] = ours / direct

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
    "pack_redownload_ms": "ms",
    "pack_reissue_unchanged_ms": "ms",
}
