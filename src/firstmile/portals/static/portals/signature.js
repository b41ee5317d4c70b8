// A signature drawn with a finger, stylus or mouse on a <canvas>, sent as a PNG data URL.
// The server checks it again (a PNG, not blank); this only keeps an empty pad from being sent.
(function () {
  "use strict";

  function setUp(form) {
    var canvas = form.querySelector("canvas.signature-pad");
    var field = form.querySelector("input[name=signature]");
    var status = form.querySelector("[data-signature-status]");
    if (!canvas || !field) return;
    var pen = canvas.getContext("2d");
    var drawing = false;
    var strokes = 0;
    pen.lineWidth = 3;
    pen.lineCap = "round";
    pen.lineJoin = "round";
    pen.strokeStyle = "#111";

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - box.left) * canvas.width) / box.width,
        y: ((event.clientY - box.top) * canvas.height) / box.height,
      };
    }
    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      var p = point(event);
      pen.beginPath();
      pen.moveTo(p.x, p.y);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = point(event);
      pen.lineTo(p.x, p.y);
      pen.stroke();
      strokes += 1;
    });
    function stop() {
      drawing = false;
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);

    var clear = form.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        pen.clearRect(0, 0, canvas.width, canvas.height);
        strokes = 0;
        field.value = "";
      });
    }
    form.addEventListener("submit", function (event) {
      if (strokes < 2) {
        event.preventDefault();
        if (status) status.textContent = form.getAttribute("data-label-empty") || "";
        return;
      }
      field.value = canvas.toDataURL("image/png");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-signature]").forEach(setUp);
  });
})();
