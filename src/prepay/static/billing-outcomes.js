// The words the page shows for each way a payment can end. Stripe errors are
// classified by type, code and decline_code, never by their message text.

const TRY_ANOTHER = "No money was taken. Try another card, or ask your bank why.";

const DECLINES = {
  generic_decline: "Your bank declined the payment without giving a reason.",
  do_not_honor: "Your bank declined the payment without giving a reason.",
  call_issuer: "Your bank declined the payment without giving a reason.",
  // A plain decline, so the page gives someone using a lost or stolen card
  // no reason for the failure.
  lost_card: "Your bank declined the payment.",
  stolen_card: "Your bank declined the payment.",
  pickup_card: "Your bank declined the payment.",
  fraudulent: "Your bank declined the payment.",
  card_velocity_exceeded:
    "Your card has reached its limit for payments like this one, or was used too " +
    "often in a short time.",
  withdrawal_count_limit_exceeded: "Your card has reached its limit for payments.",
  card_not_supported: "Your card does not support this kind of payment.",
  currency_not_supported: "Your card does not support payments in this currency.",
  transaction_not_allowed: "Your bank does not allow this payment on this card.",
  not_permitted: "Your bank does not allow this payment on this card.",
};

function outcome(kind, title, text, options = {}) {
  return { kind, title, text, retrySameAttempt: Boolean(options.retrySameAttempt) };
}

export function networkTrouble() {
  return outcome(
    "network",
    "Connection problem",
    "We could not reach the payment service, so we cannot tell yet whether the " +
      "payment went through. Press “Try again”: the same payment is retried, so " +
      "you will not be charged twice.",
    { retrySameAttempt: true }
  );
}

export function serviceUnavailable() {
  return outcome(
    "unavailable",
    "Payments are not responding",
    "The payment service did not respond. Nothing was charged. Try again in a minute.",
    { retrySameAttempt: true }
  );
}

function byDeclineCode(code, declineCode) {
  const reason = code === "card_declined" ? declineCode : code;
  switch (reason) {
    case "insufficient_funds":
      return outcome(
        "insufficient_funds",
        "Not enough funds",
        "Your card does not have enough funds for this payment. No money was " +
          "taken. Try a smaller amount or another card."
      );
    case "expired_card":
      return outcome("declined", "Card expired", `Your card has expired. ${TRY_ANOTHER}`);
    case "incorrect_cvc":
      return outcome(
        "declined",
        "Security code is incorrect",
        "The card's security code (CVC) is incorrect. No money was taken. Check " +
          "the code on the back of the card and try again."
      );
    case "incorrect_number":
      return outcome(
        "declined",
        "Card number is incorrect",
        "The card number is incorrect. No money was taken. Check it and try again."
      );
    case "processing_error":
      return outcome(
        "declined",
        "The bank could not process the payment",
        "An error occurred while your bank processed the card. No money was " +
          "taken. Try again in a moment, or try another card."
      );
    default:
      return null;
  }
}

// Describe a payment that ended without success: a Stripe.js error object,
// or a failed top-up's failureCode.
export function describeFailure(code, declineCode) {
  if (code === "payment_intent_authentication_failure") {
    return outcome(
      "authentication_failed",
      "Authentication failed",
      "Your bank's security check (3D Secure) failed or was closed before it " +
        "finished, so no money was taken. Try again, or use another card."
    );
  }
  const specific = byDeclineCode(code, declineCode);
  if (specific) {
    return specific;
  }
  const reason = DECLINES[declineCode] || DECLINES[code];
  return outcome(
    "declined",
    "Payment declined",
    `${reason || "Your bank declined the payment."} ${TRY_ANOTHER}`
  );
}

export function describeStripeError(error) {
  if (error.type === "api_connection_error") {
    return networkTrouble();
  }
  if (error.type === "rate_limit_error" || error.type === "api_error") {
    return serviceUnavailable();
  }
  if (error.type === "card_error" || error.code === "payment_intent_authentication_failure") {
    return describeFailure(error.code, error.decline_code);
  }
  return outcome(
    "error",
    "The payment could not be made",
    "Something went wrong with the payment service. Nothing was charged. Try again."
  );
}

export function waitingForConfirmation() {
  return outcome(
    "waiting",
    "Payment received",
    "Your bank accepted the payment. We are waiting for the final confirmation " +
      "before the credit appears on your balance; this usually takes a few seconds."
  );
}

export function slowConfirmation() {
  return outcome(
    "slow",
    "Payment received, confirmation is slow",
    "Your payment went through, but its confirmation is taking longer than usual. " +
      "The credit will appear on your balance by itself, so you can close this " +
      "page. There is no need to pay again."
  );
}

// balanceText is null when the new balance could not be read.
export function completed(amountText, balanceText) {
  const balance = balanceText
    ? `Your balance is now ${balanceText}.`
    : "Reload the page to see your new balance.";
  return outcome("completed", "Payment complete", `${amountText} was added. ${balance}`);
}

// Describe an error that prepay's own API returned when a top-up was
// requested. Network trouble and server errors keep the same attempt,
// because the first request may have done its work before its response was lost.
export function describeApiError(error) {
  switch (error.code) {
    case "UNAVAILABLE":
      return serviceUnavailable();
    case "PAYMENTS_DISABLED":
      return outcome(
        "paused",
        "Adding funds is paused",
        "Card payments are switched off for now. Nothing was charged."
      );
    case "UNAUTHENTICATED":
      return outcome(
        "signed_out",
        "You are signed out",
        "Your session has ended, so nothing was charged. Reload the page and sign in again."
      );
    case "RATE_LIMITED":
      return outcome(
        "rate_limited",
        "Too many unfinished payments",
        "Several of your payments are still waiting to finish. Wait a minute, then try again."
      );
    case "INVALID_ARGUMENT":
      return outcome("invalid", "Check the amount", error.message);
    default:
      // A server error may come after the top-up was stored, so the retry
      // keeps its Idempotency-Key and reaches that same top-up.
      return outcome(
        "error",
        "The payment could not start",
        "Something went wrong on our side. Nothing was charged. Try again in a minute.",
        { retrySameAttempt: error.status >= 500 }
      );
  }
}

const SHORT_REASONS = {
  insufficient_funds: "Not enough funds on the card",
  payment_intent_authentication_failure: "3D Secure authentication failed",
  expired_card: "Card expired",
  incorrect_cvc: "Wrong security code",
  incorrect_number: "Wrong card number",
  processing_error: "The bank could not process it",
  card_velocity_exceeded: "Card limit reached",
  generic_decline: "Declined by the bank",
  lost_card: "Declined by the bank",
  stolen_card: "Declined by the bank",
  fraudulent: "Declined by the bank",
  do_not_honor: "Declined by the bank",
  card_declined: "Declined by the bank",
};

// A few words on why a top-up failed, for the history table.
export function shortReason(failureCode, failureMessage) {
  return SHORT_REASONS[failureCode] || failureMessage || "The payment failed";
}
