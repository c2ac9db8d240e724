// The amount part of "Add funds": preset buttons, a free amount field with
// the limits shown up front, and the checks made before any payment starts.

import { formatNanos, fromNanos, inputText, parseAmount, toNanos } from "./billing-money.js";

function presetButton(nanos, currency) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "preset";
  button.dataset.nanos = nanos.toString();
  button.setAttribute("aria-pressed", "false");
  button.textContent = formatNanos(nanos, currency, { trimWhole: true });
  return button;
}

export function setUpAmount(form, config, onChange) {
  const currency = config.currency;
  const min = toNanos(config.topUpMin);
  const max = toNanos(config.topUpMax);
  const input = form.querySelector("#amount-input");
  const error = form.querySelector("#amount-error");
  const presets = form.querySelector("#presets");
  let locked = false;

  form.querySelector("#amount-label").textContent = `Other amount (${currency})`;
  form.querySelector("#amount-limits").textContent =
    `Any amount from ${formatNanos(min, currency)} to ${formatNanos(max, currency)}.`;
  config.topUpPresets.forEach((preset) => {
    presets.appendChild(presetButton(toNanos(preset), currency));
  });

  function current() {
    const parsed = parseAmount(input.value, currency);
    if (parsed.error) {
      return parsed;
    }
    if (parsed.nanos < min) {
      return { error: `The smallest amount you can add is ${formatNanos(min, currency)}.` };
    }
    if (parsed.nanos > max) {
      return { error: `The largest amount you can add at once is ${formatNanos(max, currency)}.` };
    }
    return { nanos: parsed.nanos, amount: fromNanos(parsed.nanos, currency) };
  }

  function showError(text) {
    error.textContent = text || "";
    input.setAttribute("aria-invalid", text ? "true" : "false");
  }

  function syncPresets() {
    const value = current();
    presets.querySelectorAll(".preset").forEach((button) => {
      const pressed = value.nanos !== undefined && BigInt(button.dataset.nanos) === value.nanos;
      button.setAttribute("aria-pressed", String(pressed));
    });
  }

  function set(nanos) {
    input.value = inputText(nanos, currency);
    showError("");
    syncPresets();
    onChange();
  }

  presets.addEventListener("click", (event) => {
    const button = event.target.closest(".preset");
    if (button && !locked) {
      set(BigInt(button.dataset.nanos));
    }
  });
  input.addEventListener("input", () => {
    if (error.textContent) {
      showError(current().error);
    }
    syncPresets();
    onChange();
  });
  input.addEventListener("blur", () => {
    if (input.value.trim()) {
      showError(current().error);
    }
  });

  return {
    current,
    set,
    // Check the amount and show what is wrong; return the amount or null.
    read() {
      const value = current();
      showError(value.error);
      return value.error ? null : value;
    },
    lock(value) {
      locked = value;
      input.readOnly = value;
    },
    focus() {
      input.focus();
    },
  };
}
