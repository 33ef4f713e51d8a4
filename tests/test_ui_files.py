"""The dashboard's files and the API docs come from the package, publicly, and nothing else
does: no path outside the package's web/ folder, no external URL in the docs page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support import Server


@pytest.fixture(scope="module")
def tiled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("ui"), LISTENPOST_MAP_TILES="https://t.example/{z}/{x}/{y}.png")
    yield srv.start()
    srv.stop()


def test_page_and_assets_are_public_with_their_types(tiled: Server) -> None:
    page = httpx.get(tiled.base + "/")
    assert page.status_code == 200 and 'id="api_key"' in page.text
    script = httpx.get(tiled.base + "/ui/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    css = httpx.get(tiled.base + "/ui/vendor/leaflet-1.9.4/leaflet.css")
    assert css.headers["content-type"].startswith("text/css")
    assert httpx.get(tiled.base + "/ui/config.json").json() == {
        "map_tiles": "https://t.example/{z}/{x}/{y}.png"
    }


@pytest.mark.parametrize(
    "path", ["/ui/../ui.py", "/ui/%2e%2e/ui.py", "/ui/..%2Fui.py", "/ui/nothing.js", "/ui/lib"]
)
def test_nothing_outside_the_web_folder_is_served(tiled: Server, path: str) -> None:
    r = httpx.get(tiled.base + path)
    assert r.status_code == 404, (path, r.text[:100])
    assert "detail" in r.json()


def test_docs_load_only_package_files(tiled: Server) -> None:
    html = httpx.get(tiled.base + "/docs").text
    assert "/ui/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js" in html
    assert not re.findall(r"(?:src|href)=[\"']https?://", html)
    assert "cdn" not in html.lower()


def test_every_vendored_folder_has_its_licence() -> None:
    vendor = Path(__file__).resolve().parents[1] / "src" / "listenpost" / "web" / "vendor"
    folders = [p for p in vendor.iterdir() if p.is_dir()]
    assert folders
    for folder in folders:
        assert any(f.name.upper().startswith(("LICENSE", "LICENCE")) for f in folder.iterdir())
