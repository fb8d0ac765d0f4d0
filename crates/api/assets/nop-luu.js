// Deposit form: builds the metadata JSON from the fields and posts it with the
// files to the deposit API; shows the API's Vietnamese validation messages.
(function () {
  var form = document.getElementById('nop-luu');
  var out = document.getElementById('ket-qua-nop');
  if (!form || !window.fetch) { return; }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var m = {};
    ['kind', 'doc_number', 'doc_type', 'issued_on', 'issuer', 'place', 'summary', 'urgency', 'secrecy'].forEach(function (k) {
      var v = form.elements[k].value.trim();
      if (v) { m[k] = v; }
    });
    var signer = form.elements['signer'].value.trim();
    if (signer) { m.signer = { full_name: signer }; }
    var body = new FormData();
    body.append('metadata', JSON.stringify(m));
    Array.prototype.forEach.call(form.elements['file'].files, function (f) { body.append('file', f, f.name); });
    Array.prototype.forEach.call(form.elements['attachment'].files, function (f) { body.append('attachment', f, f.name); });
    out.textContent = 'Đang nộp lưu…';
    fetch('/api/v1/records?wait=searchable', { method: 'POST', body: body, credentials: 'same-origin' })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        out.textContent = '';
        if (res.ok) {
          var a = document.createElement('a');
          a.href = '/ho-so/' + encodeURIComponent(res.j.record_id);
          a.textContent = 'Đã nộp lưu: xem hồ sơ ' + res.j.record_id;
          out.appendChild(a);
          form.reset();
        } else {
          var p = document.createElement('p');
          p.className = 'error';
          p.textContent = (res.j.message_vi || 'Không nộp lưu được') + (res.j.message ? ' (' + res.j.message + ')' : '');
          out.appendChild(p);
          var ul = document.createElement('ul');
          (res.j.problems || []).forEach(function (t) { var li = document.createElement('li'); li.textContent = t; ul.appendChild(li); });
          out.appendChild(ul);
        }
      })
      .catch(function (e) { out.textContent = 'Lỗi kết nối: ' + e; });
  });
})();
