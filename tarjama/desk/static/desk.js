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
      result.className = "result saved";
      result.textContent = reviewed ? "saved as reviewed" : "saved";
      if (thenNext) move(row, 1);
    } else if (response.status === 409) {
      result.className = "result stale";
      result.textContent = body.error + " Newer text: «" + body.current.text + "». Save again to replace it.";
      row.querySelector('input[name="base"]').value = body.current.fingerprint;
    } else {
      result.className = "result failed";
      result.textContent = body.error || "not saved";
    }
  }

  for (const row of rows) {
    row.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      const reviewed = event.submitter ? event.submitter.value === "1" : true;
      save(row, reviewed, reviewed);
    });
  }

  document.addEventListener("keydown", function (event) {
    const row = event.target.closest && event.target.closest("li.segment");
    if (!row) return;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); save(row, true, true); }
    else if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) { event.preventDefault(); save(row, false, false); }
    else if (event.altKey && event.key === "ArrowDown") { event.preventDefault(); move(row, 1); }
    else if (event.altKey && event.key === "ArrowUp") { event.preventDefault(); move(row, -1); }
  });
  document.body.dataset.ready = "1";  // the keys and saves work from here on (tests and tools wait for it)
})();
