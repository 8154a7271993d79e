// The Import Customers form: "Select all" ticks every row, and the count follows the ticks.
// Served from the binary (not inline), so the Content-Security-Policy allows only 'self'.
(function () {
  function count() {
    var form = document.getElementById('import-form');
    if (!form) return;
    var all = document.getElementById('select-all').checked;
    var n = form.querySelectorAll('input[name=records]:checked').length;
    document.getElementById('selected-count').textContent = all ? 'everything selected' : n + ' selected';
  }
  document.addEventListener('change', function (e) {
    var form = e.target.closest && e.target.closest('#import-form');
    if (!form) return;
    if (e.target.id === 'select-all') {
      form.querySelectorAll('input[name=records]').forEach(function (b) { b.checked = e.target.checked; });
    }
    count();
  });
  document.addEventListener('htmx:afterSwap', count);
})();

// A failed action shows the server's message where the person clicked. htmx swaps only 2xx
// answers by default, which left a 502 from NetSuite or a refused form without a word on the
// screen; every page error is a small HTML message (message.html), safe to show in place.
document.addEventListener('htmx:beforeSwap', function (e) {
  if (e.detail.xhr.status >= 400) {
    e.detail.shouldSwap = true;
    e.detail.isError = false;
  }
});

// The option tree: a row's toggle loads its children once (htmx), then shows and hides them; it
// is a button, so Enter and Space work from the keyboard.
document.addEventListener('click', function (e) {
  var t = e.target.closest && e.target.closest('button.toggle');
  if (!t) return;
  var open = t.getAttribute('aria-expanded') === 'true';
  t.setAttribute('aria-expanded', open ? 'false' : 'true');
  t.textContent = open ? '\u25b8' : '\u25be';
  var kids = document.getElementById(t.getAttribute('aria-controls'));
  if (kids) kids.hidden = open;
});
