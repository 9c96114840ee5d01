importScripts('/tracking/static/run_sheet_sw.js');
/* Keeps the handheld page and its scripts openable with no signal; events live in localStorage.
   The app shell is fetched when the worker is installed, so an offline reload works from the first visit
   (the page that registers the worker is not itself served through it). */
var CACHE = 'tracking-handheld-v2';
var SHELL = [
  '/tracking/handheld',
  '/tracking/static/handheld.js',
  '/static/js/app.js',
  '/static/js/code_scanner.js',
  '/static/vendor/zxing-library/index.min.js',
  '/static/css/app.css',
  '/static/favicon.svg'
];

function keepShell(cache, path) {
  // one by one: a missing file must not stop the rest; a login page is not the handheld page
  return fetch(path, {credentials: 'same-origin', cache: 'reload'}).then(function (response) {
    if (response.ok && !response.redirected) return cache.put(path, response);
  }).catch(function () {});
}

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(SHELL.map(function (path) { return keepShell(cache, path); }));
  }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener('activate', function (event) {
  event.waitUntil(caches.delete('tracking-handheld-v1').then(function () { return self.clients.claim(); }));
});
self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname !== '/tracking/handheld' && url.pathname.indexOf('/tracking/static/') !== 0 &&
      url.pathname.indexOf('/static/') !== 0) return;
  // network first (fresh CSRF token), the cached copy when there is no link
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      var key = url.pathname === '/tracking/handheld' ? '/tracking/handheld' : request;
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request, {ignoreSearch: url.pathname === '/tracking/handheld'});
    }).then(function (kept) { return kept || Response.error(); });
  }));
});
