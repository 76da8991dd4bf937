/* The API reference at /docs: Swagger UI, rendering the served openapi.json. */
(function () {
  "use strict";

  window.addEventListener("DOMContentLoaded", function () {
    const reference = document.getElementById("reference");
    window.SwaggerUIBundle({
      url: reference.dataset.document,
      domNode: reference,
      deepLinking: true,
      // The page is a reference: requests from it would need the CSRF header anyway.
      supportedSubmitMethods: []
    });
  });
})();
