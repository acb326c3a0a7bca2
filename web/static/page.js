/* wikidesk page view: "Back to the chat" returns to the conversation rather than a fresh chat. */
(function () {
  "use strict";
  var back = document.getElementById("wd_back");
  if (!back) return;
  back.addEventListener("click", function (e) {
    var ref = document.referrer;
    if (ref && ref.indexOf(window.location.origin + "/") === 0 && new URL(ref).pathname === "/" &&
        window.history.length > 1) {
      e.preventDefault();
      window.history.back();
    }
  });
})();
