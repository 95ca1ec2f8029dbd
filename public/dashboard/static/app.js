// Keyward dashboard: progressive enhancement only. Every page and form works without this file;
// it adds the copy buttons next to secrets. Served from our own origin under script-src 'self'.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const target = document.getElementById(button.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(target.textContent.trim());
        button.textContent = "Copied";
      } catch {
        // Clipboard refused (permissions, insecure context): select the text so Ctrl/Cmd+C works.
        const range = document.createRange();
        range.selectNodeContents(target);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Press Ctrl+C";
      }
      setTimeout(() => {
        button.textContent = "Copy";
      }, 2000);
    });
  }
});
