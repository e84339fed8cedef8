// Ballast dashboard: the theme toggle, controls that apply themselves, the story's time slider.
// Every page works without this script (its forms have buttons).
(function () {
  const root = document.documentElement;
  const saved = localStorage.getItem("ballast-theme");
  if (saved) root.dataset.theme = saved;
  document.addEventListener("DOMContentLoaded", function () {
    const toggle = document.getElementById("theme");
    if (toggle) {
      toggle.addEventListener("click", function () {
        const dark = root.dataset.theme
          ? root.dataset.theme === "dark"
          : matchMedia("(prefers-color-scheme: dark)").matches;
        root.dataset.theme = dark ? "light" : "dark";
        localStorage.setItem("ballast-theme", root.dataset.theme);
      });
    }
    // A range shows its value while it moves; every marked control submits its form on change.
    document.querySelectorAll("[data-mirror]").forEach(function (input) {
      const out = document.getElementById(input.dataset.mirror);
      input.addEventListener("input", function () {
        const v = Number(input.value);
        out.textContent = (v > 0 ? "+" : "") + v + "%";
      });
    });
    document.querySelectorAll("[data-autosubmit]").forEach(function (input) {
      input.addEventListener("change", function () { input.form.submit(); });
    });
    // The time slider keeps the page and its other parameters, changing only `at`.
    const at = document.querySelector("[data-timeline]");
    if (at) {
      at.addEventListener("change", function () {
        const url = new URL(location.href);
        url.searchParams.set("at", at.value);
        location.href = url.toString();
      });
    }
  });
})();
