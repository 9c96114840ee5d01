/* Run sheet page: the service worker keeps the last copy for when there is no signal; say so when it is shown. */
(function () {
  'use strict';
  var badge = document.getElementById('sheet-net');
  if (!badge) return;
  function show() {
    if (navigator.onLine) return;
    badge.textContent = badge.dataset.offline;
    badge.classList.add('warn');
  }
  window.addEventListener('offline', show);
  show();
  if ('serviceWorker' in navigator && badge.dataset.sw) {
    navigator.serviceWorker.register(badge.dataset.sw, {scope: '/tracking/'}).catch(function () {});
  }
})();
