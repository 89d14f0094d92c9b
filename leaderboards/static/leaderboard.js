// Sorts a board in place when a column header is clicked; without JavaScript the header links
// load the pre-sorted view instead. Empty cells stay last, as on the server.
document.querySelectorAll("table.board th a").forEach(function (link) {
  link.addEventListener("click", function (event) {
    event.preventDefault();
    var th = link.parentElement, table = th.closest("table"), body = table.tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentElement.children, th);
    var asc = th.getAttribute("aria-sort") !== "ascending", text = th.dataset.kind === "text";
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length > index; });
    var key = function (r) { var v = r.cells[index].dataset.v; return v === "" ? null : (text ? v.toLowerCase() : parseFloat(v)); };
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === null || y === null) return (x === null) - (y === null);
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
    table.querySelectorAll("th").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
  });
});
