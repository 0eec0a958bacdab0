// paper-digest: small enhancements; every page works without this file.
(function () {
  "use strict";

  // "Link to this page" copies the page's address; without JavaScript it stays a plain link.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var field = document.createElement("textarea");
      field.value = text;
      field.setAttribute("readonly", "");
      field.style.position = "fixed";
      field.style.opacity = "0";
      document.body.appendChild(field);
      field.select();
      var done = document.execCommand("copy");
      document.body.removeChild(field);
      if (done) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  document.querySelectorAll("a.copy-link").forEach(function (link) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = link.className;
    button.textContent = "Copy link";
    var status = link.parentNode.querySelector(".copy-status");
    button.addEventListener("click", function () {
      var url = link.getAttribute("data-url") || link.href;
      copyText(url).then(
        function () { if (status) { status.textContent = "Link copied"; } },
        function () { if (status) { status.textContent = url; } }
      );
    });
    link.replaceWith(button);
  });
})();
