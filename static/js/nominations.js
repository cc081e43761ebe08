// Nomination form: show the points a reported figure suggests while it is typed (the server computes
// the same on "Tính điểm gợi ý" and on save). points = max × min(actual / target, 1), down to a 0.5 step.
(function () {
  function parse(text) {
    var value = String(text || "").trim();
    if (value.indexOf(",") >= 0 && value.indexOf(".") < 0) {
      value = value.replace(",", ".");
    }
    return value === "" ? NaN : Number(value);
  }

  function format(points) {
    return String(points).replace(".", document.documentElement.lang === "en" ? "." : ",");
  }

  function update(input) {
    var output = document.getElementById(input.getAttribute("data-suggest"));
    if (!output) {
      return;
    }
    var actual = parse(input.value);
    var max = Number(input.getAttribute("data-max"));
    var target = Number(input.getAttribute("data-target"));
    if (!isFinite(actual) || actual < 0 || !(target > 0)) {
      output.textContent = "—";
      return;
    }
    var points = Math.floor(max * Math.min(actual / target, 1) * 2) / 2;
    output.textContent = format(points);
  }

  document.addEventListener("input", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-suggest")) {
      update(event.target);
    }
  });
})();
