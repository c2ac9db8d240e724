// The "Add funds" dialog: amount, card element, one pay button, and a status
// box that gives every way a payment can end its own words. The pay button
// spins only while a request or the 3D Secure challenge is under way.

import { NetworkError } from "./billing-api.js";
import { setUpAmount } from "./billing-amount.js";
import { setUpDialog } from "./billing-dialog.js";
import { formatMoney } from "./billing-money.js";
import * as outcomes from "./billing-outcomes.js";
import {
  confirmPayment,
  createTopUp,
  isPaid,
  TopUpAttempt,
  waitForCredit,
} from "./billing-topup.js";

function statusBox(form) {
  const box = form.querySelector("#pay-status");
  return {
    show(result) {
      box.className = `pay-status pay-status--${result.kind}`;
      box.querySelector(".pay-status-title").textContent = result.title;
      box.querySelector(".pay-status-text").textContent = result.text;
    },
    clear() {
      box.className = "pay-status";
      box.querySelector(".pay-status-title").textContent = "";
      box.querySelector(".pay-status-text").textContent = "";
    },
  };
}

function mountCard(stripe, form) {
  const state = { complete: false, error: null };
  const errorText = form.querySelector("#card-error");
  const card = stripe.elements().create("card", { hidePostalCode: true });
  card.mount(form.querySelector("#card-element"));
  card.on("change", (event) => {
    state.complete = event.complete;
    state.error = event.error || null;
    errorText.textContent = event.error ? event.error.message : "";
  });
  return {
    element: card,
    state,
    showError(text) {
      errorText.textContent = text;
    },
  };
}

export function setUpAddFunds(options) {
  const { config, stripe, refreshAfterCredit, notifyPage } = options;
  const dialog = document.getElementById("add-funds");
  const form = document.getElementById("add-funds-form");
  const payButton = document.getElementById("pay-button");
  const payLabel = document.getElementById("pay-label");
  const modal = setUpDialog(dialog);
  const status = statusBox(form);
  const card = mountCard(stripe, form);
  const amount = setUpAmount(form, config, updatePayLabel);
  let attempt = null;
  let busy = false;
  let waiting = null;

  form.querySelector("#test-cards").hidden = config.mode !== "test";

  function updatePayLabel(retry) {
    const value = amount.current();
    const price = value.amount ? ` ${formatMoney(value.amount)}` : "";
    payLabel.textContent = retry ? "Try again" : `Pay${price}`;
  }

  function setBusy(value, spinning) {
    busy = value;
    payButton.classList.toggle("is-busy", Boolean(spinning));
    payButton.setAttribute("aria-disabled", String(value));
    payButton.setAttribute("aria-busy", String(Boolean(spinning)));
    amount.lock(value);
    card.element.update({ disabled: value });
  }

  // Show an outcome in the dialog, and on the page too if the dialog is shut.
  function report(result) {
    status.show(result);
    if (!modal.isOpen) {
      notifyPage(result);
    }
  }

  async function startPayment(current) {
    let topUp;
    try {
      topUp = await createTopUp(current);
    } catch (error) {
      if (error instanceof NetworkError) {
        return outcomes.networkTrouble();
      }
      const described = outcomes.describeApiError(error);
      if (error.code === "PAYMENTS_DISABLED") {
        options.onPaymentsDisabled();
      }
      return described;
    }
    if (!topUp.success || !topUp.clientSecret) {
      const entry = topUp.transaction;
      return outcomes.describeFailure(entry.failureCode, entry.failureCode);
    }
    const result = await confirmPayment(stripe, card.element, current);
    if (result.error) {
      return result.error.type === "validation_error"
        ? { kind: "card_invalid", message: result.error.message, retrySameAttempt: true }
        : outcomes.describeStripeError(result.error);
    }
    if (!isPaid(result.paymentIntent)) {
      return outcomes.describeStripeError({ type: "unexpected" });
    }
    return { kind: "paid", paymentIntent: result.paymentIntent, topUp };
  }

  async function waitAndReport(topUp, paymentIntent) {
    waiting = new AbortController();
    report(outcomes.waitingForConfirmation());
    const entry = await waitForCredit(topUp.transaction.transactionId, paymentIntent.status, {
      signal: waiting.signal,
      onSlow() {
        report(outcomes.slowConfirmation());
        setBusy(false, false);
      },
    });
    waiting = null;
    if (entry && entry.status === "COMPLETED") {
      const profile = await refreshAfterCredit().catch(() => null);
      const balance = profile ? formatMoney(profile.availableBalance) : null;
      card.element.clear();
      report(outcomes.completed(formatMoney(entry.amount), balance));
    } else if (entry) {
      report(outcomes.describeFailure(entry.failureCode, entry.failureCode));
    }
  }

  async function pay() {
    const value = amount.read();
    if (!value) {
      amount.focus();
      return;
    }
    if (!card.state.complete) {
      card.showError(card.state.error ? card.state.error.message : "Enter your card details.");
      card.element.focus();
      return;
    }
    if (!attempt || !attempt.sameAmount(value.amount)) {
      attempt = new TopUpAttempt(value.amount);
    }
    setBusy(true, true);
    status.show({ kind: "progress", title: "Paying…", text: "Contacting your bank. Keep this window open." });
    const result = await startPayment(attempt);
    setBusy(result.kind === "paid", false);
    if (!result.retrySameAttempt) {
      attempt = null;
    }
    updatePayLabel(Boolean(result.retrySameAttempt) && result.kind !== "card_invalid");
    if (result.kind === "card_invalid") {
      status.clear();
      card.showError(result.message);
    } else if (result.kind === "paid") {
      await waitAndReport(result.topUp, result.paymentIntent);
      setBusy(false, false);
    } else {
      report(result);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!busy) {
      pay().catch((error) => {
        console.error("Add funds failed:", error);
        setBusy(false, false);
        report(outcomes.describeApiError(error));
      });
    }
  });
  updatePayLabel(false);

  return {
    open(presetNanos) {
      if (!busy && !waiting) {
        status.clear();
      }
      if (presetNanos !== undefined) {
        amount.set(presetNanos);
      }
      modal.open(form.querySelector(".preset") || undefined);
    },
  };
}
