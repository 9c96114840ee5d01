/* Reading the QR code of the consignment slip or form 01 into a code field, in every browser:
 * the browser's own BarcodeDetector where it reads QR codes, otherwise ZXing (static/vendor/zxing-library,
 * loaded by the page before this script); live from the camera where there is one, or from a photo of the code.
 * Each way is shown only where it can work: no decoder, no button; no camera, no live scan.
 *
 * <div data-code-scanner data-scan-target="<input id>" [data-submit]>
 *   <button data-scan-live hidden> <video data-scan-video hidden> <button data-scan-photo hidden>
 *   <input type=file data-scan-file hidden> <p data-scan-message hidden>
 * data-submit: submit the input's form once a code is read (the officer's receive screen). */
(function () {
  'use strict';
  var MAX_SIDE = 1280;

  function nativeDetector() {
    if (!('BarcodeDetector' in window) || !window.BarcodeDetector.getSupportedFormats) { return Promise.resolve(null); }
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf('qr_code') >= 0 ? new window.BarcodeDetector({formats: ['qr_code']}) : null;
    }).catch(function () { return null; });
  }

  function zxingReader() {
    var Z = window.ZXing;
    if (!Z || !Z.QRCodeReader || !Z.HTMLCanvasElementLuminanceSource) { return null; }
    var reader = new Z.QRCodeReader();
    return function (canvas) {
      try {
        var bitmap = new Z.BinaryBitmap(new Z.HybridBinarizer(new Z.HTMLCanvasElementLuminanceSource(canvas)));
        return reader.decode(bitmap).getText();
      } catch (e) {
        return null;  // no code in this picture
      }
    };
  }

  // One decode(canvas) -> Promise<text|null>: the browser's detector first, ZXing when it finds nothing.
  function decoder() {
    var zxing = zxingReader();
    return nativeDetector().then(function (detector) {
      if (!detector && !zxing) { return null; }
      return function (canvas) {
        var native = detector ? detector.detect(canvas).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        }, function () { return null; }) : Promise.resolve(null);
        return native.then(function (text) { return text || (zxing ? zxing(canvas) : null); });
      };
    });
  }

  function hasCamera() {
    var media = navigator.mediaDevices;
    if (!window.isSecureContext || !media || !media.getUserMedia || !media.enumerateDevices) { return Promise.resolve(false); }
    return media.enumerateDevices().then(function (devices) {
      return devices.some(function (device) { return device.kind === 'videoinput'; });
    }).catch(function () { return false; });
  }

  // The slip's QR code holds the lookup address (…/lookup?code=<code>): keep the code only.
  function codeFrom(text) {
    try {
      var url = new URL(text);
      return (url.searchParams.get('code') || text).trim();
    } catch (e) {
      return text.trim();
    }
  }

  function drawn(source, width, height) {
    var scale = Math.min(1, MAX_SIDE / Math.max(width, height));
    var canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    canvas.getContext('2d').drawImage(source, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  function setUp(box) {
    var input = document.getElementById(box.dataset.scanTarget);
    var live = box.querySelector('[data-scan-live]'), video = box.querySelector('[data-scan-video]');
    var photo = box.querySelector('[data-scan-photo]'), file = box.querySelector('[data-scan-file]');
    var message = box.querySelector('[data-scan-message]');
    if (!input) { return; }
    var stream = null;

    function say(text) { message.textContent = text || ''; message.hidden = !text; }

    function found(text) {
      input.value = codeFrom(text);
      say('');
      input.dispatchEvent(new Event('input', {bubbles: true}));
      input.dispatchEvent(new Event('change', {bubbles: true}));
      input.focus();
      if (box.hasAttribute('data-submit') && input.form) {
        if (input.form.requestSubmit) { input.form.requestSubmit(); } else { input.form.submit(); }
      }
    }

    function stop() {
      if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
      stream = null;
      video.hidden = true;
      live.setAttribute('aria-pressed', 'false');
    }

    Promise.all([decoder(), hasCamera()]).then(function (got) {
      var decode = got[0], camera = got[1];
      if (!decode) { return; }  // nothing can read a code here: typing (or a keyboard scanner) remains
      photo.hidden = false;
      photo.addEventListener('click', function () { file.click(); });
      file.addEventListener('change', function () {
        var chosen = file.files && file.files[0];
        if (!chosen) { return; }
        var reader = new FileReader();
        reader.onload = function () {
          var image = new Image();
          image.onload = function () {
            decode(drawn(image, image.naturalWidth, image.naturalHeight)).then(function (text) {
              if (text) { found(text); } else { say(message.dataset.unreadable); }
            });
          };
          image.onerror = function () { say(message.dataset.unreadable); };
          image.src = reader.result;
        };
        reader.readAsDataURL(chosen);
        file.value = '';
      });
      if (!camera) { return; }
      live.hidden = false;
      live.setAttribute('aria-pressed', 'false');
      live.addEventListener('click', function () {
        if (stream) { stop(); return; }
        navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}}).then(function (opened) {
          stream = opened;
          video.srcObject = stream;
          video.hidden = false;
          live.setAttribute('aria-pressed', 'true');
          video.play().catch(function () {});
          var look = function () {
            if (!stream) { return; }
            if (!video.videoWidth) { setTimeout(look, 200); return; }
            decode(drawn(video, video.videoWidth, video.videoHeight)).then(function (text) {
              if (!stream) { return; }
              if (text) { stop(); found(text); } else { setTimeout(look, 250); }
            });
          };
          look();
        }).catch(function () {
          // refused or busy: the live scan cannot work here, the photo still can
          stop();
          live.hidden = true;
          say(message.dataset.noCamera);
          photo.focus();
        });
      });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-code-scanner]'), setUp);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
