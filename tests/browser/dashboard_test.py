#!/usr/bin/env python3
"""Browser test of the web dashboard: headless Chromium (Selenium) against the
reference bot in demo mode, on loopback only.

Covers: a wrong token shows an error; signing in shows the queue and a live
event stream; skip changes now-playing; reordering with the keyboard/button
fallback and with HTML5 drag and drop reaches the server; a change made by
another client shows up through the event stream; the settings form shows the
API's 400 field messages and saves a valid change; the page fits a 375 px wide phone; no CSP violation
and no token in the browser console or the bot's output; a page on another
origin cannot call the API with the token. Screenshots go to --out.

Every wait is bounded; the bot and the helper web server are always stopped.
"""

import argparse
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 20          # seconds for any one UI expectation
START_WAIT = 45    # seconds for the bot to write its token file


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def step(text):
    print(f"[browser] {text}", flush=True)


# ---------------------------------------------------------------- the bot

def start_bot(bot, port, token_file, log_path):
    log = open(log_path, "wb")
    cmd = [bot, "--demo", "--duration", "90", "--no-progress",
           "--api-port", str(port), "--dashboard-token-file", token_file]
    step("starting " + " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd)))
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    return proc, log


def wait_token_file(proc, token_file):
    deadline = time.monotonic() + START_WAIT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Failure(f"the bot exited early with {proc.returncode}")
        try:
            with open(token_file, encoding="utf-8") as f:
                info = json.load(f)
            if info.get("token") and info.get("url") and info.get("guild_id"):
                return info
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise Failure(f"no dashboard token file after {START_WAIT} s")


def stop_process(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


# ---------------------------------------------------------------- direct API calls

def api_call(base, token, method, path, body=None, headers=None):
    """Returns (status, headers, parsed body or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base.rstrip("/") + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            raw = res.read()
            return res.status, res.headers, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return e.code, e.headers, parsed


def server_queue_titles(base, token, guild):
    status, _, data = api_call(base, token, "GET", f"/api/v1/guilds/{guild}/session?page=0&size=25")
    check(status == 200, f"GET session answered {status}")
    q = data.get("queue", [])
    items = q if isinstance(q, list) else (q.get("items") or q.get("tracks") or [])
    return [t.get("title") or (t.get("info") or {}).get("title") for t in items]


# ---------------------------------------------------------------- browser helpers

def make_driver(chromium, chromedriver):
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1100", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--metrics-recording-only", "--password-store=basic"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def wait_for(driver, what, predicate, timeout=WAIT, poll=0.1):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=poll).until(lambda d: predicate(d))
    except TimeoutException:
        raise Failure(f"timed out after {timeout} s waiting for: {what}") from None


def by_id(driver, element_id):
    return driver.find_element(By.ID, element_id)


def queue_titles(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('#queue-list li .queue-title')].map(e => e.textContent)")


def html5_drag(driver, from_pos, to_pos, before=True):
    """Drags the queue item at from_pos onto the upper (before) or lower half
    of the one at to_pos with real DragEvents carrying a DataTransfer
    (WebDriver's pointer actions do not start HTML5 drags in Chromium)."""
    driver.execute_script("""
      const [fromPos, toPos, before] = arguments;
      const src = document.querySelector(`#queue-list li[data-pos="${fromPos}"]`);
      const dst = document.querySelector(`#queue-list li[data-pos="${toPos}"]`);
      const box = dst.getBoundingClientRect();
      const y = before ? box.top + 2 : box.bottom - 2;
      const x = box.left + box.width / 2;
      const dt = new DataTransfer();
      const fire = (el, type) => el.dispatchEvent(new DragEvent(type,
          { bubbles: true, cancelable: true, dataTransfer: dt, clientX: x, clientY: y }));
      fire(src, 'dragstart');
      fire(dst, 'dragenter');
      fire(dst, 'dragover');
      fire(dst, 'drop');
      fire(src, 'dragend');
    """, from_pos, to_pos, before)


def console_messages(driver):
    try:
        return [e.get("message", "") for e in driver.get_log("browser")]
    except Exception:  # noqa: BLE001 - logging support differs between driver versions
        return []


# ---------------------------------------------------------------- foreign origin page

FOREIGN_PAGE = """<!doctype html><meta charset="utf-8"><title>foreign</title>
<p id="result">pending</p>
<script>
const params = new URLSearchParams(location.hash.slice(1));
fetch(params.get('api') + '/api/v1/guilds', { headers: { Authorization: 'Bearer ' + params.get('t') } })
  .then(r => r.text().then(t => { document.getElementById('result').textContent = 'allowed ' + r.status; }))
  .catch(e => { document.getElementById('result').textContent = 'blocked ' + e.name; });
</script>
"""


def serve_foreign_page(directory, port):
    with open(os.path.join(directory, "index.html"), "w", encoding="utf-8") as f:
        f.write(FOREIGN_PAGE)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=directory, **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


# ---------------------------------------------------------------- the test

def run(args):
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="musicbot-browser-")
    token_file = os.path.join(work, "dashboard.json")
    bot_log = os.path.join(args.out, "bot.log")
    proc = log = driver = foreign = None
    token = None
    try:
        port = free_port()
        proc, log = start_bot(args.bot, port, token_file, bot_log)
        info = wait_token_file(proc, token_file)
        token, guild, url = info["token"], info["guild_id"], info["url"]
        check(url.startswith("http://127.0.0.1:"), f"dashboard URL is not loopback: {url}")
        base = url.rstrip("/")
        step(f"bot up, dashboard at {url}")

        driver = make_driver(args.chromium, args.chromedriver)
        driver.get(url)
        wait_for(driver, "login form", lambda d: by_id(d, "token-input").is_displayed())

        # 1. a wrong (well-formed) token is refused with a visible error
        wrong = "mbt_0000000000000000." + "A" * 43
        by_id(driver, "token-input").send_keys(wrong)
        by_id(driver, "login-submit").click()
        wait_for(driver, "error for a wrong token",
                 lambda d: "not accepted" in by_id(d, "login-error").text)
        check(not by_id(driver, "dashboard-view").is_displayed(), "dashboard shown for a wrong token")
        driver.save_screenshot(os.path.join(args.out, "wrong-token.png"))
        step("wrong token: error shown")

        # 2. the real token: dashboard, queue, live stream
        field = by_id(driver, "token-input")
        field.clear()
        field.send_keys(token)
        by_id(driver, "login-submit").click()
        wait_for(driver, "dashboard", lambda d: by_id(d, "dashboard-view").is_displayed())
        wait_for(driver, "at least 5 queued tracks", lambda d: len(queue_titles(d)) >= 5)
        wait_for(driver, "event stream connected",
                 lambda d: by_id(d, "live-status").get_attribute("data-state") == "live")
        check(token not in driver.current_url, "the token appears in the URL")
        step(f"signed in: {len(queue_titles(driver))} tracks in the queue")

        # the SSE parser on edge cases: BOM, CR / LF / CRLF line ends (a CRLF
        # split across chunks), comments, multi-line data, id, retry, an event
        # without data, a field without a colon, a trailing event without its
        # blank line (never dispatched)
        parsed = driver.execute_async_script("""
          const done = arguments[arguments.length - 1];
          import('/assets/app.js').then(async (m) => {
            const chunks = ['\\ufeff: hi\\r', '\\nevent: a\\ndata: x\\r', '\\ndata:  y\\nid: 7\\n',
                            'retry: 2500\\n\\nevent: empty\\n\\ndata\\rdata: {"k":1}\\r\\r',
                            'event: cut\\ndata: never'];
            const enc = new TextEncoder();
            const body = new ReadableStream({ start(c) { for (const x of chunks) c.enqueue(enc.encode(x)); c.close(); } });
            const out = [];
            await m.readEventStream(body, new AbortController().signal, () => {}, (e) => out.push(e));
            done(JSON.stringify(out));
          }).catch((e) => done('error ' + e));
        """)
        check(not parsed.startswith("error"), f"SSE parser: {parsed}")
        events = json.loads(parsed)
        check(events == [
            {"type": "a", "data": "x\n y", "id": "7", "retry": 2500},
            {"type": "message", "data": "\n{\"k\":1}", "id": "7", "retry": None},
        ], f"SSE parser produced {events}")
        step("SSE parser: edge cases parsed")

        # the position ticks from the stream move the progress bar
        first_pos = int(by_id(driver, "seek").get_attribute("value") or 0)
        wait_for(driver, "progress bar advancing",
                 lambda d: int(by_id(d, "seek").get_attribute("value") or 0) > first_pos)

        # 3. skip: now playing becomes the first queued track
        before_title = by_id(driver, "np-title").text
        upcoming = queue_titles(driver)
        by_id(driver, "btn-skip").click()
        wait_for(driver, "now playing to change after skip",
                 lambda d: by_id(d, "np-title").text not in ("", before_title))
        now = by_id(driver, "np-title").text
        check(now in upcoming, f"after skip '{now}' is not one of the queued tracks {upcoming}")
        step(f"skip: '{before_title}' -> '{now}'")

        # 4a. reorder with the button fallback; the server has the new order
        titles = queue_titles(driver)
        driver.find_element(By.CSS_SELECTOR, '#queue-list li[data-pos="0"] .move-down').click()
        expected = [titles[1], titles[0]] + titles[2:]
        wait_for(driver, "server order after the button move",
                 lambda d: server_queue_titles(base, token, guild)[:len(expected)] == expected, poll=0.3)
        wait_for(driver, "page order after the button move", lambda d: queue_titles(d) == expected)
        step("reorder with the Move down button: done")

        # 4b. reorder with HTML5 drag and drop: third track before the first
        titles = queue_titles(driver)
        html5_drag(driver, 2, 0, before=True)
        expected = [titles[2], titles[0], titles[1]] + titles[3:]
        wait_for(driver, "server order after drag and drop",
                 lambda d: server_queue_titles(base, token, guild)[:len(expected)] == expected, poll=0.3)
        wait_for(driver, "page order after drag and drop", lambda d: queue_titles(d) == expected)
        step("reorder with drag and drop: done")

        # 4c. reorder with the keyboard: Alt+Down on a focused track; the
        # focus follows the track
        titles = server_queue_titles(base, token, guild)
        wait_for(driver, "page and server agree before the keyboard move",
                 lambda d: len(queue_titles(d)) >= 2 and queue_titles(d) == titles[:len(queue_titles(d))])
        item = driver.find_element(By.CSS_SELECTOR, '#queue-list li[data-pos="0"]')
        driver.execute_script("arguments[0].focus()", item)
        ActionChains(driver).key_down(Keys.ALT).send_keys(Keys.ARROW_DOWN).key_up(Keys.ALT).perform()
        expected = [titles[1], titles[0]] + titles[2:]
        wait_for(driver, "server order after Alt+Down",
                 lambda d: server_queue_titles(base, token, guild)[:len(expected)] == expected, poll=0.3)
        wait_for(driver, "focus on the moved track", lambda d: d.execute_script(
            "return document.activeElement && document.activeElement.dataset.pos") == "1")
        step("reorder with the keyboard: done")

        # 5. a change by another client arrives through the event stream
        titles = server_queue_titles(base, token, guild)
        wait_for(driver, "page and server agree",
                 lambda d: len(queue_titles(d)) >= 2 and queue_titles(d) == titles[:len(queue_titles(d))])
        titles = queue_titles(driver)
        status, _, _ = api_call(base, token, "POST", f"/api/v1/guilds/{guild}/queue/move",
                                {"from": 0, "to": 1})
        check(status in (200, 204), f"external move answered {status}")
        expected = [titles[1], titles[0]] + titles[2:]
        wait_for(driver, "page updated by the event stream", lambda d: queue_titles(d) == expected)
        step("external change shown through the event stream")

        # 6. settings: the API's 400 details appear next to the field
        vol = by_id(driver, "set-volume")
        old_volume = vol.get_attribute("value")
        vol.clear()
        vol.send_keys("250")
        driver.find_element(By.CSS_SELECTOR, "#settings-form button[type=submit]").click()
        wait_for(driver, "validation message for volume", lambda d: by_id(d, "err-volume").text.strip() != "")
        check(by_id(driver, "set-volume").get_attribute("aria-invalid") == "true", "volume not marked invalid")
        step(f"settings validation: '{by_id(driver, 'err-volume').text}'")
        by_id(driver, "settings-reset").click()
        check(by_id(driver, "set-volume").get_attribute("value") == old_volume, "revert did not restore")
        # a valid change is saved (only the changed field is sent)
        per_user = by_id(driver, "set-max-user")
        per_user.clear()
        per_user.send_keys("3")
        driver.find_element(By.CSS_SELECTOR, "#settings-form button[type=submit]").click()
        wait_for(driver, "settings saved", lambda d: by_id(d, "settings-status").text == "Saved.")
        status, _, saved = api_call(base, token, "GET", f"/api/v1/guilds/{guild}/settings")
        check(status == 200 and saved.get("max_per_user") == 3, f"settings not saved: {status} {saved}")
        step("settings: saved max_per_user = 3")

        driver.execute_script("window.scrollTo(0, 0)")
        time.sleep(0.3)  # let the progress bar tick once more for the picture
        shot = os.path.join(args.out, "dashboard.png")
        driver.save_screenshot(shot)

        # 7. a phone-sized window: nothing wider than the screen
        driver.set_window_size(375, 812)
        wait_for(driver, "layout at 375 px", lambda d: d.execute_script(
            "return document.documentElement.clientWidth") <= 375)
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        check(overflow <= 1, f"page is {overflow}px wider than a 375 px screen")
        button = driver.find_element(By.CSS_SELECTOR, '#queue-list li[data-pos="0"] .move-down')
        check(button.is_displayed() and button.size["width"] >= 40, "move buttons not usable on a phone")
        driver.save_screenshot(os.path.join(args.out, "dashboard-phone.png"))
        driver.set_window_size(1280, 1100)
        step("phone layout: fits")

        # no CSP violation, no token in the console
        messages = console_messages(driver)
        csp = [m for m in messages if "Content Security Policy" in m]
        check(not csp, f"CSP violations: {csp}")
        check(not any(token in m for m in messages), "the token appears in the browser console")

        # 8. another origin cannot use the API, even with the token
        other_port = free_port()
        foreign_dir = os.path.join(work, "foreign")
        os.makedirs(foreign_dir)
        foreign = serve_foreign_page(foreign_dir, other_port)
        origin = f"http://127.0.0.1:{other_port}"
        driver.get(f"{origin}/#api={base}&t={token}")
        wait_for(driver, "cross-origin fetch to finish",
                 lambda d: by_id(d, "result").text != "pending")
        result = by_id(driver, "result").text
        check(result.startswith("blocked"), f"cross-origin request was not blocked: {result}")
        driver.get("about:blank")
        status, headers, _ = api_call(base, None, "OPTIONS", "/api/v1/guilds", headers={
            "Origin": origin, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        allow = headers.get("Access-Control-Allow-Origin")
        check(allow not in (origin, "*"), f"preflight from {origin} allowed ({status}, {allow})")
        status, headers, _ = api_call(base, token, "GET", "/api/v1/guilds", headers={"Origin": origin})
        allow = headers.get("Access-Control-Allow-Origin")
        check(status == 403 or allow not in (origin, "*"),
              f"request from {origin} answered {status} with Allow-Origin {allow}")
        step(f"foreign origin: browser {result}, API answered {status}")

        # 9. the bot goes away: the page says so instead of failing silently
        driver.get(url)
        wait_for(driver, "dashboard after reload (token kept for the tab)",
                 lambda d: by_id(d, "dashboard-view").is_displayed() and len(queue_titles(d)) > 0)
        wait_for(driver, "event stream connected again",
                 lambda d: by_id(d, "live-status").get_attribute("data-state") == "live")
        stop_process(proc)
        wait_for(driver, "stream marked as reconnecting",
                 lambda d: by_id(d, "live-status").get_attribute("data-state") in ("reconnecting", "connecting"))
        by_id(driver, "enqueue-query").send_keys("anything")
        driver.find_element(By.CSS_SELECTOR, "#enqueue-form button[type=submit]").click()
        wait_for(driver, "network error shown", lambda d: by_id(d, "error-banner").is_displayed()
                 and "reach the bot" in by_id(d, "error-text").text)
        driver.save_screenshot(os.path.join(args.out, "bot-down.png"))
        step("bot stopped: 'Reconnecting' and a network error shown")

        print("[browser] PASS", flush=True)
        return 0
    except Exception as e:  # noqa: BLE001 - a WebDriver error fails the test the same way
        what = str(e) if isinstance(e, Failure) else f"{type(e).__name__}: {e}"
        print(f"[browser] FAIL: {what.replace(token, '***') if token else what}", flush=True)
        if driver is not None:
            try:
                driver.save_screenshot(os.path.join(args.out, "failure.png"))
                for m in console_messages(driver):
                    print(f"[console] {m.replace(token, '***') if token else m}", flush=True)
            except Exception:  # noqa: BLE001 - best effort diagnostics
                pass
        return 1
    finally:
        if driver is not None:
            try:
                driver.quit()
            except Exception:  # noqa: BLE001
                pass
        if foreign is not None:
            foreign.shutdown()
            foreign.server_close()
        stop_process(proc)
        if log is not None:
            log.close()
        if token:
            with open(bot_log, "rb") as f:
                if token.encode() in f.read():
                    print("[browser] FAIL: the dashboard token appears in the bot's output", flush=True)
                    sys.exit(1)
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bot", required=True, help="the musicbot executable")
    parser.add_argument("--out", required=True, help="folder for screenshots and the bot's log")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
