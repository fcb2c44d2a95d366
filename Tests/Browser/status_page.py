#!/usr/bin/env python3
"""Opens the status page in headless Chromium, logs in through its form, waits until every
expected text shows, and saves a screenshot.

usage: status_page.py ADMIN_URL TOKEN SCREENSHOT_PATH EXPECTED_TEXT...
Exit status 0 when every text appeared, 1 (with the page text) when not, 2 when the browser
cannot start.
"""
import shutil
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By


def main():
    admin_url, token, screenshot, *expected = sys.argv[1:]
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--no-first-run"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                                  options=options)
    except Exception as error:  # noqa: BLE001 - report any start failure
        print(f"cannot start chromium: {error}", file=sys.stderr)
        return 2
    try:
        driver.set_page_load_timeout(60)
        driver.get(admin_url + "/status")
        driver.find_element(By.ID, "token").send_keys(token)
        driver.find_element(By.CSS_SELECTOR, "form button").click()
        deadline = time.monotonic() + 60
        text = ""
        while time.monotonic() < deadline:
            try:
                text = driver.find_element(By.TAG_NAME, "body").text
            except (StaleElementReferenceException, NoSuchElementException):
                # The login form's submit replaces the page: the body found a moment ago may be
                # gone by the time its text is read. Look again.
                time.sleep(0.2)
                continue
            if all(item in text for item in expected) and "Loading" not in text:
                break
            time.sleep(0.2)
        # Let the layout settle before the picture.
        time.sleep(0.5)
        driver.save_screenshot(screenshot)
        missing = [item for item in expected if item not in text]
        if missing:
            print(f"missing {missing} from the page:\n{text}", file=sys.stderr)
            return 1
        print(text)
        return 0
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
