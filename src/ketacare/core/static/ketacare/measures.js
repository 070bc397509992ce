// Administering a rating scale (measures/administer.html), as an enhancement of a form that
// works without it:
// - live result: the form is posted to the preview endpoint, which scores it with the clinical
//   library and answers JSON (no scoring happens here);
// - skip logic: questions with data-asked-if="<link_id>=<value>" show only when asked;
// - keyboard: a digit answers the focused question and moves to the next one, Y/N answer
//   Yes/No questions, Enter saves.
(function () {
  "use strict";
  var form = document.getElementById("administer");
  if (!form) { return; }
  var previewUrl = form.getAttribute("data-preview-url");
  var items = Array.prototype.slice.call(form.querySelectorAll("fieldset.item"));
  var saveButton = document.getElementById("save");
  var incompleteButton = document.getElementById("save-incomplete");
  form.classList.add("js-live");

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function checkedValue(name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : null;
  }

  function applySkipLogic() {
    items.forEach(function (fieldset) {
      var rule = fieldset.getAttribute("data-asked-if");
      if (!rule) { return; }
      var parts = rule.split("=");
      var asked = checkedValue(parts[0]) === parts[1];
      fieldset.hidden = !asked;
      Array.prototype.forEach.call(fieldset.querySelectorAll("input"), function (input) {
        input.disabled = !asked;
        if (!asked) { input.checked = false; }
      });
    });
  }

  function visibleItems() {
    return items.filter(function (fieldset) { return !fieldset.hidden; });
  }

  function focusItem(fieldset) {
    var target = fieldset.querySelector("input:checked") || fieldset.querySelector("input");
    if (target) {
      target.focus();
      fieldset.scrollIntoView({ block: "nearest" });
    }
  }

  function nextAfter(fieldset) {
    var list = visibleItems();
    var index = list.indexOf(fieldset);
    return index >= 0 && index + 1 < list.length ? list[index + 1] : null;
  }

  function setText(id, text) {
    var element = document.getElementById(id);
    if (element) { element.textContent = text; }
  }

  function fillList(id, lines, className) {
    var list = document.getElementById(id);
    if (!list) { return; }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    lines.forEach(function (line) {
      var li = document.createElement("li");
      if (className) { li.className = className; }
      li.textContent = line;
      list.appendChild(li);
    });
  }

  function answeredCount() {
    return form.querySelectorAll("fieldset.item input:checked").length;
  }

  function render(data) {
    var headline = data.total !== null ? String(data.total) : (data.risk_level || "—");
    setText("score-total", headline);
    var band = data.band || "";
    if (!band && data.mean_scores) {
      band = Object.keys(data.mean_scores).map(function (k) {
        return k + " " + data.mean_scores[k];
      }).join(" · ");
    }
    setText("score-band", band);
    setText("score-inline", data.complete ? "Score: " + headline + (band ? " · " + band : "") : "");
    var missing = data.missing_items.map(function (m) { return m.label; });
    if (data.complete) {
      setText("score-progress", "All required questions answered.");
    } else if (data.risk_level) {
      // An unfinished C-SSRS already at a risk level: a floor the rest can only raise.
      setText("score-progress", "Risk at least " + data.risk_level +
        " so far; the remaining answers can only raise it — unanswered: " +
        missing.join(", ") + ".");
    } else {
      setText("score-progress", "Not scored yet — unanswered: " + missing.join(", ") + ".");
    }
    fillList("score-flags", data.flag_labels, "tag");
    fillList("score-explanation", data.explanation);
    var warning = document.getElementById("risk-warning");
    if (warning) {
      warning.hidden = !data.risk_flag;
      setText("risk-warning-title", data.risk_flag
        ? "Saving will raise a " + data.risk_flag.level + " risk flag." : "");
      setText("risk-warning-reason", data.risk_flag ? data.risk_flag.reason : "");
    }
    if (incompleteButton) {
      incompleteButton.hidden = data.complete || answeredCount() === 0;
    }
    items.forEach(function (fieldset) {
      var link = fieldset.getAttribute("data-link-id");
      if (fieldset.querySelector("input:checked")) {
        fieldset.classList.remove("is-missing", "has-error");
        fieldset.removeAttribute("data-missing");
      }
      fieldset.classList.toggle("is-pending", !data.complete && missing.length > 0 &&
        data.missing_items.some(function (m) { return m.link_id === link; }));
    });
  }

  function renderErrors(errors) {
    var lines = Object.keys(errors).map(function (k) { return errors[k]; });
    setText("score-total", "—");
    setText("score-band", "");
    setText("score-progress", lines.join(" "));
  }

  var timer = null;
  var sequence = 0;
  function preview() {
    var mine = ++sequence;
    fetch(previewUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (answer) {
      if (mine !== sequence) { return; }  // a newer preview is on its way
      if (answer.ok) { render(answer.data); } else { renderErrors(answer.data.errors || {}); }
    }).catch(function () {
      setText("score-progress", "Live score unavailable; the score is shown when you save.");
    });
  }

  function schedulePreview() {
    clearTimeout(timer);
    timer = setTimeout(preview, 120);
  }

  form.addEventListener("change", function (event) {
    if (event.target && event.target.type === "radio") {
      applySkipLogic();
      schedulePreview();
    }
  });

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target || target.type !== "radio") { return; }
    var fieldset = target.closest("fieldset.item");
    if (!fieldset) { return; }
    if (event.key === "Enter") {
      event.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(saveButton); } else { saveButton.click(); }
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var input = null;
    if (/^[0-9]$/.test(event.key)) {
      input = fieldset.querySelector('input[value="' + event.key + '"]');
    } else if (/^[yn]$/i.test(event.key)) {
      var word = event.key.toLowerCase() === "y" ? "yes" : "no";
      Array.prototype.forEach.call(fieldset.querySelectorAll("label.opt"), function (label) {
        var text = label.querySelector("span:last-child");
        if (text && text.textContent.trim().toLowerCase() === word) {
          input = label.querySelector("input");
        }
      });
    }
    if (!input) { return; }
    event.preventDefault();
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    var next = nextAfter(fieldset);
    if (next) { focusItem(next); } else { saveButton.focus(); }
  });

  applySkipLogic();
  if (answeredCount() > 0) { schedulePreview(); }
})();
