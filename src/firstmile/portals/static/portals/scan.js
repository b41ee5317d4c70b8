// Scanning labels with the phone's camera on the driver page.
//
// The browser's own BarcodeDetector where it reads Code 128 (Android, macOS,
// ChromeOS), else the Barcode Detection API ponyfill on ZXing-C++ WebAssembly that
// Firstmile serves itself (static/portals/vendor/barcode-detector). A label's Code 128
// carries the waybill number and its QR code "number|order"; either fills the scan
// form, which is then sent as if typed. Typing stays the fallback: no camera, no
// permission or no detector leaves the form as it is, with a message.
(function () {
  "use strict";

  var button = document.querySelector("[data-camera-scan]");
  var form = document.getElementById("scan-form");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  if (!button || !form || !video) {
    return;
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return; // stays hidden: typing it is
  }
  button.hidden = false;

  // The ponyfill's URL may carry a content hash (collected static files); its
  // WebAssembly sits beside it under its own name.
  var ponyfillUrl = button.dataset.ponyfill;
  var vendor = ponyfillUrl.slice(0, ponyfillUrl.lastIndexOf("/") + 1);
  var FORMATS = ["code_128", "qr_code"];
  var WAYBILL = /^[A-Z]{2,4}[0-9]{11}$/;
  var stream = null;
  var timer = null;

  function say(text) {
    if (status) {
      status.textContent = text || "";
    }
  }

  function ponyfill() {
    return new Promise(function (resolve, reject) {
      if (window.BarcodeDetectionAPI) {
        resolve(window.BarcodeDetectionAPI);
        return;
      }
      var script = document.createElement("script");
      script.src = ponyfillUrl;
      script.onload = function () {
        window.BarcodeDetectionAPI.prepareZXingModule({
          overrides: {
            locateFile: function (path, prefix) {
              return path.endsWith(".wasm") ? vendor + path : prefix + path;
            }
          }
        });
        resolve(window.BarcodeDetectionAPI);
      };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function detector() {
    var native = window.BarcodeDetector;
    var supported = native && native.getSupportedFormats ? native.getSupportedFormats() : Promise.resolve([]);
    return supported.then(function (formats) {
      if (native && formats.indexOf("code_128") >= 0) {
        return new native({ formats: FORMATS });
      }
      return ponyfill().then(function (api) {
        return new api.BarcodeDetector({ formats: FORMATS });
      });
    });
  }

  function waybillIn(codes) {
    for (var i = 0; i < codes.length; i++) {
      var text = String(codes[i].rawValue || "").trim().toUpperCase().split("|")[0];
      if (WAYBILL.test(text)) {
        return text;
      }
    }
    return null;
  }

  function stop() {
    if (timer) {
      clearInterval(timer);
      timer = null;
    }
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.hidden = true;
    button.textContent = button.dataset.labelStart;
  }

  button.addEventListener("click", function () {
    if (stream) {
      stop();
      say("");
      return;
    }
    say(button.dataset.labelStarting);
    var camera = navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    Promise.all([camera, detector()]).then(function (ready) {
      stream = ready[0];
      var reader = ready[1];
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      button.textContent = button.dataset.labelStop;
      say(button.dataset.labelAim);
      var busy = false;
      timer = setInterval(function () {
        if (busy || video.readyState < 2) {
          return;
        }
        busy = true;
        reader.detect(video).then(function (codes) {
          busy = false;
          var number = waybillIn(codes);
          if (number) {
            stop();
            form.elements.waybill_no.value = number;
            say(number);
            form.submit();
          }
        }, function () {
          busy = false;
        });
      }, 200);
    }, function () {
      stop();
      say(button.dataset.labelNoCamera);
    });
  });
})();
