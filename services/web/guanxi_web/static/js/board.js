// The kanban: drag a card onto another stage and it moves there (the card's own stage picker does the same
// without a mouse, and is what a phone uses). The server answers with the whole board, so sums stay right.
(function () {
  "use strict";

  function setUp(root) {
    var board = root.querySelector("[data-board]");
    if (!board || board.dataset.ready) return;
    board.dataset.ready = "1";
    document.body.classList.add("js-board");
    var dragged = null;

    board.addEventListener("dragstart", function (event) {
      var card = event.target.closest("[data-deal]");
      if (!card) return;
      dragged = card;
      card.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.deal);
    });
    board.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("is-dragging");
      board.querySelectorAll(".is-drop-target").forEach(function (c) { c.classList.remove("is-drop-target"); });
      dragged = null;
    });
    board.addEventListener("dragover", function (event) {
      var column = event.target.closest("[data-stage]");
      if (!column) return;
      event.preventDefault();
      board.querySelectorAll(".is-drop-target").forEach(function (c) { if (c !== column) c.classList.remove("is-drop-target"); });
      column.classList.add("is-drop-target");
    });
    board.addEventListener("drop", function (event) {
      var column = event.target.closest("[data-stage]");
      var id = event.dataTransfer.getData("text/plain") || (dragged && dragged.dataset.deal);
      var card = id && board.querySelector('[data-deal="' + id + '"]');
      if (!column || !card) return;
      event.preventDefault();
      dragged = card;
      var form = card.querySelector("form");
      var select = form.querySelector("select[name=stage_id]");
      if (select.value === column.dataset.stage) return;
      select.value = column.dataset.stage;
      column.querySelector(".board-cards").appendChild(dragged);  // shown at once; the answer redraws the board
      if (window.htmx) window.htmx.trigger(form, "submit"); else form.submit();
    });
  }

  setUp(document);
  document.addEventListener("htmx:afterSwap", function (event) { setUp(event.target.closest("#board") ? document : event.target); });
})();
