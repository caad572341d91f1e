// A form marked data-submit-once is sent once: a second click on "Import" would import nothing and replace
// the page that shows the new passwords. The page works without this script.
document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
  form.addEventListener("submit", function () {
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    }, 0);
  });
});
