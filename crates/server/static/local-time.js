// Shows every <time datetime data-local> in the reader's own time zone, named ("14:05 CET").
// Without script the page keeps the UTC time the server wrote.
(function () {
  var format = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  document.querySelectorAll("time[data-local]").forEach(function (element) {
    var at = new Date(element.getAttribute("datetime"));
    if (!isNaN(at)) element.textContent = format.format(at);
  });
})();
