// The receipt page's copy and print buttons. Without JavaScript they stay hidden and the code
// can still be selected, copied or written down by hand. Nothing is sent anywhere.
(function () {
  "use strict";
  var code = document.getElementById("receipt");
  var status = document.getElementById("receipt-status");
  var copy = document.querySelector("[data-receipt-copy]");
  var print = document.querySelector("[data-receipt-print]");
  if (!code || !status) return;

  function say(text) { status.textContent = text; }

  function select() {
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function fallback() {
    select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
    say(copied ? status.dataset.copied : status.dataset.selected);
  }

  if (copy) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var text = code.textContent.trim();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () {
          say(status.dataset.copied);
        }, fallback);
      } else {
        fallback();
      }
    });
  }
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
