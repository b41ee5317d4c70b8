// Behaviour the portals used to write inline, moved here so the Content Security
// Policy can forbid inline script ('self' only). Wired by data attributes:
//   data-confirm="question"       on a form (submit) or a button (click): ask first
//   data-select-all="field name"  on a checkbox: tick or clear every box of that name
//   data-autosubmit               on a select: submit its form when it changes
//   data-reset-after-request      on an htmx form: clear and focus its first input after each answer
//   data-toggle-nav               on a button: open or close the side menu on a narrow screen
//   data-fill-detail="text"       on the address reader's button: write the detail line into the
//                                 warehouse form (its region picker is swapped in by htmx)
//   data-file-label               on a file input inside a styled label: show the chosen file's name
//   data-slot-filter              on the arrange form: its pickup-window select offers only the
//                                 windows of the warehouses of the ticked orders (data-warehouse)
//   data-geolocate                on a form with latitude/longitude/accuracy fields: fill them from
//                                 the browser's position first, if it gives one within 8 s
(function () {
  "use strict";

  // Style the page for a browser that runs this file: the side menu folds behind
  // its button on a phone only then (data-toggle-nav opens and closes it).
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-toggle-nav]");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm], input[type=submit][data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[type=checkbox][data-select-all]")) {
      var name = target.dataset.selectAll;
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
    if (target.matches("input[type=file][data-file-label]") && target.files.length) {
      var words = target.closest("label").querySelector("span");
      if (words) {
        words.textContent = target.files[0].name;
      }
    }
    var slotForm = target.closest && target.closest("form[data-slot-filter]");
    if (slotForm && target.matches("input[type=checkbox]")) {
      filterSlots(slotForm);
    }
  });

  function filterSlots(form) {
    var chosen = {};
    var any = false;
    form.querySelectorAll("input[name=order_ids]:checked").forEach(function (box) {
      chosen[box.dataset.warehouse] = true;
      any = true;
    });
    var select = form.querySelector("select[name=slot]");
    if (!select) {
      return;
    }
    select.querySelectorAll("option[data-warehouse]").forEach(function (option) {
      var offered = !any || chosen[option.dataset.warehouse] === true;
      option.hidden = !offered;
      option.disabled = !offered;
      if (!offered && option.selected) {
        select.value = "";
      }
    });
  }

  document.querySelectorAll("form[data-slot-filter]").forEach(filterSlots);

  // The address reader's "use this" button: the region picker is swapped in by htmx, the
  // detail line is written here into the same form's detail field.
  document.addEventListener("click", function (event) {
    var use = event.target.closest && event.target.closest("button[data-fill-detail]");
    var form = use && document.getElementById("warehouse-form");
    if (form && form.elements.address_detail) {
      form.elements.address_detail.value = use.dataset.fillDetail;
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-geolocate]") || form.dataset.located || !navigator.geolocation) {
      return;
    }
    event.preventDefault();
    var send = function () {
      form.dataset.located = "1";
      form.submit();
    };
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.latitude.value = position.coords.latitude.toFixed(6);
      form.elements.longitude.value = position.coords.longitude.toFixed(6);
      form.elements.accuracy.value = Math.round(position.coords.accuracy);
      send();
    }, send, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("form[data-reset-after-request]");
    if (form) {
      var input = form.querySelector("input[type=text], input:not([type]), input[type=search]");
      if (input) {
        input.value = "";
        input.focus();
      }
    }
  });
})();
