// hms console: the only script, loaded from 'self' under the Content-Security-Policy (no inline script).
// A button with data-copy="ID" copies the text of the element ID (a password shown once).
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source) return;
  var text = source.textContent.trim();
  function done(ok) {
    button.textContent = ok ? "Copied" : "Select and copy it by hand";
    button.classList.toggle("copied", ok);
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
    return;
  }
  var range = document.createRange();
  range.selectNodeContents(source);
  var selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  var ok = false;
  try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
  done(ok);
});

// A block with data-for-role="R" is shown only while its form's role select says R (the
// doctor id of a doctor login). Without this script it stays shown; the server ignores it
// for any other role.
function showForRole(form) {
  var select = form.querySelector("select[name=role]");
  if (!select) return;
  form.querySelectorAll("[data-for-role]").forEach(function (block) {
    block.hidden = select.value !== block.getAttribute("data-for-role");
  });
}
document.addEventListener("change", function (event) {
  if (event.target.matches("select[name=role]") && event.target.form) showForRole(event.target.form);
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form").forEach(showForRole);
});
