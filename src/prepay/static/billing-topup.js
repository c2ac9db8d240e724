// The steps of one top-up: ask prepay for a PaymentIntent, confirm it with
// Stripe.js, then wait until Stripe's webhook has credited the balance.

import { apiRequest, NetworkError } from "./billing-api.js";

// After this long without a credit, the page lets the user know they may leave.
export const SLOW_AFTER_MS = 60000;
// Polling stops after this long; the credit still arrives by webhook.
const GIVE_UP_AFTER_MS = 30 * 60000;
const PAID_STATUSES = ["succeeded", "processing", "requires_capture"];

function randomKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// One attempt to pay one amount. Its Idempotency-Key is made once, so a retry
// after a network error reaches the same top-up and the same PaymentIntent
// instead of charging twice.
export class TopUpAttempt {
  constructor(amount) {
    this.amount = amount;
    this.key = `topup-${randomKey()}`;
    this.topUp = null;
    this.confirmSent = false;
  }

  sameAmount(amount) {
    return (
      this.amount.currencyCode === amount.currencyCode &&
      this.amount.units === amount.units &&
      this.amount.nanos === amount.nanos
    );
  }
}

export async function createTopUp(attempt) {
  if (!attempt.topUp) {
    attempt.topUp = await apiRequest("POST", "/v1/billing/top-up", {
      body: { amount: attempt.amount },
      headers: { "Idempotency-Key": attempt.key },
    });
  }
  return attempt.topUp;
}

// Confirm the attempt's PaymentIntent with the card, resolving to Stripe.js's
// {paymentIntent} or {error}. When an earlier confirm got no response, the
// PaymentIntent is retrieved first, in case that confirm already paid.
export async function confirmPayment(stripe, card, attempt) {
  const secret = attempt.topUp.clientSecret;
  if (attempt.confirmSent) {
    const current = await stripe.retrievePaymentIntent(secret);
    if (current.error) {
      return current;
    }
    if (PAID_STATUSES.includes(current.paymentIntent.status)) {
      return current;
    }
  }
  attempt.confirmSent = true;
  return stripe.confirmCardPayment(secret, { payment_method: { card } });
}

export function isPaid(paymentIntent) {
  return PAID_STATUSES.includes(paymentIntent.status);
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function readEntry(transactionId) {
  try {
    const path = `/v1/billing/transactions/${encodeURIComponent(transactionId)}`;
    return await apiRequest("GET", path);
  } catch (error) {
    if (error instanceof NetworkError || error.status >= 500) {
      return null;
    }
    throw error;
  }
}

// Poll the top-up until it is COMPLETED, or FAILED or CANCELED when Stripe did
// not report the payment as made. Once Stripe reported "succeeded", a FAILED
// seen here comes from an earlier confirmation of the same PaymentIntent, and
// the credit is still coming. Resolve to the entry, or to null when `signal`
// aborts or polling gives up.
export async function waitForCredit(transactionId, paymentStatus, options) {
  const started = Date.now();
  let delay = 500;
  let slowNoticeShown = false;
  while (!options.signal.aborted) {
    const entry = await readEntry(transactionId);
    if (entry && entry.status === "COMPLETED") {
      return entry;
    }
    const ended = entry && ["FAILED", "CANCELED"].includes(entry.status);
    if (ended && paymentStatus !== "succeeded") {
      return entry;
    }
    const waited = Date.now() - started;
    if (!slowNoticeShown && waited >= SLOW_AFTER_MS) {
      slowNoticeShown = true;
      options.onSlow();
    }
    if (waited >= GIVE_UP_AFTER_MS) {
      return null;
    }
    await sleep(delay, options.signal);
    delay = Math.min(delay * 1.5, slowNoticeShown ? 15000 : 3000);
  }
  return null;
}
