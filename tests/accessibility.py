"""An accessibility check of the page open in a Playwright tab, with axe-core (tests/vendor/axe-core/, 4.14.1).

``serious_violations(page)`` runs axe's WCAG 2.0, 2.1 and 2.2 level A and AA rules over the whole document and
returns the violations whose impact is serious or critical, each with the rule, its help text and the elements it
found (their CSS selectors and axe's summary of what to fix); ``describe`` turns them into lines a failing assertion
can show, named by the page's path. Text over a background gradient (the edge shadows of the scrolling table
regions) is one thing axe cannot decide and only marks "incomplete"; its contrast is measured again with the
gradients set aside, against the region's own background colour.

How axe gets into the page: the app's Content-Security-Policy runs scripts from its own files only, so neither an
inline ``<script>`` (``page.add_script_tag(content=...)``) nor ``eval`` would run it. ``page.evaluate`` is sent
over the DevTools protocol (Runtime.callFunctionOn), which the page's CSP does not govern, so the library's source
wrapped in a function is run that way, once per document (axe assigns ``window.axe`` itself). A browser context
with ``bypass_csp=True`` would work too, but the pages would then be checked under another policy than the one the
citizens' browsers apply, and the tests that assert the CSP holds would see a different page; evaluating leaves
the page exactly as served.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

AXE_PATH = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

#: WCAG 2.0, 2.1 and 2.2 success criteria of level A and AA (axe's tags)
WCAG_A_AA_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")

#: the impacts this project does not ship with (axe's scale: minor, moderate, serious, critical)
BLOCKING_IMPACTS = ("serious", "critical")

#: axe's violations of the given impacts as plain data, each rule's id followed by ``suffix``
_REPORT = """(results, impacts, suffix) => results.violations.filter(rule => impacts.includes(rule.impact))
  .map(rule => ({
    id: rule.id + suffix,
    impact: rule.impact,
    help: rule.help,
    helpUrl: rule.helpUrl,
    nodes: rule.nodes.map(node => ({
      target: node.target.map(String).join(' '),
      html: node.html.slice(0, 200),
      summary: node.failureSummary || '',
    })),
  }))"""

_RUN_AXE = """async ([tags, impacts]) => {
  const report = """ + _REPORT + """;
  const results = await window.axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return report(results, impacts, '');
}"""

#: axe leaves the contrast of text over a background gradient undecided ("incomplete"), and every wide table sits
#: in a .scroll-x region whose edge shadows are gradients: the same rule is run again over those regions with the
#: gradients set aside for the moment (the region's background colour stays), then the page is put back as it was
_RUN_CONTRAST_UNDER_GRADIENTS = """async ([impacts]) => {
  const report = """ + _REPORT + """;
  const painted = [...document.querySelectorAll('body *')]
    .filter(element => getComputedStyle(element).backgroundImage.includes('gradient'));
  if (!painted.length) return [];
  const saved = painted.map(element => [element, element.style.getPropertyValue('background-image'),
                                        element.style.getPropertyPriority('background-image')]);
  painted.forEach(element => element.style.setProperty('background-image', 'none', 'important'));
  try {
    const results = await window.axe.run({include: painted}, {
      runOnly: {type: 'rule', values: ['color-contrast']},
      resultTypes: ['violations'],
    });
    return report(results, impacts, ' (under a background gradient)');
  } finally {
    saved.forEach(([element, value, priority]) => element.style.setProperty('background-image', value, priority));
  }
}"""


@cache
def _axe_function() -> str:
    """The library's source as a function body, so evaluating it runs the script rather than returning it."""
    return "() => {\n" + AXE_PATH.read_text(encoding="utf-8") + "\n}"


def inject_axe(page) -> None:
    """Put axe into the page's document unless it is already there (each navigation starts a new document)."""
    if not page.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.evaluate(_axe_function())


#: axe checks only what is rendered, so what a closed <details> holds (the bottom bar's "Thêm" menu, the officer's
#: refuse and reject forms) is opened for the check and closed again afterwards
_OPEN_CLOSED_DETAILS = """() => {
  const closed = [...document.querySelectorAll('details:not([open])')];
  closed.forEach((details, index) => { details.open = true; details.dataset.axeOpened = String(index); });
  return closed.length;
}"""
_CLOSE_THEM_AGAIN = """() => document.querySelectorAll('details[data-axe-opened]').forEach(details => {
  details.open = false;
  delete details.dataset.axeOpened;
})"""


def serious_violations(page, *, open_details: bool = False) -> list[dict]:
    """The WCAG A/AA violations of serious or critical impact on the page as it is now; with ``open_details``, also
    in what its closed ``<details>`` elements hold (they are closed again before this returns)."""
    inject_axe(page)
    if open_details:
        page.evaluate(_OPEN_CLOSED_DETAILS)
    try:
        found = page.evaluate(_RUN_AXE, [list(WCAG_A_AA_TAGS), list(BLOCKING_IMPACTS)])
        return found + page.evaluate(_RUN_CONTRAST_UNDER_GRADIENTS, [list(BLOCKING_IMPACTS)])
    finally:
        if open_details:
            page.evaluate(_CLOSE_THEM_AGAIN)


def describe(page_name: str, violations: list[dict]) -> list[str]:
    """One line per violation and element: page, rule (impact), help text, the element's selector and the fix."""
    lines = []
    for rule in violations:
        for node in rule["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"{page_name}: {rule['id']} ({rule['impact']}) {rule['help']} — {node['target']}: {summary}")
    return lines


def page_name(page) -> str:
    """The page's path and query, shorter in a message than its full address."""
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def assert_accessible(page, name: str | None = None) -> None:
    """Fail naming the page, each rule and each element if axe finds a serious or critical violation."""
    found = describe(name or page_name(page), serious_violations(page))
    assert not found, "accessibility violations (axe-core, WCAG A/AA, serious or critical):\n" + "\n".join(found)
