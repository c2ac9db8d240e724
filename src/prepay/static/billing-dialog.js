// A modal <dialog> that keeps keyboard focus inside it, closes with Escape
// and gives focus back to the control that opened it. showModal() already
// makes the rest of the page inert; the Tab handler also stops focus from
// leaving the dialog for the browser's own controls.

const FOCUSABLE =
  "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled])," +
  " textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

function focusableIn(dialog) {
  return Array.from(dialog.querySelectorAll(FOCUSABLE)).filter(
    (element) => !element.closest("[hidden]") && element.getClientRects().length > 0
  );
}

function trapTab(dialog, event) {
  if (event.key !== "Tab" || !dialog.open) {
    return;
  }
  const items = focusableIn(dialog);
  if (items.length === 0) {
    event.preventDefault();
    return;
  }
  const first = items[0];
  const last = items[items.length - 1];
  const active = document.activeElement;
  if (event.shiftKey && (active === first || !dialog.contains(active))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
    event.preventDefault();
    first.focus();
  }
}

export function setUpDialog(dialog) {
  let opener = null;
  dialog.addEventListener("keydown", (event) => trapTab(dialog, event));
  dialog.addEventListener("close", () => {
    if (opener && opener.isConnected) {
      opener.focus();
    }
    opener = null;
  });
  dialog.querySelectorAll("[data-close-dialog]").forEach((button) => {
    button.addEventListener("click", () => dialog.close());
  });
  return {
    open(firstFocus) {
      opener = document.activeElement;
      if (!dialog.open) {
        dialog.showModal();
      }
      (firstFocus || focusableIn(dialog)[0] || dialog).focus();
    },
    close() {
      dialog.close();
    },
    get isOpen() {
      return dialog.open;
    },
  };
}
