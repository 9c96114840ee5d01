/* Handheld page: record hand-over events, queue them on the device, send them when there is a link.
   Events carry a device-made id, so a resend after a lost answer is acknowledged, not doubled. */
(function () {
  'use strict';
  var KEY = 'tracking-queue-v1', RESULTS = 'tracking-results-v1', PROGRESS = 'tracking-progress-v1';
  var form = document.getElementById('track');
  if (!form) return;
  var syncUrl = form.dataset.syncUrl, office = form.dataset.office, csrf = form.dataset.csrf;
  var $ = function (id) { return document.getElementById(id); };
  var sending = false;
  // lines kept on the phone name the page's language; after a switch they are reworded (see reword)
  var lang = document.documentElement.lang || 'vi', rewording = false;

  function load(key) { try { return JSON.parse(localStorage.getItem(key) || '[]'); } catch (e) { return []; } }
  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return 'h-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 12);
  }
  function item(text) { var li = document.createElement('li'); li.textContent = text; return li; }
  var labels = {};
  Array.prototype.forEach.call($('type').options, function (option) { labels[option.value] = option.textContent; });
  function label(type) { return labels[type] || type || ''; }
  function keyOf(code) {  // a typed lookup link (…/lookup?code=<code>) names its code
    var text = (code || '').trim();
    try { text = new URL(text).searchParams.get('code') || text; } catch (e) { /* not a link: the code itself */ }
    return text.trim().toUpperCase();
  }

  // times are read in Vietnam's time whatever zone the phone is set to, as on every page of the service
  var VIETNAM_TIME = {timeZone: 'Asia/Ho_Chi_Minh'};

  function render() {
    var queue = load(KEY), list = $('queue');
    $('pending').textContent = String(queue.length);
    list.replaceChildren.apply(list, queue.map(function (e) {
      return item(e.dossier_code + ' · ' + label(e.type) + ' · ' +
                  new Date(e.occurred_at).toLocaleString(lang === 'vi' ? 'vi-VN' : lang, VIETNAM_TIME));
    }));
    var results = $('results');
    results.replaceChildren.apply(results, load(RESULTS).slice(-10).reverse().map(function (r) {
      // each line names its dossier and its event; a resend of an event already kept is a success
      var said = (r.errors || []).map(function (x) { return x.message; }).filter(function (m) {
        return m && m !== r.reason;  // a field's message that only repeats the reason is said once
      });
      var li = item((r.dossier_code || r.sent_code || '') + ' · ' + label(r.type) + ' · ' +
                    (results.dataset[r.status] || r.status) + (r.reason ? ' · ' + r.reason : '') +
                    (said.length ? ' · ' + said.join('; ') : ''));
      li.className = r.status === 'accepted' || (r.status === 'duplicate' && !r.reason) ? 'ok' : 'field-error';
      li.dataset.status = r.status;
      return li;
    }));
    var net = $('net');
    net.textContent = navigator.onLine ? net.dataset.online : net.dataset.offline;
    net.className = 'badge ' + (navigator.onLine ? 'ok' : 'warn');
  }

  function showDetails() {
    var type = $('type').value;
    document.querySelectorAll('[data-for]').forEach(function (el) {
      el.hidden = el.dataset.for.split(' ').indexOf(type) < 0;
    });
  }

  function sync() {
    var queue = load(KEY);
    if (sending || !queue.length || !navigator.onLine) { render(); return Promise.resolve(); }
    sending = true;
    var batch = queue.slice(0, 50);
    return fetch(syncUrl, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf, 'Accept': 'application/json'},
      body: JSON.stringify({events: batch})
    }).then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    }).then(function (body) {
      var answered = {}, sent = {};
      batch.forEach(function (e) { sent[e.event_id] = e; });
      var results = (body.results || []).map(function (r) {
        var event = sent[r.event_id] || {};
        answered[r.event_id] = true;
        return Object.assign({type: event.type, sent_code: event.dossier_code, lang: lang}, r);
      });
      save(KEY, load(KEY).filter(function (e) { return !answered[e.event_id]; }));
      save(RESULTS, load(RESULTS).concat(results).slice(-50));
    }).catch(function () { /* no link or server trouble: keep the queue, try later */ })
      .then(function () {
        sending = false; render(); refreshProgress();
        if (load(KEY).length && navigator.onLine) setTimeout(sync, 3000);
      });
  }

  // Lines kept in another language (the worker switched language since): their reason and messages are asked
  // again, in this page's language, from the untranslated words the server gave with them.
  function reword() {
    var kept = load(RESULTS), stale = kept.filter(function (r) {
      return r.lang !== lang && r.words && (r.words.reason || (r.words.errors || []).length);
    });
    if (rewording || !stale.length || !navigator.onLine) return;
    rewording = true;
    fetch(form.dataset.wordsUrl, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf, 'Accept': 'application/json'},
      body: JSON.stringify({lines: stale.map(function (r) { return r.words; })})
    }).then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    }).then(function (body) {
      var worded = {};
      stale.forEach(function (r, i) { worded[r.event_id] = (body.lines || [])[i]; });
      save(RESULTS, load(RESULTS).map(function (r) {
        var now = worded[r.event_id];
        if (!now || r.lang === lang) return r;
        if (r.words.reason && now.reason) r.reason = now.reason;
        (r.errors || []).forEach(function (x, i) { if (now.errors && now.errors[i]) x.message = now.errors[i]; });
        r.lang = lang;
        return r;
      }));
    }).catch(function () { /* no link: the lines keep their words until the next visit */ })
      .then(function () { rewording = false; render(); });
  }
  // lines kept before the page knew their language: Vietnamese, the page's first language
  save(RESULTS, load(RESULTS).map(function (r) { if (!r.lang) r.lang = 'vi'; return r; }));

  function readProof(input) {
    return new Promise(function (resolve) {
      var file = input.files && input.files[0];
      if (!file) return resolve(null);
      var img = new Image(), url = URL.createObjectURL(file);
      img.onload = function () {  // shrink the photo so it fits the weak link and the 300 KB limit
        var scale = Math.min(1, 640 / Math.max(img.width, img.height));
        var canvas = document.createElement('canvas');
        canvas.width = Math.round(img.width * scale); canvas.height = Math.round(img.height * scale);
        canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        resolve(canvas.toDataURL('image/jpeg', 0.6));
      };
      img.onerror = function () { resolve(null); };
      img.src = url;
    });
  }

  function position() {
    return new Promise(function (resolve) {
      if (!$('gps').checked || !navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(function (p) { resolve(p.coords); }, function () { resolve(null); },
                                               {timeout: 8000, maximumAge: 60000});
    });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var code = $('code').value.trim().toUpperCase();
    if (!code) { $('code').focus(); return; }
    var type = $('type').value, occurred = new Date().toISOString(), details = {};
    if (type === 'handed_to_agency') details.officer_name = $('officer_name').value.trim();
    if (type === 'dispatched' && $('to_post_office_code').value.trim()) {
      details.to_post_office_code = $('to_post_office_code').value.trim().toUpperCase();  // hands the leg to that office
    }
    if (type === 'delivered') { details.recipient_name = $('recipient_name').value.trim(); details.id_checked = $('id_checked').checked; }
    if (type === 'delivery_failed' || type === 'returned_to_agency') details.reason = $('reason').value.trim();
    Promise.all([position(), type === 'delivered' ? readProof($('proof')) : null]).then(function (got) {
      var coords = got[0], proof = got[1];
      if (proof) details.proof = proof;
      var record = {event_id: newId(), dossier_code: code, type: type, occurred_at: occurred,
                    recorded_at: new Date().toISOString(), details: details};
      if (office) record.post_office_code = office;
      if (coords) { record.latitude = coords.latitude; record.longitude = coords.longitude; }
      var note = $('note').value.trim();
      if (note) record.note = note;
      var queue = load(KEY); queue.push(record); save(KEY, queue);
      $('note').value = '';
      render();
      refreshProgress();
      sync();
    });
  });

  // What the worker may do next: the leg's state and only the events allowed from it, asked of the server for
  // the code typed or scanned; offline, the last answer while no event of this dossier waits in the queue.
  var progress = $('progress'), asked = 0, typing = null;
  function kept() { try { return JSON.parse(localStorage.getItem(PROGRESS) || '{}'); } catch (e) { return {}; } }
  function keep(code, answer) {
    var all = kept(); all[code] = answer;
    var codes = Object.keys(all);
    if (codes.length > 30) delete all[codes[0]];
    localStorage.setItem(PROGRESS, JSON.stringify(all));
  }
  var everyEvent = Array.prototype.map.call($('type').options, function (option) { return option.cloneNode(true); });
  function offer(types) {  // null: every event (the state is not known)
    var select = $('type'), chosen = select.value;
    var options = everyEvent.filter(function (option) { return !types || types.indexOf(option.value) >= 0; });
    select.replaceChildren.apply(select, options.map(function (option) { return option.cloneNode(true); }));
    if (options.some(function (option) { return option.value === chosen; })) select.value = chosen;
    form.querySelector('button[type=submit]').disabled = options.length === 0;
    showDetails();
  }
  function show(answer) {
    var state = answer.current ? answer.current.leg_label + ': ' + answer.current.state_label : progress.dataset.notTaken;
    progress.textContent = answer.dossier_ref + ' · ' + state +
      (answer.next_events.length ? '' : ' · ' + progress.dataset.nothing);
    progress.hidden = false;
    offer(answer.next_events.map(function (e) { return e.type; }));
  }
  function unknown(text) {
    progress.textContent = text || '';
    progress.hidden = !text;
    offer(null);
  }
  function refreshProgress() {
    var code = keyOf($('code').value), ask = ++asked;
    if (!code) { unknown(''); return; }
    var waiting = load(KEY).some(function (e) { return keyOf(e.dossier_code) === code; });
    var fallback = function () {
      var answer = kept()[code];
      if (answer && !waiting) show(answer); else unknown(progress.dataset.unknown);
    };
    if (!navigator.onLine || waiting) { fallback(); return; }
    fetch(progress.dataset.url.replace('CODE', encodeURIComponent(code)), {
      credentials: 'same-origin', headers: {'Accept': 'application/json'}
    }).then(function (response) {
      if (ask !== asked) return;
      if (response.status === 404) { unknown(progress.dataset.notFound); return; }
      if (!response.ok) { fallback(); return; }
      return response.json().then(function (answer) {
        if (ask !== asked) return;
        keep(code, answer); show(answer);
      });
    }).catch(function () { if (ask === asked) fallback(); });
  }
  $('code').addEventListener('input', function () { clearTimeout(typing); typing = setTimeout(refreshProgress, 400); });
  $('code').addEventListener('change', refreshProgress);
  $('type').addEventListener('change', showDetails);
  $('sync').addEventListener('click', sync);
  window.addEventListener('online', sync);
  window.addEventListener('online', reword);
  window.addEventListener('offline', render);
  setInterval(sync, 20000);
  // offline, the kept page is the one of the first visit: the code asked for is in the address only
  if (!$('code').value) $('code').value = (new URLSearchParams(location.search).get('code') || '').slice(0, 40);
  showDetails();
  render();
  reword();
  refreshProgress();
  sync();
  if ('serviceWorker' in navigator && form.dataset.sw) {
    navigator.serviceWorker.register(form.dataset.sw, {scope: '/tracking/'}).catch(function () {});
  }
})();
