import os
import shutil

import pytest

from firstmile.demo.data import DEMO_PASSWORD, load_demo

CHROMIUM = os.environ.get("FIRSTMILE_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Debian's chromium is needed at {CHROMIUM}: apt-get install chromium")
    # Debian's Chromium, never a downloaded browser; the flags keep it off the
    # network, which this machine does not have anyway.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def demo(divisions, live_server):
    load_demo()
    return live_server


@pytest.fixture
def worker(demo, tmp_path):
    """A real `firstmile worker` process on the live server's database, as `make demo` runs one."""
    from ..workerproc import kill, start_worker

    with open(tmp_path / "worker.log", "wb") as log:
        process = start_worker(log=log)
        yield process
        kill(process)


@pytest.fixture
def login(page, demo):
    def log_in(username: str):
        page.goto(f"{demo.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        return page

    return log_in


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A merchant's browser in China asks for Chinese; the switcher is how English is chosen.
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def wait_for_htmx(page):
    """Until htmx has swapped and wired up what it loaded (events on fresh nodes are otherwise lost)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def pick_region(page, picker, *names):
    """Choose a region level by level in a cascading picker, as a person would."""
    for depth, name in enumerate(names):
        picker.locator("select").nth(depth).select_option(label=name)
        wait_for_htmx(page)
        picker.locator("select").nth(depth).locator("option:checked").wait_for(state="attached")


@pytest.fixture(autouse=True)
def no_csp_violations(page):
    """Every browser test also proves the portals work under the Content Security Policy."""
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield
    assert violations == []
