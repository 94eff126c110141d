"""End-to-end tests of the web desk in a real headless Chromium: ``zhifa serve`` started in a
subprocess on a prepared SQLite database and driven with Selenium (:mod:`tests.e2e.support`).
``python -m tests.e2e.screenshots`` takes the screenshots under ``docs/screenshots/``."""
