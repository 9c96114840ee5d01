/* The pages of each document on the intake scans step (templates/dossiers/intake_scans.html).
 *
 * A photo is made smaller on the phone first (vendor/browser-image-compression: about 2000 px on its long
 * side, JPEG, at most about 1 MB: a 12 MB camera photo never goes over mobile data as it is), then each file
 * is sent on its own request, one after the other, with a <progress> of its own. The server keeps every
 * accepted page at once and names a refused file with its reason; nothing else is lost. Pages are moved and
 * deleted through the wizard's page API. Without this script the plain form still sends every file.
 * The Content-Security-Policy runs no inline script: everything is wired here, from data- attributes. */
(function () {
  'use strict';

  var LONG_SIDE_PX = 2000;
  var MAX_SIZE_MB = 1;

  var form = document.querySelector('form[data-page-photos]');
  if (!form) { return; }
  var csrfToken = form.querySelector('input[name=csrf_token]').value;
  var queue = [];
  var busy = false;
  var pending = 0;
  var continueWanted = false;

  function label(name, values) {
    var text = form.getAttribute('data-label-' + name) || '';
    Object.keys(values || {}).forEach(function (key) {
      text = text.split('{' + key + '}').join(String(values[key]));
    });
    return text;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // --- the list of pages -------------------------------------------------------------------------

  function actionButton(action, direction, text, ariaLabel, disabled) {
    var button = element('button', 'icon-button' + (direction ? '' : ' danger'), text);
    button.type = 'button';
    button.setAttribute('data-page-action', action);
    if (direction) { button.setAttribute('data-direction', direction); }
    button.setAttribute('aria-label', ariaLabel);
    button.disabled = !!disabled;
    return button;
  }

  function renderPages(section, body) {
    var list = section.querySelector('[data-page-list]');
    var summary = section.querySelector('[data-page-summary]');
    list.textContent = '';
    body.pages.forEach(function (page, index) {
      var n = index + 1;
      var row = element('li', 'page-row');
      row.setAttribute('data-page-id', page.id);
      if (page.thumbnail_url) {
        var image = element('img', 'page-thumb');
        image.src = page.thumbnail_url;
        image.alt = '';
        image.width = 56;
        image.height = 56;
        row.appendChild(image);
      } else {
        var kind = element('span', 'page-thumb page-kind', page.kind);
        kind.setAttribute('aria-hidden', 'true');
        row.appendChild(kind);
      }
      var name = element('span', 'page-name');
      name.appendChild(element('strong', '', label('page', {n: n})));
      name.appendChild(document.createTextNode(' '));
      name.appendChild(element('span', 'hint', page.filename));
      row.appendChild(name);
      var actions = element('span', 'page-actions');
      actions.appendChild(actionButton('move', 'up', '↑', label('up', {n: n}), index === 0));
      actions.appendChild(actionButton('move', 'down', '↓', label('down', {n: n}),
        index === body.pages.length - 1));
      actions.appendChild(actionButton('delete', '', '✕', label('delete', {n: n}), false));
      row.appendChild(actions);
      list.appendChild(row);
    });
    summary.textContent = body.pages.length ? label('pages', {n: body.page_count}) : label('no-pages');
  }

  function problemText(xhr, filename) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body.errors && body.errors.length) { return body.errors[0].message; }
      if (body.detail) { return body.detail; }
    } catch (ignored) { /* not JSON: a lost connection, an expired session */ }
    return label('failed', {filename: filename});
  }

  function post(url, data, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      xhr.setRequestHeader('X-CSRFToken', csrfToken);
      xhr.setRequestHeader('Accept', 'application/json');
      if (onProgress) {
        xhr.upload.addEventListener('progress', function (event) {
          if (event.lengthComputable) { onProgress(event.loaded / event.total); }
        });
      }
      xhr.addEventListener('load', function () { resolve(xhr); });
      xhr.addEventListener('error', function () { resolve(xhr); });
      xhr.addEventListener('abort', function () { resolve(xhr); });
      xhr.send(data);
    });
  }

  function isJson(xhr) {
    return /json/.test(xhr.getResponseHeader('Content-Type') || '');
  }

  function pageAction(button) {
    var section = button.closest('[data-document]');
    var row = button.closest('[data-page-id]');
    var pageId = row.getAttribute('data-page-id');
    var position = Array.prototype.indexOf.call(section.querySelectorAll('[data-page-id]'), row);
    var action = button.getAttribute('data-page-action');
    var data = new FormData();
    var direction = button.getAttribute('data-direction');
    data.append('page_id', pageId);
    if (direction) { data.append('direction', direction); }
    button.disabled = true;
    post(section.getAttribute(action === 'move' ? 'data-move-url' : 'data-delete-url'), data).then(function (xhr) {
      if (xhr.status === 200 && isJson(xhr)) {
        renderPages(section, JSON.parse(xhr.responseText));
        keepFocus(section, pageId, direction, position);
      } else {
        button.disabled = false;
        showUploadMessage(section, problemText(xhr, ''));
      }
    });
  }

  // After a move the same button of the moved page keeps the focus; after a delete, the delete button of the
  // page now in its place (or of the last page); with no page left, the file input.
  function keepFocus(section, pageId, direction, position) {
    var rows = section.querySelectorAll('[data-page-id]');
    var target = null;
    if (direction) {
      var moved = section.querySelector('[data-page-id="' + pageId + '"]');
      target = moved && moved.querySelector('[data-direction="' + direction + '"]');
      if (target && target.disabled) { target = moved.querySelector('[data-direction]:not([disabled])'); }
    } else if (rows.length) {
      target = rows[Math.min(position, rows.length - 1)].querySelector('.danger');
    }
    (target || section.querySelector('input[type=file]')).focus();
  }

  function showUploadMessage(section, text) {
    var row = element('li', 'upload-row');
    row.appendChild(element('p', 'field-error', text));
    section.querySelector('[data-upload-list]').appendChild(row);
  }

  // --- sending files -----------------------------------------------------------------------------

  function renamed(name, type) {
    var stem = name.replace(/\.[^.]*$/, '') || 'trang';
    if (type === 'image/jpeg') { return stem + '.jpg'; }
    if (type === 'image/png') { return stem + '.png'; }
    return name;
  }

  // A photo made small; anything the library cannot read (a PDF, a broken file) goes as it is, and the
  // server says what is wrong with it.
  function smaller(file) {
    if (!/^image\//.test(file.type) || typeof window.imageCompression !== 'function') {
      return Promise.resolve(file);
    }
    return window.imageCompression(file, {
      maxWidthOrHeight: LONG_SIDE_PX,
      maxSizeMB: MAX_SIZE_MB,
      fileType: 'image/jpeg',
      initialQuality: 0.85,
      useWebWorker: false  // a worker would load the library from a CDN: the CSP forbids it
    }).then(function (blob) {
      if (blob.size >= file.size && blob.type === file.type) { return file; }
      return new File([blob], renamed(file.name, blob.type), {type: blob.type});
    }, function () { return file; });
  }

  function send(job) {
    job.status.textContent = label('compressing');
    return smaller(job.file).then(function (file) {
      job.status.textContent = label('uploading');
      job.progress.value = 0;
      var data = new FormData();
      data.append('page', file, file.name);
      return post(job.section.getAttribute('data-pages-url'), data, function (share) {
        job.progress.value = Math.round(share * 100);
      });
    }).then(function (xhr) {
      if (xhr.status === 201 && isJson(xhr)) {
        job.progress.value = 100;
        job.row.parentNode.removeChild(job.row);
        renderPages(job.section, JSON.parse(xhr.responseText));
      } else {
        job.row.className = 'upload-row refused';
        job.row.textContent = '';  // the server's message names the file
        job.row.appendChild(job.status);
        job.status.className = 'field-error';
        job.status.setAttribute('role', 'alert');
        job.status.textContent = problemText(xhr, job.file.name);
      }
    });
  }

  function next() {
    if (busy) { return; }
    var job = queue.shift();
    if (!job) { return; }
    busy = true;
    send(job).then(finished, finished);

    function finished() {
      busy = false;
      pending -= 1;
      if (pending === 0 && continueWanted) {
        form.submit();
        return;
      }
      next();
    }
  }

  function enqueue(section, file) {
    var row = element('li', 'upload-row');
    row.appendChild(element('span', 'upload-name', file.name));
    var progress = element('progress');
    progress.max = 100;
    progress.removeAttribute('value');  // indeterminate while the photo is made smaller
    progress.setAttribute('aria-label', file.name);
    row.appendChild(progress);
    var status = element('span', 'hint', label('queued'));
    row.appendChild(status);
    section.querySelector('[data-upload-list]').appendChild(row);
    pending += 1;
    queue.push({section: section, file: file, row: row, progress: progress, status: status});
    next();
  }

  function watchInput(input) {
    input.addEventListener('change', function () {
      var section = input.closest('[data-document]');
      Array.prototype.forEach.call(input.files, function (file) { enqueue(section, file); });
      input.value = '';  // sent by the script: the form must not send it again
    });
  }

  // --- wiring ------------------------------------------------------------------------------------

  Array.prototype.forEach.call(form.querySelectorAll('[data-page-action]'), function (button) {
    button.type = 'button';  // the script answers them; the plain form's buttons submit
  });
  Array.prototype.forEach.call(form.querySelectorAll('[data-page-input]'), watchInput);
  form.addEventListener('click', function (event) {
    var button = event.target.closest('[data-page-action]');
    if (button && button.type === 'button') {
      event.preventDefault();
      pageAction(button);
    }
  });
  form.addEventListener('submit', function (event) {
    if (pending > 0) {  // go on once every chosen page has arrived
      event.preventDefault();
      continueWanted = true;
      form.querySelector('[data-submit-status]').textContent = label('waiting');
      form.querySelector('[data-continue]').disabled = true;
    }
  });
})();
