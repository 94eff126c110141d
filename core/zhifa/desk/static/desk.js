// zhifa desk: small enhancements; every page works without this file.
document.addEventListener("submit", function (event) {
  // one submission per form: a second click while the step is being taken does nothing
  var form = event.target;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
});
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-sent]").forEach(function (form) {
    delete form.dataset.sent;
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
});
