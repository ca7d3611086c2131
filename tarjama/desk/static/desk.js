// Review page: save segments without reloading, keyboard moves, counts that follow the work.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const rows = Array.from(document.querySelectorAll("li.segment"));

  function textareaOf(row) { return row.querySelector("textarea"); }
  function move(row, step) {
    const next = rows[rows.indexOf(row) + step];
    if (next) { textareaOf(next).focus(); next.scrollIntoView({ block: "center" }); }
  }
  function setCounts(counts) {
    for (const key of ["reviewed", "drafted", "untranslated", "total"]) {
      const el = document.getElementById("count-" + key);
      if (el) el.textContent = counts[key];
    }
  }
  function show(row, segment) {
    row.className = "segment state-" + segment.state;
    row.querySelector(".badge").textContent = segment.state;
    row.querySelector('input[name="base"]').value = segment.fingerprint;
  }
  function showFindings(row, aids) {
    if (!aids || !aids.findings) return;
    const list = row.querySelector(".findings");
    list.replaceChildren();
    for (const f of aids.findings) {
      const item = document.createElement("li");  // textContent only: nothing from the server is parsed as HTML
      item.className = "finding " + f.severity + (f.overridden ? " overridden" : "");
      item.dataset.check = f.check;
      const name = document.createElement("strong");
      name.textContent = f.check;
      item.append(name, " (" + f.severity + (f.overridden ? ", overridden: " + f.overridden : "") + "): " + f.message + " " + f.detail);
      list.append(item);
    }
    row.dataset.findings = aids.findings.length;
    // the bar counts what the rows show, blocking ones included, after every save
    const counted = { "count-findings": "li.finding", "count-blocking": "li.finding.critical:not(.overridden)" };
    for (const [id, selector] of Object.entries(counted)) {
      const counter = document.getElementById(id);
      if (counter) counter.textContent = document.querySelectorAll(selector).length;
    }
  }
  function insert(row, button) {
    const area = textareaOf(row);
    const text = button.dataset.insert;
    if (button.dataset.mode === "replace") {
      area.value = text;
    } else {
      const start = area.selectionStart, end = area.selectionEnd;
      area.value = area.value.slice(0, start) + text + area.value.slice(end);
      area.selectionStart = area.selectionEnd = start + text.length;
    }
    area.focus();
  }
  function nextMatching(row, test) {
    const start = row ? rows.indexOf(row) : -1;
    for (let i = 1; i <= rows.length; i++) {
      const candidate = rows[(start + i) % rows.length];
      if (test(candidate)) { textareaOf(candidate).focus(); candidate.scrollIntoView({ block: "center" }); return; }
    }
  }
  function staleChoice(row, result, current) {
    // Both versions side by side: keep mine (save again over theirs) or take theirs (load it into the editor).
    result.replaceChildren();
    const mine = textareaOf(row).value;
    const text = document.createElement("div");
    text.className = "newer";
    text.append("Changed by someone else since you opened it. Theirs: «" + current.text + "» · Yours: «" + mine + "»");
    const choice = document.createElement("div");
    choice.className = "stale-choice";
    const keep = document.createElement("button");
    keep.type = "button"; keep.textContent = "Keep mine"; keep.className = "keep-mine";
    keep.addEventListener("click", function () { save(row, true, false); });
    const take = document.createElement("button");
    take.type = "button"; take.textContent = "Take theirs"; take.className = "take-theirs";
    take.addEventListener("click", function () {
      textareaOf(row).value = current.text;
      show(row, current);
      result.replaceChildren("took the newer version");
    });
    choice.append(keep, take);
    result.append(text, choice);
  }

  async function save(row, reviewed, thenNext) {
    const form = row.querySelector("form");
    const data = new FormData(form);
    data.set("reviewed", reviewed ? "1" : "0");
    const result = row.querySelector(".result");
    result.className = "result";
    result.textContent = "saving…";
    let response;
    try {
      // URL-encoded, as the desk accepts (strict UTF-8, no multipart)
      response = await fetch(form.action, { method: "POST", body: new URLSearchParams(data), headers: { "Accept": "application/json", "X-CSRF-Token": csrf }, credentials: "same-origin" });
    } catch (err) {
      result.className = "result failed";
      result.textContent = "not saved: the desk did not answer";
      return;
    }
    const body = await response.json();
    if (response.ok) {
      show(row, body.segment);
      setCounts(body.counts);
      showFindings(row, body.aids);
      result.className = "result saved";
      result.textContent = reviewed ? "saved as reviewed" : "saved";
      if (thenNext) move(row, 1);
    } else if (response.status === 409 && body.current) {
      result.className = "result stale";
      row.querySelector('input[name="base"]').value = body.current.fingerprint;
      staleChoice(row, result, body.current);
    } else {
      result.className = "result failed";
      result.textContent = body.error || "not saved";
    }
  }

  for (const row of rows) {
    for (const button of row.querySelectorAll("button.insert")) {
      button.addEventListener("click", function () { insert(row, button); });
    }
    row.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      const reviewed = event.submitter ? event.submitter.value === "1" : true;
      save(row, reviewed, reviewed);
    });
  }

  const decisionForm = document.getElementById("decision-form");
  if (decisionForm) {
    // a decision goes to the item's run, which checks the catalog and publishes: say so while it works
    decisionForm.addEventListener("submit", function (event) {
      const status = document.getElementById("decision-status");
      const chosen = event.submitter ? event.submitter.value : "approve";
      if (event.submitter) {  // the button pressed still reaches the server once the buttons are disabled
        const hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = event.submitter.name; hidden.value = chosen;
        decisionForm.append(hidden);
      }
      for (const button of decisionForm.querySelectorAll("button")) button.disabled = true;
      decisionForm.setAttribute("aria-busy", "true");
      if (status) {
        status.textContent = chosen === "approve"
          ? "Sending for publication: the run checks the catalog, then publishes (a few seconds)…"
          : "Sending the request for changes to the run…";
      }
    });
  }

  document.addEventListener("keydown", function (event) {
    const row = event.target.closest && event.target.closest("li.segment");
    if (event.altKey && (event.code === "KeyN" || event.code === "KeyF")) {
      event.preventDefault();
      if (event.code === "KeyN") nextMatching(row, function (r) { return !r.classList.contains("state-reviewed"); });
      else nextMatching(row, function (r) { return r.querySelector("li.finding") !== null; });
      return;
    }
    if (!row) return;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); save(row, true, true); }
    else if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) { event.preventDefault(); save(row, false, false); }
    else if (event.altKey && event.key === "ArrowDown") { event.preventDefault(); move(row, 1); }
    else if (event.altKey && event.key === "ArrowUp") { event.preventDefault(); move(row, -1); }
    else if (event.altKey && /^Digit[1-9]$/.test(event.code)) {
      const button = row.querySelectorAll("button.insert")[Number(event.code.slice(5)) - 1];
      if (button) { event.preventDefault(); insert(row, button); }
    }
  });
  document.body.dataset.ready = "1";  // the keys and saves work from here on (tests and tools wait for it)
})();
