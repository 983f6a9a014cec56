// The console's only script, a static file so the Content-Security-Policy can refuse inline ones:
// forms marked data-confirm ask before they submit (e.g. replacing a post's QR code).
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
}, true);
