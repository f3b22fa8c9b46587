"""Rangers' updates: the happy path with a photo, and every refusal changing nothing."""

from __future__ import annotations

import io
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.support.app import csrf_token
from tests.support.plots import jpeg_with_gps
from webapp.errors import Forbidden
from webapp.extensions import db
from webapp.models import Plot, PlotPhoto, PlotStatus, PlotUpdate, PlotUpdateKind
from webapp.services.plots import rangers

PAGE = "/ranger/sites/CLS-JN/plots/{code}"


@pytest.fixture
def ranger(make_user, site):
    user = make_user("ranger", email="ranger@example.cn")
    admin = make_user("admin", email="boss@example.cn")
    rangers.assign(db.session, user, site, actor=admin)
    db.session.commit()
    return user


@pytest.fixture
def sponsored(make_plot, make_user, sponsor_plot):
    sponsor = make_user(email="sponsor@example.cn")
    sponsor.locale = "en"
    db.session.commit()
    return sponsor_plot(make_plot("A-01"), sponsor)


def files_in(app) -> list[Path]:
    root = Path(app.config["PLOT_PHOTO_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def counts() -> tuple[int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(PlotUpdate)),
        db.session.scalar(select(func.count()).select_from(PlotPhoto)),
    )


def post_update(client, code="A-01", **fields):
    token = csrf_token(client, PAGE.format(code=code))
    data = {"csrf_token": token, "kind": "planted", "survival": "90", "note": "春季造林"}
    data.update(fields)
    return client.post(PAGE.format(code=code), data=data, content_type="multipart/form-data")


def test_ranger_update_happy_path_strips_exif_and_mails_the_sponsor(
    app, client, auth, ranger, sponsored
):
    auth.login("ranger@example.cn")
    response = post_update(client, photos=[(io.BytesIO(jpeg_with_gps()), "IMG_0001.jpg")])
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    plot = db.session.get(Plot, sponsored.id)
    assert plot.status is PlotStatus.PLANTED and plot.planted_on is not None
    update = plot.updates[0]
    assert update.kind is PlotUpdateKind.PLANTED and update.survival_count == 90
    assert update.ranger_id == ranger.id and update.note == "春季造林"
    [photo] = update.photos

    # The stored file is a re-encoded JPEG without EXIF or GPS.
    [stored] = files_in(app)
    assert stored.name == f"{photo.sha256}.jpg"
    with Image.open(stored) as reopened:
        assert reopened.format == "JPEG" and not reopened.getexif()
        assert "exif" not in reopened.info
    assert b"Exif" not in stored.read_bytes() and b"PhoneMaker" not in stored.read_bytes()
    served = client.get(f"/plot-photos/{photo.id}.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == stored.read_bytes()
    served.close()

    # The plot page tells the story with the photo.
    client.set_cookie("lang", "en")
    page = client.get("/sites/CLS-JN/plots/A-01").get_data(as_text=True)
    assert f"/plot-photos/{photo.id}.jpg" in page and "Trees alive: 90" in page

    # The sponsor got an e-mail, in their language (English), after the commit.
    outbox = list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))
    assert len(outbox) == 1
    with outbox[0].open("rb") as fh:
        message = BytesParser(policy=policy.default).parse(fh)
    assert message["To"] == "sponsor@example.cn"
    assert "A-01" in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Your plot A-01 has been planted." in body
    assert "/sites/CLS-JN/plots/A-01" in body


def test_a_ranger_not_assigned_to_the_site_is_refused(app, client, auth, make_user, sponsored):
    stranger = make_user("ranger", email="other@example.cn")
    auth.login("other@example.cn")
    assert client.get(PAGE.format(code="A-01")).status_code == 403
    assert client.get("/ranger/sites/CLS-JN").status_code == 403
    assert client.get("/sites/CLS-JN/plaques.pdf").status_code == 403
    with pytest.raises(Forbidden):
        rangers.record_update(db.session, sponsored, stranger, PlotUpdateKind.PLANTED, None, "", ())
    db.session.rollback()
    assert counts() == (0, 0)
    assert db.session.get(Plot, sponsored.id).status is PlotStatus.SPONSORED


def test_residents_cannot_reach_ranger_pages(client, auth, make_user, sponsored):
    make_user(email="resident@example.cn")
    auth.login("resident@example.cn")
    assert client.get("/ranger").status_code == 403
    assert client.get("/admin/rangers").status_code == 403


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        (b"#!/bin/sh\nrm -rf /\n", "photo.jpg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>', "a.svg"),
        (b"GIF89a" + b"\0" * 64, "a.png"),
    ],
    ids=["script-as-jpg", "svg", "gif-as-png"],
)
def test_non_image_upload_is_refused_and_nothing_changes(
    app, client, auth, ranger, sponsored, payload, name
):
    auth.login("ranger@example.cn")
    client.set_cookie("lang", "en")
    response = post_update(client, photos=[(io.BytesIO(payload), name)])
    assert response.status_code == 400
    # The refusal itself: the form's help text mentions "JPEG" whatever happened.
    assert "Photos must be JPEG or PNG images." in response.get_data(as_text=True)
    assert counts() == (0, 0)
    assert db.session.get(Plot, sponsored.id).status is PlotStatus.SPONSORED
    assert files_in(app) == []
    assert not list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))


def test_oversize_photo_is_refused_and_nothing_changes(app, client, auth, ranger, sponsored):
    app.config["PLOT_PHOTO_MAX_BYTES"] = 10_000
    data = jpeg_with_gps()
    assert len(data) > 10_000
    auth.login("ranger@example.cn")
    client.set_cookie("lang", "en")
    response = post_update(client, photos=[(io.BytesIO(data), "big.jpg")])
    assert response.status_code == 400
    # The limit as configured (10 000 bytes is 0.00954 MB), not any mention of "MB".
    assert "Each photo may be at most 0.00954 MB." in response.get_data(as_text=True)
    assert counts() == (0, 0) and files_in(app) == []
    assert db.session.get(Plot, sponsored.id).status is PlotStatus.SPONSORED


def test_request_larger_than_the_server_limit_is_refused(app, client, auth, ranger, sponsored):
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    auth.login("ranger@example.cn")
    response = post_update(client, photos=[(io.BytesIO(b"\xff" * 60_000), "huge.jpg")])
    assert response.status_code == 413
    assert counts() == (0, 0) and files_in(app) == []


def test_more_than_three_photos_and_impossible_moves_are_refused(
    app, client, auth, ranger, sponsored
):
    auth.login("ranger@example.cn")
    four = [(io.BytesIO(jpeg_with_gps()), f"{i}.jpg") for i in range(4)]
    assert post_update(client, photos=four).status_code == 400
    # A sponsored plot can be planted, not inspected: the choice is not even offered.
    response = post_update(client, kind="inspected")
    assert response.status_code == 400
    assert counts() == (0, 0) and files_in(app) == []


def test_bad_survival_count_is_refused(app, client, auth, ranger, sponsored):
    auth.login("ranger@example.cn")
    for survival in ("-3", "many", "101"):  # the plot has 100 trees
        response = post_update(client, survival=survival)
        assert response.status_code == 400, survival
    assert counts() == (0, 0)


def test_update_without_csrf_token_is_refused(client, auth, ranger, sponsored):
    auth.login("ranger@example.cn")
    response = client.post(PAGE.format(code="A-01"), data={"kind": "planted"})
    assert response.status_code == 400
    assert counts() == (0, 0)


def test_status_moves_through_the_table(app, client, auth, ranger, sponsored):
    auth.login("ranger@example.cn")
    for kind, status in [
        ("planted", PlotStatus.PLANTED),
        ("inspected", PlotStatus.INSPECTED),
        ("failed", PlotStatus.FAILED),
        ("replanted", PlotStatus.REPLANTED),
        ("inspected", PlotStatus.INSPECTED),
    ]:
        assert post_update(client, kind=kind, survival="").status_code == 302, kind
        db.session.expire_all()
        assert db.session.get(Plot, sponsored.id).status is status
    assert counts() == (5, 0)
    assert len(list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))) == 5


def test_admin_assigns_and_removes_rangers(app, client, auth, make_user, site):
    make_user("admin", email="boss@example.cn")
    ranger = make_user("ranger", email="new-ranger@example.cn")
    auth.login("boss@example.cn")
    token = csrf_token(client, "/admin/rangers")
    response = client.post(
        "/admin/rangers", data={"csrf_token": token, "ranger": ranger.id, "site": site.id}
    )
    assert response.status_code == 302
    assert rangers.is_assigned(db.session, ranger, site)
    token = csrf_token(client, "/admin/rangers")
    client.post(f"/admin/rangers/{ranger.id}/{site.id}/remove", data={"csrf_token": token})
    assert not rangers.is_assigned(db.session, ranger, site)


def _png_bomb(side: int = 30_000) -> bytes:
    """A real PNG claiming side × side pixels of one colour: tiny file, 900 MP decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    row = b"\x00" + b"\x00" * side
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(200)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def test_hostile_uploads_through_the_page_leave_nothing_on_disk(
    app, client, auth, ranger, sponsored
):
    """A script renamed .jpg, a decompression bomb, a 50 MB image and an SVG, each posted
    as a ranger would: refused with a clear message, no row, no file, no e-mail."""
    auth.login("ranger@example.cn")
    big = io.BytesIO()
    Image.effect_noise((4000, 3000), 90).convert("RGB").save(big, "PNG", compress_level=0)
    fifty_mb = big.getvalue() + b"\0" * max(0, 50 * 1024 * 1024 - big.tell())
    assert len(fifty_mb) >= 50 * 1024 * 1024
    cases = [
        (b"<?php system($_GET['c']); ?>", "shell.jpg", 400, ("JPEG", "PNG")),
        (_png_bomb(), "bomb.png", 400, ("pixels", "像素")),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "logo.svg",
            400,
            ("JPEG", "PNG"),
        ),
        (fifty_mb, "huge.png", 413, ("MB", "large", "过大", "太大")),
    ]
    for payload, name, status, words in cases:
        response = post_update(client, photos=[(io.BytesIO(payload), name)])
        # Werkzeug's test client spools a large body to a temporary file and leaves it
        # open when the server answers 413 without reading it: close the client's file.
        response.request.environ["wsgi.input"].close()
        html = response.get_data(as_text=True)
        assert response.status_code == status, name
        assert any(w in html for w in words), (name, html[:2000])
        assert 'onload="alert(1)"' not in html
        assert counts() == (0, 0), name
        assert files_in(app) == [], name
        assert db.session.get(Plot, sponsored.id).status is PlotStatus.SPONSORED
    assert not list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))
