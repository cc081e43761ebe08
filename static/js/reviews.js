// The score form (templates/reviews/detail.html): a live weighted total, and a highlight on the
// comment of each criterion whose points depart from the self-assessment by more than the margin
// (the server checks both again on submit). No inline scripts: the CSP forbids them.
(function () {
  var form = document.querySelector("form[data-score-form]");
  if (!form) {
    return;
  }
  var margin = parseFloat(form.getAttribute("data-margin") || "0");
  var totalCell = document.getElementById("live-total");

  function number(text) {
    var value = parseFloat(String(text || "").replace(",", "."));
    return isNaN(value) ? null : value;
  }

  function refresh() {
    var total = 0;
    form.querySelectorAll("input[data-weight]").forEach(function (input) {
      var points = number(input.value);
      var weight = number(input.getAttribute("data-weight")) || 0;
      if (points !== null) {
        total += points * weight;
      }
      var own = number(input.getAttribute("data-self"));
      var comment = document.getElementById(input.getAttribute("data-comment"));
      if (comment) {
        var needed = points !== null && own !== null && Math.abs(points - own) > margin;
        comment.classList.toggle("border-warning", needed && !comment.value.trim());
        comment.required = needed;
      }
    });
    if (totalCell) {
      totalCell.textContent = total.toLocaleString(document.documentElement.lang || "vi", {
        maximumFractionDigits: 3,
      });
    }
  }

  form.addEventListener("input", refresh);
  refresh();
})();
