// Progressive enhancement for the orders pages: everything works without
// this script. Loaded with the page's CSP nonce; no inline handlers.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const add = document.getElementById("add-row");
  const rows = document.getElementById("item-rows");
  if (add && rows) {
    add.hidden = false;
    add.addEventListener("click", () => {
      const last = rows.lastElementChild;
      if (!last) return;
      const row = last.cloneNode(true);
      for (const input of row.querySelectorAll("input")) input.value = "";
      rows.appendChild(row);
      row.querySelector("input").focus();
    });
  }
  // Prevent a double submit from sending the form twice (the idempotency
  // key would make it harmless, but the second click is still confusing).
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", () => {
      for (const b of form.querySelectorAll("button[type=submit]")) b.disabled = true;
    });
  }
});
