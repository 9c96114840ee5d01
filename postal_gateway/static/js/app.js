/* Behaviour every page may use, switched on by data- attributes in the templates.
 * The Content-Security-Policy runs no inline script, so nothing here is written into a page. */
(function () {
  'use strict';

  // <form data-submit-once>: one tap, one submission (the server is idempotent anyway).
  // A submit button's data-pending-label replaces its text while the request is on its way.
  function submitOnce(form) {
    form.addEventListener('submit', function () {
      var buttons = form.querySelectorAll('button[type=submit], button:not([type]), input[type=submit]');
      // Disabled after the browser has read the form, so a named button still sends its value.
      setTimeout(function () {
        Array.prototype.forEach.call(buttons, function (button) {
          button.disabled = true;
          if (button.dataset.pendingLabel) { button.textContent = button.dataset.pendingLabel; }
        });
      }, 0);
    });
  }

  // <button data-share data-title=… data-url=…>: shown only where the phone can share that link
  // (navigator.share exists on some desktops that then refuse every link: canShare says so first).
  function shareButton(button) {
    var shared = {title: button.dataset.title, url: button.dataset.url};
    if (!navigator.share || (navigator.canShare && !navigator.canShare(shared))) { return; }
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.share(shared).catch(function () {});
    });
  }

  // <a data-history-back href=…>: back to the previous page; the href is where to go without one.
  function backLink(link) {
    link.addEventListener('click', function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  }

  function each(selector, setUp) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), setUp);
  }

  function start() {
    each('form[data-submit-once]', submitOnce);
    each('[data-share]', shareButton);
    each('a[data-history-back]', backLink);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
