// WeChat Pay Native: while the order waits for the buyer's scan, ask for its status every
// two seconds and reload the page once it is no longer pending (paid, expired, …).
(function () {
  "use strict";
  var box = document.getElementById("wechat-native");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.status !== "pending") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
