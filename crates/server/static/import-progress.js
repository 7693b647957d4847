// An import's progress while its page waits for the answer. On sending a form marked
// data-progress, the page names the upload with a ticket of its own making and asks the server
// twice a second how far the import under that ticket has gone. Without script the form posts
// as before, and the answer is the same.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-progress") || event.defaultPrevented) return;
  var bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  var ticket = Array.prototype.map.call(bytes, function (b) {
    return (b < 16 ? "0" : "") + b.toString(16);
  }).join("");
  var sender = event.submitter && event.submitter.hasAttribute("formaction") ? event.submitter : form;
  // A page brought back from the history has its earlier ticket still in the address.
  var action = (sender.getAttribute("formaction") || form.getAttribute("action")).replace(/&ticket=[0-9a-f]*/, "");
  sender.setAttribute(sender === form ? "action" : "formaction", action + "&ticket=" + ticket);

  var shown = document.querySelector(".import-progress");
  var bar = shown.querySelector("progress");
  var words = shown.querySelector("span");
  shown.hidden = false;
  bar.removeAttribute("value");
  words.textContent = "Sending the file…";
  var asking = false;
  window.setInterval(function () {
    if (asking) return;
    asking = true;
    fetch("/imports/" + ticket + "/progress", { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (seen) {
        if (!seen || !seen.known) return;
        if (seen.total === 0) {
          words.textContent = "Receiving and checking the file…";
          return;
        }
        bar.max = seen.total;
        bar.value = seen.done;
        words.textContent = seen.done.toLocaleString() + " of " + seen.total.toLocaleString() + " rows";
      })
      .catch(function () {})
      .then(function () { asking = false; });
  }, 500);
});
