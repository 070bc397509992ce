// The patient's questionnaire page: save each answer as it is given (so leaving half-way
// loses nothing), show the crisis panel the moment a risk answer is saved, and hide the
// C-SSRS follow-up questions their gate question skips. The page works without this file.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var url = form.getAttribute("data-autosave");
  var status = form.querySelector("[data-autosave-status]");
  var crisis = document.getElementById("crisis");

  function applyGates() {
    var gated = form.querySelectorAll("[data-asked-when]");
    Array.prototype.forEach.call(gated, function (fieldset) {
      var parts = fieldset.getAttribute("data-asked-when").split("=");
      var chosen = form.querySelector('input[name="' + parts[0] + '"]:checked');
      fieldset.hidden = !(chosen && chosen.value === parts[1]);
    });
  }

  function say(text) { if (status) { status.textContent = text; } }

  function save(input) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("input[name=csrfmiddlewaretoken]").value);
    data.append("scale", form.querySelector("input[name=scale]").value);
    data.append(input.name, input.value);
    fetch(url, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        say(body.saved ? "Saved." : "Not saved yet: press a button below to keep your answers.");
        if (body.crisis && crisis && crisis.hidden) {
          crisis.hidden = false;
          crisis.scrollIntoView({ behavior: "smooth", block: "start" });
          crisis.focus({ preventScroll: true });
        }
      })
      .catch(function () { say("Not saved yet: press a button below to keep your answers."); });
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.type === "radio") {
      applyGates();
      save(input);
    }
  });
  applyGates();
})();
