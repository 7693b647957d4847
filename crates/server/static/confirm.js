// Forms that undo something (deactivate, end a grant, take a doctor off a care team) ask first:
// each carries its question in data-confirm. Without script they post at once, as before.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
