"""The pages' one head and one header: every page that has them says so in one line each, and the
hub renders them from ``realtime/web/lib/head.html`` and ``lib/header.html``; no page carries a copy
of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from realtime.http.routes import HEAD_DIRECTIVE, HEAD_FILE, HEADER_DIRECTIVE, HEADER_FILE, PAGES, render_page

WEB = Path(__file__).parents[3] / "realtime" / "web"
HEADER = (WEB / HEADER_FILE).read_text(encoding="utf-8")
HEAD = (WEB / HEAD_FILE).read_text(encoding="utf-8")
PAGE_FILES = sorted(WEB.glob("*.html"))


def test_every_page_file_is_a_page_of_the_hub() -> None:
    assert {p.name for p in PAGE_FILES} == set(PAGES.values())


@pytest.mark.parametrize("page", PAGE_FILES, ids=lambda p: p.name)
def test_no_page_carries_a_header_of_its_own(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "<header" not in text and 'id="btn-lang"' not in text and 'id="conn"' not in text
    if page.name != "overlay.html":  # the stream overlay is a bare transparent page
        assert len(HEADER_DIRECTIVE.findall(text)) == 1


@pytest.mark.parametrize("page", PAGE_FILES, ids=lambda p: p.name)
def test_no_page_carries_a_head_of_its_own(page: Path) -> None:
    """Every page but the overlay (a bare transparent page: no theme colour, no colour scheme) says
    ``<!--#head title="..."-->`` first in its head, and renders to one charset, one viewport, one
    title and the stylesheet before its own stylesheets and module."""
    text = page.read_text(encoding="utf-8")
    html = render_page(text, HEADER, HEAD)
    assert html.count("<meta charset=") == html.count("<title>") == html.count('name="viewport"') == 1
    assert html.index("<head>\n<meta charset=") < html.index("/static/app.css") < html.index("/static/pages/")
    if page.name == "overlay.html":
        assert not HEAD_DIRECTIVE.search(text)
        return
    assert len(HEAD_DIRECTIVE.findall(text)) == 1 and "<head>\n<!--#head title=" in text
    assert "<meta" not in text and "<title" not in text and "/static/app.css" not in text
    title = re.search(r'<!--#head title="([^"]+)"-->', text)
    assert title and f"<title>서울시민회의 · {title.group(1)}</title>" in html


def test_a_wrong_head_directive_is_an_error() -> None:
    assert "<title>서울시민회의 · 회의 &amp; 기록</title>" in render_page(
        '<!--#head title="회의 & 기록"-->', HEADER, HEAD
    )
    for directive in ("<!--#head-->", '<!--#head title="a" css="b"-->', "<!--#head title=a-->"):
        with pytest.raises(ValueError):
            render_page(directive, HEADER, HEAD)


@pytest.mark.parametrize("page", PAGE_FILES, ids=lambda p: p.name)
def test_each_page_renders_to_one_header_before_its_main(page: Path) -> None:
    html = render_page(page.read_text(encoding="utf-8"), HEADER, HEAD)
    assert "<!--#" not in html
    if page.name == "overlay.html":
        assert "<header" not in html
        return
    assert html.count('<header class="top">') == 1 and html.count('id="btn-size"') == 1
    assert html.index("<header") < html.index('<main id="main"')


def test_a_sub_title_and_the_status_row() -> None:
    page = '<body>\n<!--#header sub="page.host" text="사회자 & 콘솔"-->\n<main id="main"></main>'
    html = render_page(page, HEADER, HEAD)
    assert '<span class="brand-sub" data-i18n="page.host">사회자 &amp; 콘솔</span></h1>' in html
    assert html.count('id="conn"') == html.count('id="me"') == html.count('id="conn-retry"') == 1
    bare = render_page("<!--#header-->", HEADER, HEAD)
    assert re.search(r'<h1 class="brand"><span data-i18n="app.title">[^<]+</span></h1>', bare)
    assert "brand-sub" not in bare


def test_a_page_without_a_hub_connection_has_no_status_row() -> None:
    html = render_page('<!--#header sub="page.results" text="투표 결과" status="off"-->', HEADER, HEAD)
    assert 'id="conn"' not in html and 'id="me"' not in html and "status-row" not in html
    assert html.rstrip().endswith("</header>") and 'id="btn-lang"' in html


@pytest.mark.parametrize(
    "directive",
    [
        '<!--#header title="page.host" text="x"-->',  # unknown attribute
        '<!--#header sub="page.host"-->',  # a key without its Korean text
        '<!--#header status="maybe"-->',
        "<!--#header sub=page.host-->",  # not the directive's shape: never served as a bare comment
    ],
)
def test_a_wrong_directive_is_an_error_not_a_default(directive: str) -> None:
    with pytest.raises(ValueError):
        render_page(directive, HEADER, HEAD)


def test_a_page_without_the_line_is_served_as_written() -> None:
    assert render_page("<body><main></main></body>", HEADER, HEAD) == "<body><main></main></body>"


def test_every_folder_of_the_pages_ships_in_the_package() -> None:
    """The folders are namespace packages: each needs its own package-data line, or an installed
    hub (the Docker image) would serve the pages without their modules."""
    import tomllib

    project = tomllib.loads((WEB.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    data = project["tool"]["setuptools"]["package-data"]
    folders = {p.parent for p in WEB.rglob("*") if p.is_file()}
    for folder in folders:
        package = ".".join(folder.relative_to(WEB.parents[1]).parts)
        assert data.get(package) == ["*"], package


# -- the modules: library, panels, pages ------------------------------------------------------------
MAY_IMPORT = {"lib": {"lib"}, "panels": {"lib", "panels"}, "pages": {"lib", "panels"}}
"""Which folder's modules a module may import: the library only itself, a panel the library and
other panels, a page both; nothing imports a page (each is one ``.html``'s entry point)."""
IMPORT = re.compile(r'^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"|^import\s+"([^"]+)"', re.M | re.S)


def imports_of(module: Path) -> list[Path]:
    text = module.read_text(encoding="utf-8")
    return [(module.parent / (a or b)).resolve() for a, b in IMPORT.findall(text)]


@pytest.mark.parametrize("module", sorted(WEB.glob("*/*.js")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_module_imports_only_what_its_folder_may(module: Path) -> None:
    assert module.parent.name in MAY_IMPORT
    for target in imports_of(module):
        assert target.is_file(), f"{module.name} imports {target}, which does not exist"
        assert target.parent.parent == WEB.resolve(), target
        assert target.parent.name in MAY_IMPORT[module.parent.name], f"{module} imports {target}"


def test_every_page_loads_its_own_module_and_every_module_is_used() -> None:
    pages = {p.stem: p.read_text(encoding="utf-8") for p in PAGE_FILES}
    for stem, text in pages.items():
        assert re.findall(r'<script type="module" src="([^"]+)"', text) == [f"/static/pages/{stem}.js"]
    assert {p.stem for p in WEB.glob("pages/*.js")} == set(pages)
    used = {target for module in WEB.glob("*/*.js") for target in imports_of(module)}
    for module in [*WEB.glob("lib/*.js"), *WEB.glob("panels/*.js")]:
        assert module.resolve() in used, f"nothing imports {module}"


def test_no_import_cycles_among_the_modules() -> None:
    graph = {m.resolve(): imports_of(m) for m in WEB.glob("*/*.js")}
    done: set[Path] = set()

    def visit(node: Path, path: tuple[Path, ...]) -> None:
        assert node not in path, " -> ".join(p.name for p in (*path, node))
        if node in done:
            return
        for target in graph.get(node, []):
            visit(target, (*path, node))
        done.add(node)

    for node in graph:
        visit(node, ())
