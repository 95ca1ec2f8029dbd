// Boots Swagger UI on /docs. A separate file, not an inline script, so the page's CSP can keep
// `script-src 'self'` with no 'unsafe-inline'.
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url") || "/openapi.json",
    domNode: root,
    deepLinking: true,
    // No badge fetched from validator.swagger.io: /docs makes no request to any other origin.
    validatorUrl: null,
    // The operator's admin token is kept in memory only, never in localStorage.
    persistAuthorization: false,
  });
})();
