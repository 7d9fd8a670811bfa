"""JupyterLab in Chinese for those who want it: the zh-CN language pack, installed, off by default.

The pack (``jupyterlab-language-pack-zh-cn``) is in pyproject's notebooks extra, so Binder's pins,
the hub's environment (``<repo>[course]``) and ``make lab`` all have it (issue 17, section 3).
The browser test starts the real JupyterLab of this environment in headless Chromium with a
Chinese browser locale: the menus are English until the user picks Chinese (Settings >
Language, which stores the ``locale`` setting), then Chinese.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
import urllib.request
from pathlib import Path

from conftest import ROOT, require

PACK = "jupyterlab-language-pack-zh-cn"
ARTIFACTS = Path(os.environ.get("TCPCOURSE_ARTIFACTS", ROOT / ".artifacts")) / "language-pack"


def test_binder_the_hub_and_the_lab_all_install_the_pack() -> None:
    """The pack is in the notebooks extra, pinned for Binder, and reaches the hub via [course]."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(r.startswith(PACK) for r in extras["notebooks"])
    assert "tcpcourse[notebooks]" in extras["course"]
    pins = (ROOT / "binder" / "requirements.txt").read_text()
    assert re.search(rf"^{PACK}==\S+$", pins, re.M), "binder/requirements.txt: no pin"
    assert '"/tmp/tcpcourse[course]"' in (ROOT / "hub" / "z2jh" / "Dockerfile").read_text()
    assert 'f"{REPO}[course]"' in (ROOT / "hub" / "hubctl.py").read_text()


def _menus(page: object) -> list[str]:
    return page.evaluate(  # type: ignore[attr-defined, no-any-return]
        "() => [...document.querySelectorAll('#jp-menu-panel .lm-MenuBar-itemLabel')]"
        ".map(e => e.textContent)"
    )


def test_jupyterlab_starts_in_english_and_switches_to_chinese(tmp_path: Path) -> None:
    """With a zh-CN browser, JupyterLab's menus stay English; with locale zh_CN set (what
    Settings > Language does) they are Chinese."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from browser import chromium, have_chromium, have_playwright, lab_server

    require(have_chromium() and have_playwright(), "Chromium and Playwright for Python")
    with lab_server(tmp_path) as server:
        languages = server.api("GET", "/lab/api/translations/")["data"]
        assert "zh_CN" in languages, f"the language pack is not installed: {languages}"
        with chromium() as browser:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.goto(f"{server.url}/lab?token={server.token}")
            page.wait_for_selector("#jp-menu-panel .lm-MenuBar-itemLabel", timeout=60000)
            english = _menus(page)
            assert english[:3] == ["File", "Edit", "View"], english
            # Settings > Language > 中文: the setting it writes, then the reload it asks for.
            body = json.dumps({"raw": json.dumps({"locale": "zh_CN"})}).encode()
            request = urllib.request.Request(
                f"{server.url}/lab/api/settings/@jupyterlab/translation-extension:plugin",
                data=body,
                method="PUT",
                headers={"Authorization": f"token {server.token}"},
            )
            urllib.request.urlopen(request, timeout=10).close()
            page.reload()
            page.wait_for_selector("#jp-menu-panel .lm-MenuBar-itemLabel", timeout=60000)
            page.wait_for_function(
                "() => document.querySelector('#jp-menu-panel .lm-MenuBar-itemLabel')"
                ".textContent !== 'File'",
                timeout=30000,
            )
            chinese = _menus(page)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "jupyterlab-zh-cn.png"))
            context.close()
    assert chinese[0].startswith("文件"), chinese
    assert "编辑" in chinese[1], chinese
