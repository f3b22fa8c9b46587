"""The renderer's URL fetcher serves static/ files for tanhui-static: and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.services.certificates.render import BASE_URL
from webapp.services.pdf.render import FetchRefusedError, StaticFetcher

REFUSED = [
    "file:///etc/passwd",
    "http://127.0.0.1:9/x.css",
    "https://tanhui.example.cn/static/certificates/certificate.css",
    "data:text/css,body{}",
    "ftp://example.com/x.svg",
    "tanhui-static://evil.example/certificates/emblem.svg",
    "tanhui-static:certificates/emblem.svg",
    "tanhui-static:/../../etc/passwd.css",
    "tanhui-static:/certificates/%2e%2e/%2e%2e/etc/passwd.css",
    "tanhui-static:/certificates/emblem.svg?x=1",
    "tanhui-static:/certificates/emblem.svg#x",
    "tanhui-static:/certificates/missing.svg",
    "tanhui-static:/certificates/",
    "tanhui-static:/img/../../webapp/config.py",
    "tanhui-static:/certificates\\..\\..\\x.css",
]


@pytest.mark.parametrize("url", REFUSED)
def test_refuses(url: str) -> None:
    fetcher = StaticFetcher()
    with pytest.raises(FetchRefusedError):
        fetcher(url)
    assert fetcher.refused == [url] and fetcher.fetched == []


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("certificate.css", "text/css"),
        ("emblem.svg", "image/svg+xml"),
        ("frame.svg", "image/svg+xml"),
    ],
)
def test_serves_certificate_assets(name: str, mime: str) -> None:
    fetcher = StaticFetcher()
    result = fetcher(BASE_URL + name)
    repo_static = Path(__file__).resolve().parents[3] / "static"
    assert result["string"] == (repo_static / "certificates" / name).read_bytes()
    assert result["mime_type"] == mime
    assert fetcher.fetched == [BASE_URL + name] and fetcher.refused == []


def test_refuses_symlinks_out_of_static(tmp_path: Path) -> None:
    root = tmp_path / "static"
    (root / "certificates").mkdir(parents=True)
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    (root / "certificates" / "leak.css").symlink_to(secret)
    (root / "certificates" / "ok.css").write_text("p {}")
    fetcher = StaticFetcher(root=root)
    assert fetcher(BASE_URL + "ok.css")["string"] == b"p {}"
    with pytest.raises(FetchRefusedError):
        fetcher(BASE_URL + "leak.css")


def test_refuses_file_types_it_does_not_serve(tmp_path: Path) -> None:
    root = tmp_path / "static"
    (root / "certificates").mkdir(parents=True)
    (root / "certificates" / "notes.txt").write_text("x")
    with pytest.raises(FetchRefusedError):
        StaticFetcher(root=root)(BASE_URL + "notes.txt")
