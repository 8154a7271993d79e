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
