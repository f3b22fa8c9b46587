"""The survey poster's QR code decodes to the short link, which leads to the survey."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.support.pdftools import decoded


def test_poster_qr_code_leads_to_the_survey(app, client, organiser, event):
    response = client.get(f"/events/{event.code}/poster.pdf")
    assert response.status_code == 200
    texts = decoded(response.data)
    base = app.config["BASE_URL"].rstrip("/").upper()
    assert texts == [f"{base}/E/{event.code}"]
    path = urlsplit(texts[0]).path
    redirect = client.get(path)
    assert redirect.status_code == 301
    assert redirect.headers["Location"].endswith(f"/events/{event.code}/survey")
    page = client.get(f"/events/{event.code}/survey")
    assert page.status_code == 200 and "您是怎么来的" in page.get_data(as_text=True)
