"""``make screenshots``: every page and its main states (``tests/browser/scenes.py``) at 390x844 and
1280x800, in Korean, written as PNGs of the viewport to ``docs/screenshots/`` (linked from the README).

It starts its own demo assembly (embedded Redis and one hub in a temporary data dir, as the browser
tests do), puts the meeting in the scenes' states, photographs them and stops everything it started.
Pillow, when installed, stores each PNG with a 256-colour palette: a third of the size, for the repo.

    .venv/bin/python -m tests.browser.screenshots                    # all, to docs/screenshots
    .venv/bin/python -m tests.browser.screenshots --only results --sizes 390 --out /tmp/shots
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM_ARGS, ROOT, HubCaller, running_assembly
from tests.browser.scenes import opened, prepare, prepare_tables, scenes
from tools.chromium import find_chromium


def shrink(path: Path) -> None:
    """Store the PNG with a palette (screens are flat colours and text: it stays sharp)."""
    try:
        from PIL import Image
    except ImportError:  # the PNG stays as Chromium wrote it
        return
    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.browser.screenshots", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="*", default=None, help="scene names (default: every scene)")
    parser.add_argument("--sizes", nargs="*", default=["390", "1280"], choices=["390", "1280"])
    parser.add_argument("--lang", default="ko", choices=["ko", "en"])
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("Chromium is not installed: run `make browser`", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="plenary-shots-") as tmp, running_assembly(Path(tmp)) as assembly:
        prep = prepare(HubCaller(assembly))
        prepare_tables(HubCaller(assembly))
        chosen = [s for s in scenes(prep) if args.only is None or s.name in args.only]
        if not chosen:
            print(f"no scene named {args.only}", file=sys.stderr)
            return 2
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                for scene in chosen:
                    for size in (s for s in args.sizes if s in scene.sizes):
                        with opened(browser, assembly, scene, size, args.lang) as (page, watch):
                            suffix = "" if args.lang == "ko" else f"-{args.lang}"
                            path = args.out / f"{scene.name}-{size}{suffix}.png"
                            page.screenshot(path=str(path))
                            if watch.problems:
                                print(f"{path.name}: " + "; ".join(watch.problems), file=sys.stderr)
                                return 1
                        shrink(path)
                        written.append(path)
                        print(f"{path}  {path.stat().st_size // 1024} KB  ({scene.what})")
            finally:
                browser.close()
    print(f"{len(written)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
