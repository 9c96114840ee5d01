/* Province -> commune pickers for an address, and the intake quote, both working with no signal.
 *
 * <div data-address-picker data-units-url=… data-target=ID>: fills its province <select> from the units JSON
 * (kept in localStorage, so a later visit with no signal still has it), the commune <select> from the chosen
 * province, and writes "street, commune, province" into the address input #ID, which the server parses.
 *
 * <section data-offline-quote data-table=JSON>: the server's postage for every pair of zones (contracts'
 * own itemisation); here only the zone of each place is worked out (same commune, same province, other
 * province, remote list) and the figure looked up. The CSP forbids inline scripts: nothing is in the page. */
(function () {
  'use strict';

  var STORE = 'places-units-v1';
  var loading = null;

  function units(url) {
    if (loading) { return loading; }
    loading = fetch(url, {credentials: 'same-origin'}).then(function (response) {
      if (!response.ok) { throw new Error('units ' + response.status); }
      return response.text();
    }).then(function (text) {
      try { window.localStorage.setItem(STORE, text); } catch (e) { /* full or private: the page still works */ }
      return JSON.parse(text);
    }).catch(function () {
      var kept = null;
      try { kept = window.localStorage.getItem(STORE); } catch (e) { kept = null; }
      if (!kept) { throw new Error('no units'); }
      return JSON.parse(kept);
    });
    return loading;
  }

  function option(value, label) {
    var item = document.createElement('option');
    item.value = value;
    item.textContent = label;
    return item;
  }

  function picker(box) {
    var province = box.querySelector('[data-province]');
    var commune = box.querySelector('[data-commune]');
    var street = box.querySelector('[data-street]');
    var target = document.getElementById(box.dataset.target);
    var data = null;

    function names() {
      var p = data.p.filter(function (row) { return row[0] === province.value; })[0];
      var c = (data.c[province.value] || []).filter(function (row) { return row[0] === commune.value; })[0];
      return {province: p ? p[1] : '', commune: c ? c[1] : ''};
    }

    function write() {
      var chosen = names();
      if (!chosen.province) { return; }
      target.value = [street.value.trim(), chosen.commune, chosen.province].filter(Boolean).join(', ');
      target.dataset.province = province.value;
      target.dataset.commune = commune.value;
      target.dispatchEvent(new CustomEvent('address-picked', {bubbles: true}));
    }

    function fillCommunes() {
      commune.length = 1;
      (data.c[province.value] || []).forEach(function (row) { commune.appendChild(option(row[0], row[1])); });
      commune.disabled = !province.value;
    }

    units(box.dataset.unitsUrl).then(function (loaded) {
      data = loaded;
      data.p.forEach(function (row) { province.appendChild(option(row[0], row[1])); });
      province.disabled = false;
      box.hidden = false;
      province.addEventListener('change', function () { fillCommunes(); write(); });
      commune.addEventListener('change', write);
      street.addEventListener('input', write);
      target.addEventListener('input', function () {  // typed by hand: the server parses and confirms it
        delete target.dataset.province;
        delete target.dataset.commune;
        target.dispatchEvent(new CustomEvent('address-picked', {bubbles: true}));
      });
    }).catch(function () { box.hidden = true; });
  }

  function offlineQuote(section) {
    var table = JSON.parse(section.dataset.table);
    var form = section.closest('form');
    var output = section.querySelector('[data-quote-output]');
    var postage = form.querySelector('#postage_vnd');
    var money = new Intl.NumberFormat('vi-VN');

    function zoneOf(provinceCode, communeCode) {
      if (provinceCode !== table.agency[0]) { return 'other_province'; }
      if (communeCode && communeCode === table.agency[1]) { return 'same_commune'; }
      return 'same_province';
    }

    function placeOf(input) {
      if (!input || !input.value.trim()) { return 'none'; }
      if (!input.dataset.province) { return null; }  // typed: the server's quote says where it is
      return {province: input.dataset.province, commune: input.dataset.commune || ''};
    }

    function label(zone) {  // data-label-same-commune="…": the page's translated zone names
      return section.dataset['label' + zone.replace(/(^|_)(\w)/g, function (m, sep, c) { return c.toUpperCase(); })] || zone;
    }

    function update() {
      var place = form.querySelector('input[name=collection_place]:checked');
      var atHome = place && place.value === 'citizen_address';
      var pickup = atHome ? placeOf(form.querySelector('#pickup_address'))
        : (table.office ? {province: table.office[0], commune: table.office[1]} : null);
      var delivery = placeOf(form.querySelector('#delivery_address'));
      if (!pickup || pickup === 'none' || !delivery) { output.hidden = true; return; }
      var forward = zoneOf(pickup.province, pickup.commune);
      var back = delivery === 'none' ? 'none' : zoneOf(delivery.province, delivery.commune);
      var total = table.prices[forward + '|' + back + '|' + (atHome ? 1 : 0)];
      if (total === undefined) { output.hidden = true; return; }
      var remoteForward = table.remote[pickup.commune];
      var remoteBack = delivery === 'none' ? remoteForward : table.remote[delivery.commune];
      var forwardHours = remoteForward ? remoteForward[1] : table.hours['forward|' + forward];
      var backZone = back === 'none' ? forward : back;
      var backHours = remoteBack ? remoteBack[2] : table.hours['return|' + backZone];
      output.querySelector('[data-total]').textContent = money.format(total) + ' ₫';
      output.querySelector('[data-forward]').textContent =
        (remoteForward ? label('remote') + ' (' + remoteForward[0] + ')' : label(forward)) + ' · ' + forwardHours + ' h';
      output.querySelector('[data-return]').textContent =
        (remoteBack ? label('remote') + ' (' + remoteBack[0] + ')' : label(backZone)) + ' · ' + backHours + ' h';
      output.hidden = false;
      if (postage) { postage.value = String(total); }
    }

    form.addEventListener('address-picked', update);
    form.addEventListener('change', function (event) {
      if (event.target.name === 'collection_place') { update(); }
    });
    update();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-address-picker]'), picker);
    Array.prototype.forEach.call(document.querySelectorAll('[data-offline-quote]'), offlineQuote);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
