/* Run sheet, loaded by sw.js: the page is kept network first so it opens with no signal; after the handheld's
   events are accepted it is fetched again, so the copy on the phone follows what was recorded. A copy older than
   a day is not shown: it names citizens and their phones, and yesterday's stops are no guide. */
var RUN_SHEET_CACHE = 'tracking-run-sheet-v1';
var RUN_SHEET = '/tracking/run-sheet';
var RUN_SHEET_MAX_AGE_MS = 24 * 3600 * 1000;

function madeAt(response) {
  return response ? Date.parse(response.headers.get('Date') || '') : NaN;
}

function keepRunSheet(response) {
  if (!response.ok || response.redirected) return Promise.resolve();
  // Answers can finish out of order (a page load and the refresh after a sync): an older copy never
  // replaces a newer one, or a delivered stop would come back on the phone.
  return caches.open(RUN_SHEET_CACHE).then(function (cache) {
    return cache.match(RUN_SHEET).then(function (kept) {
      if (madeAt(kept) > madeAt(response)) return undefined;
      return cache.put(RUN_SHEET, response);
    });
  });
}

function refreshRunSheet() {
  return fetch(RUN_SHEET, {credentials: 'same-origin'}).then(keepRunSheet).catch(function () {});
}

function keptRunSheet() {
  return caches.open(RUN_SHEET_CACHE).then(function (cache) { return cache.match(RUN_SHEET); }).then(function (kept) {
    if (!kept || !(Date.now() - madeAt(kept) < RUN_SHEET_MAX_AGE_MS)) return Response.error();
    return kept;
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request, url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'GET' && url.pathname === RUN_SHEET) {
    event.respondWith(fetch(request).then(function (response) {
      event.waitUntil(keepRunSheet(response.clone()));
      return response;
    }).catch(keptRunSheet));
  } else if (request.method === 'POST' && url.pathname === '/tracking/sync') {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) event.waitUntil(refreshRunSheet());
      return response;
    }));
  }
});
