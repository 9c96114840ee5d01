/* Keeps the handheld page and its script openable with no signal; events live in localStorage. */
var CACHE = 'tracking-handheld-v1';
importScripts('/tracking/static/run_sheet_sw.js');
self.addEventListener('install', function (event) { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.pathname !== '/tracking/handheld' && url.pathname.indexOf('/tracking/static/') !== 0 &&
      url.pathname.indexOf('/static/') !== 0) return;
  // network first (fresh CSRF token), the cached copy when there is no link
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request, {ignoreSearch: url.pathname === '/tracking/handheld'});
    });
  }));
});
