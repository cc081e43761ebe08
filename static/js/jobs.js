// A background job's page (templates/printing/job.html): the progress bar follows the job by polling its
// status URL (data-status-url) every second while it is queued or running; once it has finished, the
// page reloads so the server shows the download, or the error and the resume button. No inline scripts
// and no inline styles in the markup: the CSP forbids them (setting style properties from here is allowed).
(function () {
  var box = document.getElementById("job-progress");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("[data-progress-bar]");
  var fill = box.querySelector("[data-progress-fill]");
  var failures = 0;

  function show(percent, done, total) {
    fill.style.width = percent + "%";
    if (done !== undefined) {
      bar.setAttribute("aria-valuenow", done);
      bar.setAttribute("aria-valuemax", total);
      box.querySelector("[data-progress-done]").textContent = done;
      box.querySelector("[data-progress-total]").textContent = total;
      box.querySelector("[data-progress-percent]").textContent = percent;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (status) {
        failures = 0;
        show(status.percent, status.done, status.total);
        if (status.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        failures += 1;
        if (failures < 30) {
          window.setTimeout(poll, 2000);
        }
      });
  }

  show(parseInt(box.getAttribute("data-percent") || "0", 10));
  var state = box.getAttribute("data-state");
  if (state === "queued" || state === "running") {
    window.setTimeout(poll, 1000);
  }
})();
